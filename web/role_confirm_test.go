package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/atrium-admin/atrium/access"
)

// TestGlobalAdminNeedsConfirmation: the role picker starts unchosen, and making someone
// a Global administrator asks first, saying what it means; other roles do not.
func TestGlobalAdminNeedsConfirmation(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		id := string(f.member.ID)
		p := b.get("/users/" + id)
		wantContains(t, p, `<option value="" selected>Choose a role</option>`, "What each role may do", "and reset passwords")
		wantStatus(t, b.postForm("/users/"+id, "/users/"+id+"/roles", url.Values{}), http.StatusBadRequest)
		p = b.postForm("/users/"+id, "/users/"+id+"/roles", url.Values{"role": {"global_admin"}})
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Make Mia Member a Global administrator?", "assign and remove every role", `name="confirmed" value="1"`)
		if slices.Contains(f.user(f.member.ID).Roles, access.GlobalAdmin) {
			t.Fatal("assigned before the confirmation")
		}
		wantStatus(t, b.postForm("/users/"+id, "/users/"+id+"/roles", url.Values{"role": {"global_admin"}, "confirmed": {"1"}}), http.StatusSeeOther)
		if !slices.Contains(f.user(f.member.ID).Roles, access.GlobalAdmin) {
			t.Fatal("not assigned after the confirmation")
		}
	})
}
