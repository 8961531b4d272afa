package web_test

import (
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// navGroup is one section of the navigation as a page renders it.
type navGroup struct {
	Title string   // the section heading, "" for a section without one (Home)
	Hrefs []string // its links, in order
}

var (
	navHeadRE  = regexp.MustCompile(`<p class="navhead" id="([^"]+)">([^<]+)</p>\s*<ul aria-labelledby="([^"]+)">`)
	navHrefRE  = regexp.MustCompile(`<li><a href="([^"]+)"`)
	navGroupRE = regexp.MustCompile(`<div class="navgroup[" ]`)
)

// navGroups returns the sections of the main navigation of a page, failing the test if
// the page has none or a heading does not label its list.
func navGroups(t *testing.T, p page) []navGroup {
	t.Helper()
	start := strings.Index(p.body, `<nav class="sidenav" aria-label="Main">`)
	if start < 0 {
		t.Fatalf("no main navigation\n%s", p.body)
	}
	nav := p.body[start:]
	nav = nav[:strings.Index(nav, "</nav>")]
	if !strings.Contains(nav, `<details class="navmenu">`) || !strings.Contains(nav, "<summary>Menu") {
		t.Errorf("the navigation is not behind a menu button:\n%s", nav)
	}
	var out []navGroup
	for _, part := range navGroupRE.Split(nav, -1)[1:] {
		var g navGroup
		if m := navHeadRE.FindStringSubmatch(part); m != nil {
			if m[1] != m[3] {
				t.Errorf("section %q: heading %s labels list %s", m[2], m[1], m[3])
			}
			g.Title = html.UnescapeString(m[2])
		}
		for _, m := range navHrefRE.FindAllStringSubmatch(part, -1) {
			g.Hrefs = append(g.Hrefs, m[1])
		}
		out = append(out, g)
	}
	return out
}

// TestNavigationGrouped: the navigation shows DESIGN.md's console sections, in their
// order, each with only what the signed-in person may use, behind a menu button.
func TestNavigationGrouped(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		for _, tc := range []struct {
			name, username, password string
			want                     []navGroup
		}{
			{"global admin", "admin@contoso.atrium.localhost", adminPassword, []navGroup{
				{"", []string{"/"}},
				{"Users", []string{"/users", "/deleted-users", "/guests", "/roles"}},
				{"Teams & groups", []string{"/groups", "/deleted-groups", "/group-settings"}},
				{"Billing", []string{"/billing/purchase", "/billing/licenses", "/billing/invoices", "/partner/customers"}},
				{"Settings", []string{"/account", "/settings", "/tokens", "/audit", "/integrations"}},
				// The sign-up trial licenses the first admin for Social Engagement.
				{"Admin centers", []string{"/apps/social", "/collab"}},
			}},
			{"member", "mia@contoso.atrium.localhost", memberPassword, []navGroup{
				{"", []string{"/"}},
				// Everyone may create groups (unless the organization says otherwise)
				// and restore the ones they own.
				{"Teams & groups", []string{"/groups", "/deleted-groups"}},
				{"Settings", []string{"/account", "/settings"}},
				// Everyone may take part in engagements.
				{"Admin centers", []string{"/collab"}},
			}},
			{"operator", "admin@operator.atrium.localhost", operatorPassword, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := f.browser()
				b.signIn(tc.username, tc.password, false)
				p := b.get("/")
				wantStatus(t, p, http.StatusOK)
				got := navGroups(t, p)
				if tc.want != nil && !slices.EqualFunc(got, tc.want, func(a, b navGroup) bool {
					return a.Title == b.Title && slices.Equal(a.Hrefs, b.Hrefs)
				}) {
					t.Errorf("navigation\n%+v\nwant\n%+v", got, tc.want)
				}
				// Sections come in DESIGN.md's order, each once.
				order := []string{"", "Users", "Teams & groups", "Billing", "Health", "Support", "Settings", "Admin centers", "Operator"}
				last := -1
				for _, g := range got {
					i := slices.Index(order, g.Title)
					if i <= last {
						t.Errorf("section %q is out of order in %+v", g.Title, got)
					}
					last = i
				}
				if tc.name == "operator" {
					op := got[len(got)-1]
					if op.Title != "Operator" || !slices.Equal(op.Hrefs, []string{"/organizations", "/catalog", "/mail", "/tax-rates", "/collab/programs"}) {
						t.Errorf("operator section %+v, want Organizations, Catalog, Outgoing mail, Tax rates, Programs", op)
					}
				}
			})
		}

		// The current page is marked, and the menu button says where one is.
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.get("/roles")
		wantContains(t, p, `<a href="/roles" aria-current="page">Roles</a>`, `<div class="navgroup navgroup-current">`,
			`<span class="navmenu-here"><span class="visually-hidden">Current page: </span>Roles</span>`)
		if n := strings.Count(p.body, `aria-current="page"`); n != 1 {
			t.Errorf("%d links are marked current, want 1", n)
		}
		// Error pages of a signed-in person keep the navigation.
		p = b.get("/no-such-page")
		wantStatus(t, p, http.StatusNotFound)
		if g := navGroups(t, p); len(g) < 2 {
			t.Errorf("the error page's navigation has %d sections", len(g))
		}
	})
}
