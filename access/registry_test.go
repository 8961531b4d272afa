package access_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
)

var (
	program1    = access.Scope{Kind: access.ScopeProgram, ID: "p1"}
	engagement1 = access.Scope{Kind: access.ScopeEngagement, ID: "e1"}
)

// TestOrgLevelNeedsOrgGrant: an organization-level resource is covered only by a grant
// at that organization's scope. Whatever role a principal holds at a program or an
// engagement (even Global administrator), it gives nothing on the organization itself
// (token management, user management, ...), and an operator role held at a narrow scope
// gives nothing on the instance.
func TestOrgLevelNeedsOrgGrant(t *testing.T) {
	for _, role := range access.Roles() {
		org := orgA
		if role.Operator() {
			org = operatorOrg
		}
		for _, scope := range []access.Scope{program1, engagement1} {
			p := &access.Principal{UserID: "u", Org: org, Grants: []access.Grant{{Role: role, Scope: scope}}}
			for _, a := range access.Actions() {
				for name, r := range map[string]access.Resource{"own org": {Org: org}, "instance": {}, "other org": {Org: orgB}} {
					if access.Can(p, a, r) {
						t.Errorf("%s held at %s %s may %s on %s", role, scope.Kind, scope.ID, a, name)
					}
				}
			}
			// Inside its scope the grant still works, as the table says.
			inside := access.Resource{Org: org, Scopes: []access.Scope{engagement1, program1}}
			for _, a := range access.Actions() {
				if want := role.Allows(a) && !role.Operator(); access.Can(p, a, inside) != want {
					t.Errorf("%s held at %s: Can(%s) inside it = %v, want %v", role, scope.Kind, a, !want, want)
				}
			}
		}
	}
	// The named holes: an engagement-scoped Global administrator neither manages tokens
	// nor users of the organization, nor may hand out its role to a token.
	p := &access.Principal{UserID: "u", Org: orgA, Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: engagement1}}}
	for _, a := range []access.Action{access.TokenManage, access.TokenRead, access.UserCreate, access.UserDelete, access.RoleAssign, access.RoleDefine} {
		if err := access.Require(p, a, access.Resource{Org: orgA}); atrium.ErrorCode(err) != atrium.CodeForbidden {
			t.Errorf("engagement-scoped global admin: Require(%s, org) = %v, want forbidden", a, err)
		}
	}
	if access.CanDelegate(p, access.GlobalReader, access.Resource{Org: orgA}) {
		t.Error("engagement-scoped global admin may hand out Global reader for the organization")
	}
}

// TestCanDelegate: a role can be handed out (to an API token) only by whoever may do
// everything it allows, at the organization's scope, on targets as high as it reaches.
func TestCanDelegate(t *testing.T) {
	tokenRole, err := access.Default.Define(access.RoleDef{ID: "test-token-manager-" + t.Name(), Org: orgA, Name: "Token manager",
		Actions: []access.Action{access.TokenRead, access.TokenManage}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { access.Default.Remove("test-token-manager-" + t.Name()) })
	at := func(role access.Role, s access.Scope) access.Grant { return access.Grant{Role: role, Scope: s} }
	orgScope := access.OrgScope(orgA)
	cases := []struct {
		name   string
		grants []access.Grant
		role   access.Role
		want   bool
	}{
		{"global admin, any tenant role", []access.Grant{at(access.GlobalAdmin, orgScope)}, access.LicenseAdmin, true},
		{"global admin, global reader", []access.Grant{at(access.GlobalAdmin, orgScope)}, access.GlobalReader, true},
		{"global admin, operator role", []access.Grant{at(access.GlobalAdmin, orgScope)}, access.SupportAgent, false},
		{"own role at org scope", []access.Grant{at(access.UserAdmin, orgScope)}, access.UserAdmin, true},
		{"own role held at an engagement only", []access.Grant{at(tokenRole[0], orgScope), at(access.UserAdmin, engagement1)}, access.UserAdmin, false},
		{"global admin held at an engagement only", []access.Grant{at(tokenRole[0], orgScope), at(access.GlobalAdmin, engagement1)}, access.HelpdeskAdmin, false},
		{"user admin may not hand out the license admin's reach", []access.Grant{at(access.UserAdmin, orgScope)}, access.LicenseAdmin, false},
		{"helpdesk may not hand out user admin", []access.Grant{at(access.HelpdeskAdmin, orgScope)}, access.UserAdmin, false},
		{"data role of the org", []access.Grant{at(access.GlobalAdmin, orgScope)}, tokenRole[0], true},
		{"unknown role", []access.Grant{at(access.GlobalAdmin, orgScope)}, access.Role(1 << 30), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &access.Principal{UserID: "u", Org: orgA, Grants: c.grants}
			if got := access.CanDelegate(p, c.role, access.Resource{Org: orgA}); got != c.want {
				t.Errorf("CanDelegate(%s) = %v, want %v", c.role, got, c.want)
			}
		})
	}
	// Another organization's own role is never handed out in org B.
	b := &access.Principal{UserID: "u", Org: orgB, Grants: []access.Grant{at(access.GlobalAdmin, access.OrgScope(orgB))}}
	if access.CanDelegate(b, tokenRole[0], access.Resource{Org: orgB}) {
		t.Error("org B's global admin may hand out org A's role")
	}
}

