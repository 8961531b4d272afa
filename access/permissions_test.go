package access_test

import (
	"flag"
	"slices"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
)

var update = flag.Bool("update", false, "rewrite docs/permissions.md from access.Markdown()")

// wantAllowed is the permission table written out by hand, independent of
// permissions.go: a change there that is not repeated here fails the test. Every role
// and every action must appear.
var wantAllowed = map[string][]string{
	"global_admin": {"org.read", "org.update", "user.read", "user.create", "user.update", "user.delete", "user.restore", "user.block",
		"user.reset_password", "role.read", "role.assign", "role.define", "token.read", "token.manage", "audit.read",
		"billing.read", "billing.manage", "license.read", "license.assign"},
	"billing_admin": {"org.read", "user.read", "billing.read", "billing.manage", "license.read"},
	"user_admin": {"org.read", "user.read", "user.create", "user.update", "user.delete", "user.restore", "user.block",
		"user.reset_password", "role.read", "license.read", "license.assign"},
	"helpdesk_admin":         {"org.read", "user.read", "user.block", "user.reset_password"},
	"license_admin":          {"org.read", "user.read", "license.read", "license.assign"},
	"service_support_admin":  {"org.read"},
	"global_reader":          {"org.read", "user.read", "role.read", "token.read", "audit.read", "billing.read", "license.read"},
	"operator_admin":         {"instance.org.read", "instance.org.manage", "instance.org.delete", "instance.mail.read", "instance.role.define", "catalog.manage", "invoice.manage"},
	"support_agent":          {"instance.org.read", "instance.mail.read"},
	"service_health_manager": {"instance.org.read"},
	"groups_admin":           {"org.read", "user.read"},
	// The group roles hold only the groups module's actions, and only in a group.
	"group_owner":  {},
	"group_member": {},
	"group_reader": {},
	// The collaboration roles hold only the collab module's actions, in an engagement or
	// a program.
	"participant":        {},
	"power_user":         {},
	"engagement_owner":   {},
	"engagement_creator": {},
	"package_publisher":  {},
	"program_owner":      {},
}

// wantActions is every action, in table order.
var wantActions = []string{"org.read", "org.update", "user.read", "user.create", "user.update", "user.delete", "user.restore",
	"user.block", "user.reset_password", "role.read", "role.assign", "role.define", "token.read", "token.manage", "audit.read",
	"instance.org.read", "instance.org.manage", "instance.org.delete", "instance.mail.read", "instance.role.define", "billing.read", "billing.manage", "license.read",
	"license.assign", "catalog.manage", "invoice.manage"}

// wantOperator names the operator roles.
var wantOperator = []string{"operator_admin", "support_agent", "service_health_manager"}

// instanceActions are the actions operator roles hold: they concern the instance, not
// one tenant's data.
var instanceActions = []string{"instance.org.read", "instance.org.manage", "instance.org.delete", "instance.mail.read", "instance.role.define", "catalog.manage", "invoice.manage"}

const (
	orgA        atrium.OrgID = "org-a"
	orgB        atrium.OrgID = "org-b"
	operatorOrg atrium.OrgID = "org-operator"
)

func principalWith(org atrium.OrgID, roles ...access.Role) *access.Principal {
	p := &access.Principal{UserID: "u-" + atrium.UserID(org), Org: org, Name: "tester"}
	for _, r := range roles {
		p.Grants = append(p.Grants, access.Grant{Role: r, Scope: access.OrgScope(org)})
	}
	return p
}

func TestTableNamesEveryRoleAndAction(t *testing.T) {
	var gotActions []string
	for _, a := range access.Actions() {
		gotActions = append(gotActions, a.String())
	}
	if !slices.Equal(gotActions, wantActions) {
		t.Errorf("actions = %v\nwant %v", gotActions, wantActions)
	}
	var gotRoles []string
	for _, r := range access.Roles() {
		gotRoles = append(gotRoles, r.String())
		if _, ok := wantAllowed[r.String()]; !ok {
			t.Errorf("role %s is missing from wantAllowed", r)
		}
		if got, want := r.Operator(), slices.Contains(wantOperator, r.String()); got != want {
			t.Errorf("%s.Operator() = %v, want %v", r, got, want)
		}
		back, ok := access.ParseRole(r.String())
		if !ok || back != r {
			t.Errorf("ParseRole(%q) = %v, %v", r.String(), back, ok)
		}
	}
	if len(gotRoles) != len(wantAllowed) {
		t.Errorf("roles = %v, wantAllowed has %d", gotRoles, len(wantAllowed))
	}
	for role, actions := range wantAllowed {
		for _, a := range actions {
			if !slices.Contains(wantActions, a) {
				t.Errorf("wantAllowed[%s] names unknown action %s", role, a)
			}
		}
	}
	if _, ok := access.ParseRole("root"); ok {
		t.Error(`ParseRole("root") succeeded`)
	}
}

