package httpapi_test

import (
	"bytes"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/httpapi"
)

func TestSessionCookies(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Cookie Co", "cookie")
		cases := []struct {
			name       string
			stay       bool
			persistent bool
		}{
			{"browser session", false, false},
			{"stay signed in", true, true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				countQuery := "SELECT count(*) FROM sessions WHERE user_id = $1 AND persistent = $2"
				before := e.Count(countQuery, string(a.AdminID), c.persistent)
				client, cookie := e.SignInCookie(a.AdminUsername, apptest.Password, c.stay)
				if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || cookie.Secure {
					t.Errorf("cookie attributes = %+v", cookie)
				}
				if !c.persistent {
					if cookie.MaxAge != 0 || cookie.RawExpires != "" {
						t.Errorf("browser-session cookie has MaxAge %d Expires %q", cookie.MaxAge, cookie.RawExpires)
					}
				} else {
					want := auth.PersistentLifetime
					if d := time.Duration(cookie.MaxAge) * time.Second; d < want-time.Minute || d > want {
						t.Errorf("persistent cookie MaxAge = %v, want about %v", d, want)
					}
					if d := cookie.Expires.Sub(e.Clock.Now()); d < want-time.Minute || d > want+time.Minute {
						t.Errorf("persistent cookie Expires = %v (clock %v)", cookie.Expires, e.Clock.Now())
					}
				}
				if n := e.Count(countQuery, string(a.AdminID), c.persistent); n != before+1 {
					t.Errorf("sessions with persistent=%v: %d, had %d", c.persistent, n, before)
				}
				// Signing out ends the session and clears the cookie.
				res := client.Do("DELETE", "/api/v1/sessions/current", nil).Want(http.StatusNoContent)
				cleared := false
				for _, ck := range res.Cookies() {
					if ck.Name == httpapi.CookieName && ck.MaxAge < 0 {
						cleared = true
					}
				}
				if !cleared {
					t.Errorf("sign-out did not clear the cookie: %v", res.Header["Set-Cookie"])
				}
				client.Do("GET", "/api/v1/me", nil).WantProblem(http.StatusUnauthorized, atrium.CodeUnauthenticated)
				e.Bearer(client.Cookie).Do("GET", "/api/v1/me", nil).Want(http.StatusUnauthorized)
			})
		}
		// A browser session ends after 12 idle hours; a persistent one lasts 30 days.
		browser, _ := e.SignInCookie(a.AdminUsername, apptest.Password, false)
		persistent, _ := e.SignInCookie(a.AdminUsername, apptest.Password, true)
		e.Clock.Advance(auth.BrowserIdleTimeout + time.Minute)
		browser.Do("GET", "/api/v1/me", nil).Want(http.StatusUnauthorized)
		persistent.Do("GET", "/api/v1/me", nil).Want(http.StatusOK)
		e.Clock.Advance(auth.PersistentLifetime)
		persistent.Do("GET", "/api/v1/me", nil).Want(http.StatusUnauthorized)
	})
}

