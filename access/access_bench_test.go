package access

import (
	"testing"

	"github.com/atrium-admin/atrium"
)

var canSink bool

// BenchmarkCan measures the authorizer on the decisions every request makes. Run with
//
//	go test -run '^$' -bench BenchmarkCan -benchmem ./access/
//
// The target is at most 1 µs and 0 allocations per decision.
func BenchmarkCan(b *testing.B) {
	org := atrium.OrgID("0190a000-0000-7000-8000-000000000001")
	other := atrium.OrgID("0190a000-0000-7000-8000-000000000002")
	program := Scope{Kind: ScopeProgram, ID: "program-1"}
	engagement := Scope{Kind: ScopeEngagement, ID: "engagement-1"}
	admin := &Principal{UserID: "u1", Org: org, Name: "admin", Grants: []Grant{{Role: GlobalAdmin, Scope: OrgScope(org)}}}
	helpdesk := &Principal{UserID: "u2", Org: org, Name: "helpdesk", Grants: []Grant{
		{Role: GlobalReader, Scope: OrgScope(org)}, {Role: HelpdeskAdmin, Scope: OrgScope(org)}}}
	reader := &Principal{UserID: "u3", Org: org, Name: "reader", Grants: []Grant{
		{Role: GlobalReader, Scope: OrgScope(org)}, {Role: BillingAdmin, Scope: OrgScope(org)},
		{Role: LicenseAdmin, Scope: OrgScope(org)}, {Role: ServiceSupportAdmin, Scope: OrgScope(org)}}}
	scoped := &Principal{UserID: "u4", Org: org, Name: "program owner", Grants: []Grant{{Role: GlobalReader, Scope: program}}}
	operator := &Principal{UserID: "u5", Org: org, Name: "operator", Grants: []Grant{{Role: OperatorAdmin, Scope: OrgScope(org)}}}
	cases := []struct {
		name string
		p    *Principal
		a    Action
		r    Resource
		want bool
	}{
		{"global admin reads users", admin, UserRead, Resource{Org: org}, true},
		{"helpdesk resets a member's password", helpdesk, UserResetPassword, Resource{Org: org, TargetRank: RankNone, TargetOrg: org}, true},
		{"helpdesk may not reset an admin's password", helpdesk, UserResetPassword, Resource{Org: org, TargetRank: RankGlobal, TargetOrg: org}, false},
		{"four grants, none allows", reader, RoleAssign, Resource{Org: org}, false},
		{"other organization", admin, UserRead, Resource{Org: other}, false},
		{"grant on a containing scope", scoped, UserRead, Resource{Org: org, Scopes: []Scope{engagement, program}}, true},
		{"operator lists organizations", operator, InstanceOrgRead, Resource{}, true},
	}
	for _, c := range cases {
		if got := Can(c.p, c.a, c.r); got != c.want {
			b.Fatalf("%s: Can = %v, want %v", c.name, got, c.want)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				canSink = Can(c.p, c.a, c.r)
			}
		})
	}
}
