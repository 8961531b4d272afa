package roledef_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/access/roledef"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

const (
	orgA        atrium.OrgID = "org-a"
	orgB        atrium.OrgID = "org-b"
	operatorOrg atrium.OrgID = "org-operator"
)

var migrations = append(append([]store.Migration(nil), audit.Migrations...), access.Migrations...)

func holder(org atrium.OrgID, role access.Role, s access.Scope) *access.Principal {
	return &access.Principal{UserID: atrium.UserID("u-" + org), Org: org, Name: "tester", Grants: []access.Grant{{Role: role, Scope: s}}}
}

type env struct {
	db    *store.DB
	clock *atrium.ManualClock
	svc   *roledef.Service
	admin *access.Principal // Global administrator of org A
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	e := &env{db: db, clock: atrium.NewManualClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)),
		admin: holder(orgA, access.GlobalAdmin, access.OrgScope(orgA))}
	e.svc = roledef.New(db, e.clock, nil)
	if err := e.svc.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The roles stay in access.Default otherwise; their IDs are unique, so other tests
	// never see them, but a test leaves what it found.
	t.Cleanup(func() {
		ids := []string{}
		rows, err := db.Read().QueryContext(context.Background(), `SELECT id FROM defined_roles`)
		if err == nil {
			for rows.Next() {
				var id string
				rows.Scan(&id)
				ids = append(ids, id)
			}
			rows.Close()
		}
		access.Default.Remove(ids...)
	})
	return e
}

func (e *env) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.Read().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func mustDefine(t *testing.T, e *env, p *access.Principal, in roledef.Input) *roledef.Role {
	t.Helper()
	r, err := e.svc.Define(context.Background(), p, in)
	if err != nil {
		t.Fatalf("Define(%s): %v", in.Name, err)
	}
	return r
}

func TestDefineValidates(t *testing.T) {
	storetest.Each(t, migrations, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		mustDefine(t, e, e.admin, roledef.Input{Name: "Salesperson", Actions: []string{"user.read"}})
		definer := mustDefine(t, e, e.admin, roledef.Input{Name: "Definer", Actions: []string{"role.define", "user.read"}})
		definerRole, _ := access.LookupRole(definer.ID)
		cases := []struct {
			name  string
			p     *access.Principal
			in    roledef.Input
			code  atrium.Code
			field string
		}{
			{"no name", e.admin, roledef.Input{Name: "  ", Actions: []string{"user.read"}}, atrium.CodeInvalid, "name"},
			{"long name", e.admin, roledef.Input{Name: string(make([]byte, 65)), Actions: []string{"user.read"}}, atrium.CodeInvalid, "name"},
			{"no actions", e.admin, roledef.Input{Name: "Empty"}, atrium.CodeInvalid, "actions"},
			{"unknown action", e.admin, roledef.Input{Name: "Ghost", Actions: []string{"crm.ghost"}}, atrium.CodeInvalid, "actions"},
			{"instance action", e.admin, roledef.Input{Name: "Mailman", Actions: []string{"instance.mail.read"}}, atrium.CodeInvalid, "actions"},
			{"name taken", e.admin, roledef.Input{Name: "Salesperson", Actions: []string{"org.read"}}, atrium.CodeInvalid, "name"},
			{"more than the definer holds", holder(orgA, definerRole, access.OrgScope(orgA)),
				roledef.Input{Name: "Token minter", Actions: []string{"token.manage"}}, atrium.CodeInvalid, "actions"},
			{"global reader", holder(orgA, access.GlobalReader, access.OrgScope(orgA)),
				roledef.Input{Name: "Reader", Actions: []string{"user.read"}}, atrium.CodeForbidden, ""},
			{"global admin at an engagement only", holder(orgA, access.GlobalAdmin, access.Scope{Kind: access.ScopeEngagement, ID: "e1"}),
				roledef.Input{Name: "Scoped", Actions: []string{"user.read"}}, atrium.CodeForbidden, ""},
			{"instance role by a tenant admin", e.admin, roledef.Input{Name: "Manager", Actions: []string{"license.assign"}, Instance: true},
				atrium.CodeForbidden, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := e.count(t, `SELECT count(*) FROM defined_roles`)
				_, err := e.svc.Define(ctx, c.p, c.in)
				if atrium.ErrorCode(err) != c.code {
					t.Fatalf("Define = %v, want code %s", err, c.code)
				}
				var ae *atrium.Error
				if c.field != "" {
					if !asError(err, &ae) || ae.Fields[c.field] == "" {
						t.Errorf("Define = %#v, want a message for field %s", err, c.field)
					}
				}
				if after := e.count(t, `SELECT count(*) FROM defined_roles`); after != before {
					t.Errorf("rejected definition stored: %d roles, was %d", after, before)
				}
			})
		}
		// Within what the definer holds, a data role may define roles too.
		if _, err := e.svc.Define(ctx, holder(orgA, definerRole, access.OrgScope(orgA)), roledef.Input{Name: "Viewer", Actions: []string{"user.read"}}); err != nil {
			t.Errorf("definer within its actions: %v", err)
		}
	})
}

