package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/store"
)

// TestBrowserLanguages: a visitor picks Polish on the sign-in page and signs up in
// Polish; the organization's language is Polish and its admin sees the console in it;
// the admin switches their own language to Swedish; a user they add gets the welcome
// mail in the organization's language; the API answers in Norwegian when asked; and in
// the pseudo-language, 30% longer, the pages still fit a phone.
func TestBrowserLanguages(t *testing.T) {
	i18n.EnablePseudo()
	eachBrowserDialect(t, func(t *testing.T, d store.Dialect, m *app.Main, b *tab) {
		ctx := context.Background()
		pl, sv := i18n.For(i18n.PL), i18n.For(i18n.SV)

		b.open("/signin")
		b.click(`a[href^="/language?set=pl"]`)
		b.see(pl.T("signin.title"))
		if !b.eval(`document.documentElement.lang === "pl"`) {
			t.Error(`<html lang> is not "pl"`)
		}
		b.click(`a[href="/signup"]`)
		b.see(pl.T("signup.title"))
		b.fill("f-organization_name", "Wisła Sp. z o.o.")
		b.fill("f-domain_prefix", "wisla")
		b.fill("f-seats", "12")
		b.click(`form[action="/signup"] button[type=submit]`)
		b.fill("f-admin_display_name", "Łucja Nowak")
		b.fill("f-admin_username", "lucja")
		b.fill("f-admin_password", "Lucja-Pass-1")
		b.fill("f-contact_email", "lucja@example.com")
		b.click(`form[action="/signup"] button[type=submit]`)
		creds, err := m.Directory.CredentialsByUsername(ctx, "lucja@wisla.atrium.localhost")
		if err != nil {
			t.Fatalf("the admin was not created: %v", err)
		}
		org := waitActive(t, m, creds.Org)
		if org.Language != "pl" {
			t.Fatalf("organization %s speaks %q, want pl", org.Name, org.Language)
		}

		// The console in the organization's language.
		b.signIn("lucja@wisla.atrium.localhost", "Lucja-Pass-1", false)
		b.see(pl.T("nav.users.active"), pl.T("layout.sign_out"))

		// Your own language: Swedish.
		b.open("/account")
		if !b.eval(`(document.getElementById("f-language").value = "sv") === "sv"`) {
			t.Fatal("cannot choose Swedish")
		}
		b.click(`#account-language button[type=submit]`)
		b.see(sv.T("account.title"), sv.T("nav.users.active"))
		if !b.eval(`document.documentElement.lang === "sv"`) {
			t.Error(`after choosing Swedish, <html lang> is not "sv"`)
		}

		// A user added by the Swedish-speaking admin is welcomed in Polish, the
		// organization's language.
		b.open("/users/new")
		b.fill("f-display_name", "Jan Kowalski")
		b.fill("f-username", "jan")
		b.fill("f-contact_email", "jan@example.com")
		for range 3 {
			b.click(`form[action="/users/new"] button[value=next]`)
		}
		b.click(`form[action="/users/new"] button[value=create]`)
		var subject string
		if err := m.DB.Read().QueryRowContext(ctx, `SELECT subject FROM mail_outbox WHERE to_addr = $1 AND template = 'user_welcome'`,
			"jan@example.com").Scan(&subject); err != nil {
			t.Fatalf("no welcome mail to the new user: %v", err)
		}
		if want := pl.T("mail.user_welcome.subject", "Org", "Wisła Sp. z o.o."); subject != want {
			t.Errorf("welcome mail subject %q, want %q", subject, want)
		}

		// The API in Norwegian when asked.
		req, _ := http.NewRequest("POST", m.URL()+"/api/v1/sessions", strings.NewReader(`{"username": "", "password": ""}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Language", "nb-NO,nb;q=0.9,en;q=0.5")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var prob struct{ Title, Code string }
		json.NewDecoder(res.Body).Decode(&prob)
		res.Body.Close()
		if res.Header.Get("Content-Language") != "nb" || prob.Title != i18n.For(i18n.NB).T("problem."+prob.Code+".title") {
			t.Errorf("API problem in %q: %+v", res.Header.Get("Content-Language"), prob)
		}

		// The pseudo-language is a third longer: the pages still fit a phone.
		b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait))
		b.open("/language?set=en-XA&next=/")
		for _, path := range []string{"/", "/account", "/users", "/users/new"} {
			b.open(path)
			if !b.eval(`document.documentElement.lang === "en-XA"`) {
				t.Fatalf("%s is not in the pseudo-language", path)
			}
			b.phoneFits()
		}
	})
}