// TestCanWholeTable walks every role × action: a principal holding only that role (in
// its own organization for tenant roles, in the operator organization for operator
// roles) may act on a resource of its organization exactly as the table says.
func TestCanWholeTable(t *testing.T) {
	for _, role := range access.Roles() {
		org := orgA
		if role.Operator() {
			org = operatorOrg
		}
		p := principalWith(org, role)
		for _, a := range access.Actions() {
			t.Run(role.String()+"/"+a.String(), func(t *testing.T) {
				want := slices.Contains(wantAllowed[role.String()], a.String())
				if got := access.Can(p, a, access.Resource{Org: org}); got != want {
					t.Errorf("Can(%s, %s, own org) = %v, want %v", role, a, got, want)
				}
				if got := role.Allows(a); got != want {
					t.Errorf("%s.Allows(%s) = %v, want %v", role, a, got, want)
				}
				err := access.Require(p, a, access.Resource{Org: org})
				if want != (err == nil) {
					t.Errorf("Require(%s, %s) = %v, want allowed=%v", role, a, err, want)
				}
				if err != nil && atrium.ErrorCode(err) != atrium.CodeForbidden {
					t.Errorf("Require error code = %s, want forbidden", atrium.ErrorCode(err))
				}
			})
		}
	}
}

// TestCanNeverCrossesOrganizations: no tenant role of org A can do anything on org B's
// resources, nor on instance-wide resources, whatever else it holds.
func TestCanNeverCrossesOrganizations(t *testing.T) {
	var tenantRoles []access.Role
	for _, r := range access.Roles() {
		if !r.Operator() {
			tenantRoles = append(tenantRoles, r)
		}
	}
	all := principalWith(orgA, tenantRoles...)
	for _, role := range tenantRoles {
		p := principalWith(orgA, role)
		for _, a := range access.Actions() {
			for name, r := range map[string]access.Resource{
				"org B":                  {Org: orgB},
				"org B target in A":      {Org: orgB, TargetOrg: orgA},
				"instance":               {},
				"org B with A in scopes": {Org: orgB, Scopes: []access.Scope{access.OrgScope(orgA)}},
			} {
				if access.Can(p, a, r) {
					t.Errorf("%s of org A may %s on %s", role, a, name)
				}
				if access.Can(all, a, r) {
					t.Errorf("holder of every tenant role of org A may %s on %s", a, name)
				}
			}
		}
	}
	// A principal whose grant names org A but who belongs to org B (a stale or forged
	// grant) gets nothing in org A.
	forged := &access.Principal{UserID: "u", Org: orgB, Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(orgA)}}}
	for _, a := range access.Actions() {
		if access.Can(forged, a, access.Resource{Org: orgA}) {
			t.Errorf("member of B with a grant scoped to A may %s in A", a)
		}
	}
	if access.Can(nil, access.OrgRead, access.Resource{Org: orgA}) {
		t.Error("nil principal may read")
	}
	if access.Can(principalWith(orgA), access.OrgRead, access.Resource{Org: orgA}) {
		t.Error("principal without grants may read")
	}
}

// TestOperatorRolesActInstanceWide: operator roles hold only instance actions, and hold
// them for every organization and for the instance itself.
func TestOperatorRolesActInstanceWide(t *testing.T) {
	for _, role := range access.Roles() {
		for _, a := range access.Actions() {
			instance := slices.Contains(instanceActions, a.String())
			if !role.Operator() {
				if instance && role.Allows(a) {
					t.Errorf("tenant role %s holds instance action %s", role, a)
				}
				continue
			}
			if !instance && role.Allows(a) {
				t.Errorf("operator role %s holds tenant action %s", role, a)
			}
			p := principalWith(operatorOrg, role)
			want := role.Allows(a)
			for name, r := range map[string]access.Resource{"instance": {}, "org A": {Org: orgA}, "org B": {Org: orgB}, "own org": {Org: operatorOrg}} {
				if got := access.Can(p, a, r); got != want {
					t.Errorf("operator %s: Can(%s, %s) = %v, want %v", role, a, name, got, want)
				}
			}
		}
	}
	if !principalWith(operatorOrg, access.SupportAgent).IsOperator() {
		t.Error("support agent is not an operator")
	}
	if principalWith(orgA, access.GlobalAdmin).IsOperator() {
		t.Error("global admin is an operator")
	}
}

