package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
)

// TestSignInBeyondTheHashingLimit: while every password-hashing slot is taken, sign-ins
// over the API and the console answer 503 with Retry-After, for known and unknown
// usernames alike, and count as failures against nobody; once a slot frees up, sign-in
// works again.
func TestSignInBeyondTheHashingLimit(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Busy Co", "busy")
		hasher := e.Main.Directory.Passwords()
		var releases []func()
		for range hasher.MaxConcurrent() {
			release, err := hasher.Acquire(t.Context())
			if err != nil {
				t.Fatalf("hold slot: %v", err)
			}
			releases = append(releases, release)
		}
		// Every slot is held: a further Acquire fails at once with a cancelled context.
		done, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := hasher.Acquire(done); atrium.ErrorCode(err) != atrium.CodeUnavailable {
			t.Fatalf("Acquire beyond the limit: %v, want unavailable", err)
		}

		signIn := func(username string) *apptest.Response {
			return e.Anonymous().Do("POST", "/api/v1/sessions", map[string]any{"username": username, "password": apptest.Password})
		}
		for name, username := range map[string]string{"known": a.AdminUsername, "unknown": "nobody@busy.atrium.localhost"} {
			res := signIn(username)
			p := res.WantProblem(http.StatusServiceUnavailable, atrium.CodeUnavailable)
			if p.Detail != "too many sign-ins at once; try again shortly" {
				t.Errorf("%s username: detail %q", name, p.Detail)
			}
			if got := res.Header.Get("Retry-After"); got != "2" {
				t.Errorf("%s username: Retry-After %q, want 2", name, got)
			}
		}
		if n := e.Count("SELECT count(*) FROM signin_throttle"); n != 0 {
			t.Errorf("%d throttle rows after busy sign-ins, want 0: a busy server is not a wrong password", n)
		}

		// The console shows the message on the sign-in form with the same status.
		form := url.Values{"username": {a.AdminUsername}, "password": {apptest.Password}}
		resp, err := e.Server.Client().PostForm(e.URL+"/signin", form)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		body := string(data)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "2" ||
			!strings.Contains(body, "too many sign-ins at once; try again shortly") || !strings.Contains(body, `action="/signin"`) {
			t.Errorf("console sign-in = %d, Retry-After %q:\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}

		releases[0]()
		e.SignIn(a.AdminUsername, apptest.Password)
		for _, release := range releases[1:] {
			release()
		}
	})
}

// TestRateLimitedCarriesRetryAfter: a locked-out sign-in answers 429 with Retry-After:
// the lockout's time left, all 15 minutes of it on a clock that has not moved.
func TestRateLimitedCarriesRetryAfter(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Retry Co", "retry")
		var res *apptest.Response
		for range 6 {
			res = e.Anonymous().Do("POST", "/api/v1/sessions", map[string]any{"username": a.AdminUsername, "password": "Wrong-Passw0rd!"})
		}
		res.WantProblem(http.StatusTooManyRequests, atrium.CodeRateLimited)
		if got := res.Header.Get("Retry-After"); got != "900" {
			t.Errorf("Retry-After %q, want 900", got)
		}
	})
}
