package licensing_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/password"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// migrations is the whole schema, as the binary applies it.
func migrations() []store.Migration { return app.Migrations() }

// testConfig is the configuration the module tests wire with: cheap password hashing.
func testConfig() app.Config {
	cfg := app.Defaults()
	cfg.BaseDomain, cfg.PublicURL, cfg.MailFrom = "atrium.test", "http://atrium.test", "atrium@example.test"
	cfg.PasswordParams = password.TestParams
	return cfg
}

// env is one database with the modules licensing needs.
type env struct {
	db    *store.DB
	clock *atrium.ManualClock
	queue *jobs.Queue
	dir   *directory.Service
	lic   *licensing.Service
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{db: db, clock: atrium.NewManualClock(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))}
	k, err := app.NewModules(ctx, db, testConfig(), e.clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	e.queue, e.dir, e.lic = k.Queue, app.Need[*directory.Service](k), app.Need[*licensing.Service](k)
	return e
}

// org signs up an organization and returns its Global administrator's principal.
func (e *env) org(t *testing.T, prefix string) *access.Principal {
	t.Helper()
	res, err := e.dir.Signup(context.Background(), directory.SignupInput{OrganizationName: "Org " + prefix, DomainPrefix: prefix,
		AdminDisplayName: "Admin " + prefix, AdminUsername: "admin", AdminPassword: "Correct-Horse-9", ContactEmail: "admin@" + prefix + ".example", Seats: 5})
	if err != nil {
		t.Fatal(err)
	}
	return &access.Principal{UserID: res.Admin.ID, Org: res.Organization.ID, Name: res.Admin.Username,
		Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(res.Organization.ID)}}}
}

func (e *env) product(t *testing.T, sku string) licensing.Product {
	t.Helper()
	list, err := e.lic.Products(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list {
		if p.SKU == sku {
			return p
		}
	}
	t.Fatalf("no product %s", sku)
	return licensing.Product{}
}

// users adds n users with the usage location location (none when empty) to p's
// organization.
func (e *env) users(t *testing.T, p *access.Principal, n int, location string) []atrium.UserID {
	t.Helper()
	ids := make([]atrium.UserID, n)
	for i := range ids {
		u, _, err := e.dir.CreateUser(context.Background(), p, directory.UserInput{Username: fmt.Sprintf("u%04d", i),
			DisplayName: fmt.Sprintf("User %d", i), UsageLocation: location, Password: "Correct-Horse-9"})
		if err != nil {
			t.Fatal(err)
		}
		if location == "" && u.UsageLocation != "" {
			// New users get the organization's country; these have none, as users synced
			// or made before the country setting may.
			empty := ""
			if _, err := e.dir.UpdateUser(context.Background(), p, u.ID, directory.UserPatch{UsageLocation: &empty}, 0); err != nil {
				t.Fatal(err)
			}
		}
		ids[i] = u.ID
	}
	return ids
}

func count(t *testing.T, e *env, p *access.Principal, productID string) licensing.LicenseCount {
	t.Helper()
	list, err := e.lic.Licenses(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.ProductID == productID {
			return c
		}
	}
	return licensing.LicenseCount{}
}

func TestCatalogLoadedOnce(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		if err := e.lic.LoadBuiltinCatalog(context.Background()); err != nil {
			t.Fatal(err)
		}
		list, err := e.lic.Products(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		skus := map[string]licensing.Product{}
		for _, p := range list {
			skus[p.SKU] = p
		}
		if len(list) != 5 || len(skus) != 5 {
			t.Fatalf("catalog has %d products, want the 5 built-in ones: %v", len(list), skus)
		}
		se := skus["SOCIAL_ENGAGEMENT"]
		if len(se.ServicePlans) != 2 || !se.Default {
			t.Errorf("Social Engagement = %+v, want 2 plans and default", se)
		}
		if skus["SOCIAL_ENGAGEMENT_MARKET_INSIGHTS"].PreviewOf != se.ID {
			t.Errorf("Market Insights is not the preview of Social Engagement")
		}
		if skus["SOCIAL_ENGAGEMENT_POST_QUOTA"].ParentID != se.ID || skus["SOCIAL_ENGAGEMENT_POST_QUOTA"].Kind != licensing.KindAddon {
			t.Errorf("post quota is not an add-on of Social Engagement")
		}
	})
}

