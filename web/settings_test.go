package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/atrium-admin/atrium/access"
)

// TestOrgProfilePage: Global admins edit the organization profile on Settings, every
// problem is shown beside its field at once, and the add-user form then offers the
// organization's country; other admins only read it.
func TestOrgProfilePage(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.get("/settings")
		wantContains(t, p, `action="/settings/organization"`, `<option value="US" selected>United States</option>`, "Preferred language")
		org, _ := f.m.Directory.Org(context.Background(), f.org)
		form := url.Values{"version": {itoa(org.Version)}, "name": {""}, "country": {"XX"}, "technical_contact": {"nope"}, "language": {"sv"}}
		p = b.postForm("/settings", "/settings/organization", form)
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-name-error">is required`, `id="f-country-error">must be an ISO 3166-1 country code`, `id="f-technical_contact-error">must be an email address`)
		form = url.Values{"version": {itoa(org.Version)}, "name": {"Contoso Ltd"}, "country": {"SE"}, "address": {"Storgatan 1\nStockholm"},
			"technical_contact": {"it@contoso.example.com"}, "language": {"sv"}}
		wantStatus(t, b.postForm("/settings", "/settings/organization", form), http.StatusSeeOther)
		// The save was answered in English; the organization now speaks Swedish, and so
		// does the console of its admin, who has no language of their own.
		p = b.get("/settings")
		wantContains(t, p, "The organization profile is saved.", "Contoso Ltd", "Sverige", "it@contoso.example.com",
			`<dd lang="sv">Svenska</dd>`, `<option value="sv" lang="sv" selected>Svenska</option>`, "Önskat språk")
		// A save from a form loaded before someone else's change is refused.
		wantStatus(t, b.postForm("/settings", "/settings/organization", form), http.StatusPreconditionFailed)
		wantContains(t, b.get("/users/new"), `<option value="SE" selected>Sverige</option>`)

		helper := f.newUser("hal", "Hal Helper", "US", access.UserAdmin)
		hb := f.browser()
		hb.signIn(helper.Username, memberPassword, false)
		wantNotContains(t, hb.get("/settings"), `action="/settings/organization"`)
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
