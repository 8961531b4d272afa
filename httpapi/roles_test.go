package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
)

// roleActions are what a holder of one role tries over HTTP, in order, on targets of
// its own organization. want[i] is the status the i-th role of roleTableRoles gets.
var roleTableRoles = []string{"global_admin", "user_admin", "helpdesk_admin", "global_reader", "billing_admin", "license_admin",
	"service_support_admin", "member"}

const (
	ok      = http.StatusOK
	created = http.StatusCreated
	gone    = http.StatusNoContent
	denied  = http.StatusForbidden
)

var roleTable = []struct {
	action string
	//         GA       UA       HD       GR      BA      LA      SSA     member
	want [8]int
}{
	{"list users", [8]int{ok, ok, ok, ok, ok, ok, denied, denied}},
	{"get user", [8]int{ok, ok, ok, ok, ok, ok, denied, denied}},
	{"create user", [8]int{created, created, denied, denied, denied, denied, denied, denied}},
	{"patch non-admin", [8]int{ok, ok, denied, denied, denied, denied, denied, denied}},
	{"patch global admin", [8]int{ok, denied, denied, denied, denied, denied, denied, denied}},
	{"unchanged block flag", [8]int{ok, ok, ok, denied, denied, denied, denied, denied}},
	{"reset password of non-admin", [8]int{ok, ok, ok, denied, denied, denied, denied, denied}},
	{"reset password of global admin", [8]int{ok, denied, denied, denied, denied, denied, denied, denied}},
	{"reset password of billing admin", [8]int{ok, denied, denied, denied, denied, denied, denied, denied}},
	{"reset password of user admin", [8]int{ok, ok, denied, denied, denied, denied, denied, denied}},
	{"block non-admin", [8]int{ok, ok, ok, denied, denied, denied, denied, denied}},
	{"assign role", [8]int{ok, denied, denied, denied, denied, denied, denied, denied}},
	{"remove role", [8]int{ok, denied, denied, denied, denied, denied, denied, denied}},
	{"list roles", [8]int{ok, ok, denied, ok, denied, denied, denied, denied}},
	{"list tokens", [8]int{ok, denied, denied, ok, denied, denied, denied, denied}},
	{"create token", [8]int{created, denied, denied, denied, denied, denied, denied, denied}},
	{"read audit", [8]int{ok, denied, denied, ok, denied, denied, denied, denied}},
	{"export audit", [8]int{ok, denied, denied, ok, denied, denied, denied, denied}},
	{"delete non-admin", [8]int{gone, gone, denied, denied, denied, denied, denied, denied}},
	{"restore non-admin", [8]int{ok, ok, denied, denied, denied, denied, denied, denied}},
	{"list organizations", [8]int{denied, denied, denied, denied, denied, denied, denied, denied}},
	{"read outgoing mail", [8]int{denied, denied, denied, denied, denied, denied, denied, denied}},
}

