package access

import (
	"testing"

	"github.com/atrium-admin/atrium"
)

// withSameOrgOnly marks role as SameOrgOnly for the test. No role uses the constraint
// yet (the Power User of cross-organization engagements will); this exercises Can's
// handling of it. Tests using it must not run in parallel.
func withSameOrgOnly(t *testing.T, role Role) {
	t.Helper()
	old := roleDefs[role].SameOrgOnly
	roleDefs[role].SameOrgOnly = true
	t.Cleanup(func() { roleDefs[role].SameOrgOnly = old })
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
			if c.sameOrg {
				withSameOrgOnly(t, UserAdmin)
			}
			r := Resource{Org: orgB, Scopes: []Scope{engagement}, TargetOrg: c.targetOrg}
			if got := Can(p, UserUpdate, r); got != c.want {
				t.Errorf("Can = %v, want %v", got, c.want)
			}
		})
	}
	// The constraint binds only the role that has it: another grant still applies.
	withSameOrgOnly(t, UserAdmin)
	both := &Principal{UserID: "u", Org: orgA, Grants: []Grant{{Role: UserAdmin, Scope: engagement}, {Role: GlobalReader, Scope: engagement}}}
	r := Resource{Org: orgB, Scopes: []Scope{engagement}, TargetOrg: orgB}
	if Can(both, UserUpdate, r) {
		t.Error("constrained user admin may update another org's user")
	}
	if !Can(both, UserRead, r) {
		t.Error("unconstrained reader grant no longer reads")
	}
}

// TestCanRejectsUnknownValues: out-of-range roles and actions grant nothing.
func TestCanRejectsUnknownValues(t *testing.T) {
	p := &Principal{UserID: "u", Org: "a", Grants: []Grant{{Role: numRoles, Scope: OrgScope("a")}}}
	for _, a := range Actions() {
		if Can(p, a, Resource{Org: "a"}) {
			t.Errorf("unknown role may %s", a)
		}
	}
	g := &Principal{UserID: "u", Org: "a", Grants: []Grant{{Role: GlobalAdmin, Scope: OrgScope("a")}}}
	if Can(g, numActions, Resource{Org: "a"}) {
		t.Error("global admin may do an unknown action")
	}
}