// TestTargetRank: user actions are limited by the target's highest admin role.
func TestTargetRank(t *testing.T) {
	targets := []struct {
		name  string
		roles []access.Role
	}{
		{"member", nil},
		{"helpdesk_admin", []access.Role{access.HelpdeskAdmin}},
		{"user_admin", []access.Role{access.UserAdmin}},
		{"billing_admin", []access.Role{access.BillingAdmin}},
		{"global_admin", []access.Role{access.GlobalAdmin}},
		{"user_admin+global_admin", []access.Role{access.UserAdmin, access.GlobalAdmin}},
	}
	// may[actor] lists the targets the actor may reset passwords of (and block, the
	// other rank-limited action these roles share).
	may := map[access.Role][]string{
		access.GlobalAdmin:   {"member", "helpdesk_admin", "user_admin", "billing_admin", "global_admin", "user_admin+global_admin"},
		access.UserAdmin:     {"member", "helpdesk_admin", "user_admin"},
		access.HelpdeskAdmin: {"member"},
		access.GlobalReader:  {},
		access.BillingAdmin:  {},
	}
	for actor, allowed := range may {
		p := principalWith(orgA, actor)
		for _, target := range targets {
			for _, a := range []access.Action{access.UserResetPassword, access.UserBlock} {
				t.Run(actor.String()+"/"+a.String()+"/"+target.name, func(t *testing.T) {
					r := access.Resource{Org: orgA, TargetRank: access.RankOf(target.roles), TargetOrg: orgA}
					want := slices.Contains(allowed, target.name)
					if got := access.Can(p, a, r); got != want {
						t.Errorf("Can(%s, %s, %s) = %v, want %v", actor, a, target.name, got, want)
					}
				})
			}
		}
	}
	// A User administrator may not delete or edit a Global or Billing administrator either.
	ua := principalWith(orgA, access.UserAdmin)
	for _, a := range []access.Action{access.UserUpdate, access.UserDelete, access.UserRestore} {
		for _, r := range []access.Role{access.GlobalAdmin, access.BillingAdmin} {
			if access.Can(ua, a, access.Resource{Org: orgA, TargetRank: r.Rank()}) {
				t.Errorf("user admin may %s a %s", a, r)
			}
		}
	}
	ranks := map[string]access.Rank{"none": access.RankOf(nil), "helpdesk": access.RankOf([]access.Role{access.HelpdeskAdmin}),
		"billing": access.RankOf([]access.Role{access.BillingAdmin}), "global": access.RankOf([]access.Role{access.HelpdeskAdmin, access.GlobalAdmin})}
	if !(ranks["none"] < ranks["helpdesk"] && ranks["helpdesk"] < ranks["billing"] && ranks["billing"] < ranks["global"]) {
		t.Errorf("RankOf order wrong: %v", ranks)
	}
}

