package licensing_test

import (
	"context"
	"slices"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// operator is operator staff that may edit the catalog.
var operator = &access.Principal{UserID: "op", Org: "operator-org", Grants: []access.Grant{{Role: access.OperatorAdmin, Scope: access.OrgScope("operator-org")}}}

// offerTrial makes the add-on with sku one a sign-up can try.
func (e *env) offerTrial(t *testing.T, sku string) licensing.Product {
	t.Helper()
	yes := true
	p, err := e.lic.UpdateProduct(context.Background(), operator, e.product(t, sku).ID, licensing.ProductPatch{TrialAvailable: &yes})
	if err != nil {
		t.Fatal(err)
	}
	return *p
}

// TestSignupAddonsNeedATrial: a sign-up may try only add-ons of the default product that
// have a trial available; the others are refused beside "addons" and nothing is
// written. The first administrator gets a license of each add-on tried.
func TestSignupAddonsNeedATrial(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		in := directory.SignupInput{OrganizationName: "Addon Co", DomainPrefix: "addonco", AdminDisplayName: "Ada", AdminUsername: "ada",
			AdminPassword: "Correct-Horse-9", ContactEmail: "ada@addon.example", Seats: 4, UsageLocation: "FR",
			Addons: []string{"SOCIAL_ENGAGEMENT_POST_QUOTA"}}
		// The built-in add-on has no trial: refused, and the trial offer leaves it out.
		_, err := e.dir.Signup(ctx, in)
		if ae, ok := err.(*atrium.Error); !ok || ae.Code != atrium.CodeInvalid || ae.Fields["addons"] == "" {
			t.Fatalf("an add-on without a trial: %v, want a field error on addons", err)
		}
		var orgs int
		if err := db.Read().QueryRowContext(ctx, `SELECT count(*) FROM organizations WHERE domain_prefix = 'addonco'`).Scan(&orgs); err != nil || orgs != 0 {
			t.Fatalf("a refused sign-up left %d organizations (%v)", orgs, err)
		}
		if _, addons, err := e.lic.TrialOffer(ctx); err != nil || len(addons) != 0 {
			t.Fatalf("trial offer add-ons = %+v, %v; want none without a trial", addons, err)
		}
		// A product is not an add-on, even with a trial.
		in.Addons = []string{"CUSTOMER_ENGAGEMENT"}
		if _, err := e.dir.Signup(ctx, in); atrium.ErrorCode(err) != atrium.CodeInvalid {
			t.Fatalf("a product as an add-on: %v, want invalid", err)
		}

		quota := e.offerTrial(t, "SOCIAL_ENGAGEMENT_POST_QUOTA")
		if _, addons, err := e.lic.TrialOffer(ctx); err != nil || len(addons) != 1 || addons[0].ID != quota.ID {
			t.Fatalf("trial offer add-ons = %+v, %v; want the post quota", addons, err)
		}
		in.Addons = []string{"social_engagement_post_quota"}
		res, err := e.dir.Signup(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		admin := &access.Principal{UserID: res.Admin.ID, Org: res.Organization.ID, Name: res.Admin.Username,
			Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(res.Organization.ID)}}}
		held, err := e.lic.UserLicenses(ctx, admin, res.Admin.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range held.Licenses {
			got = append(got, l.ProductID)
		}
		def := e.product(t, "SOCIAL_ENGAGEMENT")
		want := []string{def.ID, quota.ID}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("first administrator's licenses = %v; want the product and the add-on", held.Licenses)
		}
		if c := count(t, e, admin, quota.ID); c.Purchased != 4 || c.Assigned != 1 {
			t.Errorf("add-on pool = %+v; want 4 trial seats, the admin's assigned", c)
		}
	})
}
