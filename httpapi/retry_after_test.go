package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
)

// TestLockedSignInRetryAfter: every 429 says in Retry-After how long is really left, on
// sign-in and on sign-up's rate limit, over the API and on the console.
func TestLockedSignInRetryAfter(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Retry After Co", "retryafter")
		u := a.Admin.CreateUser("rita")
		for range 5 {
			e.Anonymous().Do("POST", "/api/v1/sessions", map[string]any{"username": u.Username, "password": wrongPassword}).Want(http.StatusUnauthorized)
		}
		e.Clock.Advance(5 * time.Minute)
		res := e.Anonymous().Do("POST", "/api/v1/sessions", map[string]any{"username": u.Username, "password": apptest.Password})
		res.WantProblem(http.StatusTooManyRequests, atrium.CodeRateLimited)
		if got := retryAfter(t, res); got != 600 {
			t.Errorf("API sign-in Retry-After = %d s, want 600 (15 minutes' lockout, 5 gone)", got)
		}
		console := e.Anonymous().DoHeader("POST", "/signin", "username="+u.Username+"&password="+apptest.Password,
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		console.Want(http.StatusTooManyRequests)
		if got := retryAfter(t, console); got != 600 {
			t.Errorf("console sign-in Retry-After = %d s, want 600", got)
		}

		// Sign-up allows ten a minute per address.
		e.Clock.Advance(time.Minute + time.Second)
		for range 10 {
			e.Anonymous().Do("POST", "/api/v1/signup", map[string]any{}).Want(http.StatusBadRequest)
		}
		e.Clock.Advance(20 * time.Second)
		res = e.Anonymous().Do("POST", "/api/v1/signup", apptest.SignupBody("Limited", "limited", "x@example.com"))
		res.WantProblem(http.StatusTooManyRequests, atrium.CodeRateLimited)
		if got := retryAfter(t, res); got != 40 {
			t.Errorf("API sign-up Retry-After = %d s, want 40", got)
		}
		form := "step=2&organization_name=Limited&domain_prefix=limited&seats=5&admin_display_name=L&admin_username=admin&admin_password=" +
			apptest.Password + "&contact_email=x%40example.com"
		for range 11 {
			console = e.Anonymous().DoHeader("POST", "/signup", form, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
		}
		console.Want(http.StatusTooManyRequests)
		if got := retryAfter(t, console); got < 1 || got > 60 {
			t.Errorf("console sign-up Retry-After = %d s, want at most a minute", got)
		}
	})
}