// TestDefinedRoles: roles defined from data decide like compiled ones, within their
// organization, at their scope, and stop deciding when removed.
func TestDefinedRoles(t *testing.T) {
	reg := access.NewRegistry()
	roles, err := reg.Define(
		access.RoleDef{ID: "crm-salesperson", Org: orgA, Name: "Salesperson", Actions: []access.Action{access.UserRead, access.LicenseAssign}},
		access.RoleDef{ID: "social-manager", Name: "Manager", Actions: []access.Action{access.LicenseAssign}},
	)
	if err != nil {
		t.Fatal(err)
	}
	sales, manager := roles[0], roles[1]
	if sales < access.Role(len(access.Roles())) || manager != sales+1 {
		t.Errorf("defined roles = %d, %d; want values after the %d compiled roles", sales, manager, len(access.Roles()))
	}
	grant := func(org atrium.OrgID, role access.Role, s access.Scope) *access.Principal {
		return &access.Principal{UserID: "u", Org: org, Grants: []access.Grant{{Role: role, Scope: s}}}
	}
	cases := []struct {
		name string
		p    *access.Principal
		a    access.Action
		r    access.Resource
		want bool
	}{
		{"org role in its org", grant(orgA, sales, access.OrgScope(orgA)), access.UserRead, access.Resource{Org: orgA}, true},
		{"org role, action it lacks", grant(orgA, sales, access.OrgScope(orgA)), access.UserCreate, access.Resource{Org: orgA}, false},
		{"org role held by another org's member", grant(orgB, sales, access.OrgScope(orgB)), access.UserRead, access.Resource{Org: orgB}, false},
		{"org role on another org", grant(orgA, sales, access.OrgScope(orgA)), access.UserRead, access.Resource{Org: orgB}, false},
		{"org role at an engagement, org-level resource", grant(orgA, sales, engagement1), access.UserRead, access.Resource{Org: orgA}, false},
		{"org role at an engagement, inside it", grant(orgA, sales, engagement1), access.UserRead, access.Resource{Org: orgA, Scopes: []access.Scope{engagement1}}, true},
		{"org role may not act on admins", grant(orgA, sales, access.OrgScope(orgA)), access.UserRead, access.Resource{Org: orgA, TargetRank: access.RankLimited}, false},
		{"instance-wide role in org A", grant(orgA, manager, access.OrgScope(orgA)), access.LicenseAssign, access.Resource{Org: orgA}, true},
		{"instance-wide role in org B", grant(orgB, manager, access.OrgScope(orgB)), access.LicenseAssign, access.Resource{Org: orgB}, true},
		{"instance-wide role is not an operator", grant(operatorOrg, manager, access.OrgScope(operatorOrg)), access.LicenseAssign, access.Resource{Org: orgA}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := reg.Can(c.p, c.a, c.r); got != c.want {
				t.Errorf("Can(%s) = %v, want %v", c.a, got, c.want)
			}
			if access.Can(c.p, c.a, c.r) && c.p.Grants[0].Role >= access.Role(len(access.Roles())) {
				t.Error("a role defined in another registry decides in Default")
			}
		})
	}

	t.Run("redefined, same value, new actions", func(t *testing.T) {
		again, err := reg.Define(access.RoleDef{ID: "crm-salesperson", Org: orgA, Name: "Salesperson", Actions: []access.Action{access.UserCreate}})
		if err != nil || again[0] != sales {
			t.Fatalf("Define again = %v, %v; want %d", again, err, sales)
		}
		p := grant(orgA, sales, access.OrgScope(orgA))
		if reg.Can(p, access.UserRead, access.Resource{Org: orgA}) || !reg.Can(p, access.UserCreate, access.Resource{Org: orgA}) {
			t.Error("redefinition did not replace the actions")
		}
	})
	t.Run("removed", func(t *testing.T) {
		reg.Remove("social-manager")
		if reg.Can(grant(orgA, manager, access.OrgScope(orgA)), access.LicenseAssign, access.Resource{Org: orgA}) {
			t.Error("a removed role still decides")
		}
		back, err := reg.Define(access.RoleDef{ID: "social-manager", Name: "Manager", Actions: []access.Action{access.LicenseAssign}})
		if err != nil || back[0] != manager {
			t.Errorf("redefined removed role = %v, %v; want its old value %d", back, err, manager)
		}
	})
	t.Run("invalid definitions change nothing", func(t *testing.T) {
		for name, d := range map[string]access.RoleDef{
			"instance action":     {ID: "x1", Name: "Mailman", Actions: []access.Action{access.InstanceMailRead}},
			"unknown action":      {ID: "x2", Name: "Ghost", Actions: []access.Action{access.Action(60000)}},
			"no id":               {Name: "Nameless", Actions: []access.Action{access.OrgRead}},
			"no name":             {ID: "x3", Actions: []access.Action{access.OrgRead}},
			"compiled role's key": {ID: "global_admin", Name: "Impostor", Actions: []access.Action{access.OrgRead}},
		} {
			if _, err := reg.Define(access.RoleDef{ID: "fine", Name: "Fine", Actions: []access.Action{access.OrgRead}}, d); err == nil {
				t.Errorf("%s: Define succeeded", name)
			}
		}
		if access.Can(grant(orgA, access.GlobalAdmin, access.OrgScope(orgA)), access.OrgRead, access.Resource{Org: orgA}) != true {
			t.Error("compiled roles broke")
		}
	})
}

