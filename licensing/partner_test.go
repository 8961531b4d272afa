package licensing_test

import (
	"context"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

func TestPartnerOfRecord(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		customer, partner, stranger := e.org(t, "customer"), e.org(t, "partner"), e.org(t, "stranger")
		if _, err := e.queue.RunDue(ctx); err != nil { // activate the organizations
			t.Fatal(err)
		}
		prod := e.product(t, "CUSTOMER_ENGAGEMENT")
		sub, _, err := e.lic.PlaceOrder(ctx, customer, licensing.OrderInput{ProductID: prod.ID, Quantity: 3})
		if err != nil {
			t.Fatal(err)
		}
		u := e.users(t, customer, 1, "US")[0]
		if _, err := e.lic.SetUserLicenses(ctx, customer, u, []licensing.License{{ProductID: prod.ID}}); err != nil {
			t.Fatal(err)
		}
		if list, _, err := e.lic.PartnerSubscriptions(ctx, partner, licensing.ListQuery{}); err != nil || len(list) != 0 {
			t.Fatalf("before naming the partner: %v, %v", list, err)
		}
		if _, err := e.lic.SetPartner(ctx, customer, sub.ID, licensing.PartnerInput{PartnerDomain: "customer.atrium.test"}); atrium.ErrorCode(err) != atrium.CodeInvalid {
			t.Errorf("own organization as partner: %v, want invalid", err)
		}
		userAdmin := &access.Principal{UserID: "ua", Org: customer.Org, Grants: []access.Grant{{Role: access.UserAdmin, Scope: access.OrgScope(customer.Org)}}}
		if _, err := e.lic.SetPartner(ctx, userAdmin, sub.ID, licensing.PartnerInput{PartnerDomain: "partner.atrium.test"}); atrium.ErrorCode(err) != atrium.CodeForbidden {
			t.Errorf("user admin names a partner: %v, want forbidden", err)
		}
		got, err := e.lic.SetPartner(ctx, customer, sub.ID, licensing.PartnerInput{PartnerDomain: "PARTNER.atrium.test"})
		if err != nil || got.PartnerOrg != string(partner.Org) {
			t.Fatalf("set partner = %+v, %v", got, err)
		}
		list, next, err := e.lic.PartnerSubscriptions(ctx, partner, licensing.ListQuery{})
		if err != nil || len(list) != 1 || next != "" {
			t.Fatalf("partner's list = %+v, %v", list, err)
		}
		v := list[0]
		if v.CustomerName != "Org customer" || v.Licenses.Purchased != 3 || v.Licenses.Assigned != 1 || len(v.Users) != 1 || v.Users[0].Username != "u0000@customer.atrium.test" {
			t.Errorf("partner view = %+v", v)
		}
		if _, err := e.lic.PartnerSubscription(ctx, stranger, sub.ID); atrium.ErrorCode(err) != atrium.CodeNotFound {
			t.Errorf("a stranger reads it: %v", err)
		}
		partnerHelpdesk := &access.Principal{UserID: "hd", Org: partner.Org, Grants: []access.Grant{{Role: access.HelpdeskAdmin, Scope: access.OrgScope(partner.Org)}}}
		if _, _, err := e.lic.PartnerSubscriptions(ctx, partnerHelpdesk, licensing.ListQuery{}); atrium.ErrorCode(err) != atrium.CodeForbidden {
			t.Errorf("partner helpdesk reads billing: %v", err)
		}
		one, err := e.lic.PartnerSubscription(ctx, partner, sub.ID)
		if err != nil || one.CustomerName != v.CustomerName || one.Licenses != v.Licenses || len(one.Users) != 1 {
			t.Errorf("one partner view = %+v, %v; want it as the list showed it, %+v", one, err, v)
		}
		// The list read once and the single read once, each recorded in both organizations.
		for _, org := range []atrium.OrgID{customer.Org, partner.Org} {
			for _, action := range []string{"partner.list", "partner.read"} {
				if n := auditCount(t, db, org, action); n != 1 {
					t.Errorf("%s entries in %s = %d, want 1", action, org, n)
				}
			}
		}
		if _, err := e.lic.RemovePartner(ctx, customer, sub.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.lic.PartnerSubscription(ctx, partner, sub.ID); atrium.ErrorCode(err) != atrium.CodeNotFound {
			t.Errorf("after removal the partner still reads it: %v", err)
		}
	})
}
