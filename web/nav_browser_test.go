package web_test

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/store"
)

// TestNavigationBrowser drives the navigation in headless Chromium at 390 px, a phone's
// width: the menu starts collapsed, opening it reaches every section's entries, and a
// 60-character username reads without scrolling the page sideways. At desktop width the
// sections show without a menu button.
func TestNavigationBrowser(t *testing.T) {
	eachBrowserDialect(t, func(t *testing.T, d store.Dialect, m *app.Main, b *tab) { navigationFlow(t, m, b) })
}

// navSection is a section of the navigation as the browser shows it.
type navSectionSeen struct {
	Title string   `json:"title"`
	Hrefs []string `json:"hrefs"`
}

func navigationFlow(t *testing.T, m *app.Main, b *tab) {
	ctx := context.Background()
	const (
		adminUser = "fiona@fabrikam.atrium.localhost"
		adminPass = "Fiona-Pass-1"
		// A long but real-looking username: 60 characters.
		longUser = "maximiliana.konstantinopoulou.berg@fabrikam.atrium.localhost"
		longPass = "Maxi-Pass-1"
	)
	if len(longUser) != 60 {
		t.Fatalf("the long username has %d characters, want 60", len(longUser))
	}
	res, err := m.Directory.Signup(ctx, directory.SignupInput{OrganizationName: "Fabrikam", DomainPrefix: "fabrikam", AdminDisplayName: "Fiona Fab",
		AdminUsername: "fiona", AdminPassword: adminPass, ContactEmail: "fiona@example.com", Seats: 5})
	if err != nil {
		t.Fatal(err)
	}
	// The server's worker may claim the provisioning job too; poll until it is done.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := m.Queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		org, err := m.Directory.Org(ctx, res.Organization.ID)
		if err != nil {
			t.Fatal(err)
		}
		if org.State == directory.OrgActive {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("organization %+v is not active", org)
		}
	}
	admin := &access.Principal{UserID: res.Admin.ID, Org: res.Organization.ID, Name: adminUser,
		Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(res.Organization.ID)}}}
	actx := audit.WithActor(ctx, audit.Actor{ID: string(res.Admin.ID), Name: adminUser})
	no := false
	maxi, _, err := m.Directory.CreateUser(actx, admin, directory.UserInput{Username: longUser, DisplayName: "Maximiliana Konstantinopoulou",
		Password: longPass, MustChangePassword: &no})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Directory.AssignRole(actx, admin, maxi.ID, access.HelpdeskAdmin); err != nil {
		t.Fatal(err)
	}

	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait))
	b.signIn(adminUser, adminPass, false)
	b.see("Welcome, Fiona Fab")

	// The menu starts collapsed: one button's height, no links showing.
	b.waitShown(`nav.sidenav summary`)
	b.waitHidden(`nav.sidenav a[href="/users"]`)
	if !b.eval(`!document.querySelector("nav.sidenav details").open && document.querySelector("nav.sidenav").getBoundingClientRect().height < 64`) {
		h, _ := chromedp.Run(b.ctx, chromedp.Evaluate[float64](`document.querySelector("nav.sidenav").getBoundingClientRect().height`))
		t.Errorf("the navigation is not collapsed on a phone: %.0f px high", h)
	}
	b.screenshot("nav-phone-closed")

	// Opening it shows every section and every entry.
	b.openMenu()
	sections, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]navSectionSeen](`[...document.querySelectorAll("nav.sidenav .navgroup")].map(g => ({
		title: (g.querySelector(".navhead") || {}).innerText || "",
		hrefs: [...g.querySelectorAll("a")].map(a => a.getAttribute("href"))}))`))
	if err != nil {
		t.Fatal(err)
	}
	want := []navSectionSeen{
		{"", []string{"/"}},
		{"USERS", []string{"/users", "/deleted-users", "/guests", "/roles"}},
		{"TEAMS & GROUPS", []string{"/groups", "/deleted-groups", "/group-settings"}},
		{"BILLING", []string{"/billing/purchase", "/billing/licenses", "/billing/invoices", "/partner/customers"}},
		{"SETTINGS", []string{"/account", "/settings", "/tokens", "/audit", "/integrations"}},
		{"ADMIN CENTERS", []string{"/apps/social", "/collab"}},
	}
	if !slices.EqualFunc(sections, want, func(a, b navSectionSeen) bool { return a.Title == b.Title && slices.Equal(a.Hrefs, b.Hrefs) }) {
		t.Fatalf("the open menu shows\n%+v\nwant\n%+v", sections, want)
	}
	for _, s := range sections {
		for _, href := range s.Hrefs {
			b.waitShown(`nav.sidenav a[href="` + href + `"]`)
		}
	}
	b.phoneFits()
	b.screenshot("nav-phone-open")

	// Every entry of every section is reached from the menu; each page starts with the
	// menu collapsed again and fits the phone.
	for _, s := range sections {
		for _, href := range s.Hrefs {
			b.openMenu()
			b.click(`nav.sidenav a[href="` + href + `"]`)
			u, err := url.Parse(b.location())
			if err != nil || u.Path != href {
				t.Fatalf("following %s reached %s", href, b.location())
			}
			b.waitShown(`main h1`)
			b.waitHidden(`nav.sidenav a[href="` + href + `"]`)
			if !b.eval(`document.querySelector('nav.sidenav a[aria-current="page"]').getAttribute("href") === ` + jsString(href)) {
				t.Errorf("%s is not marked as the current page", href)
			}
			b.phoneFits()
		}
	}

	// A 60-character username reads on every page that shows it, without scrolling
	// the page sideways.
	for _, path := range []string{"/users", "/users/" + string(maxi.ID), "/roles", "/audit?action=user.create"} {
		b.open(path)
		b.phoneFits()
		b.readable(longUser)
		b.screenshot("long-username" + slugPath(path))
	}
	b.signOut()
	b.signIn(longUser, longPass, false)
	b.see("Welcome, Maximiliana Konstantinopoulou")
	b.phoneFits()

	// At desktop width the sections show in the side column, without the button.
	b.do(chromedp.EmulateViewport(1280, 800))
	b.open("/")
	b.waitShown(`nav.sidenav a[href="/users"]`)
	b.waitHidden(`nav.sidenav summary`)
	b.screenshot("nav-desktop")
}

