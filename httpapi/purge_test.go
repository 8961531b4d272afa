package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/store"
)

// column is one text column of one table.
type column struct{ table, name string }

// textColumns lists every text column of every table of the schema (both dialects).
func textColumns(t *testing.T, e *apptest.Env) []column {
	t.Helper()
	var rows []string
	if e.Dialect == store.Postgres {
		rows = e.Strings(`SELECT table_name || '.' || column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying') ORDER BY 1`)
	} else {
		rows = e.Strings(`SELECT m.name || '.' || c.name FROM sqlite_master m JOIN pragma_table_info(m.name) c
			WHERE m.type = 'table' AND upper(c.type) LIKE '%TEXT%' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '%users_fts%' ORDER BY 1`)
	}
	var out []column
	for _, r := range rows {
		table, name, _ := strings.Cut(r, ".")
		out = append(out, column{table, name})
	}
	return out
}

// idAllowed are the columns that may keep a purged user's id: the audit log keeps what
// happened under the id (its names are gone), and the outbox keeps the user.purged
// event itself (ids only).
var idAllowed = map[column]bool{
	{"audit_log", "actor_id"}: true, {"audit_log", "target_id"}: true,
	{"events", "subject"}: true, {"events", "data"}: true,
}

// TestPurgeLeavesNothing: 30 days after a user is deleted the purge removes or
// anonymises every row of every module that refers to them. The test walks every text
// column of every table, so a module added later that forgets to subscribe to
// user.purged fails it too.
func TestPurgeLeavesNothing(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Purge Co", "purge")
		ids := products(t, o.Admin)
		se := ids["SOCIAL_ENGAGEMENT"]
		buy(o.Admin, se, 5)
		ada := licensedUser(o.Admin, "ada", "global_admin")
		bob := licensedUser(o.Admin, "bob")
		for _, u := range []apptest.User{ada, bob} {
			o.Admin.Do("PUT", "/api/v1/users/"+string(u.ID)+"/licenses", licenseSet(se)).Want(http.StatusOK)
		}
		adaC, bobC := e.SignIn(ada.Username, apptest.Password), e.SignIn(bob.Username, apptest.Password)
		// Ada's own data in every module that keeps some, and data of others that names her.
		adaC.Do("PUT", "/api/v1/social/settings/theme", map[string]any{"value": "dark"}).Want(http.StatusNoContent)
		adaC.Do("POST", "/api/v1/social/alerts", map[string]any{"name": "Mentions", "query": "ada"}).Want(http.StatusCreated)
		adaC.Do("POST", "/api/v1/social/streams", map[string]any{"name": "Mine", "query": "brand", "shared_with": []atrium.UserID{bob.ID}}).Want(http.StatusCreated)
		adaC.Do("POST", "/api/v1/social/search-topics", map[string]any{"name": "Competitors", "keywords": "fabrikam"}).Want(http.StatusCreated)
		bobC.Do("POST", "/api/v1/social/streams", map[string]any{"name": "Bob's", "query": "launch", "shared_with": []atrium.UserID{ada.ID}}).Want(http.StatusCreated)
		adaC.Do("POST", "/api/v1/api-tokens", map[string]any{"name": "by ada", "role": "user_admin"}).Want(http.StatusCreated)
		adaC.Do("POST", "/api/v1/users", map[string]any{"username": "carl", "display_name": "Carl", "password": apptest.Password}).Want(http.StatusCreated)
		e.Anonymous().Do("POST", "/api/v1/sessions", map[string]any{"username": ada.Username, "password": "wrong-password-1"}).Want(http.StatusUnauthorized)
		// Ada is a guest of another organization, and invited a guest herself.
		host := e.Signup("Host Co", "hostco")
		host.Admin.Do("POST", "/api/v1/guests", map[string]any{"username": ada.Username}).Want(http.StatusCreated)
		adaC.Do("POST", "/api/v1/guest-invitations/accept", map[string]any{"token": invitationToken(t, e, "ada@mail.example.com")}).Want(http.StatusCreated)
		adaC.Do("POST", "/api/v1/guests", map[string]any{"email": "zed@elsewhere.example"}).Want(http.StatusCreated)

		o.Admin.Do("DELETE", "/api/v1/users/"+string(ada.ID), nil).Want(http.StatusNoContent)
		e.Clock.Advance(31 * 24 * time.Hour)
		e.Main.Queue.SchedulePeriodic(t.Context())
		e.RunJobs()
		if n := e.Count(`SELECT count(*) FROM users WHERE id = $1`, string(ada.ID)); n != 0 {
			t.Fatalf("ada was not purged")
		}

		needles := map[string]string{"id": string(ada.ID), "username": ada.Username, "email": "ada@mail.example.com"}
		for _, c := range textColumns(t, e) {
			for what, v := range needles {
				if what == "id" && idAllowed[c] {
					continue
				}
				// Failed sign-ins are counted per typed username, whoever typed it; the
				// counters expire within a day (auth's sweep).
				if c.table == "signin_throttle" {
					continue
				}
				q := fmt.Sprintf(`SELECT count(*) FROM %s WHERE %s LIKE $1`, c.table, c.name)
				if n := e.Count(q, "%"+v+"%"); n > 0 {
					t.Errorf("after the purge %s.%s still holds ada's %s in %d rows", c.table, c.name, what, n)
				}
			}
		}
		// What others own stays: Bob's stream, the organization's topic, the token.
		if n := e.Count(`SELECT count(*) FROM social_streams WHERE owner_id = $1`, string(bob.ID)); n != 1 {
			t.Errorf("bob's stream went with ada's purge (%d left)", n)
		}
		if n := e.Count(`SELECT count(*) FROM social_search_topics WHERE org_id = $1 AND owner_removed`, string(o.ID)); n != 1 {
			t.Errorf("the topic ada owned: %d kept as owned by a removed user, want 1", n)
		}
		if n := e.Count(`SELECT count(*) FROM users WHERE org_id = $1 AND home_user_id IS NOT NULL`, string(host.ID)); n != 0 {
			t.Errorf("ada's guest account in the host outlived her: %d left", n)
		}
		if n := e.Count(`SELECT count(*) FROM guest_invitations WHERE org_id = $1 AND email = 'zed@elsewhere.example'`, string(o.ID)); n != 1 {
			t.Errorf("the invitation ada sent went with her (%d left)", n)
		}
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE target_id = $1 AND action = 'user.purge'`, string(ada.ID)); n != 1 {
			t.Errorf("purge audit entries: %d, want 1", n)
		}
	})
}
