package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/mail"
)

// pseudoPages are the console pages whose every word comes from the catalogues. A
// page joins the list when it is translated; the test then fails on any English left.
var pseudoPages = []string{"/", "/account", "/account/password", "/no-such-page",
	"/users", "/users?filter=licensed", "/users/new", "/deleted-users", "/roles",
	"/billing/purchase", "/billing/licenses", "/billing/invoices", "/partner/customers",
	"/settings", "/tokens", "/audit", "/integrations", "/users/licenses/upload",
	"/groups", "/groups/mine", "/groups/new", "/deleted-groups", "/group-settings", "/guests", "/collab", "/collab/available", "/collab/restore"}

// operatorPseudoPages are the operator's pages, checked signed in as the operator.
var operatorPseudoPages = []string{"/", "/organizations", "/catalog", "/catalog/new", "/mail", "/tax-rates", "/collab/programs", "/collab/settings"}

var (
	tagRE       = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<!--.*?-->|<[^>]*>`)
	attrTextRE  = regexp.MustCompile(`\s(?:aria-label|placeholder|title)="([^"]*)"`)
	dateLikeRE  = regexp.MustCompile(`^\d{1,2} [A-Z][a-z]{2} \d{4}(, \d{2}:\d{2} UTC)?$`)
	numberishRE = regexp.MustCompile(`^[\d\s.,:%/+()−-]*$`)
	// machineRE matches recorded machine values the audit log shows as they are: action
	// codes (user.create), keys (SOCIAL_ENGAGEMENT), country codes (US) and ids.
	machineRE = regexp.MustCompile(`^([a-z0-9]+[._][a-z0-9._]+|[A-Z0-9_]{2,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)
)

// visibleTexts returns the text a reader sees on the page body: text between tags and
// the aria-label, placeholder and title attributes, trimmed, without empty ones.
func visibleTexts(body string) []string {
	var out []string
	if i := strings.Index(body, "<body"); i >= 0 {
		body = body[i:]
	}
	body = strings.ReplaceAll(body, "<wbr>", "") // break opportunities inside one word
	for _, m := range attrTextRE.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	for _, part := range tagRE.Split(body, -1) {
		if s := strings.TrimSpace(html.UnescapeString(part)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// untranslated returns the texts of body that did not come from the pseudo-language and
// are not data (names, addresses, dates, numbers) or the names of the languages.
func untranslated(body string, data []string) []string {
	var bad []string
	for _, s := range visibleTexts(body) {
		if i18n.IsPseudo(s) || dateLikeRE.MatchString(s) || numberishRE.MatchString(s) || machineRE.MatchString(s) || !strings.ContainsFunc(s, unicode.IsLetter) {
			continue
		}
		known := false
		for _, d := range append(data, "Atrium", "English", "Svenska", "Norsk bokmål", "Polski", "— Atrium") {
			if s == d || strings.Trim(s, "·*() ") == d {
				known = true
				break
			}
		}
		if !known {
			bad = append(bad, s)
		}
	}
	return bad
}

// TestPseudoLanguageLeavesNoEnglish: in the pseudo-language en-XA, every text of the
// translated pages is pseudo text or data; a literal English string in a template or a
// handler shows up here.
func TestPseudoLanguageLeavesNoEnglish(t *testing.T) {
	i18n.EnablePseudo()
	eachDialect(t, func(t *testing.T, f *fixture) {
		// Data: names, addresses and user agents; the catalog's products; the mail
		// subjects stored with each message; the values the audit log recorded; and the
		// countries, whose names come from CLDR (in en-XA, the English ones).
		data := []string{"Contoso", "Ada Admin", "Mia Member", "admin@contoso.atrium.localhost", "megan@contoso.atrium.localhost",
			"mia@contoso.atrium.localhost", "ada@example.com", "Atrium Operator", "Operator Administrator", "admin@operator.atrium.localhost",
			"contoso.atrium.localhost", "operator.atrium.localhost", "partner.atrium.localhost", "Go-http-client/1.1",
			"Welcome to Atrium, Contoso", "system", "provisioning", "active", "Collaborate"}
		products, err := f.m.Licensing.Products(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range products {
			data = append(data, p.Name, p.SKU, p.Description)
			for _, plan := range p.ServicePlans {
				data = append(data, plan.Name)
			}
		}
		for _, c := range directory.CountriesIn(i18n.XA) {
			data = append(data, c.Name)
		}
		b := f.browser()
		u, _ := url.Parse(b.base)
		b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "atrium_lang", Value: "en-XA", Path: "/"}})
		out := b.get("/signin")
		wantContains(t, out, `<html lang="en-XA">`)
		if bad := untranslated(out.body, data); len(bad) > 0 {
			t.Errorf("/signin signed out: untranslated %q", bad)
		}
		walk := func(b *browser, paths []string) {
			for _, path := range paths {
				p := b.get(path)
				if p.status == http.StatusSeeOther {
					p = b.get(p.location)
				}
				if bad := untranslated(p.body, data); len(bad) > 0 {
					t.Errorf("%s: untranslated %q", path, bad)
				}
			}
		}
		// A subscription with an invoice, and a message in the outbox.
		ctx := context.Background()
		sub := f.order(f.product("CUSTOMER_ENGAGEMENT").ID, 2)
		invoices, _, err := f.m.Licensing.Invoices(ctx, f.adminPrincipal(), f.org, 10, "")
		if err != nil || len(invoices) == 0 {
			t.Fatalf("no invoice: %v", err)
		}
		mails, _, err := f.m.Outbox.ListFor(ctx, f.operatorPrincipal(), mail.ListFilter{Limit: 1})
		if err != nil || len(mails) == 0 {
			t.Fatalf("no mail: %v", err)
		}
		// What the modules stored in English: invoice lines, the mail as sent, an order's
		// summary in the audit log.
		inv, err := f.m.Licensing.Invoice(ctx, f.adminPrincipal(), invoices[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range inv.Lines {
			data = append(data, l.Description)
		}
		data = append(data, strings.TrimSpace(mails[0].Text), mails[0].From, ".atrium.localhost", "A new subscription of 2 paid seats")
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		// Pages of one thing too: a user, a subscription, an invoice.
		m := "/users/" + string(f.member.ID)
		walk(b, append(pseudoPages, m, m+"/licenses", m+"/reset-password", m+"/delete", m+"/block",
			"/users/"+string(f.admin)+"/roles/global_admin/remove", "/apps/social",
			"/billing/subscriptions/"+sub.ID+"/cancel", "/billing/invoices/"+invoices[0].ID))
		// A group with members and a conversation, and a deleted one (groups_test.go), and
		// the audit log of it all.
		groupPages, groupData := f.pseudoGroup()
		data = append(data, groupData...)
		walk(b, append(groupPages, "/audit"))
		op := f.browser()
		op.c.Jar.SetCookies(u, []*http.Cookie{{Name: "atrium_lang", Value: "en-XA", Path: "/"}})
		op.signIn("admin@operator.atrium.localhost", operatorPassword, false)
		o := "/organizations/" + string(f.org)
		walk(op, append(operatorPseudoPages, o, o+"/invoices", o+"/suspend", "/catalog/"+sub.ProductID, "/mail/"+mails[0].ID,
			"/billing/invoices/"+invoices[0].ID+"/paid"))
		// And the sign-up, signed out.
		anon := f.browser()
		anon.c.Jar.SetCookies(u, []*http.Cookie{{Name: "atrium_lang", Value: "en-XA", Path: "/"}})
		walk(anon, []string{"/signup", "/signin"})
	})
}
