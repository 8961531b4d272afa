package httpapi_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/password"
	"github.com/atrium-admin/atrium/store/storetest"
)

// eachWithProxies is apptest.Each with trustedProxies as --trusted-proxies. The test
// server listens on 127.0.0.1, so "127.0.0.1/32" puts every request behind a trusted
// proxy that names the client in X-Forwarded-For.
func eachWithProxies(t *testing.T, trustedProxies string, fn func(t *testing.T, e *apptest.Env)) {
	t.Helper()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			cfg := app.Defaults()
			cfg.DatabaseURL = storetest.DSN(t, d)
			cfg.Addr = "127.0.0.1:0"
			cfg.PublicURL = "http://atrium.test"
			cfg.AdminPassword = apptest.OperatorPassword
			cfg.PasswordParams = password.TestParams
			cfg.TrustedProxies = trustedProxies
			fn(t, apptest.StartConfig(t, d, cfg))
		})
	}
}

// signInFrom signs in through the proxy on behalf of the client at addr.
func signInFrom(e *apptest.Env, addr, username, pw string) *apptest.Response {
	e.T.Helper()
	return e.Anonymous().DoHeader("POST", "/api/v1/sessions", map[string]any{"username": username, "password": pw},
		http.Header{"X-Forwarded-For": {addr}})
}

// retryAfter returns the Retry-After header of res in seconds, failing the test unless
// it is a positive whole number.
func retryAfter(t *testing.T, res *apptest.Response) int {
	t.Helper()
	n, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || n <= 0 {
		t.Fatalf("%s %s = %d with Retry-After %q, want a positive number of seconds", res.Method, res.Path, res.Status, res.Header.Get("Retry-After"))
	}
	return n
}

const wrongPassword = "Wrong-Passw0rd!"

// TestAddressLockoutBehindTrustedProxy: behind a trusted proxy, 40 failed sign-ins from
// one client lock that client's address, and only that one: another client behind the
// same proxy still signs in, and its session and audit entry carry its own address.
func TestAddressLockoutBehindTrustedProxy(t *testing.T) {
	eachWithProxies(t, "127.0.0.1/32, ::1/128", func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Proxy Co", "proxy")
		u := a.Admin.CreateUser("pia")
		const attacker, other = "203.0.113.7", "198.51.100.23"
		failed, limited := 0, 0
		for i := range 40 {
			// Password spraying: a different username every time, so only the address counts.
			res := signInFrom(e, attacker, fmt.Sprintf("user%d@proxy.atrium.localhost", i), wrongPassword)
			switch res.Status {
			case http.StatusUnauthorized:
				failed++
			case http.StatusTooManyRequests:
				limited++
				retryAfter(t, res)
			default:
				t.Fatalf("attempt %d: status %d: %s", i, res.Status, res.Body)
			}
		}
		if failed != 30 || limited != 10 {
			t.Errorf("40 attempts from one address: %d failed, %d refused; want 30 and 10", failed, limited)
		}
		// The attacker's address is locked even for a right password it never used before.
		signInFrom(e, attacker, u.Username, apptest.Password).WantProblem(http.StatusTooManyRequests, atrium.CodeRateLimited)
		// Another client behind the same proxy is not.
		signInFrom(e, other, u.Username, apptest.Password).Want(http.StatusCreated)
		if got := e.Strings(`SELECT source_ip FROM sessions WHERE user_id = $1`, string(u.ID)); len(got) != 1 || got[0] != other {
			t.Errorf("session source_ip = %v, want [%s]", got, other)
		}
		if got := e.Strings(`SELECT source_ip FROM audit_log WHERE action = 'session.create' AND target_id = $1`, string(u.ID)); len(got) != 1 || got[0] != other {
			t.Errorf("audit source_ip = %v, want [%s]", got, other)
		}
		// Forwarded (RFC 7239) is honoured too when there is no X-Forwarded-For.
		res := e.Anonymous().DoHeader("POST", "/api/v1/sessions", map[string]any{"username": u.Username, "password": apptest.Password},
			http.Header{"Forwarded": {`for="[2001:db8::17]:4711";proto=https`}})
		res.Want(http.StatusCreated)
		if n := e.Count(`SELECT count(*) FROM sessions WHERE user_id = $1 AND source_ip = '2001:db8::17'`, string(u.ID)); n != 1 {
			t.Errorf("sessions from the Forwarded client: %d, want 1", n)
		}
	})
}

// TestUntrustedForwardedForIgnored: X-Forwarded-For from a peer that is not a trusted
// proxy changes nothing: failures count against the peer, whatever the header says,
// and sessions record the peer.
func TestUntrustedForwardedForIgnored(t *testing.T) {
	cases := []struct{ name, proxies string }{
		{"no trusted proxies", ""},
		{"other proxies trusted", "10.0.0.0/8, 192.0.2.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eachWithProxies(t, c.proxies, func(t *testing.T, e *apptest.Env) {
				a := e.Signup("Direct Co", "direct")
				u := a.Admin.CreateUser("dan")
				for i := range 5 {
					signInFrom(e, fmt.Sprintf("203.0.113.%d", i+1), u.Username, wrongPassword).WantProblem(http.StatusUnauthorized, atrium.CodeUnauthenticated)
				}
				// A sixth "address" is the same peer: locked out of the account.
				signInFrom(e, "203.0.113.99", u.Username, apptest.Password).WantProblem(http.StatusTooManyRequests, atrium.CodeRateLimited)
				signInFrom(e, "198.51.100.1", a.AdminUsername, apptest.Password).Want(http.StatusCreated)
				if got := e.Strings(`SELECT source_ip FROM sessions WHERE user_id = $1 ORDER BY created_at DESC`, string(a.AdminID)); got[0] != "127.0.0.1" {
					t.Errorf("session source_ip = %q, want the peer 127.0.0.1", got[0])
				}
			})
		})
	}
}

