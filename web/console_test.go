package web_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

const (
	operatorPassword = "Operator-Pass-1"
	adminPassword    = "Admin-Pass-1"
	memberPassword   = "Member-Pass-1"
)

// fixture is a running Atrium with a customer organization, Contoso, whose admin is
// admin@contoso.atrium.localhost.
type fixture struct {
	t      testing.TB
	m      *app.Main
	srv    *httptest.Server
	clock  *atrium.ManualClock
	org    atrium.OrgID
	admin  atrium.UserID
	member *directory.User
}

// eachDialect runs fn on a fresh app per configured database.
func eachDialect(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Helper()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) { fn(t, newFixture(t, d)) })
	}
}

func newApp(t testing.TB, d store.Dialect, clock atrium.Clock) *app.Main {
	t.Helper()
	cfg := app.Defaults()
	cfg.DatabaseURL = storetest.DSN(t, d)
	cfg.SecretKeyFile = filepath.Join(t.TempDir(), "atrium.key") // never the source tree
	cfg.Addr = "127.0.0.1:0"
	cfg.AdminPassword = operatorPassword
	cfg.LogLevel = "error"
	m, err := app.New(context.Background(), cfg, app.Options{Clock: clock, Out: io.Discard, Log: app.NewLogger(io.Discard, "error")})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func newFixture(t testing.TB, d store.Dialect) *fixture {
	t.Helper()
	clock := atrium.NewManualClock(time.Now())
	m := newApp(t, d, clock)
	ctx := context.Background()
	res, err := m.Directory.Signup(ctx, directory.SignupInput{OrganizationName: "Contoso", DomainPrefix: "contoso", AdminDisplayName: "Ada Admin",
		AdminUsername: "admin", AdminPassword: adminPassword, ContactEmail: "ada@example.com", Seats: 10})
	if err != nil {
		t.Fatalf("signup: %v", err)
	}
	if _, err := m.Queue.RunDue(ctx); err != nil {
		t.Fatalf("run jobs: %v", err)
	}
	f := &fixture{t: t, m: m, clock: clock, org: res.Organization.ID, admin: res.Admin.ID}
	no := false
	f.member, _, err = m.Directory.CreateUser(ctx, f.adminPrincipal(), directory.UserInput{Username: "mia", DisplayName: "Mia Member",
		Password: memberPassword, MustChangePassword: &no})
	if err != nil {
		t.Fatalf("create member: %v", err)
	}
	f.srv = httptest.NewServer(m.Handler)
	t.Cleanup(f.srv.Close)
	return f
}

// adminPrincipal is Contoso's Global administrator, for checking database state.
func (f *fixture) adminPrincipal() *access.Principal {
	return &access.Principal{UserID: f.admin, Org: f.org, Name: "admin@contoso.atrium.localhost",
		Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(f.org)}}}
}

func (f *fixture) user(id atrium.UserID) *directory.User {
	f.t.Helper()
	u, err := f.m.Directory.GetUser(context.Background(), f.adminPrincipal(), id)
	if err != nil {
		f.t.Fatalf("get user %s: %v", id, err)
	}
	return u
}

// browser is an HTTP client with a cookie jar that does not follow redirects.
type browser struct {
	t    testing.TB
	base string
	c    *http.Client
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: f.t, base: f.srv.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	status   int
	body     string
	location string
	header   http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, body: string(body), location: res.Header.Get("Location"), header: res.Header}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf returns the CSRF token from a page the browser loads.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	p := b.get(path)
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no csrf token on %s (status %d)", path, p.status)
	}
	return html.UnescapeString(m[1])
}

// postForm posts form with the CSRF token of the page at from.
func (b *browser) postForm(from, path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", b.csrf(from))
	return b.post(path, form)
}

func (b *browser) signIn(username, password string, stay bool) page {
	b.t.Helper()
	form := url.Values{"username": {username}, "password": {password}}
	if stay {
		form.Set("stay_signed_in", "1")
	}
	p := b.post("/signin", form)
	if p.status != http.StatusSeeOther {
		b.t.Fatalf("sign in as %s: status %d, want 303\n%s", username, p.status, p.body)
	}
	return p
}

func wantStatus(t *testing.T, p page, want int) {
	t.Helper()
	if p.status != want {
		t.Fatalf("status %d, want %d\n%s", p.status, want, p.body)
	}
}

func wantContains(t *testing.T, p page, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(p.body, s) {
			t.Errorf("page does not contain %q\n%s", s, p.body)
		}
	}
}

func wantNotContains(t *testing.T, p page, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(p.body, s) {
			t.Errorf("page contains %q but should not", s)
		}
	}
}

var (
	secretRE = regexp.MustCompile(`id="generated-password">([^<]+)<`)
	tokenRE  = regexp.MustCompile(`id="token-secret">([^<]+)<`)
	nextRE   = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
	mailRE   = regexp.MustCompile(`<a href="/mail/([^"]+)">`)
)

func htmlUnescape(s string) string { return html.UnescapeString(s) }

var sessionLinkRE = regexp.MustCompile(`<a href="(/settings/sessions/[^"]+/revoke)">`)