// TestCSRF: cookie-authenticated unsafe requests need the CSRF token from GET /me;
// bearer requests need none.
func TestCSRF(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Csrf Co", "csrf")
		target := a.Admin.CreateUser("target")
		cookieClient, _ := e.SignInCookie(a.AdminUsername, apptest.Password, false)
		var me httpapi.Me
		cookieClient.Do("GET", "/api/v1/me", nil).Want(http.StatusOK).Decode(&me)
		if me.CSRFToken == "" || me.CSRFToken != cookieClient.CSRF {
			t.Fatalf("me.csrf_token = %q, sign-in gave %q", me.CSRFToken, cookieClient.CSRF)
		}
		wrong := *cookieClient
		wrong.CSRF = "not-the-token"
		otherSession, _ := e.SignInCookie(a.AdminUsername, apptest.Password, false)
		stolen := *cookieClient
		stolen.CSRF = otherSession.CSRF // a CSRF token of another session does not do

		unsafe := []struct {
			name   string
			method string
			path   string
			body   any
		}{
			{"create user", "POST", "/api/v1/users", map[string]any{"username": "mallory", "display_name": "Mallory"}},
			{"patch user", "PATCH", "/api/v1/users/" + string(target.ID), map[string]any{"display_name": "Pwned"}},
			{"delete user", "DELETE", "/api/v1/users/" + string(target.ID), nil},
			{"assign role", "PUT", "/api/v1/users/" + string(target.ID) + "/roles/global_admin", nil},
			{"create token", "POST", "/api/v1/api-tokens", map[string]any{"name": "x", "role": "global_admin"}},
			{"sign out", "DELETE", "/api/v1/sessions/current", nil},
		}
		for _, u := range unsafe {
			for name, c := range map[string]*apptest.Client{"no token": cookieClient.WithoutCSRF(), "wrong token": &wrong, "other session's token": &stolen} {
				t.Run(u.name+"/"+name, func(t *testing.T) {
					before := rowCounts(e)
					c.Do(u.method, u.path, u.body).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
					wantCounts(t, e, before, u.name)
					if got := e.Strings("SELECT display_name FROM users WHERE id = $1 AND deleted_at IS NULL", string(target.ID)); !slices.Equal(got, []string{"Target"}) {
						t.Errorf("target after refused %s: %v", u.name, got)
					}
				})
			}
		}
		// With the token the same requests work; bearer requests need no CSRF token.
		cookieClient.Do("PATCH", "/api/v1/users/"+string(target.ID), map[string]any{"display_name": "Renamed"}).Want(http.StatusOK)
		a.Admin.Do("PATCH", "/api/v1/users/"+string(target.ID), map[string]any{"display_name": "Renamed Again"}).Want(http.StatusOK)
		cookieClient.Do("POST", "/api/v1/users", map[string]any{"username": "walter", "display_name": "Walter"}).Want(http.StatusCreated)
		cookieClient.Do("DELETE", "/api/v1/users/"+string(target.ID), nil).Want(http.StatusNoContent)
		cookieClient.Do("DELETE", "/api/v1/sessions/current", nil).Want(http.StatusNoContent)
	})
}

