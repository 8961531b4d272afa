package web_test

import (
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"

	"github.com/atrium-admin/atrium/app/apptest"
)

// consoleBrowser is a browser on e's console, with cheap password hashing.
func consoleBrowser(t *testing.T, e *apptest.Env) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: e.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// TestUserPageShowsAndUnlocksSignInLock: the user's page says that failed sign-ins
// locked them out, until when and after how many attempts; an admin who may block the
// user unlocks it after confirming, which is audited; a reader sees the lock but not
// the action, and cannot unlock.
func TestUserPageShowsAndUnlocksSignInLock(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Lock Co", "lock")
		u := a.Admin.CreateUser("lou")
		reader := a.Admin.CreateUser("rea", "global_reader")
		page := "/users/" + string(u.ID)

		admin := consoleBrowser(t, e)
		admin.signIn(a.AdminUsername, apptest.Password, false)
		wantNotContains(t, admin.get(page), "Sign-in from", "Unlock sign-in")

		for range 5 {
			e.Anonymous().Do("POST", "/api/v1/sessions", map[string]any{"username": u.Username, "password": "Wrong-Passw0rd!"}).Want(http.StatusUnauthorized)
		}
		until := e.Clock.Now().Add(15 * time.Minute).UTC().Format("2 Jan 2006, 15:04 UTC")
		p := admin.get(page)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Sign-in from one address is locked until "+until+" after 5 failed attempts.", `href="/users/`+string(u.ID)+`/unlock"`)

		rb := consoleBrowser(t, e)
		rb.signIn(reader.Username, apptest.Password, false)
		p = rb.get(page)
		wantContains(t, p, "Sign-in from one address is locked until")
		wantNotContains(t, p, "Unlock sign-in")
		wantStatus(t, rb.get(page+"/unlock"), http.StatusForbidden)
		wantStatus(t, rb.postForm(page, page+"/unlock", nil), http.StatusForbidden)

		confirm := admin.get(page + "/unlock")
		wantStatus(t, confirm, http.StatusOK)
		wantContains(t, confirm, "Unlock sign-in for Lou?", `action="/users/`+string(u.ID)+`/unlock"`)
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE action = 'user.unlock'`); n != 0 {
			t.Fatalf("the confirmation page unlocked: %d audit entries", n)
		}
		done := admin.postForm(page+"/unlock", page+"/unlock", nil)
		if done.status != http.StatusSeeOther || done.location != page {
			t.Fatalf("unlock = %d to %q, want 303 to %s\n%s", done.status, done.location, page, done.body)
		}
		p = admin.get(page)
		wantContains(t, p, "Sign-in is unlocked for Lou.")
		wantNotContains(t, p, "Sign-in from one address is locked")
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE action = 'user.unlock' AND target_id = $1 AND actor_id = $2`, string(u.ID), string(a.AdminID)); n != 1 {
			t.Errorf("user.unlock audit entries: %d, want 1", n)
		}
		e.SignIn(u.Username, apptest.Password)
	})
}
