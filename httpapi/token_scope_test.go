package httpapi_test

import (
	"context"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/auth"
)

// TestTokenRoleNeedsOrgScope: a role held only at an engagement does not let its holder
// mint an organization-wide API token with that role, even one allowed to manage tokens.
func TestTokenRoleNeedsOrgScope(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Scoped Co", "scoped")
		id := "token-manager-" + string(a.ID)
		roles, err := access.Default.Define(access.RoleDef{ID: id, Org: a.ID, Name: "Token manager",
			Actions: []access.Action{access.TokenRead, access.TokenManage}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { access.Default.Remove(id) })
		engagement := access.Scope{Kind: access.ScopeEngagement, ID: "e1"}
		for _, c := range []struct {
			name  string
			scope access.Scope
			want  atrium.Code
		}{
			{"user admin at an engagement", engagement, atrium.CodeInvalid},
			{"user admin at the organization", access.OrgScope(a.ID), ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				p := &access.Principal{UserID: a.AdminID, Org: a.ID, Name: "scoped", Grants: []access.Grant{
					{Role: roles[0], Scope: access.OrgScope(a.ID)}, {Role: access.UserAdmin, Scope: c.scope}}}
				_, _, err := e.Main.Auth.CreateToken(context.Background(), p, auth.TokenInput{Name: c.name, Role: access.UserAdmin})
				if got := atrium.ErrorCode(err); got != c.want {
					t.Fatalf("CreateToken = %v (code %q), want code %q", err, got, c.want)
				}
				n := e.Count("SELECT count(*) FROM api_tokens WHERE org_id = $1 AND name = $2", string(a.ID), c.name)
				if want := map[bool]int{true: 1, false: 0}[c.want == ""]; n != want {
					t.Errorf("%d tokens named %q stored, want %d", n, c.name, want)
				}
			})
		}
	})
}
