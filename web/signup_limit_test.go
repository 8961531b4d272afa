package web_test

import (
	"net/http"
	"net/url"
	"testing"
)

// TestSignUpRateLimitSays: the eleventh sign-up within a minute from one address is
// refused with a sentence in the visitor's language and a Retry-After.
func TestSignUpRateLimitSays(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.get("/language?set=pl&next=/signup")
		form := url.Values{"step": {"2"}, "organization_name": {"Fabrikam"}, "domain_prefix": {"fabrikam"}, "seats": {"5"},
			"admin_display_name": {"Fiona"}, "admin_username": {"fiona"}, "admin_password": {"short"}, "contact_email": {"f@example.com"}}
		var p page
		for range 11 {
			p = b.post("/signup", form)
		}
		wantStatus(t, p, http.StatusTooManyRequests)
		wantContains(t, p, "Zbyt wiele rejestracji z Twojego adresu.")
		if p.header.Get("Retry-After") == "" {
			t.Error("no Retry-After")
		}
	})
}
