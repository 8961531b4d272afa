package web_test

import (
	"net/http"
	"strconv"
	"strings"
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

// TestUserListLicensedFilter: Active users > Show licensed or unlicensed splits the
// organization in two, in the list, its total and the CSV export.
func TestUserListLicensedFilter(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		hal := f.newUser("hal", "Hal Helper", "US")
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		licensed := b.get("/users?filter=licensed")
		wantStatus(t, licensed, http.StatusOK)
		wantContains(t, licensed, `<option value="licensed" selected>Licensed</option>`, ">Ada Admin</a>")
		wantNotContains(t, licensed, ">Hal Helper</a>", `<span class="muted">Unlicensed</span>`)
		unlicensed := b.get("/users?filter=unlicensed")
		wantContains(t, unlicensed, ">Hal Helper</a>", `<span class="muted">Unlicensed</span>`)
		wantNotContains(t, unlicensed, ">Ada Admin</a>")
		wantContains(t, b.get("/users?filter=unlicensed"), "shown of "+strconv.Itoa(strings.Count(unlicensed.body, `<span class="muted">Unlicensed</span>`)))

		// A license moves the user from one side to the other.
		f.setLicenses(hal.ID, f.product("SOCIAL_ENGAGEMENT").ID)
		wantContains(t, b.get("/users?filter=licensed"), ">Hal Helper</a>")
		wantNotContains(t, b.get("/users?filter=unlicensed"), ">Hal Helper</a>")

		csv := b.get("/api/v1/users/export?filter=licensed")
		wantStatus(t, csv, http.StatusOK)
		wantContains(t, csv, "hal@contoso.atrium.localhost")
		wantNotContains(t, b.get("/api/v1/users/export?filter=unlicensed"), "hal@contoso.atrium.localhost")
	})
}
