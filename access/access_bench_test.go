package access

import (
	"fmt"
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

// BenchmarkCanDefinedRoles measures the authorizer with roles defined from data: 1,000
// roles across 100 organizations, besides the compiled table. Run with
//
//	go test -run '^$' -bench BenchmarkCanDefinedRoles -benchmem ./access/
//
// The target is the same as BenchmarkCan's: at most 1 µs and 0 allocations.
func BenchmarkCanDefinedRoles(b *testing.B) {
	const orgs, perOrg = 100, 10
	var defs []RoleDef
	var ids []string
	for o := range orgs {
		org := atrium.OrgID(fmt.Sprintf("0190a000-0000-7000-8000-%012d", o))
		for i := range perOrg {
			id := fmt.Sprintf("bench-role-%d-%d", o, i)
			ids = append(ids, id)
			// Each role allows a different handful of actions.
			var actions []Action
			for a := Action(0); a < numActions; a++ {
				if !a.Instance() && (int(a)+i)%3 == 0 {
					actions = append(actions, a)
				}
			}
			defs = append(defs, RoleDef{ID: id, Org: org, Name: fmt.Sprintf("Role %d", i), Actions: actions})
		}
	}
	roles, err := Default.Define(defs...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { Default.Remove(ids...) })
	org := defs[perOrg*42].Org
	mine := roles[perOrg*42 : perOrg*43]
	engagement := Scope{Kind: ScopeEngagement, ID: "engagement-1"}
	program := Scope{Kind: ScopeProgram, ID: "program-1"}
	member := &Principal{UserID: "u1", Org: org, Name: "member", Grants: []Grant{{Role: mine[0], Scope: OrgScope(org)}}}
	many := &Principal{UserID: "u2", Org: org, Name: "many roles", Grants: []Grant{
		{Role: mine[1], Scope: OrgScope(org)}, {Role: mine[2], Scope: OrgScope(org)}, {Role: mine[4], Scope: engagement},
		{Role: GlobalReader, Scope: OrgScope(org)}, {Role: mine[3], Scope: program}}}
	stranger := &Principal{UserID: "u3", Org: defs[0].Org, Name: "other org", Grants: []Grant{{Role: mine[0], Scope: OrgScope(defs[0].Org)}}}
	cases := []struct {
		name string
		p    *Principal
		a    Action
		r    Resource
		want bool
	}{
		{"defined role allows", member, OrgRead, Resource{Org: org}, true},
		{"defined role lacks the action", member, OrgUpdate, Resource{Org: org}, false},
		{"five grants, the last one allows inside its program", many, LicenseAssign, Resource{Org: org, Scopes: []Scope{engagement, program}}, true},
		{"five grants, none allows it at the organization", many, UserRestore, Resource{Org: org}, false},
		{"another organization's role", stranger, OrgRead, Resource{Org: defs[0].Org}, false},
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