func TestOrderAndQuantity(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		admin := e.org(t, "contoso")
		prod := e.product(t, "CUSTOMER_ENGAGEMENT")
		sub, order, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: prod.ID, Quantity: 3})
		if err != nil {
			t.Fatal(err)
		}
		if sub.Quantity != 3 || order.TotalMinor != 3*prod.PriceMinor || order.Currency != "USD" {
			t.Fatalf("order = %+v, subscription = %+v", order, sub)
		}
		sub, _, err = e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: prod.ID, SubscriptionID: sub.ID, Quantity: 2})
		if err != nil || sub.Quantity != 5 {
			t.Fatalf("extend: %v, quantity %d", err, sub.Quantity)
		}
		users := e.users(t, admin, 4, "US")
		for _, u := range users {
			if _, err := e.lic.SetUserLicenses(ctx, admin, u, []licensing.License{{ProductID: prod.ID}}); err != nil {
				t.Fatal(err)
			}
		}
		if c := count(t, e, admin, prod.ID); c.Purchased != 5 || c.Assigned != 4 || c.Available != 1 {
			t.Fatalf("count = %+v", c)
		}
		_, err = e.lic.SetQuantity(ctx, admin, sub.ID, 3, 0)
		if atrium.ErrorCode(err) != atrium.CodeConflict {
			t.Fatalf("lowering below assigned: err = %v, want conflict", err)
		}
		if e, ok := err.(*atrium.Error); !ok || e.Fields["quantity"] != "4 licenses are assigned" {
			t.Errorf("error does not say how many are assigned: %v", err)
		}
		if c := count(t, e, admin, prod.ID); c.Purchased != 5 {
			t.Fatalf("refused decrease changed the pool: %+v", c)
		}
		if sub, err = e.lic.SetQuantity(ctx, admin, sub.ID, 4, 0); err != nil || sub.Quantity != 4 {
			t.Fatalf("lowering to assigned: %v", err)
		}
		if sub, err = e.lic.SetQuantity(ctx, admin, sub.ID, 10, sub.Version); err != nil || sub.Quantity != 10 {
			t.Fatalf("raising: %v", err)
		}
		if _, err = e.lic.SetQuantity(ctx, admin, sub.ID, 11, sub.Version-1); atrium.ErrorCode(err) != atrium.CodePreconditionFailed {
			t.Fatalf("stale version: err = %v", err)
		}
	})
}

func TestBuyingNeedsBillingRole(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		admin := e.org(t, "fabrikam")
		prod := e.product(t, "COLLABORATE")
		for _, tc := range []struct {
			role access.Role
			ok   bool
		}{{access.BillingAdmin, true}, {access.UserAdmin, false}, {access.LicenseAdmin, false}, {access.GlobalReader, false}, {access.HelpdeskAdmin, false}} {
			p := &access.Principal{UserID: "x", Org: admin.Org, Grants: []access.Grant{{Role: tc.role, Scope: access.OrgScope(admin.Org)}}}
			_, _, err := e.lic.PlaceOrder(ctx, p, licensing.OrderInput{ProductID: prod.ID, Quantity: 1})
			if (err == nil) != tc.ok || (!tc.ok && atrium.ErrorCode(err) != atrium.CodeForbidden) {
				t.Errorf("%s buys: err = %v, want ok=%v", tc.role, err, tc.ok)
			}
		}
	})
}

func TestUsageLocationRequired(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		admin := e.org(t, "northwind")
		prod := e.product(t, "SOCIAL_ENGAGEMENT")
		if _, _, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: prod.ID, Quantity: 2}); err != nil {
			t.Fatal(err)
		}
		u := e.users(t, admin, 1, "")[0]
		_, err := e.lic.SetUserLicenses(ctx, admin, u, []licensing.License{{ProductID: prod.ID}})
		if ae, ok := err.(*atrium.Error); !ok || ae.Fields["usage_location"] == "" {
			t.Fatalf("err = %v, want an error naming usage_location", err)
		}
		if c := count(t, e, admin, prod.ID); c.Assigned != 0 {
			t.Fatalf("a refused assignment took a seat: %+v", c)
		}
	})
}