func TestSignIn(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Signin Co", "signin")
		anon := e.Anonymous()
		signIn := func(username, password string) *apptest.Response {
			t.Helper()
			return anon.Do("POST", "/api/v1/sessions", map[string]any{"username": username, "password": password})
		}

		t.Run("wrong password and unknown username look the same", func(t *testing.T) {
			u := a.Admin.CreateUser("dora")
			wrong := signIn(u.Username, "Wrong-Passw0rd!")
			unknown := signIn("nobody@signin.atrium.localhost", "Wrong-Passw0rd!")
			wrong.WantProblem(http.StatusUnauthorized, atrium.CodeUnauthenticated)
			unknown.WantProblem(http.StatusUnauthorized, atrium.CodeUnauthenticated)
			if !bytes.Equal(wrong.Body, unknown.Body) {
				t.Errorf("bodies differ:\n%s\n%s", wrong.Body, unknown.Body)
			}
			// Deleted users are unknown too.
			a.Admin.Do("DELETE", "/api/v1/users/"+string(u.ID), nil).Want(http.StatusNoContent)
			if deleted := signIn(u.Username, apptest.Password); deleted.Status != http.StatusUnauthorized || !bytes.Equal(deleted.Body, unknown.Body) {
				t.Errorf("deleted user sign-in = %d %s", deleted.Status, deleted.Body)
			}
		})

		t.Run("lockout after five failures", func(t *testing.T) {
			u := a.Admin.CreateUser("locky")
			for i := range 5 {
				signIn(u.Username, "Wrong-Passw0rd!").WantProblem(http.StatusUnauthorized, atrium.CodeUnauthenticated)
				signIn("ghost@signin.atrium.localhost", "Wrong-Passw0rd!").WantProblem(http.StatusUnauthorized, atrium.CodeUnauthenticated)
				_ = i
			}
			real := signIn(u.Username, apptest.Password)
			ghost := signIn("ghost@signin.atrium.localhost", apptest.Password)
			real.WantProblem(http.StatusTooManyRequests, atrium.CodeRateLimited)
			ghost.WantProblem(http.StatusTooManyRequests, atrium.CodeRateLimited)
			if !bytes.Equal(real.Body, ghost.Body) {
				t.Errorf("locked real and non-existent accounts answer differently:\n%s\n%s", real.Body, ghost.Body)
			}
			// Other accounts are not affected.
			e.SignIn(a.AdminUsername, apptest.Password)
			e.Clock.Advance(14 * time.Minute)
			signIn(u.Username, apptest.Password).WantProblem(http.StatusTooManyRequests, atrium.CodeRateLimited)
			e.Clock.Advance(2 * time.Minute)
			signIn(u.Username, apptest.Password).Want(http.StatusCreated)
		})

		t.Run("blocked users and suspended organizations", func(t *testing.T) {
			// Every way an account stops working ends its existing sessions and tokens too.
			op := e.Operator()
			cases := []struct {
				name    string
				disable func(u apptest.User)
				// signIn is the status of a sign-in afterwards.
				signIn int
			}{
				{"block", func(u apptest.User) {
					a.Admin.Do("PATCH", "/api/v1/users/"+string(u.ID), map[string]any{"blocked": true}).Want(http.StatusOK)
				}, http.StatusForbidden},
				{"delete", func(u apptest.User) {
					a.Admin.Do("DELETE", "/api/v1/users/"+string(u.ID), nil).Want(http.StatusNoContent)
				}, http.StatusUnauthorized},
				{"password reset", func(u apptest.User) {
					a.Admin.Do("POST", "/api/v1/users/"+string(u.ID)+"/password-reset", map[string]any{"password": "Reset-Passw0rd!"}).Want(http.StatusOK)
				}, http.StatusUnauthorized},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					u := a.Admin.CreateUser("victim-" + c.name[:5])
					bearer := e.SignIn(u.Username, apptest.Password)
					cookie, _ := e.SignInCookie(u.Username, apptest.Password, true)
					bearer.Do("GET", "/api/v1/me", nil).Want(http.StatusOK)
					c.disable(u)
					bearer.Do("GET", "/api/v1/me", nil).WantProblem(http.StatusUnauthorized, atrium.CodeUnauthenticated)
					cookie.Do("GET", "/api/v1/me", nil).WantProblem(http.StatusUnauthorized, atrium.CodeUnauthenticated)
					signIn(u.Username, apptest.Password).Want(c.signIn)
					if n := e.Count("SELECT count(*) FROM sessions WHERE user_id = $1", string(u.ID)); n != 0 {
						t.Errorf("%d sessions left", n)
					}
				})
			}

			t.Run("suspend organization", func(t *testing.T) {
				b := e.Signup("Suspended Co", "suspended")
				var token struct {
					Token string `json:"token"`
				}
				b.Admin.Do("POST", "/api/v1/api-tokens", map[string]any{"name": "ci", "role": "global_reader"}).Want(http.StatusCreated).Decode(&token)
				cookie, _ := e.SignInCookie(b.AdminUsername, apptest.Password, true)
				op.Do("POST", "/api/v1/organizations/"+string(b.ID)+"/suspend", nil).Want(http.StatusOK)
				b.Admin.Do("GET", "/api/v1/me", nil).Want(http.StatusUnauthorized)
				cookie.Do("GET", "/api/v1/me", nil).Want(http.StatusUnauthorized)
				e.Bearer(token.Token).Do("GET", "/api/v1/users", nil).Want(http.StatusUnauthorized)
				signIn(b.AdminUsername, apptest.Password).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
				// Other organizations carry on.
				a.Admin.Do("GET", "/api/v1/me", nil).Want(http.StatusOK)
				op.Do("POST", "/api/v1/organizations/"+string(b.ID)+"/reactivate", nil).Want(http.StatusOK)
				cookie.Do("GET", "/api/v1/me", nil).Want(http.StatusOK)
				e.Bearer(token.Token).Do("GET", "/api/v1/users", nil).Want(http.StatusOK)
				signIn(b.AdminUsername, apptest.Password).Want(http.StatusCreated)
			})
		})

		t.Run("organization still provisioning", func(t *testing.T) {
			e.Anonymous().Do("POST", "/api/v1/signup", apptest.SignupBody("Early Co", "early", "x@early.example.com")).Want(http.StatusCreated)
			signIn("admin@early.atrium.localhost", apptest.Password).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
			e.RunJobs()
			signIn("admin@early.atrium.localhost", apptest.Password).Want(http.StatusCreated)
		})
	})
}