func TestDefinedRoleDecides(t *testing.T) {
	storetest.Each(t, migrations, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		r := mustDefine(t, e, e.admin, roledef.Input{Name: " Salesperson ", Description: "Sells.", Actions: []string{"license.assign", "user.read", "user.read"}})
		if r.Org != orgA || r.Name != "Salesperson" || !slices.Equal(r.Actions, []string{"license.assign", "user.read"}) {
			t.Errorf("defined %+v", r)
		}
		if n := e.count(t, `SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'role.define' AND target_id = $2`, string(orgA), r.ID); n != 1 {
			t.Errorf("%d audit entries for the definition, want 1", n)
		}
		role, ok := access.LookupRole(r.ID)
		if !ok || role.Title() != "Salesperson" {
			t.Fatalf("LookupRole(%s) = %v, %v", r.ID, role, ok)
		}
		// Assigned like any role, it reaches principals through GrantsOf.
		const user atrium.UserID = "u-sales"
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := access.Assign(ctx, tx, e.clock.Now(), orgA, user, role, access.OrgScope(orgA))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		grants, err := access.GrantsOf(ctx, db.Read(), user)
		if err != nil {
			t.Fatal(err)
		}
		p := &access.Principal{UserID: user, Org: orgA, Grants: grants}
		if !access.Can(p, access.UserRead, access.Resource{Org: orgA}) || !access.Can(p, access.LicenseAssign, access.Resource{Org: orgA}) {
			t.Errorf("grants %v: the defined role does not allow its actions", grants)
		}
		if access.Can(p, access.UserCreate, access.Resource{Org: orgA}) {
			t.Error("the defined role allows more than its actions")
		}

		// Another organization can neither see nor delete it.
		adminB := holder(orgB, access.GlobalAdmin, access.OrgScope(orgB))
		if err := e.svc.Delete(ctx, adminB, r.ID); atrium.ErrorCode(err) != atrium.CodeNotFound {
			t.Errorf("org B deletes org A's role: %v, want not_found", err)
		}
		if page, err := e.svc.List(ctx, adminB, roledef.Filter{}); err != nil || len(page.Items) != 0 {
			t.Errorf("org B lists %v, %v", page, err)
		}

		if err := e.svc.Delete(ctx, e.admin, r.ID); err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, `SELECT count(*) FROM role_assignments WHERE role = $1`, r.ID); n != 0 {
			t.Errorf("%d assignments of the deleted role remain", n)
		}
		if n := e.count(t, `SELECT count(*) FROM audit_log WHERE action = 'role.delete' AND target_id = $1`, r.ID); n != 1 {
			t.Errorf("%d audit entries for the deletion, want 1", n)
		}
		if access.Can(p, access.UserRead, access.Resource{Org: orgA}) {
			t.Error("a principal built before the deletion still reads users")
		}
		if _, ok := access.LookupRole(r.ID); ok {
			t.Error("the deleted role is still looked up")
		}
		if err := e.svc.Delete(ctx, e.admin, r.ID); atrium.ErrorCode(err) != atrium.CodeNotFound {
			t.Errorf("second delete = %v, want not_found", err)
		}
	})
}