// TestSeatsNeverOversold: 64 goroutines assign a 100-seat product to 500 users at once;
// exactly 100 succeed and the pool's count equals the assignment rows.
func TestSeatsNeverOversold(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		admin := e.org(t, "tailspin")
		prod := e.product(t, "SOCIAL_ENGAGEMENT")
		if _, _, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: prod.ID, Quantity: 100}); err != nil {
			t.Fatal(err)
		}
		users := e.users(t, admin, 500, "DE")
		var mu sync.Mutex
		results := map[atrium.Code]int{}
		work := make(chan atrium.UserID)
		var wg sync.WaitGroup
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for u := range work {
					_, err := e.lic.SetUserLicenses(ctx, admin, u, []licensing.License{{ProductID: prod.ID}})
					mu.Lock()
					results[atrium.ErrorCode(err)]++
					mu.Unlock()
				}
			}()
		}
		for _, u := range users {
			work <- u
		}
		close(work)
		wg.Wait()
		if results[""] != 100 || results[atrium.CodeNoSeatsAvailable] != 400 || len(results) != 2 {
			t.Fatalf("results = %v, want 100 ok and 400 no_seats_available", results)
		}
		var rows int
		if err := db.Read().QueryRowContext(ctx, `SELECT count(*) FROM license_assignments WHERE product_id = $1`, prod.ID).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if c := count(t, e, admin, prod.ID); c.Assigned != 100 || rows != 100 {
			t.Fatalf("pool says %d assigned, %d assignment rows; want 100 and 100", c.Assigned, rows)
		}
	})
}

func TestRemovalFreesSeatAtOnceAndBulk(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		admin := e.org(t, "litware")
		prod := e.product(t, "CUSTOMER_ENGAGEMENT")
		if _, _, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: prod.ID, Quantity: 2}); err != nil {
			t.Fatal(err)
		}
		users := e.users(t, admin, 3, "FR")
		res, err := e.lic.Bulk(ctx, admin, true, prod.ID, users)
		if err != nil {
			t.Fatal(err)
		}
		if !res[0].OK || !res[1].OK || res[2].OK || res[2].Code != atrium.CodeNoSeatsAvailable {
			t.Fatalf("bulk assign = %+v", res)
		}
		if _, err := e.lic.SetUserLicenses(ctx, admin, users[0], nil); err != nil {
			t.Fatal(err)
		}
		if _, err := e.lic.SetUserLicenses(ctx, admin, users[2], []licensing.License{{ProductID: prod.ID, DisabledServicePlans: []string{"CRM"}}}); err != nil {
			t.Fatalf("the freed seat is not available at once: %v", err)
		}
		got, err := e.lic.UserLicenses(ctx, admin, users[2])
		if err != nil || len(got.Licenses) != 1 || len(got.Licenses[0].DisabledServicePlans) != 1 {
			t.Fatalf("licenses = %+v, %v", got, err)
		}
		res, err = e.lic.Bulk(ctx, admin, false, prod.ID, users)
		if err != nil {
			t.Fatal(err)
		}
		if c := count(t, e, admin, prod.ID); c.Assigned != 0 {
			t.Fatalf("after bulk removal: %+v (%+v)", c, res)
		}
	})
}

