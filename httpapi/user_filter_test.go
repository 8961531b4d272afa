package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/directory"
)

// TestUserListFilters: the user list filters admins and blocked users, and its items
// carry their admin roles.
func TestUserListFilters(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Filter Co", "filter")
		helper := o.Admin.CreateUser("hal", "helpdesk_admin")
		blocked := o.Admin.CreateUser("bo")
		o.Admin.Do("PATCH", "/api/v1/users/"+string(blocked.ID), map[string]any{"blocked": true}).Want(http.StatusOK)
		list := func(filter string) []directory.User {
			var page directory.UserPage
			o.Admin.Do("GET", "/api/v1/users?filter="+filter, nil).Want(http.StatusOK).Decode(&page)
			return page.Items
		}
		admins := list("admins")
		if len(admins) != 2 || !slices.ContainsFunc(admins, func(u directory.User) bool {
			return u.ID == helper.ID && slices.Equal(u.Roles, []access.Role{access.HelpdeskAdmin})
		}) {
			t.Errorf("admins = %+v", admins)
		}
		if b := list("blocked"); len(b) != 1 || b[0].ID != blocked.ID {
			t.Errorf("blocked = %+v", b)
		}
		if all := list(""); len(all) != 3 {
			t.Errorf("all = %d users", len(all))
		}
		o.Admin.Do("GET", "/api/v1/users?filter=martians", nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "filter")
		if csv := o.Admin.Do("GET", "/api/v1/users/export?filter=blocked", nil).Want(http.StatusOK); len(csv.Body) == 0 || !contains(string(csv.Body), "bo@filter") || contains(string(csv.Body), "hal@filter") {
			t.Errorf("export of blocked users = %q", csv.Body)
		}
	})
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