// TestScopeInheritance: a grant at a program covers every resource whose scope chain
// contains the program, and nothing else.
func TestScopeInheritance(t *testing.T) {
	program1 := access.Scope{Kind: access.ScopeProgram, ID: "p1"}
	program2 := access.Scope{Kind: access.ScopeProgram, ID: "p2"}
	engagement1 := access.Scope{Kind: access.ScopeEngagement, ID: "e1"}
	engagement2 := access.Scope{Kind: access.ScopeEngagement, ID: "e2"}
	sameIDOtherKind := access.Scope{Kind: access.ScopeGroup, ID: "p1"}
	atProgram := &access.Principal{UserID: "u", Org: orgA, Grants: []access.Grant{{Role: access.GlobalReader, Scope: program1}}}
	atEngagement := &access.Principal{UserID: "u", Org: orgA, Grants: []access.Grant{{Role: access.GlobalReader, Scope: engagement1}}}
	cases := []struct {
		name string
		p    *access.Principal
		r    access.Resource
		want bool
	}{
		{"program grant covers its engagement", atProgram, access.Resource{Org: orgA, Scopes: []access.Scope{engagement1, program1}}, true},
		{"program grant covers the program", atProgram, access.Resource{Org: orgA, Scopes: []access.Scope{program1}}, true},
		{"program grant covers its engagement in another org", atProgram, access.Resource{Org: orgB, Scopes: []access.Scope{engagement1, program1}}, true},
		{"program grant does not cover a sibling program", atProgram, access.Resource{Org: orgA, Scopes: []access.Scope{program2}}, false},
		{"program grant does not cover the sibling's engagement", atProgram, access.Resource{Org: orgA, Scopes: []access.Scope{engagement2, program2}}, false},
		{"program grant does not cover the organization", atProgram, access.Resource{Org: orgA}, false},
		{"same id, other kind", atProgram, access.Resource{Org: orgA, Scopes: []access.Scope{sameIDOtherKind}}, false},
		{"engagement grant covers the engagement", atEngagement, access.Resource{Org: orgA, Scopes: []access.Scope{engagement1, program1}}, true},
		{"engagement grant does not cover its program", atEngagement, access.Resource{Org: orgA, Scopes: []access.Scope{program1}}, false},
		{"engagement grant does not cover a sibling engagement", atEngagement, access.Resource{Org: orgA, Scopes: []access.Scope{engagement2, program1}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := access.Can(c.p, access.UserRead, c.r); got != c.want {
				t.Errorf("Can = %v, want %v", got, c.want)
			}
			// Scope never widens the role: a reader stays a reader.
			if access.Can(c.p, access.UserCreate, c.r) {
				t.Error("a reader's scoped grant allows user.create")
			}
		})
	}
}

func TestScopeKindNames(t *testing.T) {
	for _, k := range []access.ScopeKind{access.ScopeOrg, access.ScopeProgram, access.ScopeEngagement, access.ScopeGroup,
		access.ScopeProfile, access.ScopeCRMInstance} {
		back, ok := access.ParseScopeKind(k.String())
		if !ok || back != k {
			t.Errorf("ParseScopeKind(%q) = %v, %v", k, back, ok)
		}
	}
	if _, ok := access.ParseScopeKind("planet"); ok {
		t.Error(`ParseScopeKind("planet") succeeded`)
	}
}

// TestGroupRolesCountOnlyInTheirGroup: a group's role, held at the group's scope, allows
// its actions on that group's resources only: never on another group, never on the
// organization, and never when held at the organization's scope; and it is never
// delegated.
func TestGroupRolesCountOnlyInTheirGroup(t *testing.T) {
	reg := access.NewRegistry()
	acts := reg.RegisterActions("scoped", access.ActionDef{Name: "scoped.post", Description: "post", Grant: []string{"group_member"}})
	post := acts[0]
	g1 := access.Scope{Kind: access.ScopeGroup, ID: "g1"}
	inG1 := access.Resource{Org: orgA, Scopes: []access.Scope{g1}}
	inG2 := access.Resource{Org: orgA, Scopes: []access.Scope{{Kind: access.ScopeGroup, ID: "g2"}}}
	member := (&access.Principal{Org: orgA, UserID: "u1"}).With(access.Grant{Role: access.GroupMember, Scope: g1})
	if !reg.Can(member, post, inG1) {
		t.Error("a member of g1 may not post in g1")
	}
	if reg.Can(member, post, inG2) {
		t.Error("a member of g1 may post in g2")
	}
	if reg.Can(member, post, access.Resource{Org: orgA}) {
		t.Error("a member of g1 may post at the organization")
	}
	atOrg := principalWith(orgA, access.GroupMember)
	if reg.Can(atOrg, post, inG1) || reg.Can(atOrg, post, access.Resource{Org: orgA}) {
		t.Error("group_member held at the organization's scope allows its actions")
	}
	if access.CanDelegate(principalWith(orgA, access.GlobalAdmin), access.GroupOwner, access.Resource{Org: orgA}) {
		t.Error("a global admin may delegate group_owner")
	}
	if got := access.GroupOwner.Scope(); got != access.ScopeGroup {
		t.Errorf("GroupOwner.Scope() = %v, want group", got)
	}
	if got := access.GroupsAdmin.Scope(); got != access.ScopeOrg {
		t.Errorf("GroupsAdmin.Scope() = %v, want organization", got)
	}
}