func TestCancelEndsAtPeriodEnd(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		admin := e.org(t, "adatum")
		prod := e.product(t, "CUSTOMER_ENGAGEMENT")
		sub, _, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: prod.ID, Quantity: 2})
		if err != nil {
			t.Fatal(err)
		}
		u := e.users(t, admin, 1, "US")[0]
		if _, err := e.lic.SetUserLicenses(ctx, admin, u, []licensing.License{{ProductID: prod.ID}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.lic.Cancel(ctx, admin, sub.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(24 * time.Hour)
		e.queue.SchedulePeriodic(ctx)
		if _, err := e.queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if c := count(t, e, admin, prod.ID); c.Purchased != 2 || c.Assigned != 1 {
			t.Fatalf("a day after cancelling the licenses stopped working: %+v", c)
		}
		e.clock.Advance(31 * 24 * time.Hour)
		e.queue.SchedulePeriodic(ctx)
		if _, err := e.queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := e.lic.Subscription(ctx, admin, sub.ID)
		if err != nil || got.State != licensing.StateExpired {
			t.Fatalf("after the period: %+v, %v", got, err)
		}
		if c := count(t, e, admin, prod.ID); c.Purchased != 0 || c.Assigned != 0 {
			t.Fatalf("expired subscription left seats: %+v", c)
		}
	})
}

func TestTenantIsolation(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		a, b := e.org(t, "alpha"), e.org(t, "bravo")
		prod := e.product(t, "SOCIAL_ENGAGEMENT")
		subB, _, err := e.lic.PlaceOrder(ctx, b, licensing.OrderInput{ProductID: prod.ID, Quantity: 5})
		if err != nil {
			t.Fatal(err)
		}
		userB := e.users(t, b, 1, "US")[0]
		if _, err := e.lic.Subscription(ctx, a, subB.ID); atrium.ErrorCode(err) != atrium.CodeNotFound {
			t.Errorf("A reads B's subscription: %v", err)
		}
		if _, err := e.lic.SetQuantity(ctx, a, subB.ID, 1, 0); atrium.ErrorCode(err) != atrium.CodeNotFound {
			t.Errorf("A changes B's subscription: %v", err)
		}
		if _, err := e.lic.Cancel(ctx, a, subB.ID); atrium.ErrorCode(err) != atrium.CodeNotFound {
			t.Errorf("A cancels B's subscription: %v", err)
		}
		if _, _, err := e.lic.PlaceOrder(ctx, a, licensing.OrderInput{ProductID: prod.ID, SubscriptionID: subB.ID, Quantity: 1}); err == nil {
			t.Errorf("A extends B's subscription")
		}
		if _, err := e.lic.SetUserLicenses(ctx, a, userB, []licensing.License{{ProductID: prod.ID}}); atrium.ErrorCode(err) != atrium.CodeNotFound {
			t.Errorf("A assigns a license to B's user: %v", err)
		}
		if list, _ := e.lic.Licenses(ctx, a); len(list) != 0 {
			t.Errorf("A sees B's seats: %+v", list)
		}
		if c := count(t, e, b, prod.ID); c.Purchased != 5 || c.Assigned != 0 {
			t.Errorf("B's pool changed: %+v", c)
		}
	})
}

