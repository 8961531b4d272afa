package auth_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/password"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// TestSignInAndTokenEvents: a sign-in, a refused sign-in to an existing account and an
// API token's creation and revocation each publish their event in the change's
// transaction; a username nobody has publishes nothing, and no event holds a secret.
func TestSignInAndTokenEvents(t *testing.T) {
	storetest.Each(t, app.Migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cfg := app.Defaults()
		cfg.BaseDomain, cfg.PublicURL, cfg.PasswordParams = "atrium.test", "http://atrium.test", password.TestParams
		k, err := app.NewModules(ctx, db, cfg, atrium.NewManualClock(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		dir, au := app.Need[*directory.Service](k), app.Need[*auth.Service](k)
		res, err := dir.Signup(ctx, directory.SignupInput{OrganizationName: "Org ev", DomainPrefix: "authev", AdminDisplayName: "Admin",
			AdminUsername: "admin", AdminPassword: "Correct-Horse-9", ContactEmail: "admin@authev.example", Seats: 5})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.Queue.RunDue(ctx); err != nil { // provisioning activates the organization
			t.Fatal(err)
		}
		org, admin := res.Organization.ID, res.Admin
		p := &access.Principal{UserID: admin.ID, Org: org, Name: admin.Username, Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(org)}}}
		u, _, err := dir.CreateUser(ctx, p, directory.UserInput{Username: "kim", DisplayName: "Kim", Password: "Correct-Horse-9"})
		if err != nil {
			t.Fatal(err)
		}

		signIn := func(username, pw string) error {
			_, _, err := au.SignIn(ctx, auth.SignInInput{Username: username, Password: pw, SourceIP: "192.0.2.7"})
			return err
		}
		if err := signIn(u.Username, "Correct-Horse-9"); err != nil {
			t.Fatal(err)
		}
		if err := signIn(u.Username, "wrong-password-1"); atrium.ErrorCode(err) != atrium.CodeUnauthenticated {
			t.Fatalf("wrong password: %v", err)
		}
		if err := signIn("nobody@authev.atrium.test", "wrong-password-1"); atrium.ErrorCode(err) != atrium.CodeUnauthenticated {
			t.Fatalf("unknown user: %v", err)
		}
		blocked := true
		if _, err := dir.UpdateUser(ctx, p, u.ID, directory.UserPatch{Blocked: &blocked}, 0); err != nil {
			t.Fatal(err)
		}
		if err := signIn(u.Username, "Correct-Horse-9"); atrium.ErrorCode(err) != atrium.CodeForbidden {
			t.Fatalf("blocked: %v", err)
		}
		tok, secret, err := au.CreateToken(ctx, p, auth.TokenInput{Name: "HR sync", Role: access.UserAdmin})
		if err != nil {
			t.Fatal(err)
		}
		if err := au.RevokeToken(ctx, p, tok.ID); err != nil {
			t.Fatal(err)
		}

		rows, err := db.Read().QueryContext(ctx, `SELECT type, subject, data FROM events WHERE org_id = $1 AND type IN
			('user.signed_in', 'user.sign_in_failed', 'api_token.created', 'api_token.revoked') ORDER BY created_at, id`, string(org))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var typ, subject, data string
			if err := rows.Scan(&typ, &subject, &data); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(data, secret) || strings.Contains(data, "Correct-Horse") || strings.Contains(data, "argon2") {
				t.Fatalf("%s holds a secret: %s", typ, data)
			}
			var d map[string]any
			if err := json.Unmarshal([]byte(data), &d); err != nil {
				t.Fatal(err)
			}
			switch typ {
			case "user.signed_in", "user.sign_in_failed":
				if subject != string(u.ID) || d["user_id"] != string(u.ID) || d["username"] != u.Username || d["source_ip"] != "192.0.2.7" {
					t.Errorf("%s = %s (subject %s)", typ, data, subject)
				}
			case "api_token.created", "api_token.revoked":
				if subject != tok.ID || d["token_id"] != tok.ID || d["name"] != "HR sync" {
					t.Errorf("%s = %s (subject %s)", typ, data, subject)
				}
			}
			kind := typ
			if r, ok := d["reason"].(string); ok {
				kind += "/" + r
			}
			if typ == "user.signed_in" {
				kind += "/" + d["via"].(string)
			}
			if typ == "api_token.created" {
				kind += "/" + d["role"].(string)
			}
			got = append(got, kind)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		want := []string{"user.signed_in/console", "user.sign_in_failed/wrong_password", "user.sign_in_failed/blocked",
			"api_token.created/" + access.UserAdmin.String(), "api_token.revoked"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("events %v, want %v", got, want)
		}
	})
}
