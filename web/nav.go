package web

import (
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
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

var sectionTitles = [...]string{"Home", "Users", "Teams & groups", "Billing", "Health", "Support", "Settings", "Admin centers", "Operator"}

// navEntry is one navigation link. Show decides whether the signed-in person sees it.
type navEntry struct {
	Section section
	Label   string
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
func (c *console) templateFuncs() template.FuncMap {
	f := maps.Clone(funcs)
	f["appTitle"] = c.appTitle
	f["countries"] = directory.Countries
	f["countryName"] = directory.CountryName
	f["navSections"] = navSections
	f["breakable"] = breakable
	f["roleSentences"] = roleSentences
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
		{sectionHome, "Home", "/", always},
		{sectionUsers, "Active users", "/users", org(access.UserRead)},
		{sectionUsers, "Deleted users", "/deleted-users", org(access.UserRead)},
		{sectionUsers, "Roles", "/roles", org(access.RoleRead)},
		{sectionBilling, "Purchase services", "/billing/purchase", org(access.BillingRead)},
		{sectionBilling, "Licenses", "/billing/licenses", org(access.LicenseRead)},
		{sectionBilling, "Bills & payments", "/billing/invoices", org(access.BillingRead)},
		{sectionBilling, "Customers", "/partner/customers", org(access.BillingRead)},
		{sectionSettings, "Organization settings", "/settings", always},
		{sectionSettings, "API tokens", "/tokens", org(access.TokenRead)},
		{sectionSettings, "Audit log", "/audit", org(access.AuditRead)},
		{sectionOperator, "Organizations", "/organizations", instance(access.InstanceOrgRead)},
		{sectionOperator, "Catalog", "/catalog", instance(access.CatalogManage)},
		{sectionOperator, "Outgoing mail", "/mail", instance(access.InstanceMailRead)},
		{sectionOperator, "Tax rates", "/tax-rates", instance(access.InstanceOrgRead)},
	} {
		c.nav(e)
	}
}

// navFor returns the entries r's signed-in person sees, by section in the console's
// order (stable within a section).
func (c *console) navFor(r *http.Request, s *session) []navItem {
	entries := slices.Clone(c.navs)
	slices.SortStableFunc(entries, func(a, b navEntry) int { return int(a.Section) - int(b.Section) })
	var out []navItem
	for _, e := range entries {
		if !e.Show(r, s) {
			continue
		}
		cur := r.URL.Path == e.Href || (e.Href != "/" && strings.HasPrefix(r.URL.Path, e.Href+"/"))
		out = append(out, navItem{Label: e.Label, Href: e.Href, Current: cur, Section: sectionTitles[e.Section]})
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
			out = append(out, navSection{Title: it.Section, ID: "nav-" + slug(it.Section)})
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

// slug turns a title into an HTML id fragment: "Teams & groups" becomes "teams-groups".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}
