package web_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/social"
)

// product returns the catalog product with sku.
func (f *fixture) product(sku string) licensing.Product {
	f.t.Helper()
	list, err := f.m.Licensing.Products(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	for _, p := range list {
		if p.SKU == sku {
			return p
		}
	}
	f.t.Fatalf("no product %s in the catalog", sku)
	return licensing.Product{}
}

// pool returns Contoso's seats of product.
func (f *fixture) pool(product string) licensing.LicenseCount {
	f.t.Helper()
	list, err := f.m.Licensing.Licenses(context.Background(), f.adminPrincipal())
	if err != nil {
		f.t.Fatal(err)
	}
	for _, c := range list {
		if c.ProductID == product {
			return c
		}
	}
	return licensing.LicenseCount{ProductID: product}
}

// licensesOf returns the product ids user holds.
func (f *fixture) licensesOf(id atrium.UserID) []string {
	f.t.Helper()
	l, err := f.m.Licensing.UserLicenses(context.Background(), f.adminPrincipal(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, x := range l.Licenses {
		out = append(out, x.ProductID)
	}
	return out
}

// newUser adds a Contoso user with a password, a usage location (when loc is not
// empty) and roles.
// clearUsageLocation leaves u without a usage location.
func (f *fixture) clearUsageLocation(u *directory.User) {
	f.t.Helper()
	empty := ""
	got, err := f.m.Directory.UpdateUser(context.Background(), f.adminPrincipal(), u.ID, directory.UserPatch{UsageLocation: &empty}, 0)
	if err != nil {
		f.t.Fatalf("clear usage location of %s: %v", u.Username, err)
	}
	*u = *got
}

func (f *fixture) newUser(username, name, loc string, roles ...access.Role) *directory.User {
	f.t.Helper()
	ctx := context.Background()
	no := false
	u, _, err := f.m.Directory.CreateUser(ctx, f.adminPrincipal(), directory.UserInput{Username: username, DisplayName: name,
		UsageLocation: loc, Password: memberPassword, MustChangePassword: &no})
	if err != nil {
		f.t.Fatalf("create %s: %v", username, err)
	}
	if loc == "" {
		// New users get the organization's country; this one has none, as users
		// synced or made before the country setting may.
		f.clearUsageLocation(u)
	}
	for _, r := range roles {
		if u, err = f.m.Directory.AssignRole(ctx, f.adminPrincipal(), u.ID, r); err != nil {
			f.t.Fatalf("assign %s to %s: %v", r, username, err)
		}
	}
	return u
}

// principalOf is u's principal with their roles in Contoso.
func (f *fixture) principalOf(u *directory.User) *access.Principal {
	p := &access.Principal{UserID: u.ID, Org: f.org, Name: u.Username}
	for _, r := range u.Roles {
		p.Grants = append(p.Grants, access.Grant{Role: r, Scope: access.OrgScope(f.org)})
	}
	return p
}

// order buys quantity seats of product for Contoso as its admin.
func (f *fixture) order(product string, quantity int) *licensing.Subscription {
	f.t.Helper()
	sub, _, err := f.m.Licensing.PlaceOrder(context.Background(), f.adminPrincipal(), licensing.OrderInput{ProductID: product, Quantity: quantity})
	if err != nil {
		f.t.Fatalf("order %d of %s: %v", quantity, product, err)
	}
	return sub
}

func (f *fixture) subscription(id string) *licensing.Subscription {
	f.t.Helper()
	sub, err := f.m.Licensing.Subscription(context.Background(), f.adminPrincipal(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return sub
}

func (f *fixture) setLicenses(id atrium.UserID, products ...string) {
	f.t.Helper()
	var want []licensing.License
	for _, p := range products {
		want = append(want, licensing.License{ProductID: p})
	}
	if _, err := f.m.Licensing.SetUserLicenses(context.Background(), f.adminPrincipal(), id, want); err != nil {
		f.t.Fatalf("set licenses of %s: %v", id, err)
	}
}

func TestBillingForbiddenForOtherRoles(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		se := f.product("SOCIAL_ENGAGEMENT")
		sub := f.order(se.ID, 2)
		f.newUser("uma", "Uma User Admin", "US", access.UserAdmin)
		f.newUser("gina", "Gina Reader", "US", access.GlobalReader)
		f.newUser("bill", "Bill Billing", "US", access.BillingAdmin)
		q := "/billing/subscriptions/" + sub.ID + "/quantity"
		cancel := "/billing/subscriptions/" + sub.ID + "/cancel"
		review := "/billing/purchase/review?product_id=" + se.ID + "&quantity=3"

		for _, who := range []string{"mia", "uma", "gina"} {
			t.Run(who, func(t *testing.T) {
				b := f.browser()
				b.signIn(who+"@contoso.atrium.localhost", memberPassword, false)
				wantStatus(t, b.get(review), http.StatusForbidden)
				wantStatus(t, b.get(cancel), http.StatusForbidden)
				for path, form := range map[string]url.Values{
					"/billing/purchase": {"product_id": {se.ID}, "quantity": {"3"}},
					q:                   {"quantity": {"9"}},
					cancel:              nil,
					"/billing/subscriptions/" + sub.ID + "/partner": {"partner_domain": {"operator.atrium.localhost"}},
				} {
					p := b.postForm("/", path, form)
					if p.status != http.StatusForbidden {
						t.Errorf("POST %s: status %d, want 403", path, p.status)
					}
				}
				got := f.subscription(sub.ID)
				if got.Quantity != 2 || got.CancelAtPeriodEnd || got.PartnerOrg != "" {
					t.Fatalf("subscription changed by %s: %+v", who, got)
				}
				if n := f.pool(se.ID).Purchased; n != 12 {
					t.Fatalf("%s bought seats: %d purchased, want 12", who, n)
				}
				home := b.get("/")
				wantNotContains(t, home, `action="/billing/purchase/review"`, "Change quantity", "Cancel subscription")
				if who == "gina" {
					// A Global reader sees billing, without the buttons.
					p := b.get("/billing/purchase")
					wantStatus(t, p, http.StatusOK)
					wantContains(t, p, "Social Engagement", `id="sub-`+sub.ID+`-quantity">2<`)
					wantNotContains(t, p, "Review order", "Change quantity", "Cancel subscription", "Set partner", `action="/billing/subscriptions/`)
					wantContains(t, home, `href="/billing/purchase"`, `href="/billing/invoices"`)
				} else {
					wantStatus(t, b.get("/billing/purchase"), http.StatusForbidden)
					wantStatus(t, b.get("/billing/invoices"), http.StatusForbidden)
					wantNotContains(t, home, `href="/billing/purchase"`, `href="/billing/invoices"`)
				}
			})
		}

		// A Billing administrator sees and uses the buttons.
		b := f.browser()
		b.signIn("bill@contoso.atrium.localhost", memberPassword, false)
		p := b.get("/billing/purchase")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Review order", `action="`+q+`"`, `href="`+cancel+`"`, "Set partner")
		wantStatus(t, b.postForm("/billing/purchase", q, url.Values{"quantity": {"4"}, "version": {fmt.Sprint(f.subscription(sub.ID).Version)}}), http.StatusSeeOther)
		if got := f.subscription(sub.ID).Quantity; got != 4 {
			t.Fatalf("quantity %d, want 4", got)
		}
	})
}

func TestPurchaseReviewAndConfirm(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		ce := f.product("CUSTOMER_ENGAGEMENT")
		p := b.get("/billing/purchase")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, `<option value="`+ce.ID+`"`, "Customer Engagement — $65.00 per month per seat", "Additional post quota", `<optgroup label="Add-ons">`)

		// Review: the price, nothing bought yet.
		p = b.get("/billing/purchase/review?product_id=" + ce.ID + "&quantity=4")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Review your order", "$65.00 per seat per month", "4 seats", `id="order-total">$260.00 per month<`,
			"Monthly, billed in advance", `action="/billing/purchase"`, ">Place order</button>")
		if n := f.pool(ce.ID).Purchased; n != 0 {
			t.Fatalf("the review bought %d seats", n)
		}

		// Bad input is shown beside the field of the order form.
		p = b.get("/billing/purchase/review?product_id=" + ce.ID + "&quantity=0")
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-quantity-error">must be a whole number from 1 to 1000000<`)

		// Confirm.
		p = b.postForm("/billing/purchase/review?product_id="+ce.ID+"&quantity=4", "/billing/purchase", url.Values{"product_id": {ce.ID}, "quantity": {"4"}})
		wantStatus(t, p, http.StatusSeeOther)
		if n := f.pool(ce.ID).Purchased; n != 4 {
			t.Fatalf("purchased %d, want 4", n)
		}
		wantContains(t, b.get(p.location), "Your order was placed: 4 × Customer Engagement for $260.00 per month.", "Customer Engagement")

		// An add-on attaches to the organization's subscription of its product.
		addon := f.product("SOCIAL_ENGAGEMENT_POST_QUOTA")
		p = b.get("/billing/purchase/review?product_id=" + addon.ID + "&quantity=2")
		wantContains(t, p, "Add-on", `id="order-total">$10.00 per month<`)
		wantStatus(t, b.postForm("/billing/purchase", "/billing/purchase", url.Values{"product_id": {addon.ID}, "quantity": {"2"}}), http.StatusSeeOther)
		if n := f.pool(addon.ID).Purchased; n != 2 {
			t.Fatalf("add-on seats %d, want 2", n)
		}
		// An add-on of a product the organization does not have is refused beside the field.
		other := f.product("COLLABORATE")
		created, err := f.m.Licensing.CreateProduct(context.Background(), f.operatorPrincipal(), licensing.ProductInput{SKU: "COLLAB_EXTRA", Kind: licensing.KindAddon,
			ParentID: other.ID, Name: "Collaborate extra", Apps: []string{"collab"}, PriceMinor: 100, Currency: "USD", BillingPeriod: licensing.Yearly})
		if err != nil {
			t.Fatal(err)
		}
		p = b.postForm("/billing/purchase", "/billing/purchase", url.Values{"product_id": {created.ID}, "quantity": {"1"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-product_id-error">buy the product this add-on belongs to first<`)
	})
}

func TestSubscriptionQuantityCancelAndPartner(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ce := f.product("CUSTOMER_ENGAGEMENT")
		sub := f.order(ce.ID, 3)
		sam := f.newUser("sam", "Sam Seat", "DE")
		f.setLicenses(f.admin, f.product("SOCIAL_ENGAGEMENT").ID, ce.ID)
		f.setLicenses(sam.ID, ce.ID)
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		q := "/billing/subscriptions/" + sub.ID + "/quantity"
		version := fmt.Sprint(f.subscription(sub.ID).Version)

		// Lowering below the 2 assigned licenses: the message beside this subscription's field.
		p := b.postForm("/billing/purchase", q, url.Values{"quantity": {"1"}, "version": {version}})
		wantStatus(t, p, http.StatusConflict)
		wantContains(t, p, `<p class="field-error" id="f-quantity-`+sub.ID+`-error">2 licenses are assigned</p>`, `id="f-quantity-`+sub.ID+`" name="quantity" type="number" min="1" inputmode="numeric" value="1"`,
			`aria-invalid="true"`)
		if got := f.subscription(sub.ID).Quantity; got != 3 {
			t.Fatalf("quantity %d after a refused decrease", got)
		}
		// Raising always works; so does lowering to the assigned count.
		wantStatus(t, b.postForm("/billing/purchase", q, url.Values{"quantity": {"7"}, "version": {version}}), http.StatusSeeOther)
		if got := f.subscription(sub.ID).Quantity; got != 7 {
			t.Fatalf("quantity %d, want 7", got)
		}
		// A stale version is refused.
		p = b.postForm("/billing/purchase", q, url.Values{"quantity": {"2"}, "version": {version}})
		wantStatus(t, p, http.StatusPreconditionFailed)
		wantContains(t, p, "changed by someone else")

		// Partner of record: an unknown domain is shown beside the field, then set and remove.
		if _, err := f.m.Directory.Signup(context.Background(), directory.SignupInput{OrganizationName: "Fabrikam", DomainPrefix: "fabrikam",
			AdminDisplayName: "Fay", AdminUsername: "fay", AdminPassword: "Fay-Pass-1", ContactEmail: "fay@example.com", Seats: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.m.Queue.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		partner := "/billing/subscriptions/" + sub.ID + "/partner"
		p = b.postForm("/billing/purchase", partner, url.Values{"partner_domain": {"nowhere.example"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-partner_domain-`+sub.ID+`-error">no organization has this domain<`)
		wantStatus(t, b.postForm("/billing/purchase", partner, url.Values{"partner_domain": {"fabrikam.atrium.localhost"}}), http.StatusSeeOther)
		if f.subscription(sub.ID).PartnerOrg == "" {
			t.Fatal("no partner of record after setting it")
		}
		wantContains(t, b.get("/billing/purchase"), "Fabrikam", "Remove partner of record")

		// The partner sees the customer, read-only.
		fay := f.browser()
		fay.signIn("fay@fabrikam.atrium.localhost", "Fay-Pass-1", false)
		p = fay.get("/partner/customers")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Contoso · Customer Engagement", "7 purchased, 2 assigned, 5 available", "Sam Seat", "sam@contoso.atrium.localhost")
		wantNotContains(t, p, "<form method=\"post\" action=\"/billing")

		rm := partner + "/remove"
		wantContains(t, b.get(rm), "Remove the partner of record of Customer Engagement?", "Fabrikam can no longer see")
		if f.subscription(sub.ID).PartnerOrg == "" {
			t.Fatal("the confirmation page removed the partner")
		}
		wantStatus(t, b.postForm(rm, rm, nil), http.StatusSeeOther)
		if f.subscription(sub.ID).PartnerOrg != "" {
			t.Fatal("the partner is still set")
		}
		wantContains(t, fay.get("/partner/customers"), "No customer has named your organization partner of record.")

		// Cancel: confirmation first, takes effect at the period end.
		cancel := "/billing/subscriptions/" + sub.ID + "/cancel"
		p = b.get(cancel)
		wantContains(t, p, "Cancel Customer Engagement?", "ends at the end of its current period, on "+f.subscription(sub.ID).PeriodEnd.UTC().Format("2 Jan 2006"))
		if f.subscription(sub.ID).CancelAtPeriodEnd {
			t.Fatal("the confirmation page cancelled")
		}
		wantStatus(t, b.postForm(cancel, cancel, nil), http.StatusSeeOther)
		got := f.subscription(sub.ID)
		if !got.CancelAtPeriodEnd || got.State != licensing.StateActive {
			t.Fatalf("after cancel: %+v, want active until the period ends", got)
		}
		p = b.get("/billing/purchase")
		wantContains(t, p, "Cancelled")
		// Cancelling again is refused on the confirmation page.
		p = b.postForm(cancel, cancel, nil)
		wantStatus(t, p, http.StatusConflict)
		wantContains(t, p, "already cancelled")
	})
}

var (
	checkedRE = func(id string) *regexp.Regexp {
		return regexp.MustCompile(`id="lic-` + regexp.QuoteMeta(id) + `" name="product" value="[^"]+" checked`)
	}
)

func TestUserLicenseToggles(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		se := f.product("SOCIAL_ENGAGEMENT")
		ce := f.product("CUSTOMER_ENGAGEMENT")
		f.order(ce.ID, 1)
		sam := f.newUser("sam", "Sam Seat", "DE")
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		path := "/users/" + string(sam.ID) + "/licenses"
		wantContains(t, b.get("/users/"+string(sam.ID)), `href="`+path+`"`)
		p := b.get(path)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Social Engagement", "Customer Engagement", "Listening", "Publishing", "9 of 10 licenses available", ">Save licenses</button>")
		if checkedRE(se.ID).MatchString(p.body) {
			t.Fatal("Social Engagement is checked for a user without it")
		}

		// Save the whole set: Social Engagement with Publishing off, and Customer Engagement.
		var listening string
		for _, pl := range se.ServicePlans {
			if pl.Name == "Listening" {
				listening = pl.ID
			}
		}
		form := url.Values{"product": {se.ID, ce.ID}, "plan-" + se.ID: {listening}, "plan-" + ce.ID: {ce.ServicePlans[0].ID, ce.ServicePlans[1].ID}}
		wantStatus(t, b.postForm(path, path, form), http.StatusSeeOther)
		l, err := f.m.Licensing.UserLicenses(ctx, f.adminPrincipal(), sam.ID)
		if err != nil || len(l.Licenses) != 2 {
			t.Fatalf("licenses %+v %v, want two", l, err)
		}
		for _, x := range l.Licenses {
			if x.ProductID == se.ID && len(x.DisabledServicePlans) != 1 {
				t.Errorf("Social Engagement plans off %v, want Publishing", x.DisabledServicePlans)
			}
		}
		p = b.get(path)
		if !checkedRE(se.ID).MatchString(p.body) || !checkedRE(ce.ID).MatchString(p.body) {
			t.Fatalf("saved licenses are not checked\n%s", p.body)
		}
		wantContains(t, b.get("/billing/licenses"), `<td class="num" data-col="assigned">1</td>`)

		// No seats left: the error is shown and nothing changes.
		p = b.postForm("/users/"+string(f.admin)+"/licenses", "/users/"+string(f.admin)+"/licenses", url.Values{"product": {se.ID, ce.ID},
			"plan-" + se.ID: {se.ServicePlans[0].ID, se.ServicePlans[1].ID}})
		wantStatus(t, p, http.StatusConflict)
		wantContains(t, p, `role="alert"`, "no Customer Engagement licenses are available; buy more seats or free one")
		if got := f.licensesOf(f.admin); len(got) != 1 {
			t.Fatalf("admin licenses %v after a refused save", got)
		}

		// A user without a usage location: the message with a link to edit them.
		f.clearUsageLocation(f.member)
		mia := "/users/" + string(f.member.ID) + "/licenses"
		p = b.postForm(mia, mia, url.Values{"product": {se.ID}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, "set the user&#39;s usage location before assigning licenses", `href="/users/`+string(f.member.ID)+`#f-usage_location">Edit Mia Member to set it</a>`)
		if got := f.licensesOf(f.member.ID); len(got) != 0 {
			t.Fatalf("mia got licenses %v without a usage location", got)
		}

		// Readers see the toggles disabled, and cannot save.
		f.newUser("gina", "Gina Reader", "US", access.GlobalReader)
		g := f.browser()
		g.signIn("gina@contoso.atrium.localhost", memberPassword, false)
		p = g.get(path)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, " disabled>")
		wantNotContains(t, p, "Save licenses")
		wantStatus(t, g.postForm(path, path, url.Values{}), http.StatusForbidden)
		if got := f.licensesOf(sam.ID); len(got) != 2 {
			t.Fatalf("a reader changed licenses: %v", got)
		}
	})
}

// socialData creates app data as u: 3 alerts, 2 settings, 1 stream and 2 topics.
func (f *fixture) socialData(p *access.Principal) {
	f.t.Helper()
	ctx := context.Background()
	s := app.Need[*social.Service](f.m.Kernel)
	for i := range 3 {
		if _, err := s.CreateAlert(ctx, p, social.Alert{Name: fmt.Sprintf("Alert %d", i), Query: "contoso"}); err != nil {
			f.t.Fatal(err)
		}
	}
	for i := range 2 {
		if err := s.PutSetting(ctx, p, social.Setting{Name: fmt.Sprintf("setting%d", i), Value: "on"}); err != nil {
			f.t.Fatal(err)
		}
		if _, err := s.CreateTopic(ctx, p, social.SearchTopic{Name: fmt.Sprintf("Topic %d", i), Keywords: "contoso"}); err != nil {
			f.t.Fatal(err)
		}
	}
	if _, err := s.CreateStream(ctx, p, social.Stream{Name: "Mentions", Query: "@contoso"}); err != nil {
		f.t.Fatal(err)
	}
}

// socialCounts is what the Social Engagement cleaner would delete for user.
func (f *fixture) socialCounts(user atrium.UserID) map[string]int {
	f.t.Helper()
	counts, err := social.Holdings(context.Background(), f.m.DB.Read(), f.org, user)
	if err != nil {
		f.t.Fatal(err)
	}
	return counts
}

func TestLicenseRemovalConfirmation(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		se := f.product("SOCIAL_ENGAGEMENT")
		sam := f.newUser("sam", "Sam Seat", "DE")
		f.setLicenses(sam.ID, se.ID)
		f.socialData(f.principalOf(sam))
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		path := "/users/" + string(sam.ID) + "/licenses"

		// Unchecking the product asks first and lists exactly what goes.
		p := b.postForm(path, path, url.Values{})
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Remove Social Engagement from Sam Seat?",
			"<li>Social Engagement: 3 alerts, 2 settings, 1 stream will be deleted; 2 search topics are kept.</li>",
			`name="confirm" value="1"`, ">Remove licenses and delete the data</button>", `href="`+path+`" class="button secondary">Cancel</a>`)
		if got := f.licensesOf(sam.ID); len(got) != 1 {
			t.Fatalf("the confirmation page removed the license: %v", got)
		}
		if c := f.socialCounts(sam.ID); c["alerts"] != 3 || c["settings"] != 2 || c["streams"] != 1 {
			t.Fatalf("the confirmation page deleted data: %v", c)
		}
		if n := f.pool(se.ID).Assigned; n != 2 {
			t.Fatalf("assigned %d before confirming, want 2", n)
		}

		// Confirming applies it: the license, the seat and the data go; topics stay.
		m := csrfRE.FindStringSubmatch(p.body)
		p = b.post(path, url.Values{"csrf_token": {htmlUnescape(m[1])}, "confirm": {"1"}})
		wantStatus(t, p, http.StatusSeeOther)
		if got := f.licensesOf(sam.ID); len(got) != 0 {
			t.Fatalf("licenses %v after confirming", got)
		}
		c := f.socialCounts(sam.ID)
		if c["alerts"] != 0 || c["settings"] != 0 || c["streams"] != 0 || c["search_topics_kept"] != 2 {
			t.Fatalf("after removal: %v, want the data gone and 2 topics kept", c)
		}
		if n := f.pool(se.ID).Assigned; n != 1 {
			t.Fatalf("assigned %d after removal, want 1", n)
		}

		// Swapping for the preview of the same app loses nothing: no confirmation.
		preview := f.product("SOCIAL_ENGAGEMENT_MARKET_INSIGHTS")
		f.order(preview.ID, 2)
		f.setLicenses(sam.ID, se.ID)
		p = b.postForm(path, path, url.Values{"product": {preview.ID}, "plan-" + preview.ID: {preview.ServicePlans[0].ID}})
		wantStatus(t, p, http.StatusSeeOther)
		if got := f.licensesOf(sam.ID); len(got) != 1 || got[0] != preview.ID {
			t.Fatalf("licenses %v, want the preview only", got)
		}
	})
}