// TestDefinedRolesInDefault: a role defined in Default is found by its key, named, and
// decides through the package-level Can.
func TestDefinedRolesInDefault(t *testing.T) {
	id := "test-defined-" + t.Name()
	roles, err := access.Default.Define(access.RoleDef{ID: id, Org: orgA, Name: "Reporter", Description: "Reads the audit log.",
		Actions: []access.Action{access.AuditRead}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { access.Default.Remove(id) })
	r := roles[0]
	if got, ok := access.LookupRole(id); !ok || got != r {
		t.Errorf("LookupRole(%q) = %v, %v", id, got, ok)
	}
	if _, ok := access.ParseRole(id); ok {
		t.Error("ParseRole finds a data-defined role; it is for compiled names")
	}
	if r.String() != id || r.Title() != "Reporter" || r.Description() != "Reads the audit log." || r.Org() != orgA || r.Operator() ||
		r.Rank() != access.RankLimited || !r.Allows(access.AuditRead) || r.Allows(access.AuditRead+1) {
		t.Errorf("role %d: %q %q %q %q operator=%v rank=%v", r, r.String(), r.Title(), r.Description(), r.Org(), r.Operator(), r.Rank())
	}
	p := &access.Principal{UserID: "u", Org: orgA, Grants: []access.Grant{{Role: r, Scope: access.OrgScope(orgA)}}}
	if !access.Can(p, access.AuditRead, access.Resource{Org: orgA}) {
		t.Error("data-defined role does not decide in Can")
	}
	access.Default.Remove(id)
	if access.Can(p, access.AuditRead, access.Resource{Org: orgA}) {
		t.Error("removed role still decides in Can")
	}
	if _, ok := access.LookupRole(id); ok {
		t.Error("LookupRole finds a removed role")
	}
	if slices.Contains(access.Roles(), r) {
		t.Error("Roles lists a data-defined role; it lists the compiled table")
	}
}

// TestRegisterActions: modules' actions get dense indexes in registration order, past
// the first 64 bits of a role's set too; names are unique.
func TestRegisterActions(t *testing.T) {
	reg := access.NewRegistry()
	var defs []access.ActionDef
	for i := range 100 {
		defs = append(defs, access.ActionDef{Name: fmt.Sprintf("crm.entity%d.read", i), Description: "read"})
	}
	got := reg.RegisterActions("crm", defs...)
	if len(got) != 100 || int(got[0]) != len(access.Actions()) || got[99] != got[0]+99 {
		t.Fatalf("RegisterActions = %v..%v, want 100 indexes from %d", got[0], got[len(got)-1], len(access.Actions()))
	}
	last := got[99]
	roles, err := reg.Define(access.RoleDef{ID: "crm-reader", Org: orgA, Name: "Reader", Actions: []access.Action{last, access.OrgRead}})
	if err != nil {
		t.Fatal(err)
	}
	p := &access.Principal{UserID: "u", Org: orgA, Grants: []access.Grant{{Role: roles[0], Scope: access.OrgScope(orgA)}}}
	for _, a := range append(got, access.OrgRead, access.OrgUpdate) {
		want := a == last || a == access.OrgRead
		if reg.Can(p, a, access.Resource{Org: orgA}) != want {
			t.Errorf("Can(action %d) = %v, want %v", a, !want, want)
		}
	}
	// Compiled roles allow none of the new actions.
	if reg.Can(principalWith(orgA, access.GlobalAdmin), last, access.Resource{Org: orgA}) {
		t.Error("global admin holds a module action no role was given")
	}
	if len(access.Actions()) != len(wantActions) {
		t.Error("registering in a new registry changed Default")
	}
	// A module places its action in compiled roles by naming them.
	granted := reg.RegisterActions("crm", access.ActionDef{Name: "crm.export", Description: "export", Grant: []string{"global_admin", "global_reader"}})[0]
	for role, want := range map[access.Role]bool{access.GlobalAdmin: true, access.GlobalReader: true, access.UserAdmin: false, access.OperatorAdmin: false} {
		if got := reg.Can(principalWith(orgA, role), granted, access.Resource{Org: orgA}); got != want {
			t.Errorf("%s: Can(crm.export) = %v, want %v", role, got, want)
		}
	}
	if access.GlobalAdmin.Allows(granted) {
		t.Error("granting in a new registry changed Default's roles")
	}
	for name, register := range map[string]func(){
		"grant unknown role": func() { reg.RegisterActions("crm", access.ActionDef{Name: "crm.a", Grant: []string{"emperor"}}) },
		"instance to org role": func() {
			reg.RegisterActions("crm", access.ActionDef{Name: "crm.b", Instance: true, Grant: []string{"global_admin"}})
		},
		"org action to operator": func() { reg.RegisterActions("crm", access.ActionDef{Name: "crm.c", Grant: []string{"operator_admin"}}) },
		"duplicate":              func() { reg.RegisterActions("crm2", access.ActionDef{Name: "crm.entity1.read"}) },
		"duplicate compiled":     func() { reg.RegisterActions("other", access.ActionDef{Name: "user.read"}) },
		"empty name":             func() { reg.RegisterActions("crm", access.ActionDef{}) },
		"empty module":           func() { reg.RegisterActions("", access.ActionDef{Name: "x.y"}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: RegisterActions did not panic", name)
				}
			}()
			register()
		}()
	}
}

// TestActionModules: every action says which module declared it, and the instance
// actions are exactly the operators' ones.
func TestActionModules(t *testing.T) {
	modules := map[string]string{"org.read": "directory", "user.create": "directory", "role.define": "access", "token.manage": "auth",
		"audit.read": "audit", "instance.mail.read": "mail", "billing.read": "licensing"}
	for _, a := range access.Actions() {
		if a.Module() == "" {
			t.Errorf("%s has no module", a)
		}
		if m, ok := modules[a.String()]; ok && a.Module() != m {
			t.Errorf("%s.Module() = %q, want %q", a, a.Module(), m)
		}
		if got, want := a.Instance(), slices.Contains(instanceActions, a.String()); got != want {
			t.Errorf("%s.Instance() = %v, want %v", a, got, want)
		}
		if back, ok := access.ParseAction(a.String()); !ok || back != a {
			t.Errorf("ParseAction(%q) = %v, %v", a, back, ok)
		}
	}
}
