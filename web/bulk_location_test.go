package web_test

import (
	"net/http"
	"net/url"
	"testing"
)

// TestBulkAssignSetsUsageLocation: the users list's bulk assignment can give a usage
// location to the selected users who have none, and license them in the same step.
func TestBulkAssignSetsUsageLocation(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		se := f.product("SOCIAL_ENGAGEMENT")
		f.clearUsageLocation(f.member)
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		wantContains(t, b.get("/users"), `name="usage_location"`, "Usage location of users who have none")
		p := b.postForm("/users", "/users/licenses/bulk", url.Values{"user": {string(f.member.ID)}, "product_id": {se.ID}, "action": {"assign"},
			"usage_location": {"NO"}})
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Social Engagement: 1 succeeded")
		if u := f.user(f.member.ID); u.UsageLocation != "NO" {
			t.Errorf("usage location = %q, want NO", u.UsageLocation)
		}
		if got := f.licensesOf(f.member.ID); len(got) != 1 {
			t.Errorf("licenses = %v", got)
		}
	})
}
