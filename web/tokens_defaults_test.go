package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/atrium-admin/atrium/auth"
)

// TestTokenFormHasSafeDefaults: the role list starts unchosen (not Global
// administrator), a token without a date expires after 90 days, and one that never
// expires is asked for with its own box and a warning.
func TestTokenFormHasSafeDefaults(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		form := b.get("/tokens")
		wantContains(t, form, `<option value="" selected>Choose a role</option>`, `name="never_expires"`, "works until someone revokes it")
		wantNotContains(t, form, `value="global_admin" selected`)
		p := b.postForm("/tokens", "/tokens", url.Values{"name": {"No role"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, "Choose the role the token acts with.")

		wantStatus(t, b.postForm("/tokens", "/tokens", url.Values{"name": {"Default"}, "role": {"global_reader"}}), http.StatusCreated)
		wantStatus(t, b.postForm("/tokens", "/tokens", url.Values{"name": {"Forever"}, "role": {"global_reader"}, "never_expires": {"1"}}), http.StatusCreated)
		p = b.postForm("/tokens", "/tokens", url.Values{"name": {"Both"}, "role": {"global_reader"}, "never_expires": {"1"}, "expires_at": {"2099-01-01"}})
		wantStatus(t, p, http.StatusBadRequest)
		list, _, err := f.m.Auth.ListTokens(context.Background(), f.adminPrincipal(), auth.TokenQuery{})
		if err != nil || len(list) != 2 {
			t.Fatalf("tokens = %+v, %v", list, err)
		}
		for _, tok := range list {
			switch tok.Name {
			case "Default":
				if tok.ExpiresAt == nil || tok.ExpiresAt.Sub(tok.CreatedAt) != auth.DefaultTokenLifetime {
					t.Errorf("default token expires %v", tok.ExpiresAt)
				}
			case "Forever":
				if tok.ExpiresAt != nil {
					t.Errorf("never-expiring token expires %v", tok.ExpiresAt)
				}
			}
		}
	})
}