// openMenu opens the navigation menu, if it is closed, and waits until it shows.
func (b *tab) openMenu() {
	b.t.Helper()
	if !b.eval(`document.querySelector("nav.sidenav details").open`) {
		b.do(chromedp.Click(`nav.sidenav summary`))
	}
	b.waitShown(`nav.sidenav .navgroups a[href="/"]`)
}

// waitShown waits until the element matched by css is rendered and visible.
// checkVisibility, unlike offset sizes, counts the closed content of a <details>
// (content-visibility: hidden) as hidden.
func (b *tab) waitShown(css string) {
	b.t.Helper()
	b.waitVisibility(css, true)
}

// waitHidden waits until the element matched by css is missing or not visible.
func (b *tab) waitHidden(css string) {
	b.t.Helper()
	b.waitVisibility(css, false)
}

func (b *tab) waitVisibility(css string, shown bool) {
	b.t.Helper()
	js := `(e => !!e && e.checkVisibility({visibilityProperty: true}))(document.querySelector(` + jsString(css) + `))`
	if !shown {
		js = "!" + js
	}
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		state := map[bool]string{true: "shown", false: "hidden"}[shown]
		b.t.Fatalf("browser: %s is not %s: %v (at %s)", css, state, err, b.location())
	}
}

// phoneFits fails the test when the current page is wider than a 390 px phone screen.
// Mobile emulation zooms out to show overflowing content, which widens innerWidth, so
// both are compared with the screen.
func (b *tab) phoneFits() {
	b.t.Helper()
	if !b.eval(`document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth <= 390`) {
		w, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.scrollWidth + " > " + window.innerWidth`))
		b.t.Errorf("%s scrolls sideways on a phone: %s", b.location(), w)
	}
}

// readable fails the test unless text shows on the current page in an element that,
// brought into view, lies entirely within the screen without the page scrolling
// sideways: wrapped within the screen's width, or in a table that scrolls inside its
// wrapper.
func (b *tab) readable(text string) {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.Evaluate[map[string]any](`(() => {
		const text = `+jsString(text)+`;
		// The tightest elements showing the text: none of their children shows all of it.
		const all = [...document.querySelectorAll("main *")].filter(e => e.checkVisibility() && e.innerText.includes(text));
		const tight = all.filter(e => ![...e.children].some(c => c.checkVisibility() && c.innerText.includes(text)));
		const outside = [];
		for (const e of tight) {
			e.scrollIntoView({block: "nearest", inline: "nearest"});
			const r = e.getBoundingClientRect();
			if (r.left < 0 || r.right > window.innerWidth + 0.5 || window.scrollX !== 0) {
				outside.push(e.tagName + " " + Math.round(r.left) + ".." + Math.round(r.right) + " page x " + window.scrollX);
			}
		}
		window.scrollTo(0, 0);
		return {shown: tight.length, outside: outside};
	})()`))
	if err != nil {
		b.t.Fatal(err)
	}
	if n, _ := res["shown"].(float64); n == 0 {
		b.t.Errorf("%s does not show %q", b.location(), text)
	}
	if out, _ := res["outside"].([]any); len(out) > 0 {
		b.t.Errorf("%s shows %q beyond the screen's edge: %v", b.location(), text, out)
	}
}

func slugPath(p string) string {
	out := []byte{}
	for i := 0; i < len(p) && len(out) < 24; i++ {
		if c := p[i]; c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			out = append(out, c)
		} else if len(out) > 0 && out[len(out)-1] != '-' {
			out = append(out, '-')
		}
	}
	return "-" + string(out)
}
