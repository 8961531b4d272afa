package httpapi_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/licensing"
)

func subscriptionID(s licensing.Subscription) string { return s.ID }
func partnerViewID(v licensing.PartnerView) string   { return v.Subscription.ID }

// TestSubscriptionAndPartnerListPaging: the subscription list and the partner's list
// walk every subscription once; a page of the partner's list costs the same number of
// statements however many subscriptions it holds, and writes one audit entry per
// customer on it and one for the partner.
func TestSubscriptionAndPartnerListPaging(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		big := e.Signup("Big Customer", "big")
		small := e.Signup("Small Customer", "small")
		partner := e.Signup("Partner Co", "partner")
		ce := products(t, big.Admin)["CUSTOMER_ENGAGEMENT"]
		name := func(c *apptest.Client, id string) {
			c.Do("PUT", "/api/v1/subscriptions/"+id+"/partner", map[string]any{"partner_domain": partner.Domain}).Want(http.StatusOK)
		}
		for range 8 {
			name(big.Admin, buy(big.Admin, ce, 1).ID)
		}
		holder := licensedUser(big.Admin, "holder")
		big.Admin.Do("PUT", "/api/v1/users/"+string(holder.ID)+"/licenses", licenseSet(ce)).Want(http.StatusOK)

		subs := onePage(t, big.Admin, "/api/v1/subscriptions?", subscriptionID)
		if len(subs) < 8 {
			t.Fatalf("%d subscriptions, want at least the 8 bought", len(subs))
		}
		for _, limit := range []int{1, 3, len(subs)} {
			if got := walkPages(t, big.Admin, "/api/v1/subscriptions?", limit, subscriptionID); !slices.Equal(got, subs) {
				t.Errorf("subscription pages of %d = %v, want each once %v", limit, got, subs)
			}
		}

		// No statement per subscription: a page of 2 and a page of 8 cost the same.
		path := "/api/v1/partner/subscriptions?limit="
		two := e.Queries(func() { partner.Admin.Do("GET", path+"2", nil).Want(http.StatusOK) })
		eight := e.Queries(func() { partner.Admin.Do("GET", path+"8", nil).Want(http.StatusOK) })
		if two != eight {
			t.Errorf("a page of 2 ran %d statements, a page of 8 ran %d; want the same", two, eight)
		}

		for range 3 {
			name(small.Admin, buy(small.Admin, ce, 1).ID)
		}
		want := onePage(t, partner.Admin, "/api/v1/partner/subscriptions?", partnerViewID)
		if len(want) != 11 {
			t.Fatalf("the partner sees %d subscriptions, want 11", len(want))
		}
		var views httpapi.List[licensing.PartnerView]
		partner.Admin.Do("GET", path+"200", nil).Want(http.StatusOK).Decode(&views)
		for _, v := range views.Items {
			if v.Subscription.Org == big.ID && (v.CustomerName != "Big Customer" || v.Licenses.Purchased != 8 || v.Licenses.Assigned != 1 ||
				len(v.Users) != 1 || v.Users[0].Username != holder.Username) {
				t.Errorf("big customer's view = %+v", v)
			}
		}

		entries := func() [3]int {
			var n [3]int
			for i, org := range []atrium.OrgID{big.ID, small.ID, partner.ID} {
				n[i] = e.Count("SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'partner.list'", string(org))
			}
			return n
		}
		cases := []struct {
			name  string
			limit int
			added [3]int // in big, small, partner
		}{
			// Newest first: the small customer's 3, then the big one's 8.
			{"everything at once", 200, [3]int{1, 1, 1}},
			{"pages of 3: {3 small} {3 big} {3 big} {2 big}", 3, [3]int{3, 1, 4}},
			{"pages of 5: {3 small, 2 big} {5 big} {1 big}", 5, [3]int{3, 1, 3}},
		}
		for _, tc := range cases {
			before := entries()
			got := walkPages(t, partner.Admin, "/api/v1/partner/subscriptions?", tc.limit, partnerViewID)
			if !slices.Equal(got, want) {
				t.Errorf("%s: walked %v, want each once %v", tc.name, got, want)
			}
			after := entries()
			for i := range after {
				if after[i]-before[i] != tc.added[i] {
					t.Errorf("%s: %d partner.list entries added in org %d, want %d", tc.name, after[i]-before[i], i, tc.added[i])
				}
			}
		}
		partner.Admin.Do("GET", "/api/v1/partner/subscriptions?cursor=e30", nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "cursor")
		big.Admin.Do("GET", "/api/v1/subscriptions?cursor=e30", nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "cursor")
	})
}
