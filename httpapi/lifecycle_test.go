package httpapi_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/mail"
)

// TestSoftDeleteAndPurge: a deleted user waits 30 days in Deleted users, cannot sign
// in, can be restored, and is purged for good by the periodic job afterwards.
func TestSoftDeleteAndPurge(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Purge Co", "purge")
		// Sessions do not last 30 days; an API token does.
		admin := e.Bearer(createToken(t, a.Admin, map[string]any{"name": "purger", "role": "global_admin"}).Token)
		u := a.Admin.CreateUser("doomed", "helpdesk_admin")
		keep := a.Admin.CreateUser("kept")
		path := "/api/v1/users/" + string(u.ID)
		inDeleted := func() bool {
			var page directory.UserPage
			admin.Do("GET", "/api/v1/deleted-users", nil).Want(http.StatusOK).Decode(&page)
			return slices.ContainsFunc(page.Items, func(x directory.User) bool { return x.ID == u.ID })
		}
		purge := func() {
			e.Main.Queue.SchedulePeriodic(context.Background())
			e.RunJobs()
		}

		admin.Do("DELETE", path, nil).Want(http.StatusNoContent)
		if !inDeleted() {
			t.Fatal("deleted user not in /deleted-users")
		}
		e.Anonymous().Do("POST", "/api/v1/sessions", map[string]any{"username": u.Username, "password": apptest.Password}).
			WantProblem(http.StatusUnauthorized, atrium.CodeUnauthenticated)
		admin.Do("DELETE", path, nil).WantProblem(http.StatusConflict, atrium.CodeConflict)
		admin.Do("PATCH", path, map[string]any{"job_title": "Ghost"}).WantProblem(http.StatusConflict, atrium.CodeConflict)
		admin.Do("POST", path+"/restore", nil).Want(http.StatusOK)
		if inDeleted() {
			t.Error("restored user still in /deleted-users")
		}
		e.SignIn(u.Username, apptest.Password)

		admin.Do("DELETE", path, nil).Want(http.StatusNoContent)
		e.Clock.Advance(directory.RestoreWindow - time.Hour)
		purge()
		if !inDeleted() || e.Count("SELECT count(*) FROM users WHERE id = $1", string(u.ID)) != 1 {
			t.Fatal("user purged before 30 days")
		}
		e.Clock.Advance(2 * time.Hour)
		purge()
		if inDeleted() {
			t.Error("purged user still in /deleted-users")
		}
		for _, tbl := range []string{"users WHERE id = $1", "role_assignments WHERE user_id = $1", "sessions WHERE user_id = $1"} {
			if n := e.Count("SELECT count(*) FROM "+tbl, string(u.ID)); n != 0 {
				t.Errorf("%s: %d rows left after purge", tbl, n)
			}
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE action = 'user.purge' AND target_id = $1 AND actor_id = 'system'", string(u.ID)); n != 1 {
			t.Errorf("user.purge audit entries = %d", n)
		}
		admin.Do("POST", path+"/restore", nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		admin.Do("GET", path, nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		if n := e.Count("SELECT count(*) FROM users WHERE id = $1", string(keep.ID)); n != 1 {
			t.Error("purge removed an active user")
		}
		// The username is free again.
		a.Admin = e.SignIn(a.AdminUsername, apptest.Password)
		a.Admin.CreateUser("doomed")
	})
}

