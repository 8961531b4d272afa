package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/store"
)

// asAdmin returns ctx with Contoso's admin as the audit actor, as the console's and the
// API's requests carry it.
func (f *fixture) asAdmin() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{ID: string(f.admin), Name: "admin@contoso.atrium.localhost", SourceIP: "192.0.2.7"})
}

// addZed has the admin add Zed Zero, rename them Zed Zeta and make them a Helpdesk
// administrator, and returns them.
func (f *fixture) addZed(t *testing.T) *directory.User {
	t.Helper()
	ctx := f.asAdmin()
	no := false
	u, _, err := f.m.Directory.CreateUser(ctx, f.adminPrincipal(), directory.UserInput{Username: "zed", DisplayName: "Zed Zero",
		Password: memberPassword, MustChangePassword: &no})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	name := "Zed Zeta"
	if u, err = f.m.Directory.UpdateUser(ctx, f.adminPrincipal(), u.ID, directory.UserPatch{DisplayName: &name}, u.Version); err != nil {
		t.Fatalf("update: %v", err)
	}
	if u, err = f.m.Directory.AssignRole(ctx, f.adminPrincipal(), u.ID, access.HelpdeskAdmin); err != nil {
		t.Fatalf("assign: %v", err)
	}
	return u
}

var actionWordsRE = regexp.MustCompile(`<span class="action-words">([^<]*)</span>`)

// TestAuditLogInWords: the audit log says actions in words, names people by their
// display names, filters by date with date pickers (the last day included) and shows
// each entry's before and after.
func TestAuditLogInWords(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		f.addZed(t)
		// An action without words shows its code.
		err := f.m.DB.Tx(context.Background(), func(tx *store.Tx) error {
			return audit.Record(f.asAdmin(), tx, tx.Now(), audit.Entry{Org: f.org, Action: "test.unworded", TargetType: "thing", TargetName: "Widget"})
		})
		if err != nil {
			t.Fatal(err)
		}
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)

		p := b.get("/audit")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, `id="f-since" name="since" type="date"`, `id="f-until" name="until" type="date"`)
		var words []string
		for _, m := range actionWordsRE.FindAllStringSubmatch(p.body, -1) {
			words = append(words, htmlUnescape(m[1]))
		}
		for _, want := range []string{"assigned an admin role", "edited a user", "added a user", "signed in", "test.unworded"} {
			if !slices.Contains(words, want) {
				t.Errorf("the log's actions %q lack %q", words, want)
			}
		}
		for _, w := range words {
			if w != "test.unworded" && strings.Contains(w, ".") {
				t.Errorf("the log shows the code %q instead of words", w)
			}
		}
		// People by display name, with the username they had.
		wantContains(t, p, "<td class=\"any\">Ada Admin<span class=\"muted person-id\">admin@<wbr>contoso.<wbr>atrium.<wbr>localhost</span></td>",
			"<td class=\"any\">Zed Zeta<span class=\"muted person-id\">zed@<wbr>contoso.<wbr>atrium.<wbr>localhost</span> <span class=\"muted\">user</span></td>")
		// Details: what changed, before and after, and the code.
		wantContains(t, p, `<details class="entry-details">`,
			`<tr class="changed"><th scope="row">display name<span class="visually-hidden"> (changed)</span></th><td>Zed Zero</td><td>Zed Zeta</td></tr>`,
			`<tr><th scope="row">role</th><td>—</td><td>Helpdesk administrator</td></tr>`,
			`<dt>Action code</dt><dd><code>user.update</code></dd>`, `<td>192.0.2.7</td>`)
		if n, m := strings.Count(p.body, `<details class="entry-details">`), len(words); n != m {
			t.Errorf("%d entries have details, want all %d", n, m)
		}

		// Dates: the day picked as "To" is included, here and in the export.
		today := f.clock.Now().UTC()
		day := today.Format(time.DateOnly)
		cases := []struct {
			name, query string
			want        bool
		}{
			{"from today", "since=" + day, true},
			{"to today", "until=" + day, true},
			{"to yesterday", "until=" + today.AddDate(0, 0, -1).Format(time.DateOnly), false},
			{"from tomorrow", "since=" + today.AddDate(0, 0, 1).Format(time.DateOnly), false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := b.get("/audit?action=user.create&" + tc.query)
				wantStatus(t, p, http.StatusOK)
				if got := strings.Contains(p.body, `<span class="action-words">added a user</span>`); got != tc.want {
					t.Errorf("%s: shows the user added today: %v, want %v", tc.query, got, tc.want)
				}
			})
		}
		p = b.get("/audit?action=user.create&until=" + day)
		next := url.QueryEscape(today.AddDate(0, 0, 1).Format(time.DateOnly) + "T00:00:00Z")
		wantContains(t, p, `href="/api/v1/audit-log?action=user.create&amp;format=csv&amp;until=`+next+`"`)
		csv := b.get("/api/v1/audit-log?action=user.create&format=csv&until=" + next)
		wantStatus(t, csv, http.StatusOK)
		wantContains(t, csv, "zed@contoso.atrium.localhost")
		// The date pickers show what was picked.
		wantContains(t, p, `id="f-until" name="until" type="date" value="`+day+`"`)
	})
}
