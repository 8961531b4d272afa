package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/licensing"
)

// TestBuyingOnAFullTrialOverHTTP: buying 1 seat on a 3-seat trial whose 3 seats are
// assigned adds the seat (it used to answer 409 "lowering the quantity"), the trial
// becomes a paid 4-seat subscription, and its first invoice is there at once.
func TestBuyingOnAFullTrialOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		body := apptest.SignupBody("Full Trial Co", "fulltrial", "owner@fulltrial.example.com")
		body["seats"] = 3
		e.Anonymous().Do("POST", "/api/v1/signup", body).Want(http.StatusCreated)
		e.RunJobs()
		admin := e.SignIn("admin@fulltrial.atrium.localhost", apptest.Password)
		se := products(t, admin)["SOCIAL_ENGAGEMENT"]
		for _, local := range []string{"ann", "ben"} {
			u := licensedUser(admin, local)
			admin.Do("PUT", "/api/v1/users/"+string(u.ID)+"/licenses", licenseSet(se)).Want(http.StatusOK)
		}
		if c := seatCount(t, admin, se); c.Purchased != 3 || c.Assigned != 3 {
			t.Fatalf("trial pool = %+v; want 3 of 3 assigned", c)
		}
		var subs httpapi.List[licensing.Subscription]
		admin.Do("GET", "/api/v1/subscriptions", nil).Want(http.StatusOK).Decode(&subs)
		if len(subs.Items) != 1 || !subs.Items[0].Trial {
			t.Fatalf("subscriptions = %+v", subs.Items)
		}
		trial := subs.Items[0]

		var got orderResult
		admin.Do("POST", "/api/v1/orders", map[string]any{"product_id": se, "subscription_id": trial.ID, "quantity": 1}).
			Want(http.StatusCreated).Decode(&got)
		if got.ID != trial.ID || got.Trial || got.Quantity != 4 || got.Order.Quantity != 4 || got.Order.TotalMinor != 4*1500 ||
			got.Order.Summary != "3 trial seats become 4 paid seats" {
			t.Fatalf("order = %+v; want the trial as 4 paid seats", got)
		}
		if c := seatCount(t, admin, se); c.Purchased != 4 || c.Assigned != 3 || c.Available != 1 {
			t.Errorf("pool after the order = %+v", c)
		}

		// The first invoice is issued with the order, not at the next hourly run.
		var invoices httpapi.List[licensing.Invoice]
		admin.Do("GET", "/api/v1/invoices", nil).Want(http.StatusOK).Decode(&invoices)
		if len(invoices.Items) != 1 || invoices.Items[0].SubscriptionID != trial.ID || invoices.Items[0].TotalMinor != 4*1500 {
			t.Fatalf("invoices right after the order = %+v; want one for the 4 paid seats", invoices.Items)
		}
		ce := products(t, admin)["CUSTOMER_ENGAGEMENT"]
		fresh := buy(admin, ce, 2)
		admin.Do("GET", "/api/v1/invoices", nil).Want(http.StatusOK).Decode(&invoices)
		if len(invoices.Items) != 2 || invoices.Items[0].SubscriptionID != fresh.ID || invoices.Items[0].TotalMinor != 2*6500 {
			t.Fatalf("invoices after a new subscription = %+v", invoices.Items)
		}

		// An order that expects another outcome than the subscription now gives buys nothing.
		before := licensingState(t, e)
		admin.Do("POST", "/api/v1/orders", map[string]any{"product_id": ce, "subscription_id": fresh.ID, "quantity": 1, "seats_after": 2}).
			WantProblem(http.StatusPreconditionFailed, atrium.CodePreconditionFailed)
		wantLicensingState(t, e, before, "an order expecting 2 seats after adding 1 to 2")
	})
}
