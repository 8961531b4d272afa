package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/social"
	"github.com/atrium-admin/atrium/store"
)

// TestLicensingBrowser drives the licensing pages in headless Chromium: a Global
// administrator buys seats, assigns a license with its toggle, sees the count change,
// and removes it again after the page lists the app data that goes with it.
func TestLicensingBrowser(t *testing.T) {
	eachBrowserDialect(t, func(t *testing.T, d store.Dialect, m *app.Main, b *tab) { licensingFlow(t, m, b, string(d)) })
}

// shot saves a screenshot as /tmp/atrium-licensing-<name>.png.
func (b *tab) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("browser: screenshot: %v", err)
	}
	path := filepath.Join(os.TempDir(), "atrium-licensing-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// count reads a cell of Billing > Licenses: purchased, assigned or available.
func (b *tab) count(product, col string) int {
	b.t.Helper()
	b.open("/billing/licenses")
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.querySelector("#lic-`+product+` [data-col=`+col+`]") || {}).textContent || ""`))
	if err != nil {
		b.t.Fatal(err)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		b.t.Fatalf("no %s count of %s on Billing > Licenses: %q", col, product, s)
	}
	return n
}

// fitsPhone fails the test when the page at path (or the current page, for "") scrolls
// sideways on a 390 px wide phone.
func (b *tab) fitsPhone(path string) {
	b.t.Helper()
	if path != "" {
		b.open(path)
	}
	// Compared with the phone's width, not innerWidth: a mobile browser zooms out to
	// show overflowing content, and innerWidth grows with it.
	if !b.eval(`document.documentElement.scrollWidth <= 390`) {
		w, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.scrollWidth + " > 390"`))
		b.t.Errorf("%s overflows a phone screen: %s", b.location(), w)
	}
}

