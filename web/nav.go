package web

import (
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/i18n"
)

// section is a group of the console navigation (DESIGN.md's console sections), in the
// order they are shown.
type section int

const (
	sectionHome section = iota
	sectionUsers
	sectionTeams
	sectionBilling
	sectionHealth
	sectionSupport
	sectionSettings
	sectionAdminCenters
	sectionOperator
)

// sectionIDs are the message IDs of the sections' titles; sectionSlugs name their lists
// in HTML ids, the same in every language.
var (
	sectionIDs = [...]string{"nav.section.home", "nav.section.users", "nav.section.teams", "nav.section.billing", "nav.section.health",
		"nav.section.support", "nav.section.settings", "nav.section.admin_centers", "nav.section.operator"}
	sectionSlugs = [...]string{"home", "users", "teams-groups", "billing", "health", "support", "settings", "admin-centers", "operator"}
)

// navEntry is one navigation link. Show decides whether the signed-in person sees it.
type navEntry struct {
	Section section
	Label   string // a message ID (an app's title is shown as it is)
	Href    string
	Show    func(r *http.Request, s *session) bool
}

// App is an app products give access to, with its console page.
type App struct {
	Name  string // as products name it ("social")
	Title string // "Social Engagement"
	Href  string // its page, or ""
}

// nav adds a navigation entry; modules call it from their Module.
func (c *console) nav(e navEntry) { c.navs = append(c.navs, e) }

// app makes an app known to the console (its title and page).
func (c *console) app(a App) { c.apps[a.Name] = a }

// appTitle returns the display name of app.
func (c *console) appTitle(app string) string {
	if a, ok := c.apps[app]; ok {
		return a.Title
	}
	return app
}

// hasApp reports whether the signed-in person is licensed for app.
func (c *console) hasApp(r *http.Request, s *session, app string) bool {
	if c.Licensing == nil {
		return false
	}
	ok, err := c.Licensing.HasApp(r.Context(), s.P(), app)
	return err == nil && ok
}

// templateFuncs are the template functions, some bound to this console.
func (c *console) templateFuncs(p *i18n.Printer) template.FuncMap {
	f := maps.Clone(funcs)
	// The language's own words and formats: {{t "nav.home"}} anywhere, whatever the dot.
	f["t"] = p.T
	f["text"] = p.Text
	f["lang"] = func() string { return string(p.Lang()) }
	f["date"] = func(t any) string { return formatDateIn(p, t) }
	f["datetime"] = func(t any) string { return formatTimeIn(p, t) }
	f["number"] = func(n any) string {
		switch v := n.(type) {
		case int:
			return p.Number(int64(v))
		case int64:
			return p.Number(v)
		case *int:
			return p.Number(int64(*v))
		}
		return fmt.Sprint(n)
	}
	f["price"] = p.Money
	f["appTitle"] = c.appTitle
	f["countries"] = func() []directory.Country { return directory.CountriesIn(p.Lang()) }
	f["countryName"] = func(code string) string { return directory.CountryNameIn(p.Lang(), code) }
	f["navSections"] = navSections
	f["breakable"] = breakable
	f["roleSentences"] = func(r access.Role) []string { return roleSentencesIn(p, r) }
	f["roleTitle"] = func(r access.Role) string { return roleTitleIn(p, r) }
	return f
}

// coreNav adds the navigation entries of the kernel modules' pages.
func (c *console) coreNav() {
	org := func(a access.Action) func(*http.Request, *session) bool {
		return func(_ *http.Request, s *session) bool { return s.Can(a) }
	}
	instance := func(a access.Action) func(*http.Request, *session) bool {
		return func(_ *http.Request, s *session) bool { return s.CanInstance(a) }
	}
	always := func(*http.Request, *session) bool { return true }
	for _, e := range []navEntry{
		{sectionHome, "nav.home", "/", always},
		{sectionUsers, "nav.users.active", "/users", org(access.UserRead)},
		{sectionUsers, "nav.users.deleted", "/deleted-users", org(access.UserRead)},
		{sectionUsers, "nav.users.guests", "/guests", org(access.UserRead)},
		{sectionUsers, "nav.users.roles", "/roles", org(access.RoleRead)},
		{sectionBilling, "nav.billing.purchase", "/billing/purchase", org(access.BillingRead)},
		{sectionBilling, "nav.billing.licenses", "/billing/licenses", org(access.LicenseRead)},
		{sectionBilling, "nav.billing.invoices", "/billing/invoices", org(access.BillingRead)},
		{sectionBilling, "nav.billing.customers", "/partner/customers", org(access.BillingRead)},
		{sectionSettings, "nav.settings.account", "/account", always},
		{sectionSettings, "nav.settings.organization", "/settings", always},
		{sectionSettings, "nav.settings.tokens", "/tokens", org(access.TokenRead)},
		{sectionSettings, "nav.settings.audit", "/audit", org(access.AuditRead)},
		{sectionOperator, "nav.operator.organizations", "/organizations", instance(access.InstanceOrgRead)},
		{sectionOperator, "nav.operator.catalog", "/catalog", instance(access.CatalogManage)},
		{sectionOperator, "nav.operator.mail", "/mail", instance(access.InstanceMailRead)},
		{sectionOperator, "nav.operator.tax_rates", "/tax-rates", instance(access.InstanceOrgRead)},
	} {
		c.nav(e)
	}
}

// navFor returns the entries r's signed-in person sees, by section in the console's
// order (stable within a section).
func (c *console) navFor(r *http.Request, s *session, p *i18n.Printer) []navItem {
	entries := slices.Clone(c.navs)
	slices.SortStableFunc(entries, func(a, b navEntry) int { return int(a.Section) - int(b.Section) })
	var out []navItem
	for _, e := range entries {
		if !e.Show(r, s) {
			continue
		}
		cur := r.URL.Path == e.Href || (e.Href != "/" && strings.HasPrefix(r.URL.Path, e.Href+"/"))
		out = append(out, navItem{Label: p.T(e.Label), Href: e.Href, Current: cur, Section: p.T(sectionIDs[e.Section]), SectionSlug: sectionSlugs[e.Section]})
	}
	return out
}

// navSection is one section of the navigation as the layout shows it: its title, an
// id for the list it labels, and its entries. A section whose one entry bears its own
// name (Home) needs no heading.
type navSection struct {
	Title, ID string
	Heading   bool
	Items     []navItem
	// Current reports whether the page shown is one of the section's.
	Current bool
}

// navSections groups items, which navFor returns section by section, into sections.
func navSections(items []navItem) []navSection {
	var out []navSection
	for _, it := range items {
		if n := len(out); n == 0 || out[n-1].Title != it.Section {
			out = append(out, navSection{Title: it.Section, ID: "nav-" + it.SectionSlug})
		}
		sec := &out[len(out)-1]
		sec.Items = append(sec.Items, it)
		sec.Current = sec.Current || it.Current
	}
	for i := range out {
		out[i].Heading = len(out[i].Items) > 1 || out[i].Items[0].Label != out[i].Title
	}
	return out
}