// TestAuditLog: every change is recorded with actor, action, target and source address;
// filters and paging work, and CSV export streams the same rows.
func TestAuditLog(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Audit Co", "audit")
		start := e.Clock.Now()
		u := a.Admin.CreateUser("audrey", "helpdesk_admin")
		a.Admin.Do("PATCH", "/api/v1/users/"+string(u.ID), map[string]any{"job_title": "Auditor"}).Want(http.StatusOK)
		a.Admin.Do("POST", "/api/v1/users/"+string(u.ID)+"/password-reset", nil).Want(http.StatusOK)
		e.Clock.Advance(time.Hour)
		later := e.Clock.Now()
		reader := createToken(t, a.Admin, map[string]any{"name": "=HYPERLINK(\"x\")", "role": "global_reader"})
		a.Admin.Do("PATCH", "/api/v1/users/"+string(u.ID), map[string]any{"blocked": true}).Want(http.StatusOK)
		a.Admin.Do("DELETE", "/api/v1/users/"+string(u.ID), nil).Want(http.StatusNoContent)
		a.Admin.Do("POST", "/api/v1/users/"+string(u.ID)+"/restore", nil).Want(http.StatusOK)
		a.Admin.Do("DELETE", "/api/v1/users/"+string(u.ID)+"/roles/helpdesk_admin", nil).Want(http.StatusOK)
		a.Admin.Do("DELETE", "/api/v1/api-tokens/"+reader.ID, nil).Want(http.StatusNoContent)

		var all audit.Page
		a.Admin.Do("GET", "/api/v1/audit-log?limit=200", nil).Want(http.StatusOK).Decode(&all)
		byAction := map[string][]audit.Entry{}
		for _, en := range all.Items {
			byAction[en.Action] = append(byAction[en.Action], en)
			if en.Org != a.ID || en.SourceIP == "" && en.ActorID != "system" {
				t.Errorf("entry %+v", en)
			}
		}
		for _, c := range []struct {
			action string
			target string
		}{
			{"user.create", string(u.ID)}, {"role.assign", string(u.ID)}, {"user.update", string(u.ID)}, {"user.reset_password", string(u.ID)},
			{"user.block", string(u.ID)}, {"user.delete", string(u.ID)}, {"user.restore", string(u.ID)}, {"role.remove", string(u.ID)},
			{"token.create", reader.ID}, {"token.revoke", reader.ID},
		} {
			entries := byAction[c.action]
			if len(entries) != 1 {
				t.Errorf("%s: %d entries", c.action, len(entries))
				continue
			}
			en := entries[0]
			if en.ActorID != string(a.AdminID) || en.ActorName != a.AdminUsername || en.TargetID != c.target || en.SourceIP != "127.0.0.1" {
				t.Errorf("%s entry = %+v", c.action, en)
			}
		}
		if en := byAction["user.update"]; len(en) == 1 && (en[0].Before["job_title"] != "" || en[0].After["job_title"] != "Auditor") {
			t.Errorf("user.update before/after = %v / %v", en[0].Before, en[0].After)
		}
		if sessions := byAction["session.create"]; len(sessions) != 1 {
			t.Errorf("session.create entries = %d", len(sessions))
		}
		// Newest first.
		for i := 1; i < len(all.Items); i++ {
			if all.Items[i].At.After(all.Items[i-1].At) {
				t.Errorf("entries out of order at %d", i)
			}
		}

		list := func(t *testing.T, query string) []audit.Entry {
			t.Helper()
			var page audit.Page
			a.Admin.For(t).Do("GET", "/api/v1/audit-log?limit=200&"+query, nil).Want(http.StatusOK).Decode(&page)
			return page.Items
		}
		filters := []struct {
			name  string
			query string
			match func(audit.Entry) bool
		}{
			{"actor id", "actor=" + string(a.AdminID), func(en audit.Entry) bool { return en.ActorID == string(a.AdminID) }},
			{"anonymous actor", "actor=anonymous", func(en audit.Entry) bool { return en.ActorID == "anonymous" }},
			{"actor name", "actor=" + q(a.AdminUsername), func(en audit.Entry) bool { return en.ActorName == a.AdminUsername }},
			{"action", "action=user.update", func(en audit.Entry) bool { return en.Action == "user.update" }},
			{"action prefix", "action=user.", func(en audit.Entry) bool { return strings.HasPrefix(en.Action, "user.") }},
			{"action wildcard is literal", "action=" + q("%"), func(en audit.Entry) bool { return false }},
			{"action prefix wildcard is literal", "action=" + q("%."), func(en audit.Entry) bool { return false }},
			{"target id", "target=" + reader.ID, func(en audit.Entry) bool { return en.TargetID == reader.ID }},
			{"target name", "target=" + q(u.Username), func(en audit.Entry) bool { return en.TargetName == u.Username }},
			{"since", "since=" + q(later.Format(time.RFC3339)), func(en audit.Entry) bool { return !en.At.Before(later) }},
			{"until", "until=" + q(later.Format(time.RFC3339)), func(en audit.Entry) bool { return en.At.Before(later) }},
			{"since date", "since=" + start.Format("2006-01-02"), func(en audit.Entry) bool { return true }},
			{"combined", "action=user.&since=" + q(later.Format(time.RFC3339)), func(en audit.Entry) bool {
				return strings.HasPrefix(en.Action, "user.") && !en.At.Before(later)
			}},
		}
		for _, f := range filters {
			t.Run("filter "+f.name, func(t *testing.T) {
				got := list(t, f.query)
				var want []string
				for _, en := range all.Items {
					if f.match(en) {
						want = append(want, en.ID)
					}
				}
				var ids []string
				for _, en := range got {
					ids = append(ids, en.ID)
				}
				if !slices.Equal(ids, want) {
					t.Errorf("%s: got %d entries %v, want %d %v", f.query, len(ids), ids, len(want), want)
				}
			})
		}

		t.Run("paging", func(t *testing.T) {
			var ids []string
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > len(all.Items) {
					t.Fatal("paging does not end")
				}
				var page audit.Page
				a.Admin.For(t).Do("GET", "/api/v1/audit-log?limit=3&cursor="+q(cursor), nil).Want(http.StatusOK).Decode(&page)
				if len(page.Items) > 3 {
					t.Fatalf("page of %d", len(page.Items))
				}
				for _, en := range page.Items {
					ids = append(ids, en.ID)
				}
				if page.NextCursor == "" {
					break
				}
				cursor = page.NextCursor
			}
			var want []string
			for _, en := range all.Items {
				want = append(want, en.ID)
			}
			if !slices.Equal(ids, want) {
				t.Errorf("paged ids differ from the full list:\n%v\n%v", ids, want)
			}
		})

		t.Run("csv", func(t *testing.T) {
			res := a.Admin.For(t).Do("GET", "/api/v1/audit-log?format=csv&action=user.", nil).Want(http.StatusOK)
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
				t.Errorf("Content-Type %q", ct)
			}
			records, err := csv.NewReader(strings.NewReader(string(res.Body))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(records) == 0 || !slices.Equal(records[0], []string{"time", "actor_id", "actor_name", "action", "target_type", "target_id", "target_name", "before", "after", "source_ip"}) {
				t.Fatalf("header = %v", records)
			}
			want := 0
			for _, en := range all.Items {
				if strings.HasPrefix(en.Action, "user.") {
					want++
				}
			}
			if len(records)-1 != want {
				t.Errorf("%d CSV rows, want %d", len(records)-1, want)
			}
			for _, r := range records[1:] {
				if !strings.HasPrefix(r[3], "user.") || r[9] == "" && r[1] != "system" {
					t.Errorf("row %v", r)
				}
			}
			// Accept: text/csv works too, and cells that a spreadsheet would run are defused.
			res = a.Admin.For(t).DoHeader("GET", "/api/v1/audit-log?action=token.create", nil, http.Header{"Accept": {"text/csv"}}).Want(http.StatusOK)
			if !strings.Contains(string(res.Body), `'=HYPERLINK`) {
				t.Errorf("formula not defused: %s", res.Body)
			}
		})
	})
}

