package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// EnvBrowserTests enables the tests that drive a real headless Chromium.
const EnvBrowserTests = "ATRIUM_BROWSER_TESTS"

// chromiumPath is where CI installs Chromium.
const chromiumPath = "/usr/bin/chromium"

// tab is one browser tab on the running app.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// startBrowser starts Chromium with a fresh profile; it stops when the test ends.
func startBrowser(t *testing.T, base string) *tab {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	return &tab{t: t, ctx: ctx, base: base}
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v (at %s)", err, b.location())
	}
}

func (b *tab) location() string {
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	return loc
}

// open loads path and waits for the page.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base + path))
}

// fill types value into the field with the given id, replacing what was there.
func (b *tab) fill(id, value string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(document.getElementById(`+jsString(id)+`).value = "") === ""`)); err != nil {
		b.t.Fatalf("browser: clear #%s: %v (at %s)", id, err, b.location())
	}
	b.do(chromedp.SendKeys(chromedp.ID(id), value))
}

// click clicks the element matched by the CSS selector and waits for the page it
// loads.
func (b *tab) click(css string) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.WaitEvent(cdppage.LoadEventFired, nil, chromedp.Click(chromedp.CSS(css)))); err != nil {
		b.t.Fatalf("browser: click %s: %v (at %s)", css, err, b.location())
	}
}

// text returns the visible text of the page.
func (b *tab) text() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		b.t.Fatalf("browser: read text: %v", err)
	}
	return s
}

// see fails the test unless the page shows every one of subs.
func (b *tab) see(subs ...string) {
	b.t.Helper()
	text := b.text()
	for _, s := range subs {
		if !strings.Contains(text, s) {
			b.t.Fatalf("the page at %s does not show %q; it shows:\n%s", b.location(), s, text)
		}
	}
}

// notSee fails the test if the main content of the page shows any of subs.
func (b *tab) notSee(subs ...string) {
	b.t.Helper()
	text, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
	if err != nil {
		b.t.Fatalf("browser: read text: %v", err)
	}
	for _, s := range subs {
		if strings.Contains(text, s) {
			b.t.Fatalf("the page at %s shows %q but should not", b.location(), s)
		}
	}
}

func (b *tab) eval(js string) bool {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		b.t.Fatalf("browser: evaluate %s: %v", js, err)
	}
	return v
}

func (b *tab) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("browser: screenshot: %v", err)
	}
	path := filepath.Join(os.TempDir(), "atrium-console-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// signIn signs in through the form.
func (b *tab) signIn(username, password string, stay bool) {
	b.t.Helper()
	b.open("/signin")
	b.fill("f-username", username)
	b.fill("f-password", password)
	if stay {
		b.do(chromedp.Click(chromedp.ID("f-stay_signed_in")))
	}
	b.click(`form[action="/signin"] button[type=submit]`)
}

func (b *tab) signOut() {
	b.t.Helper()
	b.click(`form[action="/signout"] button`)
	b.see("You are signed out.", "Sign in to Atrium")
}

// TestBrowser drives the console in headless Chromium through the life of an
// organization: sign-up, provisioning, sign-in, adding, finding, resetting, deleting
// and restoring a user, on each configured database.
func TestBrowser(t *testing.T) {
	eachBrowserDialect(t, func(t *testing.T, d store.Dialect, m *app.Main, b *tab) { browserFlow(t, m, b) })
}

// eachBrowserDialect runs flow against the real server on each configured database,
// with a fresh headless Chromium; it skips unless browser tests are on.
func eachBrowserDialect(t *testing.T, flow func(t *testing.T, d store.Dialect, m *app.Main, b *tab)) {
	t.Helper()
	if os.Getenv(EnvBrowserTests) != "1" {
		t.Skip("browser tests are off: set " + EnvBrowserTests + "=1 to drive headless Chromium (" + chromiumPath + ")")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("%s=1 but Chromium is missing: %v", EnvBrowserTests, err)
	}
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			m := newApp(t, d, nil)
			if err := m.Listen(); err != nil {
				t.Fatal(err)
			}
			ctx, stop := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- m.Run(ctx) }()
			t.Cleanup(func() {
				stop()
				if err := <-done; err != nil {
					t.Errorf("run: %v", err)
				}
			})
			flow(t, d, m, startBrowser(t, m.URL()))
		})
	}
}

// waitActive runs the due jobs until the organization a sign-up created is active. The
// server's own worker may have claimed the provisioning job already, so it waits for that
// to finish too.
func waitActive(t *testing.T, m *app.Main, id atrium.OrgID) *directory.Organization {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := m.Queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		org, err := m.Directory.Org(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if org.State == directory.OrgActive {
			return org
		}
		if time.Now().After(deadline) {
			t.Fatalf("organization %+v, want active after the jobs ran", org)
		}
	}
}

func browserFlow(t *testing.T, m *app.Main, b *tab) {
	ctx := context.Background()
	const (
		adminUser = "nora@northwind.atrium.localhost"
		adminPass = "Nora-Pass-1"
		userName  = "bruno.bianchi@northwind.atrium.localhost"
		tempPass  = "Bruno-Temp-1"
		ownPass   = "Bruno-Own-Pass-2"
	)

	// Sign up through the two-step wizard.
	b.open("/signup")
	b.see("Sign up your organization", "1. Organization")
	b.fill("f-organization_name", "Northwind Traders")
	b.fill("f-domain_prefix", "northwind")
	b.fill("f-seats", "25")
	b.click(`form[action="/signup"] button[type=submit]`)
	b.see("2. Administrator", "northwind.atrium.localhost")
	b.screenshot("signup")
	b.fill("f-admin_display_name", "Nora North")
	b.fill("f-admin_username", "nora")
	b.fill("f-admin_password", adminPass)
	b.fill("f-contact_email", "nora@example.com")
	b.click(`form[action="/signup"] button[type=submit]`)
	b.see("Your organization is being provisioned", "Northwind Traders", adminUser)
	creds, err := m.Directory.CredentialsByUsername(ctx, adminUser)
	if err != nil {
		t.Fatalf("the admin was not created: %v", err)
	}
	waitActive(t, m, creds.Org)

	// Sign in as its admin, staying signed in: the cookie is persistent.
	b.signIn(adminUser, adminPass, true)
	b.see("Welcome, Nora North", "Northwind Traders", "Recent activity", "Global administrator")
	b.screenshot("home")
	cookies, err := chromedp.Run(b.ctx, chromedp.Action[network.GetCookiesResult](func(ctx context.Context, tg *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
	}))
	if err != nil {
		t.Fatal(err)
	}
	persistent := false
	for _, c := range cookies.Cookies {
		if c.Name == "atrium_session" && !c.Session && c.Expires > float64(time.Now().Add(29*24*time.Hour).Unix()) {
			persistent = true
		}
	}
	if !persistent {
		t.Errorf("no persistent session cookie after Stay signed in: %+v", cookies.Cookies)
	}
	// Keyboard: the first Tab reaches the skip link.
	b.open("/")
	b.do(chromedp.KeyEvent("\t"))
	if !b.eval(`document.activeElement && document.activeElement.classList.contains("skip-link")`) {
		got, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.outerHTML : "none"`))
		t.Errorf("the first Tab does not focus the skip link but %s", got)
	}

	admin := &access.Principal{UserID: creds.User, Org: creds.Org, Name: adminUser,
		Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(creds.Org)}}}

	// Add a user.
	b.click(`nav a[href="/users"]`)
	b.see("Active users", "Nora North")
	b.click(`a[href="/users/new"]`)
	b.fill("f-display_name", "Bruno Bianchi")
	b.fill("f-username", "bruno.bianchi")
	b.fill("f-contact_email", "bruno@example.com")
	b.fill("f-department", "Sales")
	b.click(`form[action="/users/new"] button[value=next]`)
	b.see("2. Product licenses")
	b.click(`form[action="/users/new"] button[value=next]`)
	b.see("3. Roles (optional)", "No admin role (a member)")
	b.click(`form[action="/users/new"] button[value=next]`)
	b.see("4. Review", "Bruno Bianchi", "Sales", "None: a member")
	b.click(`form[action="/users/new"] button[value=create]`)
	b.see("User added", userName, "shown only this once")
	users, err := m.Directory.ListUsers(ctx, admin, directory.UserQuery{Q: "bruno"})
	if err != nil || len(users.Items) != 1 {
		t.Fatalf("users %v (%v), want Bruno", users.Items, err)
	}
	bruno := users.Items[0]

	// Find them by a fragment of their name.
	b.open("/users")
	b.fill("f-q", "ianch")
	b.click(`form[role=search] button[type=submit]`)
	b.see("Bruno Bianchi", userName)
	b.notSee("Nora North")
	if !strings.Contains(b.location(), "q=ianch") {
		t.Errorf("search is not in the address: %s", b.location())
	}

	// Reset their password, typing one.
	b.click(`a[href="/users/` + string(bruno.ID) + `"]`)
	b.see("Bruno Bianchi", "Profile", "Admin roles")
	b.screenshot("user")
	b.click(`a[href$="/reset-password"]`)
	b.do(chromedp.Click(chromedp.ID("f-mode-type")))
	b.fill("f-password", tempPass)
	b.click(`form[action$="/reset-password"] button[type=submit]`)
	b.see("was reset", "Must change password")
	if u, err := m.Directory.GetUser(ctx, admin, bruno.ID); err != nil || !u.MustChangePassword {
		t.Fatalf("after the reset: %+v (%v), want must change password", u, err)
	}
	b.signOut()

	// Bruno signs in and must change the password before anything else.
	b.signIn(userName, tempPass, false)
	b.see("Change your password", "You must choose a new password")
	b.open("/settings")
	if loc := b.location(); !strings.HasSuffix(loc, "/account/password") {
		t.Errorf("a member who must change their password reached %s", loc)
	}
	b.fill("f-current_password", tempPass)
	b.fill("f-new_password", ownPass)
	b.fill("f-confirm_password", ownPass)
	b.click(`form[action="/account/password"] button[type=submit]`)
	b.see("Your password has been changed", "Welcome, Bruno Bianchi")
	if b.eval(`!!document.querySelector('nav a[href="/users"]')`) {
		t.Error("a member sees the Active users page in the navigation")
	}
	if u, err := m.Directory.GetUser(ctx, admin, bruno.ID); err != nil || u.MustChangePassword {
		t.Fatalf("after the change: %+v (%v), want no forced change", u, err)
	}
	b.signOut()

	// The admin deletes Bruno, after confirming.
	b.signIn(adminUser, adminPass, false)
	b.open("/users?q=bruno")
	b.click(`a[href="/users/` + string(bruno.ID) + `"]`)
	b.click(`a[href$="/delete"]`)
	b.see("Delete Bruno Bianchi?", "Are you sure?")
	b.screenshot("confirm-delete")
	if u, _ := m.Directory.GetUser(ctx, admin, bruno.ID); u.DeletedAt != nil {
		t.Fatal("the confirmation page deleted the user")
	}
	b.click(`form[action$="/delete"] button.danger`)
	b.see("Bruno Bianchi was deleted")
	if u, err := m.Directory.GetUser(ctx, admin, bruno.ID); err != nil || u.DeletedAt == nil {
		t.Fatalf("after delete: %+v (%v), want deleted", u, err)
	}
	if n, _ := m.Directory.CountUsers(ctx, creds.Org); n != 1 {
		t.Errorf("%d active users, want 1", n)
	}

	// They are in Deleted users; restore them.
	b.click(`nav a[href="/deleted-users"]`)
	b.see("Deleted users", userName)
	b.click(`form[action="/deleted-users/` + string(bruno.ID) + `/restore"] button`)
	b.see("Bruno Bianchi was restored")
	if u, err := m.Directory.GetUser(ctx, admin, bruno.ID); err != nil || u.DeletedAt != nil {
		t.Fatalf("after restore: %+v (%v), want active", u, err)
	}
	b.click(`nav a[href="/users"]`)
	b.see("Bruno Bianchi", "Nora North")
	b.do(chromedp.EmulateViewport(1280, 800))
	b.open("/users")
	b.screenshot("users-desktop")

	// At phone width the users page fits without sideways scrolling.
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait))
	for _, path := range []string{"/users", "/users/" + string(bruno.ID), "/audit", "/signup"} {
		b.open(path)
		if !b.eval(`document.documentElement.scrollWidth <= window.innerWidth`) {
			w, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.scrollWidth + " > " + window.innerWidth`))
			t.Errorf("%s overflows a phone screen: %s", path, w)
		}
	}
	b.open("/users")
	b.see("Bruno Bianchi")
	b.screenshot("users-phone")

	// The console works on a real HTTP server: check a static asset too.
	res, err := http.Get(b.base + "/static/console.css")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("console.css: status %d", res.StatusCode)
	}
}