func TestBulkLicenses(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		se := f.product("SOCIAL_ENGAGEMENT")
		u1 := f.newUser("una", "Una One", "US")
		u2 := f.newUser("tom", "Tom Two", "FR")
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		list := b.get("/users")
		wantContains(t, list, `action="/users/licenses/bulk"`, `name="user" value="`+string(u1.ID)+`"`, `<button type="submit" name="action" value="assign">Assign</button>`,
			`href="/users/licenses/upload"`)

		// Assign to three: Mia has no usage location, the others succeed.
		f.clearUsageLocation(f.member)
		p := b.postForm("/users", "/users/licenses/bulk", url.Values{"user": {string(u1.ID), string(u2.ID), string(f.member.ID)},
			"product_id": {se.ID}, "action": {"assign"}})
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Licenses assigned", "Social Engagement: 2 succeeded, 1 failed.", "Una One", "Tom Two",
			"Mia Member", "set the user&#39;s usage location before assigning licenses")
		if len(f.licensesOf(u1.ID)) != 1 || len(f.licensesOf(u2.ID)) != 1 || len(f.licensesOf(f.member.ID)) != 0 {
			t.Fatal("bulk assign did not give exactly Una and Tom a license")
		}

		// Nothing selected: the error on the list.
		p = b.postForm("/users", "/users/licenses/bulk", url.Values{"product_id": {se.ID}, "action": {"assign"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, "Select at least one user.")
		wantNotContains(t, p, "user: ")

		// A CSV upload removes: by username, by id, and a line naming nobody. The removal
		// asks first, since both lose the app.
		f.socialData(f.principalOf(u1))
		csv := "username\nuna@contoso.atrium.localhost\n" + string(u2.ID) + "\nnobody\n"
		p = b.upload("/users/licenses/upload", map[string]string{"product_id": se.ID, "action": "remove"}, csv)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Remove Social Engagement from 2 users?", "2 of them lose access to Social Engagement",
			"Social Engagement: 3 alerts, 2 settings, 1 stream will be deleted; 2 search topics are kept.", `name="missing" value="nobody"`)
		if len(f.licensesOf(u1.ID)) != 1 {
			t.Fatal("the upload removed licenses before confirming")
		}
		m := csrfRE.FindStringSubmatch(p.body)
		confirm := url.Values{"csrf_token": {htmlUnescape(m[1])}, "confirm": {"1"}, "product_id": {se.ID}, "action": {"remove"},
			"user": {string(u1.ID), string(u2.ID)}, "missing": {"nobody"}}
		p = b.post("/users/licenses/bulk", confirm)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Licenses removed", "Social Engagement: 2 succeeded, 1 failed.", "nobody", "no user of your organization has this username or id")
		if len(f.licensesOf(u1.ID)) != 0 || len(f.licensesOf(u2.ID)) != 0 {
			t.Fatal("licenses remain after the confirmed bulk removal")
		}
		if c := f.socialCounts(u1.ID); c["alerts"] != 0 {
			t.Fatalf("Una's alerts remain: %v", c)
		}

		// Too many lines are refused beside the file field.
		var big strings.Builder
		for i := range licensing.BulkMaxUsers + 1 {
			fmt.Fprintf(&big, "user%d\n", i)
		}
		p = b.upload("/users/licenses/upload", map[string]string{"product_id": se.ID, "action": "assign"}, big.String())
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-file-error">has more than 1000 users; split it into several files<`)

		// A member may not do any of it.
		mia := f.browser()
		mia.signIn("mia@contoso.atrium.localhost", memberPassword, false)
		wantStatus(t, mia.get("/users/licenses/upload"), http.StatusForbidden)
		wantStatus(t, mia.postForm("/", "/users/licenses/bulk", url.Values{"user": {string(u1.ID)}, "product_id": {se.ID}, "action": {"assign"}}), http.StatusForbidden)
		if len(f.licensesOf(u1.ID)) != 0 {
			t.Fatal("a member assigned a license")
		}
	})
}

