package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// TestBulkAssignToEveryListedUser: "every user this list shows" applies a bulk action
// to the users of every page of the list's search, not only the ticked ones.
func TestBulkAssignToEveryListedUser(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		se := f.product("SOCIAL_ENGAGEMENT")
		f.order(se.ID, 60)
		for i := range 55 {
			f.newUser(fmt.Sprintf("team%02d", i), fmt.Sprintf("Team %02d", i), "US")
		}
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.get("/users?q=team")
		wantContains(t, p, `name="all"`, "every user this list shows for “team”")
		p = b.postForm("/users?q=team", "/users/licenses/bulk", url.Values{"all": {"1"}, "q": {"team"}, "product_id": {se.ID}, "action": {"assign"}})
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Social Engagement: 55 succeeded")
	})
}
