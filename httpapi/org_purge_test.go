package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/access/roledef"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/directory"
)

// TestOrgPurgeLeavesNothing: an organization deleted by an operator can be restored for
// 30 days; then the purge removes every row of every module that refers to it — its
// users, licenses, subscriptions, bills, tokens, roles, mail, audit log, events and app
// data — and its name as another organization's partner of record. The test walks every
// text column of every table, so a module added later that forgets to subscribe to
// org.purged fails it too. Another organization's data stays whole.
func TestOrgPurgeLeavesNothing(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		keeper := e.Signup("Keeper Inc", "keeper")
		doomed := e.Signup("Doomed Corp", "doomed")
		ids := products(t, doomed.Admin)
		se := ids["SOCIAL_ENGAGEMENT"]
		for _, o := range []*apptest.Org{keeper, doomed} {
			buy(o.Admin, se, 3)
			u := licensedUser(o.Admin, "ada", "user_admin")
			o.Admin.Do("PUT", "/api/v1/users/"+string(u.ID)+"/licenses", licenseSet(se)).Want(http.StatusOK)
			c := e.SignIn(u.Username, apptest.Password)
			c.Do("PUT", "/api/v1/social/settings/theme", map[string]any{"value": "dark"}).Want(http.StatusNoContent)
			c.Do("POST", "/api/v1/social/alerts", map[string]any{"name": "Mentions", "query": "brand"}).Want(http.StatusCreated)
			c.Do("POST", "/api/v1/social/streams", map[string]any{"name": "Mine", "query": "brand", "shared_with": []atrium.UserID{o.AdminID}}).Want(http.StatusCreated)
			c.Do("POST", "/api/v1/social/search-topics", map[string]any{"name": "Competitors", "keywords": "fabrikam"}).Want(http.StatusCreated)
			o.Admin.Do("POST", "/api/v1/api-tokens", map[string]any{"name": "sync", "role": "user_admin"}).Want(http.StatusCreated)
			roles := app.Need[*roledef.Service](e.Main.Kernel)
			if _, err := roles.Define(t.Context(), mustPrincipal(t, e, o), roledef.Input{Name: "Reader", Actions: []string{"user.read"}}); err != nil {
				t.Fatal(err)
			}
		}
		// Keeper names Doomed as the partner of record of its subscription.
		var subs struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		keeper.Admin.Do("GET", "/api/v1/subscriptions", nil).Want(http.StatusOK).Decode(&subs)
		keeper.Admin.Do("PUT", "/api/v1/subscriptions/"+subs.Items[0].ID+"/partner", map[string]any{"partner_org_id": doomed.ID}).Want(http.StatusOK)
		keeperRows := orgRowCounts(t, e, keeper.ID)

		op := e.Operator()
		path := "/api/v1/organizations/" + string(doomed.ID)
		op.Do("POST", path+"/delete", map[string]any{"confirm": "Doomed Corp"}).WantProblem(http.StatusConflict, atrium.CodeConflict)
		op.Do("POST", path+"/suspend", nil).Want(http.StatusOK)
		op.Do("POST", path+"/delete", map[string]any{"confirm": "Keeper Inc"}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "confirm")
		if n := e.Count(`SELECT count(*) FROM organizations WHERE id = $1 AND state = 'suspended'`, string(doomed.ID)); n != 1 {
			t.Fatal("a refused deletion changed the organization")
		}
		keeper.Admin.Do("POST", path+"/delete", map[string]any{"confirm": "Doomed Corp"}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		op.Do("POST", path+"/delete", map[string]any{"confirm": " doomed corp "}).Want(http.StatusOK)
		e.Anonymous().Do("POST", "/api/v1/sessions", map[string]any{"username": doomed.AdminUsername, "password": apptest.Password}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)

		// Not before 30 days.
		runPeriodic(e, 29*24*time.Hour)
		if n := e.Count(`SELECT count(*) FROM organizations WHERE id = $1`, string(doomed.ID)); n != 1 {
			t.Fatal("purged before the restore window ended")
		}
		runPeriodic(e, 2*24*time.Hour)
		if n := e.Count(`SELECT count(*) FROM organizations WHERE id = $1`, string(doomed.ID)); n != 0 {
			t.Fatal("not purged after the restore window")
		}

		needles := map[string]string{"id": string(doomed.ID), "name": "Doomed Corp", "domain": "doomed."}
		for _, c := range textColumns(t, e) {
			for what, v := range needles {
				q := fmt.Sprintf(`SELECT count(*) FROM %s WHERE %s LIKE $1`, c.table, c.name)
				switch {
				case c.table == "events":
					// Only the org.purged event itself, by id.
					q += ` AND type <> 'org.purged'`
				case c.table == "audit_log" && what == "id":
					// Other organizations' logs keep what happened under the id (Keeper
					// named it partner of record), as they do for a purged user.
					continue
				case c.table == "audit_log":
					// The name only in the operator's record of the purge.
					q += ` AND action <> 'org.purge'`
				}
				if n := e.Count(q, "%"+v+"%"); n > 0 {
					t.Errorf("after the purge %s.%s still holds the organization's %s in %d rows", c.table, c.name, what, n)
				}
			}
		}
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE action = 'org.purge' AND target_id = $1 AND org_id <> $1`, string(doomed.ID)); n != 1 {
			t.Errorf("operator's purge entries: %d, want 1", n)
		}
		// Keeper keeps everything; its subscription just has no partner any more.
		after := orgRowCounts(t, e, keeper.ID)
		for table, n := range keeperRows {
			// The log and the outbox grow, sessions expire, bills are issued and the
			// trial's end is warned of as the month passes; nothing else of Keeper's may
			// change.
			if !slices.Contains([]string{"audit_log", "events", "sessions", "invoices", "mail_outbox", "subscription_end_warnings"}, table) && after[table] != n {
				t.Errorf("keeper's %s: %d rows, had %d", table, after[table], n)
			}
		}
		if n := e.Count(`SELECT count(*) FROM subscriptions WHERE org_id = $1 AND partner_org_id IS NOT NULL`, string(keeper.ID)); n != 0 {
			t.Errorf("%d of keeper's subscriptions still name the purged partner", n)
		}
	})
}

// TestOrgRestore: a deleted organization comes back suspended with its data, and the
// purge job then leaves it alone.
func TestOrgRestore(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Second Thoughts", "second")
		o.Admin.CreateUser("bob")
		op := e.Operator()
		path := "/api/v1/organizations/" + string(o.ID)
		op.Do("POST", path+"/restore", nil).WantProblem(http.StatusConflict, atrium.CodeConflict)
		op.Do("POST", path+"/suspend", nil).Want(http.StatusOK)
		op.Do("POST", path+"/delete", map[string]any{"confirm": "Second Thoughts"}).Want(http.StatusOK)
		var got directory.Organization
		var listed struct{ Items []directory.Organization }
		op.Do("GET", "/api/v1/organizations?state=deleted", nil).Want(http.StatusOK).Decode(&listed)
		if len(listed.Items) != 1 || listed.Items[0].ID != o.ID || listed.Items[0].PurgeAt == nil {
			t.Errorf("deleted organizations = %+v", listed.Items)
		}
		runPeriodic(e, 10*24*time.Hour)
		op = e.Operator()
		op.Do("POST", path+"/restore", nil).Want(http.StatusOK).Decode(&got)
		if got.State != directory.OrgSuspended || got.DeletedAt != nil {
			t.Fatalf("restored = %+v", got)
		}
		op.Do("POST", path+"/reactivate", nil).Want(http.StatusOK)
		runPeriodic(e, 40*24*time.Hour)
		if n := e.Count(`SELECT count(*) FROM users WHERE org_id = $1`, string(o.ID)); n != 2 {
			t.Errorf("restored organization has %d users, want 2", n)
		}
		e.SignIn(o.AdminUsername, apptest.Password)
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE target_id = $1 AND action IN ('org.delete', 'org.restore')`, string(o.ID)); n != 2 {
			t.Errorf("audit entries for delete and restore: %d, want 2", n)
		}
	})
}

// mustPrincipal is o's first Global administrator as the authorizer sees them.
func mustPrincipal(t *testing.T, e *apptest.Env, o *apptest.Org) *access.Principal {
	t.Helper()
	grants, err := access.GrantsOf(t.Context(), e.Main.DB.Read(), o.AdminID)
	if err != nil {
		t.Fatal(err)
	}
	return &access.Principal{UserID: o.AdminID, Org: o.ID, Name: o.AdminUsername, Grants: grants}
}

// orgRowCounts counts the rows of org in every table with an org_id column.
func orgRowCounts(t *testing.T, e *apptest.Env, org atrium.OrgID) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, c := range textColumns(t, e) {
		if c.name == "org_id" {
			out[c.table] = e.Count(fmt.Sprintf(`SELECT count(*) FROM %s WHERE org_id = $1`, c.table), string(org))
		}
	}
	return out
}