// upload posts a multipart form with a CSV file, with the CSRF token of the form page.
func (b *browser) upload(path string, fields map[string]string, file string) page {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("csrf_token", b.csrf(path))
	for k, v := range fields {
		w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("file", "users.csv")
	fw.Write([]byte(file))
	w.Close()
	req, _ := http.NewRequest("POST", b.base+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Origin", b.base)
	return b.do(req)
}

// operatorPrincipal is the operator organization's administrator.
func (f *fixture) operatorPrincipal() *access.Principal {
	f.t.Helper()
	c, err := f.m.Directory.CredentialsByUsername(context.Background(), "admin@operator.atrium.localhost")
	if err != nil {
		f.t.Fatal(err)
	}
	return &access.Principal{UserID: c.User, Org: c.Org, Name: c.Username, Grants: []access.Grant{{Role: access.OperatorAdmin, Scope: access.OrgScope(c.Org)}}}
}

var invoiceLinkRE = regexp.MustCompile(`<a href="/billing/invoices/([^"]+)">([0-9]{4}-[0-9]{6})</a>`)

func TestInvoicePages(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		ce := f.product("CUSTOMER_ENGAGEMENT")
		for range 3 {
			f.order(ce.ID, 2)
		}
		// Each order issued its first invoice; the hourly run has none left to issue.
		if n, err := f.m.Licensing.IssueInvoices(ctx); err != nil || n != 0 {
			t.Fatalf("the hourly run issued %d invoices (%v), want none", n, err)
		}
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.get("/billing/invoices?limit=2")
		wantStatus(t, p, http.StatusOK)
		first := invoiceLinkRE.FindAllStringSubmatch(p.body, -1)
		if len(first) != 2 {
			t.Fatalf("%d invoices on the first page, want 2\n%s", len(first), p.body)
		}
		wantContains(t, p, "$130.00", `rel="next"`, "Open")
		next := nextRE.FindStringSubmatch(p.body)
		p = b.get(htmlUnescape(next[1]))
		rest := invoiceLinkRE.FindAllStringSubmatch(p.body, -1)
		if len(rest) != 1 || rest[0][1] == first[0][1] || rest[0][1] == first[1][1] {
			t.Fatalf("second page %v, want the third invoice", rest)
		}
		wantNotContains(t, p, `rel="next"`)

		id, number := first[0][1], first[0][2]
		p = b.get("/billing/invoices/" + id)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Invoice "+number, "Customer Engagement, ", `<td class="num">2</td>`, "65.00", `id="invoice-total">$130.00<`,
			`href="/api/v1/invoices/`+id+`?format=csv"`, `href="/api/v1/invoices/`+id+`?format=html"`)
		wantNotContains(t, p, "Mark paid", "Void")
		csv := b.get("/api/v1/invoices/" + id + "?format=csv")
		wantStatus(t, csv, http.StatusOK)
		wantContains(t, csv, number+",seats,", "130.00,USD")
		printable := b.get("/api/v1/invoices/" + id + "?format=html")
		wantStatus(t, printable, http.StatusOK)
		wantContains(t, printable, number, "Contoso")

		// Tenant admins cannot mark invoices; operators can, after confirming.
		wantStatus(t, b.get("/billing/invoices/"+id+"/paid"), http.StatusForbidden)
		wantStatus(t, b.postForm("/billing/invoices/"+id, "/billing/invoices/"+id+"/paid", nil), http.StatusForbidden)
		op := f.browser()
		op.signIn("admin@operator.atrium.localhost", operatorPassword, false)
		wantContains(t, op.get("/organizations?q=cont"), `href="/organizations/`+string(f.org)+`/invoices"`)
		p = op.get("/organizations/" + string(f.org) + "/invoices")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Invoices of Contoso", number)
		p = op.get("/billing/invoices/" + id)
		wantContains(t, p, `href="/billing/invoices/`+id+`/paid"`, `href="/billing/invoices/`+id+`/void"`, "Contoso")
		wantContains(t, op.get("/billing/invoices/"+id+"/paid"), "Mark invoice "+number+" paid?", "Contoso paid $130.00")
		inv, _ := f.m.Licensing.Invoice(ctx, f.adminPrincipal(), id)
		if inv.State != licensing.InvoiceOpen {
			t.Fatal("the confirmation page changed the invoice")
		}
		wantStatus(t, op.postForm("/billing/invoices/"+id+"/paid", "/billing/invoices/"+id+"/paid", nil), http.StatusSeeOther)
		if inv, _ := f.m.Licensing.Invoice(ctx, f.adminPrincipal(), id); inv.State != licensing.InvoicePaid {
			t.Fatalf("invoice state %s, want paid", inv.State)
		}
		void := "/billing/invoices/" + first[1][1] + "/void"
		wantStatus(t, op.postForm(void, void, nil), http.StatusSeeOther)
		p = op.postForm(void, void, nil)
		wantStatus(t, p, http.StatusConflict)
		wantContains(t, p, "only open invoices can be marked paid or void")
		wantContains(t, b.get("/billing/invoices"), "Paid", "Void")
	})
}