// TestRoleTableOverHTTP: a user holding only one organization role tries each action;
// the status follows the permission table, and a refused action writes nothing.
func TestRoleTableOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Roles Co", "roles")
		secondGlobal := a.Admin.CreateUser("second-global", "global_admin")
		billing := a.Admin.CreateUser("billy", "billing_admin")
		userAdmin := a.Admin.CreateUser("uma", "user_admin")
		deleted := a.Admin.CreateUser("dee")
		a.Admin.Do("DELETE", "/api/v1/users/"+string(deleted.ID), nil).Want(http.StatusNoContent)

		for i, role := range roleTableRoles {
			t.Run(role, func(t *testing.T) {
				var holder apptest.User
				if role == "member" {
					holder = a.Admin.CreateUser("holder-member")
				} else {
					holder = a.Admin.CreateUser("holder-"+strings.ReplaceAll(role, "_", "-"), role)
				}
				c := e.SignIn(holder.Username, apptest.Password)
				target := a.Admin.CreateUser("target-" + strings.ReplaceAll(role, "_", "-"))
				calls := map[string]func() *apptest.Response{
					"list users": func() *apptest.Response { return c.Do("GET", "/api/v1/users", nil) },
					"get user":   func() *apptest.Response { return c.Do("GET", "/api/v1/users/"+string(target.ID), nil) },
					"create user": func() *apptest.Response {
						return c.Do("POST", "/api/v1/users", map[string]any{"username": "new-" + strings.ReplaceAll(role, "_", "-"), "display_name": "New"})
					},
					"patch non-admin": func() *apptest.Response {
						return c.Do("PATCH", "/api/v1/users/"+string(target.ID), map[string]any{"job_title": "Patched"})
					},
					"patch global admin": func() *apptest.Response {
						return c.Do("PATCH", "/api/v1/users/"+string(secondGlobal.ID), map[string]any{"job_title": "By " + role})
					},
					"unchanged block flag": func() *apptest.Response {
						return c.Do("PATCH", "/api/v1/users/"+string(target.ID), map[string]any{"blocked": false})
					},
					"reset password of non-admin": func() *apptest.Response {
						return c.Do("POST", "/api/v1/users/"+string(target.ID)+"/password-reset", nil)
					},
					"reset password of global admin": func() *apptest.Response {
						return c.Do("POST", "/api/v1/users/"+string(secondGlobal.ID)+"/password-reset", nil)
					},
					"reset password of billing admin": func() *apptest.Response {
						return c.Do("POST", "/api/v1/users/"+string(billing.ID)+"/password-reset", nil)
					},
					"reset password of user admin": func() *apptest.Response {
						return c.Do("POST", "/api/v1/users/"+string(userAdmin.ID)+"/password-reset", nil)
					},
					"block non-admin": func() *apptest.Response {
						return c.Do("PATCH", "/api/v1/users/"+string(target.ID), map[string]any{"blocked": true})
					},
					"assign role": func() *apptest.Response {
						return c.Do("PUT", "/api/v1/users/"+string(target.ID)+"/roles/helpdesk_admin", nil)
					},
					"remove role": func() *apptest.Response {
						return c.Do("DELETE", "/api/v1/users/"+string(target.ID)+"/roles/helpdesk_admin", nil)
					},
					"list roles":  func() *apptest.Response { return c.Do("GET", "/api/v1/roles", nil) },
					"list tokens": func() *apptest.Response { return c.Do("GET", "/api/v1/api-tokens", nil) },
					"create token": func() *apptest.Response {
						return c.Do("POST", "/api/v1/api-tokens", map[string]any{"name": "t-" + role, "role": "global_reader"})
					},
					"read audit":         func() *apptest.Response { return c.Do("GET", "/api/v1/audit-log", nil) },
					"export audit":       func() *apptest.Response { return c.Do("GET", "/api/v1/audit-log?format=csv", nil) },
					"delete non-admin":   func() *apptest.Response { return c.Do("DELETE", "/api/v1/users/"+string(target.ID), nil) },
					"restore non-admin":  func() *apptest.Response { return c.Do("POST", "/api/v1/users/"+string(target.ID)+"/restore", nil) },
					"list organizations": func() *apptest.Response { return c.Do("GET", "/api/v1/organizations", nil) },
					"read outgoing mail": func() *apptest.Response { return c.Do("GET", "/api/v1/outgoing-mail", nil) },
				}
				for _, row := range roleTable {
					call := calls[row.action]
					if call == nil {
						t.Fatalf("no call for %q", row.action)
					}
					want := row.want[i]
					// A refused "restore" of a user the holder could not delete needs a
					// deleted user to be refused on.
					if row.action == "restore non-admin" && want == denied {
						call = func() *apptest.Response { return c.Do("POST", "/api/v1/users/"+string(deleted.ID)+"/restore", nil) }
					}
					before := rowCounts(e)
					res := call()
					if res.Status != want {
						t.Errorf("%s as %s = %d, want %d: %s", row.action, role, res.Status, want, res.Body)
						continue
					}
					if want == denied {
						if p := res.Problem(); p.Code != atrium.CodeForbidden {
							t.Errorf("%s as %s: code %s", row.action, role, p.Code)
						}
						wantCounts(t, e, before, row.action+" as "+role)
					}
				}
			})
		}
	})
}