func TestSignupTrial(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		in := directory.SignupInput{OrganizationName: "Trial Co", DomainPrefix: "trialco", AdminDisplayName: "Tess", AdminUsername: "tess",
			AdminPassword: "Correct-Horse-9", ContactEmail: "tess@trial.example", Seats: 7, Addons: []string{"NOPE"}}
		if _, err := e.dir.Signup(ctx, in); atrium.ErrorCode(err) != atrium.CodeInvalid {
			t.Fatalf("unknown add-on: err = %v, want invalid", err)
		}
		var orgs int
		db.Read().QueryRowContext(ctx, `SELECT count(*) FROM organizations WHERE domain_prefix = 'trialco'`).Scan(&orgs)
		if orgs != 0 {
			t.Fatalf("a refused sign-up left an organization")
		}
		e.offerTrial(t, "SOCIAL_ENGAGEMENT_POST_QUOTA")
		in.Addons = []string{"SOCIAL_ENGAGEMENT_POST_QUOTA"}
		res, err := e.dir.Signup(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		admin := &access.Principal{UserID: res.Admin.ID, Org: res.Organization.ID, Name: res.Admin.Username,
			Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(res.Organization.ID)}}}
		subs, _, err := e.lic.Subscriptions(ctx, admin, licensing.ListQuery{})
		if err != nil || len(subs) != 2 {
			t.Fatalf("subscriptions = %+v, %v; want the trial and its add-on", subs, err)
		}
		def := e.product(t, "SOCIAL_ENGAGEMENT")
		var trial licensing.Subscription
		for _, s := range subs {
			if s.ProductID == def.ID {
				trial = s
			}
			if !s.Trial || s.State != licensing.StateTrial || s.Quantity != 7 || s.PeriodEnd.Sub(s.PeriodStart) != licensing.TrialLength {
				t.Errorf("subscription %+v is not a 7-seat 30-day trial", s)
			}
		}
		if c := count(t, e, admin, def.ID); c.Purchased != 7 || c.Assigned != 1 {
			t.Fatalf("trial pool = %+v; want 7 seats, the admin licensed", c)
		}
		// Converting: buying 3 seats on the 7-seat trial makes it a paid subscription of 10.
		converted, _, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: def.ID, SubscriptionID: trial.ID, Quantity: 3})
		if err != nil || converted.Trial || converted.State != licensing.StateActive || converted.Quantity != 10 {
			t.Fatalf("convert = %+v, %v", converted, err)
		}
		// The add-on trial, not converted, expires after 30 days.
		e.clock.Advance(licensing.TrialLength + time.Hour)
		e.queue.SchedulePeriodic(ctx)
		if _, err := e.queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		subs, _, _ = e.lic.Subscriptions(ctx, admin, licensing.ListQuery{})
		for _, s := range subs {
			want := licensing.StateExpired
			if s.ID == trial.ID {
				want = licensing.StateActive
			}
			if s.State != want {
				t.Errorf("after 30 days %s is %s, want %s", s.ProductName, s.State, want)
			}
		}
		if c := count(t, e, admin, def.ID); c.Purchased != 10 || c.Assigned != 1 {
			t.Fatalf("after conversion and expiry: %+v", c)
		}
	})
}