func TestSocialAppLicenseGate(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		mia := f.browser()
		mia.signIn("mia@contoso.atrium.localhost", memberPassword, false)
		p := mia.get("/apps/social")
		wantStatus(t, p, http.StatusForbidden)
		wantContains(t, p, "A license is needed", "you need a license that includes social; ask your administrator")
		p = mia.postForm("/", "/apps/social/alert", url.Values{"alert_name": {"Mine"}, "alert_query": {"x"}})
		wantStatus(t, p, http.StatusForbidden)
		wantContains(t, p, "A license is needed")
		wantContains(t, mia.get("/"), "You have no licensed apps")

		// The admin holds the trial license.
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		wantContains(t, b.get("/"), `<a href="/apps/social">Social Engagement</a>`)
		p = b.get("/apps/social")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "My settings", "My alerts", "My streams", "Search topics of the organization")
		for kind, form := range map[string]url.Values{
			"alert":   {"alert_name": {"Launch"}, "alert_query": {"contoso launch"}},
			"setting": {"setting_name": {"digest"}, "setting_value": {"daily"}},
			"stream":  {"stream_name": {"Mentions"}, "stream_query": {"@contoso"}},
			"topic":   {"topic_name": {"Brand"}, "topic_keywords": {"contoso"}},
		} {
			wantStatus(t, b.postForm("/apps/social", "/apps/social/"+kind, form), http.StatusSeeOther)
		}
		p = b.get("/apps/social")
		wantContains(t, p, "Launch", "digest", "daily", "Mentions", "Brand")
		if c := f.socialCounts(f.admin); c["alerts"] != 1 || c["settings"] != 1 || c["streams"] != 1 || c["search_topics_kept"] != 1 {
			t.Fatalf("social data %v, want one of each", c)
		}
		p = b.postForm("/apps/social", "/apps/social/alert", url.Values{"alert_name": {""}, "alert_query": {"x"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-alert_name-error">is required, at most 128 characters<`, `value="x"`)
	})
}