// TestLastGlobalAdmin: an organization always keeps an active Global administrator.
func TestLastGlobalAdmin(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Last Co", "last")
		// A global_admin API token is not a user, so "you cannot block or delete yourself"
		// does not get in the way: what answers is the last-admin rule.
		tok := e.Bearer(createToken(t, a.Admin, map[string]any{"name": "admin-token", "role": "global_admin"}).Token)
		adminPath := "/api/v1/users/" + string(a.AdminID)
		lastAdminRefusals := func(t *testing.T) {
			t.Helper()
			before := rowCounts(e)
			for _, c := range []*apptest.Client{tok, a.Admin} {
				c.Do("DELETE", adminPath+"/roles/global_admin", nil).WantProblem(http.StatusConflict, atrium.CodeConflict)
			}
			tok.Do("PATCH", adminPath, map[string]any{"blocked": true}).WantProblem(http.StatusConflict, atrium.CodeConflict)
			tok.Do("DELETE", adminPath, nil).WantProblem(http.StatusConflict, atrium.CodeConflict)
			// Oneself: refused whatever the count.
			a.Admin.Do("PATCH", adminPath, map[string]any{"blocked": true}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "blocked")
			a.Admin.Do("DELETE", adminPath, nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid)
			wantCounts(t, e, before, "refused last-admin changes")
			if n := e.Count("SELECT count(*) FROM role_assignments WHERE user_id = $1 AND role = 'global_admin'", string(a.AdminID)); n != 1 {
				t.Errorf("admin holds global_admin %d times", n)
			}
			if n := e.Count("SELECT count(*) FROM users WHERE id = $1 AND blocked = FALSE AND deleted_at IS NULL", string(a.AdminID)); n != 1 {
				t.Error("admin blocked or deleted")
			}
		}
		t.Run("alone", lastAdminRefusals)

		second := a.Admin.CreateUser("second", "global_admin")
		secondPath := "/api/v1/users/" + string(second.ID)
		t.Run("a blocked second admin does not count", func(t *testing.T) {
			a.Admin.Do("PATCH", secondPath, map[string]any{"blocked": true}).Want(http.StatusOK)
			lastAdminRefusals(t)
			a.Admin.Do("PATCH", secondPath, map[string]any{"blocked": false}).Want(http.StatusOK)
		})
		t.Run("with two, one can be demoted", func(t *testing.T) {
			tok.Do("DELETE", adminPath+"/roles/global_admin", nil).Want(http.StatusOK)
			// Now second is the last one.
			tok.Do("DELETE", secondPath+"/roles/global_admin", nil).WantProblem(http.StatusConflict, atrium.CodeConflict)
			tok.Do("PUT", adminPath+"/roles/global_admin", nil).Want(http.StatusOK)
		})
		t.Run("with two, one can be deleted", func(t *testing.T) {
			a.Admin.Do("DELETE", secondPath, nil).Want(http.StatusNoContent)
			lastAdminRefusals(t) // a deleted second admin does not count either
			a.Admin.Do("POST", secondPath+"/restore", nil).Want(http.StatusOK)
		})
		t.Run("with two, one can be blocked", func(t *testing.T) {
			tok.Do("PATCH", adminPath, map[string]any{"blocked": true}).Want(http.StatusOK)
			tok.Do("PATCH", secondPath, map[string]any{"blocked": true}).WantProblem(http.StatusConflict, atrium.CodeConflict)
		})
		got := e.Strings("SELECT user_id FROM role_assignments WHERE org_id = $1 AND role = 'global_admin' ORDER BY user_id", string(a.ID))
		want := []string{string(a.AdminID), string(second.ID)}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("global admins = %v, want %v", got, want)
		}
	})
}
