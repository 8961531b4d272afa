package licensing_test

import (
	"context"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// trialOrg signs up an organization with a trial of seats seats of the default product,
// provisions it and returns its Global administrator and the trial subscription.
func (e *env) trialOrg(t *testing.T, prefix string, seats int, addons ...string) (*access.Principal, licensing.Subscription) {
	t.Helper()
	ctx := context.Background()
	res, err := e.dir.Signup(ctx, directory.SignupInput{OrganizationName: "Org " + prefix, DomainPrefix: prefix, AdminDisplayName: "Admin " + prefix,
		AdminUsername: "admin", AdminPassword: "Correct-Horse-9", ContactEmail: "admin@" + prefix + ".example", Seats: seats, Addons: addons})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.queue.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	admin := &access.Principal{UserID: res.Admin.ID, Org: res.Organization.ID, Name: res.Admin.Username,
		Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(res.Organization.ID)}}}
	subs, _, err := e.lic.Subscriptions(ctx, admin, licensing.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	def := e.product(t, "SOCIAL_ENGAGEMENT")
	for _, s := range subs {
		if s.ProductID == def.ID {
			return admin, s
		}
	}
	t.Fatalf("no trial of %s: %+v", def.Name, subs)
	return nil, licensing.Subscription{}
}

// TestBuyingOnATrialAddsSeats: seats bought on a trial are added to the trial's seats,
// which all become paid; the plan the review shows is what the order does.
func TestBuyingOnATrialAddsSeats(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		admin, trial := e.trialOrg(t, "fifty", 50)
		def := e.product(t, "SOCIAL_ENGAGEMENT")
		in := licensing.OrderInput{ProductID: def.ID, SubscriptionID: trial.ID, Quantity: 10}

		plan, err := e.lic.PlanOrder(ctx, admin, in)
		if err != nil {
			t.Fatal(err)
		}
		if plan.SeatsBefore != 50 || !plan.TrialBefore || plan.SeatsAfter != 60 || plan.ChargedSeats != 60 ||
			plan.TotalMinor != 60*def.PriceMinor || plan.Summary != "50 trial seats become 60 paid seats" {
			t.Fatalf("plan = %+v; want 50 trial seats to become 60 paid seats", plan)
		}
		if c := count(t, e, admin, def.ID); c.Purchased != 50 {
			t.Fatalf("planning bought seats: %+v", c)
		}
		// The review's number is checked: an order expecting another outcome buys nothing.
		stale := in
		stale.SeatsAfter = 55
		if _, _, err := e.lic.PlaceOrder(ctx, admin, stale); atrium.ErrorCode(err) != atrium.CodePreconditionFailed {
			t.Fatalf("order expecting 55 seats: %v, want precondition_failed", err)
		}
		in.SeatsAfter = plan.SeatsAfter
		sub, order, err := e.lic.PlaceOrder(ctx, admin, in)
		if err != nil {
			t.Fatal(err)
		}
		if sub.ID != trial.ID || sub.Trial || sub.State != licensing.StateActive || sub.Quantity != 60 {
			t.Fatalf("after the order: %+v; want the trial as a paid 60-seat subscription", sub)
		}
		if order.Quantity != 60 || order.TotalMinor != plan.TotalMinor || order.Summary != plan.Summary {
			t.Errorf("order = %+v; want it to bill what the plan said", order)
		}
		if c := count(t, e, admin, def.ID); c.Purchased != 60 || c.Assigned != 1 {
			t.Fatalf("pool after the order = %+v; want 60 seats, the admin's still assigned", c)
		}

		// Buying 1 seat on a trial with 3 licenses assigned adds it, whatever is assigned.
		small, trial3 := e.trialOrg(t, "three", 3)
		for _, u := range e.users(t, small, 2, "US") {
			if _, err := e.lic.SetUserLicenses(ctx, small, u, []licensing.License{{ProductID: def.ID}}); err != nil {
				t.Fatal(err)
			}
		}
		plan, err = e.lic.PlanOrder(ctx, small, licensing.OrderInput{ProductID: def.ID, SubscriptionID: trial3.ID, Quantity: 1})
		if err != nil || plan.Summary != "3 trial seats become 4 paid seats" {
			t.Fatalf("plan = %+v, %v", plan, err)
		}
		sub, _, err = e.lic.PlaceOrder(ctx, small, licensing.OrderInput{ProductID: def.ID, SubscriptionID: trial3.ID, Quantity: 1})
		if err != nil || sub.Quantity != 4 || sub.Trial {
			t.Fatalf("buying 1 seat on a full 3-seat trial = %+v, %v; want 4 paid seats", sub, err)
		}
		if c := count(t, e, small, def.ID); c.Purchased != 4 || c.Assigned != 3 {
			t.Fatalf("pool = %+v; want 4 seats, 3 assigned", c)
		}

		// On a paid subscription the seats are added too.
		plan, err = e.lic.PlanOrder(ctx, small, licensing.OrderInput{ProductID: def.ID, SubscriptionID: trial3.ID, Quantity: 2})
		if err != nil || plan.Summary != "4 paid seats become 6 paid seats" || plan.ChargedSeats != 2 {
			t.Fatalf("plan on a paid subscription = %+v, %v", plan, err)
		}
		plan, err = e.lic.PlanOrder(ctx, small, licensing.OrderInput{ProductID: def.ID, Quantity: 1})
		if err != nil || plan.Summary != "A new subscription of 1 paid seat" {
			t.Fatalf("plan of a new subscription = %+v, %v", plan, err)
		}
	})
}

// TestFirstInvoiceIssuedAtPurchase: a new subscription, and a trial bought on, have
// their first invoice when the order is placed, before any job runs.
func TestFirstInvoiceIssuedAtPurchase(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		admin, trial := e.trialOrg(t, "billed", 5)
		ce, def := e.product(t, "CUSTOMER_ENGAGEMENT"), e.product(t, "SOCIAL_ENGAGEMENT")
		invoices := func() []licensing.Invoice {
			t.Helper()
			list, _, err := e.lic.Invoices(ctx, admin, "", 10, "")
			if err != nil {
				t.Fatal(err)
			}
			return list
		}
		sub, _, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: ce.ID, Quantity: 2})
		if err != nil {
			t.Fatal(err)
		}
		list := invoices()
		if len(list) != 1 || list[0].SubscriptionID != sub.ID || list[0].TotalMinor != 2*ce.PriceMinor || !list[0].IssuedAt.Equal(e.clock.Now()) {
			t.Fatalf("invoices right after the order = %+v; want one for 2 seats, issued now", list)
		}
		if _, _, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: def.ID, SubscriptionID: trial.ID, Quantity: 1}); err != nil {
			t.Fatal(err)
		}
		if list = invoices(); len(list) != 2 || list[0].SubscriptionID != trial.ID || list[0].TotalMinor != 6*def.PriceMinor {
			t.Fatalf("invoices after buying on the trial = %+v; want one for its 6 paid seats", list)
		}
		// More seats on a paid subscription are prorated on the next invoice, not invoiced now.
		if _, _, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: ce.ID, SubscriptionID: sub.ID, Quantity: 1}); err != nil {
			t.Fatal(err)
		}
		if n, err := e.lic.IssueInvoices(ctx); err != nil || n != 0 || len(invoices()) != 2 {
			t.Fatalf("the hourly run issued %d more (%v); want none", n, err)
		}
	})
}
