package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestSessionsSayWhereTheyWereOpened: a session opened through the API is listed as an
// API session, the console's as a browser session.
func TestSessionsSayWhereTheyWereOpened(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		res, err := http.Post(f.srv.URL+"/api/v1/sessions", "application/json",
			strings.NewReader(`{"username":"admin@contoso.atrium.localhost","password":"`+adminPassword+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("API sign-in = %d", res.StatusCode)
		}
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.get("/settings")
		wantContains(t, p, "API session", "Browser session")
	})
}