func TestInstanceRoles(t *testing.T) {
	storetest.Each(t, migrations, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		operator := holder(operatorOrg, access.OperatorAdmin, access.OrgScope(operatorOrg))
		r := mustDefine(t, e, operator, roledef.Input{Name: "Manager", Actions: []string{"license.assign"}, Instance: true})
		if r.Org != "" {
			t.Errorf("instance role owned by %q", r.Org)
		}
		role, _ := access.LookupRole(r.ID)
		for _, org := range []atrium.OrgID{orgA, orgB} {
			if !access.Can(holder(org, role, access.OrgScope(org)), access.LicenseAssign, access.Resource{Org: org}) {
				t.Errorf("instance role does not work in %s", org)
			}
		}
		for name, p := range map[string]*access.Principal{"tenant reader": holder(orgA, access.GlobalReader, access.OrgScope(orgA)), "operator": operator} {
			page, err := e.svc.List(ctx, p, roledef.Filter{Instance: true})
			if err != nil || len(page.Items) != 1 || page.Items[0].ID != r.ID {
				t.Errorf("%s lists instance roles: %+v, %v", name, page, err)
			}
		}
		if _, err := e.svc.List(ctx, holder(orgA, access.HelpdeskAdmin, access.OrgScope(orgA)), roledef.Filter{Instance: true}); atrium.ErrorCode(err) != atrium.CodeForbidden {
			t.Errorf("helpdesk lists instance roles: %v, want forbidden", err)
		}
		if err := e.svc.Delete(ctx, e.admin, r.ID); atrium.ErrorCode(err) != atrium.CodeForbidden {
			t.Errorf("tenant admin deletes an instance role: %v, want forbidden", err)
		}
		if err := e.svc.Delete(ctx, operator, r.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestListPages(t *testing.T) {
	storetest.Each(t, migrations, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		want := []string{"Auditor", "Buyer", "Clerk", "Dispatcher", "Editor"}
		for _, n := range []string{"Clerk", "Editor", "Auditor", "Dispatcher", "Buyer"} {
			mustDefine(t, e, e.admin, roledef.Input{Name: n, Actions: []string{"org.read"}})
		}
		var got []string
		f := roledef.Filter{Limit: 2}
		for pages := 0; ; pages++ {
			if pages > len(want) {
				t.Fatal("paging does not end")
			}
			page, err := e.svc.List(ctx, e.admin, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Items {
				got = append(got, r.Name)
			}
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
		if !slices.Equal(got, want) {
			t.Errorf("paged names = %v, want %v", got, want)
		}
		for name, f := range map[string]roledef.Filter{"bad cursor": {Cursor: "nope"}, "bad limit": {Limit: 501}} {
			if _, err := e.svc.List(ctx, e.admin, f); atrium.ErrorCode(err) != atrium.CodeInvalid {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
		if _, err := e.svc.List(ctx, holder(orgA, access.HelpdeskAdmin, access.OrgScope(orgA)), roledef.Filter{}); atrium.ErrorCode(err) != atrium.CodeForbidden {
			t.Errorf("helpdesk lists roles: %v, want forbidden", err)
		}
	})
}

// TestLoad: another process's service (here: a second service with its own registry
// over the same database) picks up definitions on Load, and their deletion on the next.
func TestLoad(t *testing.T) {
	storetest.Each(t, migrations, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		r := mustDefine(t, e, e.admin, roledef.Input{Name: "Salesperson", Actions: []string{"user.read"}})
		// A stored action this binary no longer registers allows nothing, and the rest
		// of the role still works.
		if _, err := db.Write().ExecContext(ctx, `UPDATE defined_roles SET actions = 'crm.ghost.read user.read' WHERE id = $1`, r.ID); err != nil {
			t.Fatal(err)
		}
		reg := access.NewRegistry()
		other := roledef.New(db, e.clock, reg)
		if err := other.Load(ctx); err != nil {
			t.Fatal(err)
		}
		role, ok := reg.Lookup(r.ID)
		if !ok || !reg.Can(holder(orgA, role, access.OrgScope(orgA)), access.UserRead, access.Resource{Org: orgA}) {
			t.Fatal("the loaded role does not decide in the other registry")
		}
		if reg.Can(holder(orgA, role, access.OrgScope(orgA)), access.UserCreate, access.Resource{Org: orgA}) {
			t.Error("the loaded role allows more than its actions")
		}
		if err := e.svc.Delete(ctx, e.admin, r.ID); err != nil {
			t.Fatal(err)
		}
		if !reg.Can(holder(orgA, role, access.OrgScope(orgA)), access.UserRead, access.Resource{Org: orgA}) {
			t.Fatal("the other registry changed before its Load")
		}
		if err := other.Load(ctx); err != nil {
			t.Fatal(err)
		}
		if reg.Can(holder(orgA, role, access.OrgScope(orgA)), access.UserRead, access.Resource{Org: orgA}) {
			t.Error("Load did not withdraw a deleted role")
		}
	})
}

func asError(err error, target **atrium.Error) bool { return errors.As(err, target) }
