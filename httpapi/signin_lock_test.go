package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
)

// signInLock is the lock as GET /api/v1/users/{id}/sign-in-lock shows it.
type signInLock struct {
	Locked      bool       `json:"locked"`
	LockedUntil *time.Time `json:"locked_until"`
	Account     bool       `json:"account"`
	Addresses   int        `json:"addresses"`
	Failures    int        `json:"failures"`
}

// TestUnlockSignIn: an admin who may block a user sees the user's sign-in lock and
// clears it; the unlock is audited; members may do neither.
func TestUnlockSignIn(t *testing.T) {
	eachWithProxies(t, "127.0.0.1/32", func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Unlock Co", "unlock")
		u := a.Admin.CreateUser("uma")
		member := e.SignIn(a.Admin.CreateUser("max").Username, apptest.Password)
		path := "/api/v1/users/" + string(u.ID) + "/sign-in-lock"

		var lock signInLock
		a.Admin.Do("GET", path, nil).Want(http.StatusOK).Decode(&lock)
		if lock.Locked || lock.LockedUntil != nil {
			t.Errorf("before any failure: %+v", lock)
		}
		for i := range 10 {
			for range 3 {
				signInFrom(e, fmt.Sprintf("203.0.113.%d", 10+i), u.Username, wrongPassword).Want(http.StatusUnauthorized)
			}
		}
		signInFrom(e, "198.51.100.5", u.Username, apptest.Password).Want(http.StatusTooManyRequests)
		a.Admin.Do("GET", path, nil).Want(http.StatusOK).Decode(&lock)
		wantUntil := e.Clock.Now().Add(15 * time.Minute)
		if !lock.Locked || !lock.Account || lock.Failures != 30 || lock.LockedUntil == nil || !lock.LockedUntil.Equal(wantUntil) {
			t.Errorf("after a distributed attack: %+v, want the account locked until %v after 30 failures", lock, wantUntil)
		}

		member.Do("GET", path, nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		member.Do("DELETE", path, nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		a.Admin.Do("DELETE", path, nil).Want(http.StatusNoContent)
		a.Admin.Do("GET", path, nil).Want(http.StatusOK).Decode(&lock)
		if lock.Locked {
			t.Errorf("after unlock: %+v", lock)
		}
		signInFrom(e, "198.51.100.5", u.Username, apptest.Password).Want(http.StatusCreated)
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE action = 'user.unlock' AND target_id = $1 AND actor_id = $2`,
			string(u.ID), string(a.AdminID)); n != 1 {
			t.Errorf("user.unlock audit entries: %d, want 1", n)
		}
		// Unlocking what is not locked changes nothing and records nothing.
		a.Admin.Do("DELETE", path, nil).Want(http.StatusNoContent)
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE action = 'user.unlock'`); n != 1 {
			t.Errorf("user.unlock audit entries after a second unlock: %d, want 1", n)
		}

		// Pair locks count too: one address locked out of the account.
		for range 5 {
			signInFrom(e, "203.0.113.200", u.Username, wrongPassword).Want(http.StatusUnauthorized)
		}
		a.Admin.Do("GET", path, nil).Want(http.StatusOK).Decode(&lock)
		if !lock.Locked || lock.Account || lock.Addresses != 1 || lock.Failures != 5 {
			t.Errorf("after five failures from one address: %+v", lock)
		}
		a.Admin.Do("DELETE", path, nil).Want(http.StatusNoContent)
		signInFrom(e, "203.0.113.200", u.Username, apptest.Password).Want(http.StatusCreated)
	})
}