func TestLicensesPageAndCatalog(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		se := f.product("SOCIAL_ENGAGEMENT")
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.get("/billing/licenses")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, `<tr id="lic-`+se.ID+`">`, `data-col="purchased">10<`, `data-col="assigned">1<`, `data-col="available">9<`)
		wantNotContains(t, p, "Only a few")

		// At 10% available the page warns.
		for i := range 8 {
			u := f.newUser(fmt.Sprintf("seat%d", i), fmt.Sprintf("Seat %d", i), "US")
			f.setLicenses(u.ID, se.ID)
		}
		p = b.get("/billing/licenses")
		wantContains(t, p, `data-col="available">1<`, "Only a few Social Engagement licenses are left", `<span class="badge bad">Low</span>`)

		// The catalog is operator staff's.
		wantStatus(t, b.get("/catalog"), http.StatusForbidden)
		wantNotContains(t, b.get("/"), `href="/catalog"`)
		op := f.browser()
		op.signIn("admin@operator.atrium.localhost", operatorPassword, false)
		p = op.get("/catalog")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Social Engagement", "$15.00", "add-on of Social Engagement", `href="/catalog/`+se.ID+`"`)

		p = op.postForm("/catalog/new", "/catalog/new", url.Values{"sku": {"bad sku"}, "kind": {"product"}, "name": {"Voice"}, "apps": {"voice"},
			"price": {"12.5.0"}, "currency": {"USD"}, "billing_period": {"monthly"}})
		wantStatus(t, p, http.StatusBadRequest)
		// Every problem at once: the price it could not read and the SKU.
		wantContains(t, p, `id="f-price-error">must be an amount such as 15.00<`, `id="f-sku-error">must be 2 to 64 upper-case letters`)
		p = op.postForm("/catalog/new", "/catalog/new", url.Values{"sku": {"bad sku"}, "kind": {"addon"}, "parent_id": {"no-such-product"}, "name": {"Voice"},
			"apps": {"voice"}, "price": {"12.5"}, "currency": {"USD"}, "billing_period": {"monthly"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-sku-error">must be 2 to 64`, "must be the id of a product in the catalog")
		p = op.postForm("/catalog/new", "/catalog/new", url.Values{"sku": {"bad sku"}, "kind": {"product"}, "name": {"Voice"}, "apps": {"voice"},
			"price": {"12.5"}, "currency": {"USD"}, "billing_period": {"monthly"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-sku-error">must be 2 to 64 upper-case letters, digits and underscores<`)
		p = op.postForm("/catalog/new", "/catalog/new", url.Values{"sku": {"voice"}, "kind": {"product"}, "name": {"Voice"}, "apps": {"voice, calls"},
			"price": {"12.5"}, "currency": {"usd"}, "billing_period": {"yearly"}, "service_plans": {"Calls\nVoicemail\n"}, "trial_available": {"1"}})
		wantStatus(t, p, http.StatusSeeOther)
		voice := f.product("VOICE")
		if voice.PriceMinor != 1250 || voice.Currency != "USD" || voice.BillingPeriod != licensing.Yearly || !voice.TrialAvailable ||
			len(voice.ServicePlans) != 2 || len(voice.Apps) != 2 {
			t.Fatalf("created %+v", voice)
		}

		edit := "/catalog/" + se.ID
		p = op.get(edit)
		wantContains(t, p, `value="15.00"`, `name="trial_available" value="1" checked`)
		wantStatus(t, op.postForm(edit, edit, url.Values{"name": {"Social Engagement"}, "description": {"Listen."}, "price": {"19.99"}}), http.StatusSeeOther)
		got, err := f.m.Licensing.Product(ctx, se.ID)
		if err != nil || got.PriceMinor != 1999 || got.TrialAvailable || got.Description != "Listen." {
			t.Fatalf("after edit %+v %v", got, err)
		}
		p = op.postForm(edit, edit, url.Values{"name": {""}, "price": {"1"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-name-error">is required, at most 128 characters<`)
	})
}

func TestLicensingCSRF(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		se := f.product("SOCIAL_ENGAGEMENT")
		sub := f.order(se.ID, 2)
		sam := f.newUser("sam", "Sam Seat", "DE")
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		sid := "/billing/subscriptions/" + sub.ID
		for _, c := range []struct {
			path string
			form url.Values
		}{
			{"/billing/purchase", url.Values{"product_id": {se.ID}, "quantity": {"1"}}},
			{sid + "/quantity", url.Values{"quantity": {"5"}}},
			{sid + "/cancel", nil},
			{sid + "/partner", url.Values{"partner_domain": {"operator.atrium.localhost"}}},
			{"/users/" + string(sam.ID) + "/licenses", url.Values{"product": {se.ID}}},
			{"/users/licenses/bulk", url.Values{"user": {string(sam.ID)}, "product_id": {se.ID}, "action": {"assign"}}},
			{"/apps/social/alert", url.Values{"alert_name": {"x"}, "alert_query": {"y"}}},
			{"/catalog/new", url.Values{"sku": {"X_Y"}}},
			{"/users/licenses/upload", url.Values{"product_id": {se.ID}, "action": {"assign"}}},
		} {
			if c.form == nil {
				c.form = url.Values{}
			}
			c.form.Set("csrf_token", "forged")
			p := b.post(c.path, c.form)
			if p.status != http.StatusForbidden || !strings.Contains(p.body, "security token") {
				t.Errorf("POST %s without a valid token: status %d", c.path, p.status)
			}
		}
		got := f.subscription(sub.ID)
		if got.Quantity != 2 || got.CancelAtPeriodEnd || got.PartnerOrg != "" || f.pool(se.ID).Purchased != 12 || len(f.licensesOf(sam.ID)) != 0 {
			t.Fatalf("state changed by forged posts: %+v, pool %+v", got, f.pool(se.ID))
		}
		if c := f.socialCounts(f.admin); c["alerts"] != 0 {
			t.Fatal("a forged post created an alert")
		}
	})
}

func TestTrialConversionForm(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		subs, _, err := f.m.Licensing.Subscriptions(context.Background(), f.adminPrincipal(), licensing.ListQuery{})
		if err != nil || len(subs) != 1 || !subs[0].Trial {
			t.Fatalf("sign-up trial = %+v, %v", subs, err)
		}
		path := "/billing/subscriptions/" + subs[0].ID + "/trial-conversion"
		member := f.browser()
		member.signIn("mia@contoso.atrium.localhost", memberPassword, false)
		wantStatus(t, member.post(path, url.Values{"csrf_token": {member.csrf("/")}, "convert": {"1"}}), http.StatusForbidden)
		if f.subscription(subs[0].ID).ConvertAtTrialEnd {
			t.Fatal("a member marked the trial for conversion")
		}
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		wantContains(t, b.get("/billing/purchase"), "Convert to paid at trial end")
		wantStatus(t, b.postForm("/billing/purchase", path, url.Values{"convert": {"1"}}), http.StatusSeeOther)
		if !f.subscription(subs[0].ID).ConvertAtTrialEnd {
			t.Fatal("the trial is not marked for conversion")
		}
		wantContains(t, b.get("/billing/purchase"), "becomes a paid subscription of 10 seats", "Let the trial expire instead")
		// Letting it expire asks first, saying what the end takes, like a cancellation.
		ask := b.postForm("/billing/purchase", path, url.Values{"convert": {"0"}})
		wantStatus(t, ask, http.StatusOK)
		wantContains(t, ask, "Let the Social Engagement trial expire?", "Let the trial expire", "Keep the conversion", `name="confirmed" value="1"`)
		if !f.subscription(subs[0].ID).ConvertAtTrialEnd {
			t.Fatal("the conversion was taken back before the confirmation")
		}
		wantStatus(t, b.postForm("/billing/purchase", path, url.Values{"convert": {"0"}, "confirmed": {"1"}}), http.StatusSeeOther)
		if f.subscription(subs[0].ID).ConvertAtTrialEnd {
			t.Fatal("the conversion was not taken back")
		}
	})
}

func TestSignUpWizardTrialAddons(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		b := f.browser()
		// Only add-ons with a trial available are offered.
		p := b.get("/signup")
		wantContains(t, p, "30-day trial of Social Engagement")
		wantNotContains(t, p, `name="addons" value="SOCIAL_ENGAGEMENT_POST_QUOTA"`)
		quota := f.product("SOCIAL_ENGAGEMENT_POST_QUOTA")
		yes := true
		if _, err := f.m.Licensing.UpdateProduct(ctx, f.operatorPrincipal(), quota.ID, licensing.ProductPatch{TrialAvailable: &yes}); err != nil {
			t.Fatal(err)
		}
		wantContains(t, b.get("/signup"), "30-day trial of Social Engagement", `name="addons" value="SOCIAL_ENGAGEMENT_POST_QUOTA"`, "Your country")
		step1 := url.Values{"step": {"1"}, "organization_name": {"Fabrikam"}, "domain_prefix": {"fabrikam"}, "seats": {"6"},
			"usage_location": {"DE"}, "addons": {"SOCIAL_ENGAGEMENT_POST_QUOTA"}}
		p = b.post("/signup", step1)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, `name="addons" value="SOCIAL_ENGAGEMENT_POST_QUOTA"`, `name="usage_location" value="DE"`)
		final := url.Values{"step": {"2"}, "admin_display_name": {"Fay"}, "admin_username": {"fay"}, "admin_password": {"Fay-Pass-1"},
			"contact_email": {"fay@example.com"}}
		for k, v := range step1 {
			if k != "step" {
				final[k] = v
			}
		}
		// An add-on that is not on offer sends the person back to step one with the error.
		bad := url.Values{}
		for k, v := range final {
			bad[k] = v
		}
		bad["addons"] = []string{"NOT_AN_ADDON"}
		p = b.post("/signup", bad)
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, "is not an add-on of Social Engagement that can be tried", `name="step" value="1"`)

		wantStatus(t, b.post("/signup", final), http.StatusSeeOther)
		if _, err := f.m.Queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		c, err := f.m.Directory.CredentialsByUsername(ctx, "fay@fabrikam.atrium.localhost")
		if err != nil {
			t.Fatal(err)
		}
		fay := &access.Principal{UserID: c.User, Org: c.Org, Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(c.Org)}}}
		subs, _, err := f.m.Licensing.Subscriptions(ctx, fay, licensing.ListQuery{})
		if err != nil || len(subs) != 2 {
			t.Fatalf("trial subscriptions = %+v, %v; want the product and the add-on", subs, err)
		}
		u, err := f.m.Directory.GetUserUnchecked(ctx, c.Org, c.User)
		if err != nil || u.UsageLocation != "DE" {
			t.Fatalf("admin usage location = %q, %v", u.UsageLocation, err)
		}
		apps, err := f.m.Licensing.Apps(ctx, fay)
		if err != nil || len(apps) != 1 || apps[0] != "social" {
			t.Fatalf("the first administrator's apps = %v, %v", apps, err)
		}
		if held, err := f.m.Licensing.UserLicenses(ctx, fay, c.User); err != nil || len(held.Licenses) != 2 {
			t.Fatalf("the first administrator's licenses = %+v, %v; want the product and the add-on", held, err)
		}
	})
}

