package web_test

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"testing"

	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/licensing"
)

var (
	subscriptionRE = regexp.MustCompile(`<section class="card subscription" id="sub-([^"]+)"`)
	customerRE     = regexp.MustCompile(`<h2 id="cust-([^"]+)">`)
)

// TestLicensingPagesLinkNextPage: the purchase page and the partner's customers page
// show their subscriptions a page at a time, each once, with a link to the next page.
func TestLicensingPagesLinkNextPage(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		ce := f.product("CUSTOMER_ENGAGEMENT")
		var named []string
		for range 5 {
			named = append(named, f.order(ce.ID, 1).ID)
		}
		subs, next, err := f.m.Licensing.Subscriptions(ctx, f.adminPrincipal(), licensing.ListQuery{Limit: 200})
		if err != nil || next != "" {
			t.Fatalf("subscriptions: %v, next %q", err, next)
		}
		var want []string
		for _, s := range subs {
			want = append(want, s.ID)
		}
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		if got := walkPages(t, b, "/billing/purchase?limit=2", subscriptionRE); !slices.Equal(got, want) {
			t.Errorf("purchase pages show %v, want each subscription once, newest first: %v", got, want)
		}

		if _, err := f.m.Directory.Signup(ctx, directory.SignupInput{OrganizationName: "Fabrikam", DomainPrefix: "fabrikam",
			AdminDisplayName: "Fay", AdminUsername: "fay", AdminPassword: "Fay-Pass-1", ContactEmail: "fay@example.com", Seats: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.m.Queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		for _, id := range named {
			if _, err := f.m.Licensing.SetPartner(ctx, f.adminPrincipal(), id, licensing.PartnerInput{PartnerDomain: "fabrikam.atrium.localhost"}); err != nil {
				t.Fatal(err)
			}
		}
		slices.Reverse(named) // newest first
		fay := f.browser()
		fay.signIn("fay@fabrikam.atrium.localhost", "Fay-Pass-1", false)
		if got := walkPages(t, fay, "/partner/customers?limit=2", customerRE); !slices.Equal(got, named) {
			t.Errorf("customers pages show %v, want each named subscription once: %v", got, named)
		}
		wantStatus(t, fay.get("/partner/customers?cursor=nope"), http.StatusBadRequest)
	})
}
