package web_test

import (
	"net/http"
	"net/url"
	"testing"
)

// navMarkers are what every page of a signed-in person shows: the navigation and the
// account menu.
var navMarkers = []string{`<nav class="sidenav" aria-label="Main">`, `href="/users"`, "Ada Admin", "Sign out"}

// TestErrorPagesKeepTheLayout: a signed-in person's 404 and other error pages show the
// navigation and account menu; a signed-out person's 404 offers sign-in instead.
func TestErrorPagesKeepTheLayout(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		anon := f.browser()
		p := anon.get("/no-such-page")
		wantStatus(t, p, http.StatusNotFound)
		wantContains(t, p, "Not found", `href="/signin"`)
		wantNotContains(t, p, navMarkers...)

		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		for _, path := range []string{"/no-such-page", "/users/no-such-user/nowhere", "/static-ish", "/users/no-such-user"} {
			t.Run(path, func(t *testing.T) {
				p := b.get(path)
				wantStatus(t, p, http.StatusNotFound)
				wantContains(t, p, append([]string{"Not found", `href="/" class="button"`}, navMarkers...)...)
			})
		}
		t.Run("form without its security token", func(t *testing.T) {
			p := b.post("/users/new", url.Values{"display_name": {"Eve"}})
			wantStatus(t, p, http.StatusForbidden)
			wantContains(t, p, navMarkers...)
		})
	})
}
