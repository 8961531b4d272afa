package web_test

import (
	"net/http"
	"net/url"
	"testing"
)

// TestUserAddedIsShownOnce: adding a user with a generated password redirects (a
// reload does not post again), shows the password once to the admin who added them,
// and then only says how to get a new one.
func TestUserAddedIsShownOnce(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.postForm("/users/new", "/users/new", url.Values{"username": {"zed"}, "display_name": {"Zed"}, "usage_location": {"US"}})
		wantStatus(t, p, http.StatusSeeOther)
		if p.location != "/users/added" {
			t.Fatalf("redirected to %q", p.location)
		}
		shown := b.get(p.location)
		wantContains(t, shown, "User added", "zed@contoso.atrium.localhost", `id="generated-password"`)
		again := b.get(p.location)
		wantStatus(t, again, http.StatusSeeOther)
		if again.location != "/users" {
			t.Fatalf("second visit went to %q", again.location)
		}
		wantNotContains(t, b.get("/users"), `id="generated-password"`)
		if m := secretRE.FindStringSubmatch(shown.body); m == nil {
			t.Fatal("no password on the page")
		}
	})
}

// TestSignUpDoneShowsOnlyItsOwnResult: the page after sign-up shows the organization
// and username the sign-up produced, once; query parameters cannot make it say anything.
func TestSignUpDoneShowsOnlyItsOwnResult(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		forged := f.browser().get("/signup/done?org=" + url.QueryEscape("Evil Corp") + "&username=" + url.QueryEscape("ceo@evil.example"))
		wantStatus(t, forged, http.StatusOK)
		wantNotContains(t, forged, "Evil Corp", "ceo@evil.example")
		wantContains(t, forged, "being provisioned")

		b := f.browser()
		p := b.post("/signup", url.Values{"step": {"2"}, "organization_name": {"Tailspin"}, "domain_prefix": {"tailspin"}, "seats": {"5"},
			"admin_display_name": {"Tia"}, "admin_username": {"tia"}, "admin_password": {"Tia-Pass-12"}, "contact_email": {"tia@example.com"}})
		wantStatus(t, p, http.StatusSeeOther)
		if p.location != "/signup/done" {
			t.Fatalf("redirected to %q", p.location)
		}
		wantContains(t, b.get(p.location), "Tailspin", "tia@tailspin.atrium.localhost")
		wantNotContains(t, b.get(p.location), "Tailspin", "tia@tailspin.atrium.localhost")
	})
}