// TestSignupLifecycle: sign-up provisions through the job, sends the welcome mail,
// refuses taken names and prefixes naming the field, and is rate limited.
func TestSignupLifecycle(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		anon := e.Anonymous()
		var res struct {
			Organization directory.Organization `json:"organization"`
		}
		anon.Do("POST", "/api/v1/signup", apptest.SignupBody("Globex", "globex", "hank@globex.example.com")).Want(http.StatusCreated).Decode(&res)
		id := string(res.Organization.ID)
		for what, n := range map[string]int{
			"organization": e.Count("SELECT count(*) FROM organizations WHERE id = $1 AND state = 'provisioning'", id),
			"domain":       e.Count("SELECT count(*) FROM domains WHERE org_id = $1 AND name = 'globex.atrium.localhost'", id),
			"admin":        e.Count("SELECT count(*) FROM users WHERE org_id = $1 AND username = 'admin@globex.atrium.localhost'", id),
			"role":         e.Count("SELECT count(*) FROM role_assignments WHERE org_id = $1 AND role = 'global_admin'", id),
			"audit":        e.Count("SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'org.create' AND actor_id = 'anonymous'", id),
			"job":          e.Count("SELECT count(*) FROM jobs WHERE kind = 'directory.provision_org' AND payload LIKE '%' || $1 || '%'", id),
		} {
			if n != 1 {
				t.Errorf("%s rows after sign-up: %d", what, n)
			}
		}
		op := e.Operator()
		var outbox httpapi.List[mail.Rendered]
		op.Do("GET", "/api/v1/outgoing-mail?q=hank@globex", nil).Want(http.StatusOK).Decode(&outbox)
		if len(outbox.Items) != 0 {
			t.Errorf("welcome mail before provisioning: %+v", outbox.Items)
		}
		e.RunJobs()
		if n := e.Count("SELECT count(*) FROM organizations WHERE id = $1 AND state = 'active'", id); n != 1 {
			t.Error("organization not active after the job")
		}
		op.Do("GET", "/api/v1/outgoing-mail?q=hank@globex", nil).Want(http.StatusOK).Decode(&outbox)
		if len(outbox.Items) != 1 || !strings.Contains(outbox.Items[0].Text, "admin@globex.atrium.localhost") || !strings.Contains(outbox.Items[0].Text, "http://atrium.test/signin") {
			t.Errorf("welcome mail = %+v", outbox.Items)
		}
		// Running the jobs again changes nothing: provisioning happens once.
		e.RunJobs()
		if n := e.Count("SELECT count(*) FROM mail_outbox WHERE to_addr = 'hank@globex.example.com'"); n != 1 {
			t.Errorf("welcome mails = %d", n)
		}
		tenant := e.SignIn("admin@globex.atrium.localhost", apptest.Password)
		tenant.Do("GET", "/api/v1/outgoing-mail", nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)

		taken := []struct {
			name   string
			body   map[string]any
			status int
			field  string
		}{
			{"prefix", apptest.SignupBody("Globex Two", "GLOBEX", "x@example.com"), 409, "domain_prefix"},
			{"operator prefix", apptest.SignupBody("Other", "operator", "x@example.com"), 409, "domain_prefix"},
		}
		for _, c := range taken {
			t.Run("taken "+c.name, func(t *testing.T) {
				before := rowCounts(e)
				e.Clock.Advance(time.Minute + time.Second)
				anon.For(t).Do("POST", "/api/v1/signup", c.body).WantProblem(c.status, atrium.CodeConflict, c.field)
				wantCounts(t, e.For(t), before, "taken "+c.name)
			})
		}

		// Names need not be unique: two companies may share one, and a sign-up must
		// not reveal which names exist.
		t.Run("same name, other prefix", func(t *testing.T) {
			e := e.For(t)
			e.Clock.Advance(time.Minute + time.Second)
			var res struct{ Organization directory.Organization }
			e.Anonymous().Do("POST", "/api/v1/signup", apptest.SignupBody("GLOBEX", "globex2", "x@example.com")).Want(http.StatusCreated).Decode(&res)
			if res.Organization.Name != "GLOBEX" || res.Organization.DomainPrefix != "globex2" {
				t.Errorf("second Globex = %+v", res.Organization)
			}
			if n := e.Count("SELECT count(*) FROM organizations WHERE name_key = 'globex'"); n != 2 {
				t.Errorf("%d organizations named Globex, want 2", n)
			}
		})

		t.Run("rate limit", func(t *testing.T) {
			e := e.For(t)
			e.Clock.Advance(time.Minute + time.Second)
			before := rowCounts(e)
			for i := range 10 {
				e.Anonymous().Do("POST", "/api/v1/signup", map[string]any{}).Want(http.StatusBadRequest)
				_ = i
			}
			e.Anonymous().Do("POST", "/api/v1/signup", apptest.SignupBody("Limited", "limited", "x@example.com")).WantProblem(http.StatusTooManyRequests, atrium.CodeRateLimited)
			wantCounts(t, e, before, "rate-limited sign-up")
			e.Clock.Advance(time.Minute + time.Second)
			e.Anonymous().Do("POST", "/api/v1/signup", apptest.SignupBody("Limited", "limited", "x@example.com")).Want(http.StatusCreated)
		})
	})
}