// TestSmartLockout: failures lock the account and source pair first, so an attack from
// one address does not lock the user out elsewhere; a distributed attack locks the
// account, but the right password still gets through from an address that signed in to
// it before.
func TestSmartLockout(t *testing.T) {
	eachWithProxies(t, "127.0.0.1/32", func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Smart Co", "smart")
		u := a.Admin.CreateUser("sam")
		const home, attacker, fresh = "192.0.2.10", "203.0.113.66", "198.51.100.200"
		signInFrom(e, home, u.Username, apptest.Password).Want(http.StatusCreated)

		// One attacking address locks only itself out of sam.
		for range 5 {
			signInFrom(e, attacker, u.Username, wrongPassword).WantProblem(http.StatusUnauthorized, atrium.CodeUnauthenticated)
		}
		signInFrom(e, attacker, u.Username, apptest.Password).WantProblem(http.StatusTooManyRequests, atrium.CodeRateLimited)
		signInFrom(e, home, u.Username, apptest.Password).Want(http.StatusCreated)
		signInFrom(e, fresh, u.Username, apptest.Password).Want(http.StatusCreated)

		// Ten addresses, three failures each: a distributed attack locks the account...
		e.Clock.Advance(16 * time.Minute)
		for i := range 10 {
			for range 3 {
				signInFrom(e, fmt.Sprintf("203.0.113.%d", 100+i), u.Username, wrongPassword).WantProblem(http.StatusUnauthorized, atrium.CodeUnauthenticated)
			}
		}
		newcomer := signInFrom(e, "198.51.100.201", u.Username, apptest.Password)
		newcomer.WantProblem(http.StatusTooManyRequests, atrium.CodeRateLimited)
		// ...but addresses sam signed in from before still get in with the right password,
		// and a wrong one there is an ordinary failure.
		signInFrom(e, home, u.Username, wrongPassword).WantProblem(http.StatusUnauthorized, atrium.CodeUnauthenticated)
		signInFrom(e, home, u.Username, apptest.Password).Want(http.StatusCreated)
		signInFrom(e, fresh, u.Username, apptest.Password).Want(http.StatusCreated)
		// Other accounts are not affected.
		signInFrom(e, "198.51.100.201", a.AdminUsername, apptest.Password).Want(http.StatusCreated)

		// Known addresses are remembered hashed, for the user, not as addresses.
		if n := e.Count(`SELECT count(*) FROM signin_known_addresses WHERE user_id = $1`, string(u.ID)); n != 2 {
			t.Errorf("known addresses of sam: %d, want 2 (home and fresh)", n)
		}
		for _, addr := range []string{home, fresh} {
			if n := e.Count(`SELECT count(*) FROM signin_known_addresses WHERE key_hash LIKE $1`, "%"+addr+"%"); n != 0 {
				t.Errorf("known address %s stored in the clear", addr)
			}
		}

		// The account lock ends after the lockout.
		e.Clock.Advance(15*time.Minute + time.Second)
		signInFrom(e, "198.51.100.201", u.Username, apptest.Password).Want(http.StatusCreated)
	})
}

// TestThrottlePruning: the hourly sweep removes throttle rows a day after their last
// window and known addresses once they expire.
func TestThrottlePruning(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Prune Co", "prune")
		u := a.Admin.CreateUser("pat")
		e.SignIn(u.Username, apptest.Password)
		for range 5 {
			e.Anonymous().Do("POST", "/api/v1/sessions", map[string]any{"username": u.Username, "password": wrongPassword}).Want(http.StatusUnauthorized)
			e.Anonymous().Do("POST", "/api/v1/sessions", map[string]any{"username": "ghost@prune.atrium.localhost", "password": wrongPassword}).Want(http.StatusUnauthorized)
		}
		if n := e.Count(`SELECT count(*) FROM signin_throttle`); n == 0 {
			t.Fatal("no throttle rows after failures")
		}
		known := e.Count(`SELECT count(*) FROM signin_known_addresses`)
		if known == 0 {
			t.Fatal("no known addresses after sign-ins")
		}
		sweep := func() {
			t.Helper()
			e.Main.Queue.SchedulePeriodic(t.Context())
			e.RunJobs()
		}
		e.Clock.Advance(2 * time.Hour)
		sweep()
		if n := e.Count(`SELECT count(*) FROM signin_throttle`); n == 0 {
			t.Error("throttle rows pruned within the day")
		}
		e.Clock.Advance(23 * time.Hour)
		sweep()
		if n := e.Count(`SELECT count(*) FROM signin_throttle`); n != 0 {
			t.Errorf("%d throttle rows a day after the failures, want 0", n)
		}
		if n := e.Count(`SELECT count(*) FROM signin_known_addresses`); n != known {
			t.Errorf("known addresses after a day: %d, want %d", n, known)
		}
		e.Clock.Advance(88 * 24 * time.Hour)
		sweep()
		if n := e.Count(`SELECT count(*) FROM signin_known_addresses`); n != known {
			t.Errorf("known addresses 89 days after the last sign-in: %d, want %d", n, known)
		}
		e.Clock.Advance(24 * time.Hour)
		sweep()
		if n := e.Count(`SELECT count(*) FROM signin_known_addresses`); n != 0 {
			t.Errorf("%d known addresses 90 days after the last sign-in, want 0", n)
		}
	})
}
