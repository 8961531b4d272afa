package access

import (
	"testing"

	"github.com/atrium-admin/atrium"
)

// sameOrgOnly returns a registry of the compiled table in which role is SameOrgOnly. No
// role uses the constraint yet (the Power User of cross-organization engagements will);
// this exercises Can's handling of it.
func sameOrgOnly(t *testing.T, role Role) *Registry {
	t.Helper()
	reg := NewRegistry()
	reg.mu.Lock()
	reg.roles[role].sameOrgOnly = true
	reg.publish()
	reg.mu.Unlock()
	return reg
}

func TestSameOrgOnly(t *testing.T) {
	const orgA, orgB atrium.OrgID = "org-a", "org-b"
	engagement := Scope{Kind: ScopeEngagement, ID: "e1"}
	p := &Principal{UserID: "u", Org: orgA, Grants: []Grant{{Role: UserAdmin, Scope: engagement}}}
	cases := []struct {
		name      string
		sameOrg   bool
		targetOrg atrium.OrgID
		want      bool
	}{
		{"unconstrained, own-org target", false, orgA, true},
		{"unconstrained, other-org target", false, orgB, true},
		{"constrained, own-org target", true, orgA, true},
		{"constrained, other-org target", true, orgB, false},
		{"constrained, no target organization", true, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reg := NewRegistry()
			if c.sameOrg {
				reg = sameOrgOnly(t, UserAdmin)
			}
			r := Resource{Org: orgB, Scopes: []Scope{engagement}, TargetOrg: c.targetOrg}
			if got := reg.Can(p, UserUpdate, r); got != c.want {
				t.Errorf("Can = %v, want %v", got, c.want)
			}
		})
	}
	// The constraint binds only the role that has it: another grant still applies.
	reg := sameOrgOnly(t, UserAdmin)
	both := &Principal{UserID: "u", Org: orgA, Grants: []Grant{{Role: UserAdmin, Scope: engagement}, {Role: GlobalReader, Scope: engagement}}}
	r := Resource{Org: orgB, Scopes: []Scope{engagement}, TargetOrg: orgB}
	if reg.Can(both, UserUpdate, r) {
		t.Error("constrained user admin may update another org's user")
	}
	if !reg.Can(both, UserRead, r) {
		t.Error("unconstrained reader grant no longer reads")
	}
}

// TestCanRejectsUnknownValues: out-of-range roles and actions grant nothing.
func TestCanRejectsUnknownValues(t *testing.T) {
	reg := NewRegistry()
	removed, err := reg.Define(RoleDef{ID: "gone", Name: "Gone", Actions: []Action{OrgRead}})
	if err != nil {
		t.Fatal(err)
	}
	reg.Remove("gone")
	for _, role := range []Role{numRoles + 1000, removed[0], ^Role(0)} {
		p := &Principal{UserID: "u", Org: "a", Grants: []Grant{{Role: role, Scope: OrgScope("a")}}}
		for _, a := range Actions() {
			if reg.Can(p, a, Resource{Org: "a"}) {
				t.Errorf("unknown role %d may %s", role, a)
			}
		}
	}
	g := &Principal{UserID: "u", Org: "a", Grants: []Grant{{Role: GlobalAdmin, Scope: OrgScope("a")}}}
	for _, a := range []Action{numActions, numActions + 64, ^Action(0)} {
		if reg.Can(g, a, Resource{Org: "a"}) {
			t.Errorf("global admin may do unknown action %d", a)
		}
	}
}