// TestOperatorEndpoints: only operator staff list and suspend organizations.
func TestOperatorEndpoints(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Acme", "acme")
		b := e.Signup("Bravo", "bravo")
		op := e.Operator()
		var orgs httpapi.List[directory.Organization]
		op.Do("GET", "/api/v1/organizations", nil).Want(http.StatusOK).Decode(&orgs)
		var names []string
		for _, o := range orgs.Items {
			names = append(names, o.Name)
		}
		if !slices.Equal(names, []string{"Acme", "Atrium Operator", "Bravo"}) {
			t.Errorf("organizations = %v", names)
		}
		op.Do("GET", "/api/v1/organizations?q=BRA", nil).Want(http.StatusOK).Decode(&orgs)
		if len(orgs.Items) != 1 || orgs.Items[0].ID != b.ID {
			t.Errorf("q=BRA = %+v", orgs.Items)
		}
		op.Do("GET", "/api/v1/organizations?limit=2", nil).Want(http.StatusOK).Decode(&orgs)
		if len(orgs.Items) != 2 || orgs.NextCursor == "" {
			t.Fatalf("first page = %+v", orgs)
		}
		op.Do("GET", "/api/v1/organizations?limit=2&cursor="+q(orgs.NextCursor), nil).Want(http.StatusOK).Decode(&orgs)
		if len(orgs.Items) != 1 || orgs.Items[0].ID != b.ID || orgs.NextCursor != "" {
			t.Errorf("second page = %+v", orgs)
		}
		op.Do("GET", "/api/v1/organizations/"+string(a.ID), nil).Want(http.StatusOK)

		// Tenant admins see only their own organization, and manage none.
		before := rowCounts(e)
		a.Admin.Do("GET", "/api/v1/organizations", nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		a.Admin.Do("POST", "/api/v1/organizations/"+string(a.ID)+"/suspend", nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		a.Admin.Do("GET", "/api/v1/organizations/"+string(op.Org), nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		wantCounts(t, e, before, "tenant calls to operator endpoints")

		op.Do("POST", "/api/v1/organizations/"+string(a.ID)+"/suspend", nil).Want(http.StatusOK)
		op.Do("GET", "/api/v1/organizations?state=suspended", nil).Want(http.StatusOK).Decode(&orgs)
		if len(orgs.Items) != 1 || orgs.Items[0].ID != a.ID {
			t.Errorf("suspended = %+v", orgs.Items)
		}
		op.Do("POST", "/api/v1/organizations/"+string(a.ID)+"/suspend", nil).WantProblem(http.StatusConflict, atrium.CodeConflict)
		op.Do("POST", "/api/v1/organizations/"+string(a.ID)+"/reactivate", nil).Want(http.StatusOK)
		for _, action := range []string{"org.suspend", "org.reactivate"} {
			if n := e.Count("SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = $2 AND actor_id = $3", string(a.ID), action, string(op.UserID)); n != 1 {
				t.Errorf("%s audit entries = %d", action, n)
			}
		}
	})
}