func TestLowSeatMailOnce(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		admin := e.org(t, "lowseat")
		prod := e.product(t, "COLLABORATE")
		sub, _, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: prod.ID, Quantity: 10})
		if err != nil {
			t.Fatal(err)
		}
		mails := func() int {
			var n int
			if err := db.Read().QueryRowContext(ctx, `SELECT count(*) FROM mail_outbox WHERE template = 'low_seats' AND to_addr = 'admin@lowseat.example'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		users := e.users(t, admin, 12, "US")
		for i, u := range users[:10] {
			if _, err := e.lic.SetUserLicenses(ctx, admin, u, []licensing.License{{ProductID: prod.ID}}); err != nil {
				t.Fatal(err)
			}
			want := 0
			if i >= 8 { // the 9th assignment leaves 1 of 10: 10%
				want = 1
			}
			if got := mails(); got != want {
				t.Fatalf("after %d assignments: %d low-seat mails, want %d", i+1, got, want)
			}
		}
		if _, err := e.lic.SetQuantity(ctx, admin, sub.ID, 12, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := e.lic.SetUserLicenses(ctx, admin, users[10], []licensing.License{{ProductID: prod.ID}}); err != nil {
			t.Fatal(err)
		}
		if got := mails(); got != 2 {
			t.Fatalf("after buying more and running low again: %d mails, want 2", got)
		}
	})
}

func TestDeleteFreesSeatsRestoreGivesThemBack(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		admin := e.org(t, "holds")
		ce, co := e.product(t, "CUSTOMER_ENGAGEMENT"), e.product(t, "COLLABORATE")
		for _, p := range []licensing.Product{ce, co} {
			if _, _, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: p.ID, Quantity: 1}); err != nil {
				t.Fatal(err)
			}
		}
		users := e.users(t, admin, 2, "US")
		if _, err := e.lic.SetUserLicenses(ctx, admin, users[0], []licensing.License{{ProductID: ce.ID}, {ProductID: co.ID}}); err != nil {
			t.Fatal(err)
		}
		if err := e.dir.DeleteUser(ctx, admin, users[0], 0); err != nil {
			t.Fatal(err)
		}
		if c := count(t, e, admin, ce.ID); c.Assigned != 0 {
			t.Fatalf("deleting did not free the seat: %+v", c)
		}
		// Someone else takes the Customer Engagement seat meanwhile.
		if _, err := e.lic.SetUserLicenses(ctx, admin, users[1], []licensing.License{{ProductID: ce.ID}}); err != nil {
			t.Fatal(err)
		}
		u, err := e.dir.RestoreUser(ctx, admin, users[0])
		if err != nil {
			t.Fatal(err)
		}
		if len(u.Notices) != 1 || !strings.Contains(u.Notices[0], "Customer Engagement") {
			t.Errorf("notices = %v, want one about Customer Engagement", u.Notices)
		}
		got, err := e.lic.UserLicenses(ctx, admin, users[0])
		if err != nil || len(got.Licenses) != 1 || got.Licenses[0].ProductID != co.ID {
			t.Fatalf("after restore: %+v, %v; want Collaborate back", got, err)
		}
		if c := count(t, e, admin, ce.ID); c.Assigned != 1 || c.Purchased != 1 {
			t.Errorf("Customer Engagement pool oversold: %+v", c)
		}
	})
}

func TestTrialConvertsAtItsEnd(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		res, err := e.dir.Signup(ctx, directory.SignupInput{OrganizationName: "Keeper", DomainPrefix: "keeper", AdminDisplayName: "Kay", AdminUsername: "kay",
			AdminPassword: "Correct-Horse-9", ContactEmail: "kay@keeper.example", Seats: 4})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		admin := &access.Principal{UserID: res.Admin.ID, Org: res.Organization.ID, Name: res.Admin.Username,
			Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(res.Organization.ID)}}}
		subs, _, err := e.lic.Subscriptions(ctx, admin, licensing.ListQuery{})
		if err != nil || len(subs) != 1 {
			t.Fatalf("subscriptions = %v, %v", subs, err)
		}
		helpdesk := &access.Principal{UserID: "h", Org: admin.Org, Grants: []access.Grant{{Role: access.HelpdeskAdmin, Scope: access.OrgScope(admin.Org)}}}
		if _, err := e.lic.SetTrialConversion(ctx, helpdesk, subs[0].ID, true); atrium.ErrorCode(err) != atrium.CodeForbidden {
			t.Fatalf("helpdesk converts: %v", err)
		}
		marked, err := e.lic.SetTrialConversion(ctx, admin, subs[0].ID, true)
		if err != nil || !marked.ConvertAtTrialEnd {
			t.Fatalf("mark = %+v, %v", marked, err)
		}
		e.clock.Advance(licensing.TrialLength + time.Hour)
		e.queue.SchedulePeriodic(ctx)
		if _, err := e.queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := e.lic.Subscription(ctx, admin, subs[0].ID)
		if err != nil || got.Trial || got.State != licensing.StateActive || got.Quantity != 4 || !got.PeriodStart.Equal(subs[0].PeriodEnd) {
			t.Fatalf("after the trial: %+v, %v; want a paid 4-seat subscription from the trial's end", got, err)
		}
		def := e.product(t, "SOCIAL_ENGAGEMENT")
		if c := count(t, e, admin, def.ID); c.Purchased != 4 || c.Assigned != 1 {
			t.Fatalf("seats after conversion: %+v", c)
		}
		if _, err := e.lic.IssueInvoices(ctx); err != nil {
			t.Fatal(err)
		}
		if invs, _, err := e.lic.Invoices(ctx, admin, "", 10, ""); err != nil || len(invs) != 1 || invs[0].TotalMinor != 4*def.PriceMinor {
			t.Fatalf("invoices after conversion = %+v, %v; want one for 4 seats", invs, err)
		}
		if _, err := e.lic.SetTrialConversion(ctx, admin, subs[0].ID, false); atrium.ErrorCode(err) != atrium.CodeConflict {
			t.Fatalf("marking a paid subscription: %v, want conflict", err)
		}
	})
}
