package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestFieldMessagesWithValuesInThePageLanguage: a field message with a value in it (a
// length limit, the password rules the directory passes on, the licenses assigned) is
// shown beside its field in the page's language, here Swedish, with the value in
// place.
func TestFieldMessagesWithValuesInThePageLanguage(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		if _, err := f.m.Directory.SetLanguage(context.Background(), f.adminPrincipal(), "sv"); err != nil {
			t.Fatal(err)
		}
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.postForm("/users/new", "/users/new", url.Values{"display_name": {strings.Repeat("Å", 257)}, "username": {"bo"}, "password": {"kort"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p,
			`<p class="field-error" id="f-display_name-error">får vara högst 256 tecken</p>`,
			`<p class="field-error" id="f-password-error">måste vara minst 8 tecken</p>`)
		wantNotContains(t, p, "characters")

		ce := f.product("CUSTOMER_ENGAGEMENT")
		sub := f.order(ce.ID, 3)
		f.setLicenses(f.admin, ce.ID)
		f.setLicenses(f.newUser("sam", "Sam Seat", "SE").ID, ce.ID)
		p = b.postForm("/billing/purchase", "/billing/subscriptions/"+sub.ID+"/quantity",
			url.Values{"quantity": {"1"}, "version": {fmt.Sprint(f.subscription(sub.ID).Version)}})
		wantStatus(t, p, http.StatusConflict)
		wantContains(t, p, `<p class="field-error" id="f-quantity-`+sub.ID+`-error">2 licenser är tilldelade</p>`,
			`id="form-error">2 licenser för den här produkten är tilldelade, så antalet kan inte bli lägre än 2.`)
		wantNotContains(t, p, "licenses are assigned", "of this product")
		if got := f.subscription(sub.ID).Quantity; got != 3 {
			t.Errorf("quantity %d after a refused decrease", got)
		}
	})
}