// TestPurchaseOnATrialAddsSeats: the review of seats bought on the sign-up trial says
// what the subscription will have afterwards, and the order does exactly that.
func TestPurchaseOnATrialAddsSeats(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		subs, _, err := f.m.Licensing.Subscriptions(context.Background(), f.adminPrincipal(), licensing.ListQuery{})
		if err != nil || len(subs) != 1 || !subs[0].Trial || subs[0].Quantity != 10 {
			t.Fatalf("sign-up trial = %+v, %v", subs, err)
		}
		trial := subs[0]
		se := f.product("SOCIAL_ENGAGEMENT")
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		review := "/billing/purchase/review?product_id=" + se.ID + "&quantity=5&subscription_id=" + trial.ID
		p := b.get(review)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "<strong>10 trial seats become 15 paid seats.</strong>", "Social Engagement: 10 trial seats now, 15 paid seats after the order",
			`id="order-total">$225.00 per month<`, `name="seats_after" value="15"`, "&amp;subscription_id="+trial.ID)
		if n := f.pool(se.ID).Purchased; n != 10 {
			t.Fatalf("the review bought seats: %d purchased", n)
		}

		// Someone adds seats meanwhile: the order is refused and reviewed again.
		form := url.Values{"product_id": {se.ID}, "quantity": {"5"}, "subscription_id": {trial.ID}, "seats_after": {"15"}}
		if _, _, err := f.m.Licensing.PlaceOrder(context.Background(), f.adminPrincipal(), licensing.OrderInput{ProductID: se.ID, SubscriptionID: trial.ID, Quantity: 1}); err != nil {
			t.Fatal(err)
		}
		p = b.postForm(review, "/billing/purchase", form)
		wantStatus(t, p, http.StatusPreconditionFailed)
		wantContains(t, p, "changed since you reviewed the order", "<strong>11 paid seats become 16 paid seats.</strong>", `name="seats_after" value="16"`)
		if got := f.subscription(trial.ID).Quantity; got != 11 {
			t.Fatalf("the refused order changed the quantity to %d", got)
		}
		form.Set("seats_after", "16")
		p = b.postForm(review, "/billing/purchase", form)
		wantStatus(t, p, http.StatusSeeOther)
		wantContains(t, b.get(p.location), "Your order was placed: 5 × Social Engagement for $75.00 per month. The subscription now has 16 paid seats.")
		if got := f.subscription(trial.ID); got.Quantity != 16 || got.Trial {
			t.Fatalf("after the order: %+v, want 16 paid seats", got)
		}
		if n := f.pool(se.ID).Purchased; n != 16 {
			t.Fatalf("pool %d, want 16", n)
		}
	})
}

