package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
)

// TestUnknownAPIRoutes: an API path no route has answers a 404 problem, and a method
// its routes do not take a 405 problem with Allow, signed in or not; console paths keep
// their HTML 404 page.
func TestUnknownAPIRoutes(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Lost Co", "lost")
		for name, c := range map[string]*apptest.Client{"anonymous": e.Anonymous(), "admin": a.Admin} {
			t.Run(name, func(t *testing.T) {
				c := c.For(t)
				for _, path := range []string{"/api/v1/nope", "/api/v1/users/x/nope", "/api/", "/api/v2/users", "/api/v1/users/%00/nope"} {
					c.Do("GET", path, nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
				}
				for _, m := range []struct{ method, path, allow string }{
					{"DELETE", "/api/v1/users", "GET, HEAD, POST"},
					{"PATCH", "/api/v1/signup", "POST"},
					{"POST", "/api/v1/users/x", "DELETE, GET, HEAD, PATCH"},
					{"PUT", "/api/v1/openapi.json", "GET, HEAD"},
				} {
					res := c.Do(m.method, m.path, map[string]any{})
					p := res.WantProblem(http.StatusMethodNotAllowed, "method_not_allowed")
					if got := sortedAllow(res.Header.Get("Allow")); got != m.allow {
						t.Errorf("%s %s: Allow %q, want %q", m.method, m.path, got, m.allow)
					}
					if !strings.Contains(p.Detail, m.method) {
						t.Errorf("%s %s: detail %q does not name the method", m.method, m.path, p.Detail)
					}
				}
			})
		}
		// The console's unknown paths stay HTML.
		res := e.Anonymous().Do("GET", "/no-such-page", nil)
		if res.Status != http.StatusNotFound || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET /no-such-page = %d %q, want 404 text/html", res.Status, res.Header.Get("Content-Type"))
		}
	})
}

func sortedAllow(h string) string {
	methods := strings.Split(h, ", ")
	slices.Sort(methods)
	return strings.Join(methods, ", ")
}