// TestForcedPasswordChange: after an admin reset, the user may only read GET /me,
// change the password and sign out until they choose a new password.
func TestForcedPasswordChange(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Reset Co", "reset")
		u := a.Admin.CreateUser("reggie", "global_reader")
		a.Admin.Do("POST", "/api/v1/users/"+string(u.ID)+"/password-reset", map[string]any{"password": "Temporary-Passw0rd!"}).Want(http.StatusOK)
		user := e.SignIn(u.Username, "Temporary-Passw0rd!")
		cookieUser, _ := e.SignInCookie(u.Username, "Temporary-Passw0rd!", false)

		open := []string{"GET /api/v1/me", "POST /api/v1/me/password", "DELETE /api/v1/sessions/current"}
		var gotOpen []string
		for _, rt := range e.Main.API.Routes() {
			key := rt.Method + " " + rt.Path
			if rt.DuringPasswordChange {
				gotOpen = append(gotOpen, key)
				continue
			}
			if rt.Public {
				continue
			}
			path := pathParamRE.ReplaceAllString(rt.Path, "x")
			for name, c := range map[string]*apptest.Client{"bearer": user, "cookie": cookieUser} {
				t.Run(key+"/"+name, func(t *testing.T) {
					before := rowCounts(e)
					c.Do(rt.Method, path, map[string]any{}).WantProblem(http.StatusForbidden, atrium.CodePasswordChange)
					wantCounts(t, e, before, key)
				})
			}
		}
		slices.Sort(open)
		slices.Sort(gotOpen)
		if !slices.Equal(open, gotOpen) {
			t.Errorf("routes open during a forced password change = %v, want %v", gotOpen, open)
		}
		var me httpapi.Me
		user.Do("GET", "/api/v1/me", nil).Want(http.StatusOK).Decode(&me)
		if !me.MustChangePassword {
			t.Error("me.must_change_password = false")
		}
		// The same password again is refused; a new one works and lifts the restriction.
		user.Do("POST", "/api/v1/me/password", map[string]any{"current_password": "Temporary-Passw0rd!", "new_password": "Temporary-Passw0rd!"}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "new_password")
		user.Do("POST", "/api/v1/me/password", map[string]any{"current_password": "Temporary-Passw0rd!", "new_password": "Chosen-Passw0rd!"}).
			Want(http.StatusNoContent)
		user.Do("GET", "/api/v1/users", nil).Want(http.StatusOK)
		user.Do("GET", "/api/v1/me", nil).Want(http.StatusOK).Decode(&me)
		if me.MustChangePassword {
			t.Error("must_change_password still set")
		}
		// Changing the password ended the user's other sessions.
		cookieUser.Do("GET", "/api/v1/me", nil).Want(http.StatusUnauthorized)
		e.SignIn(u.Username, "Chosen-Passw0rd!").Do("GET", "/api/v1/audit-log", nil).Want(http.StatusOK)
		if n := e.Count("SELECT count(*) FROM audit_log WHERE action = 'user.change_password' AND target_id = $1", string(u.ID)); n != 1 {
			t.Errorf("change_password audit entries = %d", n)
		}
	})
}