// TestUnassignedProductsTickNoPlans: the licenses page ticks service plans only of the
// products the user holds; assigning a product with its checkbox alone gives all its
// plans.
func TestUnassignedProductsTickNoPlans(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		se, ce := f.product("SOCIAL_ENGAGEMENT"), f.product("CUSTOMER_ENGAGEMENT")
		f.order(ce.ID, 1)
		sam := f.newUser("sam", "Sam Seat", "DE")
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		path := "/users/" + string(sam.ID) + "/licenses"
		planBox := func(product string, plan licensing.Plan) *regexp.Regexp {
			return regexp.MustCompile(`id="plan-` + regexp.QuoteMeta(product+"-"+plan.ID) + `" name="plan-[^"]+" value="[^"]+"( checked)?`)
		}
		p := b.get(path)
		wantStatus(t, p, http.StatusOK)
		for _, prod := range []licensing.Product{se, ce} {
			for _, pl := range prod.ServicePlans {
				if m := planBox(prod.ID, pl).FindStringSubmatch(p.body); m != nil && m[1] != "" {
					t.Errorf("plan %s of %s, which Sam does not hold, is ticked", pl.Name, prod.Name)
				}
			}
		}
		wantContains(t, p, `id="plans-`+se.ID+`">Service plans: Listening, Publishing. All are turned on when the license is assigned`)

		// Ticking the product alone assigns it with every plan on.
		wantStatus(t, b.postForm(path, path, url.Values{"product": {se.ID}}), http.StatusSeeOther)
		l, err := f.m.Licensing.UserLicenses(ctx, f.adminPrincipal(), sam.ID)
		if err != nil || len(l.Licenses) != 1 || len(l.Licenses[0].DisabledServicePlans) != 0 {
			t.Fatalf("licenses = %+v, %v; want Social Engagement with every plan on", l, err)
		}

		// Held: the plans it has on are ticked, those turned off are not; the rest still ticks none.
		var publishing licensing.Plan
		for _, pl := range se.ServicePlans {
			if pl.Name == "Publishing" {
				publishing = pl
			}
		}
		if _, err := f.m.Licensing.SetUserLicenses(ctx, f.adminPrincipal(), sam.ID, []licensing.License{{ProductID: se.ID,
			DisabledServicePlans: []string{publishing.ID}}}); err != nil {
			t.Fatal(err)
		}
		p = b.get(path)
		for _, pl := range se.ServicePlans {
			m := planBox(se.ID, pl).FindStringSubmatch(p.body)
			if m == nil || (m[1] != "") != (pl.ID != publishing.ID) {
				t.Errorf("plan %s of the held Social Engagement: %q, want ticked only if on", pl.Name, m)
			}
		}
		for _, pl := range ce.ServicePlans {
			if m := planBox(ce.ID, pl).FindStringSubmatch(p.body); m != nil && m[1] != "" {
				t.Errorf("plan %s of the unassigned Customer Engagement is ticked", pl.Name)
			}
		}
	})
}

