package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/httpapi"
)

type createdToken struct {
	auth.APIToken
	Token string `json:"token"`
}

func createToken(t *testing.T, c *apptest.Client, body map[string]any) createdToken {
	t.Helper()
	var out createdToken
	c.Do("POST", "/api/v1/api-tokens", body).Want(http.StatusCreated).Decode(&out)
	return out
}

func TestAPITokens(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Token Co", "token")
		reader := createToken(t, a.Admin, map[string]any{"name": "reporting", "role": "global_reader"})

		t.Run("secret shown once and stored hashed", func(t *testing.T) {
			if !strings.HasPrefix(reader.Token, "atk_") || len(reader.Token) < 40 {
				t.Fatalf("secret = %q", reader.Token)
			}
			for _, table := range []string{"api_tokens", "audit_log", "sessions", "jobs", "mail_outbox"} {
				for _, row := range rows(t, e, "SELECT * FROM "+table) {
					if strings.Contains(row, reader.Token) || strings.Contains(row, strings.TrimPrefix(reader.Token, "atk_")) {
						t.Errorf("%s holds the token secret: %s", table, row)
					}
					if strings.Contains(row, a.Admin.Token) || strings.Contains(row, strings.TrimPrefix(a.Admin.Token, "ats_")) {
						t.Errorf("%s holds a session token: %s", table, row)
					}
				}
			}
			if n := e.Count("SELECT count(*) FROM api_tokens WHERE id = $1 AND length(token_hash) = 64", reader.ID); n != 1 {
				t.Error("token hash missing")
			}
			var list httpapi.List[auth.APIToken]
			res := a.Admin.Do("GET", "/api/v1/api-tokens", nil).Want(http.StatusOK).Decode(&list)
			if strings.Contains(string(res.Body), reader.Token) || len(list.Items) != 1 || list.Items[0].ID != reader.ID {
				t.Errorf("token list = %s", res.Body)
			}
		})

		t.Run("works as bearer with its role's permissions only", func(t *testing.T) {
			c := e.Bearer(reader.Token)
			var me httpapi.Me
			c.Do("GET", "/api/v1/me", nil).Want(http.StatusOK).Decode(&me)
			if me.TokenName != "reporting" || me.User != nil || len(me.Roles) != 1 || me.Roles[0].String() != "global_reader" {
				t.Errorf("me = %+v", me)
			}
			c.Do("GET", "/api/v1/users", nil).Want(http.StatusOK)
			c.Do("GET", "/api/v1/audit-log", nil).Want(http.StatusOK)
			before := rowCounts(e)
			c.Do("POST", "/api/v1/users", map[string]any{"username": "intruder", "display_name": "Intruder"}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
			c.Do("PATCH", "/api/v1/users/"+string(a.AdminID), map[string]any{"display_name": "Token"}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
			c.Do("POST", "/api/v1/api-tokens", map[string]any{"name": "escalate", "role": "global_admin"}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
			c.Do("DELETE", "/api/v1/sessions/current", nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid)
			c.Do("POST", "/api/v1/me/password", map[string]any{"current_password": "x", "new_password": "Some-Passw0rd!"}).Want(http.StatusForbidden)
			wantCounts(t, e, before, "refused token calls")
			// A token needs no CSRF token and gets no cookie.
			if res := c.Do("GET", "/api/v1/users", nil); len(res.Cookies()) != 0 {
				t.Errorf("token request set cookies %v", res.Cookies())
			}
		})

		t.Run("audit names the token", func(t *testing.T) {
			admin := createToken(t, a.Admin, map[string]any{"name": "provisioner", "role": "global_admin"})
			var u apptest.User
			e.Bearer(admin.Token).Do("POST", "/api/v1/users", map[string]any{"username": "robot-made", "display_name": "Robot Made"}).
				Want(http.StatusCreated).Decode(&u)
			got := e.Strings("SELECT actor_id || ' ' || actor_name FROM audit_log WHERE action = 'user.create' AND target_id = $1", string(u.ID))
			if len(got) != 1 || got[0] != "token:"+admin.ID+" API token provisioner" {
				t.Errorf("audit actor = %v", got)
			}
			// A global_admin token may mint tokens.
			createToken(t, e.Bearer(admin.Token), map[string]any{"name": "child", "role": "user_admin"})
		})

		t.Run("cannot be minted above the creator", func(t *testing.T) {
			ua := a.Admin.CreateUser("ursula", "user_admin")
			uaClient := e.SignIn(ua.Username, apptest.Password)
			op := e.Operator()
			before := rowCounts(e)
			uaClient.Do("POST", "/api/v1/api-tokens", map[string]any{"name": "mine", "role": "user_admin"}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
			uaClient.Do("POST", "/api/v1/api-tokens", map[string]any{"name": "mine", "role": "global_admin"}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
			a.Admin.Do("POST", "/api/v1/api-tokens", map[string]any{"name": "op", "role": "operator_admin"}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "role")
			op.Do("POST", "/api/v1/api-tokens", map[string]any{"name": "op", "role": "operator_admin"}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "role")
			wantCounts(t, e, before, "refused token creation")
		})

		t.Run("expiry", func(t *testing.T) {
			expires := e.Clock.Now().Add(time.Hour)
			tok := createToken(t, a.Admin, map[string]any{"name": "short-lived", "role": "global_reader", "expires_at": expires})
			if tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(expires) {
				t.Errorf("expires_at = %v, want %v", tok.ExpiresAt, expires)
			}
			c := e.Bearer(tok.Token)
			c.Do("GET", "/api/v1/users", nil).Want(http.StatusOK)
			e.Clock.Advance(59 * time.Minute)
			c.Do("GET", "/api/v1/users", nil).Want(http.StatusOK)
			e.Clock.Advance(time.Minute)
			res := c.Do("GET", "/api/v1/users", nil)
			res.WantProblem(http.StatusUnauthorized, atrium.CodeUnauthenticated)
			if res.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})

		t.Run("revocation", func(t *testing.T) {
			tok := createToken(t, a.Admin, map[string]any{"name": "revoke-me", "role": "global_reader"})
			c := e.Bearer(tok.Token)
			c.Do("GET", "/api/v1/users", nil).Want(http.StatusOK)
			a.Admin.Do("DELETE", "/api/v1/api-tokens/"+tok.ID, nil).Want(http.StatusNoContent)
			c.Do("GET", "/api/v1/users", nil).WantProblem(http.StatusUnauthorized, atrium.CodeUnauthenticated)
			a.Admin.Do("DELETE", "/api/v1/api-tokens/"+tok.ID, nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
			var list httpapi.List[auth.APIToken]
			a.Admin.Do("GET", "/api/v1/api-tokens", nil).Want(http.StatusOK).Decode(&list)
			for _, it := range list.Items {
				if it.ID == tok.ID {
					t.Error("revoked token still listed")
				}
			}
			if n := e.Count("SELECT count(*) FROM audit_log WHERE action = 'token.revoke' AND target_id = $1 AND actor_id = $2", tok.ID, string(a.AdminID)); n != 1 {
				t.Errorf("token.revoke audit entries = %d", n)
			}
		})

		t.Run("malformed bearer headers", func(t *testing.T) {
			for name, h := range map[string]string{"no scheme": reader.Token, "basic": "Basic " + reader.Token, "empty bearer": "Bearer ",
				"unknown token": "Bearer atk_" + strings.Repeat("A", 43), "session-shaped": "Bearer ats_nothing"} {
				t.Run(name, func(t *testing.T) {
					e.Anonymous().DoHeader("GET", "/api/v1/users", nil, http.Header{"Authorization": {h}}).WantProblem(http.StatusUnauthorized, atrium.CodeUnauthenticated)
				})
			}
		})
	})
}