func licensingFlow(t *testing.T, m *app.Main, b *tab, dialect string) {
	ctx := context.Background()
	const adminUser, adminPass = "lena@litware.atrium.localhost", "Lena-Pass-1"
	res, err := m.Directory.Signup(ctx, directory.SignupInput{OrganizationName: "Litware", DomainPrefix: "litware", AdminDisplayName: "Lena Lit",
		AdminUsername: "lena", AdminPassword: adminPass, ContactEmail: "lena@example.com", Seats: 5})
	if err != nil {
		t.Fatal(err)
	}
	// The server's worker may claim the provisioning job too; wait until it is done.
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
	no := false
	rita, _, err := m.Directory.CreateUser(ctx, admin, directory.UserInput{Username: "rita", DisplayName: "Rita Reyes", UsageLocation: "ES",
		Password: "Rita-Pass-1", MustChangePassword: &no})
	if err != nil {
		t.Fatal(err)
	}
	var se licensing.Product
	products, err := m.Licensing.Products(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range products {
		if p.SKU == "SOCIAL_ENGAGEMENT" {
			se = p
		}
	}
	b.do(chromedp.EmulateViewport(1280, 900))
	b.signIn(adminUser, adminPass, false)
	b.see("Welcome, Lena Lit", "Social Engagement")

	// Buy five more seats: choose, review the price, confirm.
	if n := b.count(se.ID, "purchased"); n != 5 {
		t.Fatalf("purchased %d before buying, want the 5 trial seats", n)
	}
	b.click(`nav a[href="/billing/purchase"]`)
	b.see("Purchase services", "Buy a product or add-on", "Subscriptions")
	b.do(chromedp.SetValue(chromedp.ID("f-product_id"), se.ID))
	b.fill("f-quantity", "5")
	b.click(`#order-form button[type=submit]`)
	b.see("Review your order", "Social Engagement", "$15.00 per seat per month", "5 seats", "$75.00 per month")
	if dialect == "sqlite" {
		b.shot("review")
	}
	if n := b.count(se.ID, "purchased"); n != 5 {
		t.Fatalf("the review bought seats: %d purchased", n)
	}
	b.open("/billing/purchase/review?product_id=" + se.ID + "&quantity=5")
	b.click(`form[action="/billing/purchase"] button[type=submit]`)
	b.see("Your order was placed: 5 × Social Engagement for $75.00 per month.")
	if dialect == "sqlite" {
		b.shot("purchase")
	}
	if n := b.count(se.ID, "purchased"); n != 10 {
		t.Fatalf("purchased %d after the order, want 10", n)
	}
	before := b.count(se.ID, "assigned")

	// Assign Rita a license with the toggle.
	b.open("/users/" + string(rita.ID))
	b.click(`a[href="/users/` + string(rita.ID) + `/licenses"]`)
	b.see("Licenses of Rita Reyes", "Social Engagement", "Listening", "Publishing")
	b.do(chromedp.Click(chromedp.ID("lic-" + se.ID)))
	b.click(`#license-form button[type=submit]`)
	b.see("The licenses of Rita Reyes were saved.")
	if dialect == "sqlite" {
		b.shot("user-licenses")
	}
	if n := b.count(se.ID, "assigned"); n != before+1 {
		t.Fatalf("assigned %d after the toggle, want %d", n, before+1)
	}
	if dialect == "sqlite" {
		b.shot("licenses")
	}

	// Rita uses the app.
	ritaP := &access.Principal{UserID: rita.ID, Org: res.Organization.ID, Name: rita.Username}
	for i := range 3 {
		if _, err := app.Need[*social.Service](m.Kernel).CreateAlert(ctx, ritaP, social.Alert{Name: fmt.Sprintf("Alert %d", i), Query: "litware"}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		if err := app.Need[*social.Service](m.Kernel).PutSetting(ctx, ritaP, social.Setting{Name: fmt.Sprintf("setting%d", i), Value: "on"}); err != nil {
			t.Fatal(err)
		}
		if _, err := app.Need[*social.Service](m.Kernel).CreateTopic(ctx, ritaP, social.SearchTopic{Name: fmt.Sprintf("Topic %d", i), Keywords: "litware"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := app.Need[*social.Service](m.Kernel).CreateStream(ctx, ritaP, social.Stream{Name: "Mentions", Query: "@litware"}); err != nil {
		t.Fatal(err)
	}

	// On a phone, remove the license: the page lists what will be deleted first.
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait))
	b.open("/users/" + string(rita.ID) + "/licenses")
	b.fitsPhone("")
	b.do(chromedp.Click(chromedp.ID("lic-" + se.ID)))
	b.click(`#license-form button[type=submit]`)
	b.see("Remove Social Engagement from Rita Reyes?", "Social Engagement: 3 alerts, 2 settings, 1 stream will be deleted; 2 search topics are kept.")
	b.fitsPhone("")
	if dialect == "sqlite" {
		b.shot("remove-confirm-phone")
	}
	if l, err := m.Licensing.UserLicenses(ctx, admin, rita.ID); err != nil || len(l.Licenses) != 1 {
		t.Fatalf("the confirmation page removed the license: %+v %v", l, err)
	}
	b.click(`form[action$="/licenses"] button.danger`)
	b.see("The licenses of Rita Reyes were saved.")
	if n := b.count(se.ID, "assigned"); n != before {
		t.Fatalf("assigned %d after removal, want %d", n, before)
	}
	counts, err := social.Holdings(ctx, m.DB.Read(), res.Organization.ID, rita.ID)
	if err != nil || counts["alerts"] != 0 || counts["settings"] != 0 || counts["streams"] != 0 || counts["search_topics_kept"] != 2 {
		t.Fatalf("Rita's app data after removal: %v %v", counts, err)
	}

	// The new pages fit a phone.
	if _, err := m.Licensing.IssueInvoices(ctx); err != nil {
		t.Fatal(err)
	}
	invoices, _, err := m.Licensing.Invoices(ctx, admin, "", 10, "")
	if err != nil || len(invoices) == 0 {
		t.Fatalf("invoices %v %v", invoices, err)
	}
	for _, path := range []string{"/", "/billing/purchase", "/billing/purchase/review?product_id=" + se.ID + "&quantity=5", "/billing/licenses",
		"/billing/invoices", "/billing/invoices/" + invoices[0].ID, "/partner/customers", "/users", "/users/licenses/upload",
		"/apps/social", "/billing/subscriptions/" + invoices[0].SubscriptionID + "/cancel"} {
		b.fitsPhone(path)
	}
	b.open("/billing/purchase")
	if dialect == "sqlite" {
		b.shot("purchase-phone")
	}
	b.open("/billing/invoices/" + invoices[0].ID)
	b.see("Invoice "+invoices[0].Number, "Printable invoice", "Download CSV")
	if dialect == "sqlite" {
		b.shot("invoice-phone")
	}
	b.open("/apps/social")
	b.see("My alerts")
	if dialect == "sqlite" {
		b.shot("social-phone")
	}
	b.signOut()

	// Operator pages at phone width too.
	b.signIn("admin@operator.atrium.localhost", operatorPassword, false)
	for _, path := range []string{"/catalog", "/catalog/new", "/catalog/" + se.ID, "/organizations", "/organizations/" + string(res.Organization.ID) + "/invoices"} {
		b.fitsPhone(path)
	}
	b.open("/catalog")
	b.see("Catalog", "Social Engagement")
	if dialect == "sqlite" {
		b.shot("catalog-phone")
	}
}
