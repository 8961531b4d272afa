package web_test

import (
	"net/http"
	"testing"

	"github.com/atrium-admin/atrium/access"
)

// TestUserListColumnsAndFilters: Active users shows each user's roles and licenses,
// the total, and filters admins and blocked users.
func TestUserListColumnsAndFilters(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		f.newUser("hal", "Hal Helper", "US", access.HelpdeskAdmin)
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.get("/users")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "3 shown of 3", `<td data-col="roles">Global administrator</td>`, `<td data-col="roles">Helpdesk administrator</td>`,
			`<td data-col="licenses">Social Engagement</td>`, `<span class="muted">Unlicensed</span>`)
		admins := b.get("/users?filter=admins")
		wantContains(t, admins, "2 shown of 2", "Hal Helper", "Ada Admin")
		wantNotContains(t, admins, "Mia Member")
		wantContains(t, b.get("/users?filter=blocked"), "No users match the filter.")
		wantStatus(t, b.get("/users?filter=martians"), http.StatusBadRequest)
	})
}