// TestCancelConfirmationListsLosses: the cancel confirmation lists, before anything
// changes, which users lose which license and what of their app data goes, and its
// buttons read "Cancel subscription" and "Keep subscription".
func TestCancelConfirmationListsLosses(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		se := f.product("SOCIAL_ENGAGEMENT")
		subs, _, err := f.m.Licensing.Subscriptions(context.Background(), f.adminPrincipal(), licensing.ListQuery{})
		if err != nil || len(subs) != 1 || !subs[0].Trial {
			t.Fatalf("sign-up trial = %+v, %v", subs, err)
		}
		trial := subs[0]
		rita := f.newUser("rita", "Rita Reyes", "US")
		f.setLicenses(rita.ID, se.ID)
		f.socialData(f.principalOf(rita))
		before := f.socialCounts(rita.ID)

		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		cancel := "/billing/subscriptions/" + trial.ID + "/cancel"
		wantContains(t, b.get("/billing/purchase"), "When the trial ends on "+trial.PeriodEnd.UTC().Format("2 Jan 2006")+", its seats go")
		p := b.get(cancel)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Cancel Social Engagement?", "then its 10 seats go",
			"2 users lose their Social Engagement license.</strong> Their app data: 3 alerts, 2 settings, 1 stream will be deleted; 2 search topics are kept.",
			`<td class="any">Ada Admin<br>`, `<td class="any">Rita Reyes<br><span class="muted">rita@contoso.atrium.localhost</span>`,
			"<td>3 alerts, 2 settings, 1 stream will be deleted; 2 search topics are kept</td>",
			`<button type="submit" class="danger">Cancel subscription</button>`,
			`class="button secondary">Keep subscription</a>`)
		wantNotContains(t, p, ">Cancel</a>")
		// The preview changed nothing.
		if got := f.socialCounts(rita.ID); fmt.Sprint(got) != fmt.Sprint(before) {
			t.Fatalf("the preview deleted app data: %v, had %v", got, before)
		}
		if got := f.licensesOf(rita.ID); len(got) != 1 {
			t.Fatalf("the preview removed Rita's license: %v", got)
		}
		if got := f.subscription(trial.ID); got.CancelAtPeriodEnd || got.State != licensing.StateTrial {
			t.Fatalf("the preview changed the subscription: %+v", got)
		}

		// Seats of another subscription cover one of the two licenses: only the most recent goes.
		f.order(se.ID, 1)
		p = b.get(cancel)
		wantContains(t, p, "1 seat of Social Engagement on your other subscriptions remains.", "1 user loses their Social Engagement license.</strong>",
			`<td class="any">Rita Reyes<br>`)
		wantNotContains(t, p, `<td class="any">Ada Admin<br>`)

		wantStatus(t, b.postForm(cancel, cancel, nil), http.StatusSeeOther)
		if !f.subscription(trial.ID).CancelAtPeriodEnd {
			t.Fatal("confirming did not cancel")
		}
	})
}
