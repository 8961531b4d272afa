package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/mail"
)

// licensingTables are the tables licensing and the apps it gates write to; a refused
// licensing request must leave every row of them as it was.
var licensingTables = []string{"products", "service_plans", "subscriptions", "seat_pools", "seat_stripes", "license_assignments", "held_licenses",
	"orders", "subscription_changes", "invoices", "invoice_lines", "audit_log", "mail_outbox", "jobs",
	"social_settings", "social_alerts", "social_streams", "social_stream_shares", "social_search_topics"}

// licensingState returns every row of every licensing table.
func licensingState(t *testing.T, e *apptest.Env) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, tbl := range licensingTables {
		out[tbl] = rows(t, e, "SELECT * FROM "+tbl+" ORDER BY 1")
	}
	return out
}

// wantLicensingState fails the test if any licensing row changed since before.
func wantLicensingState(t *testing.T, e *apptest.Env, before map[string][]string, what string) {
	t.Helper()
	after := licensingState(t, e)
	for _, tbl := range licensingTables {
		if !slices.Equal(before[tbl], after[tbl]) {
			t.Errorf("%s changed %s:\nbefore %v\nafter  %v", what, tbl, before[tbl], after[tbl])
		}
	}
}

// products returns the catalog's product ids by SKU, read through the API.
func products(t *testing.T, c *apptest.Client) map[string]string {
	t.Helper()
	var list httpapi.List[licensing.Product]
	c.Do("GET", "/api/v1/products", nil).Want(http.StatusOK).Decode(&list)
	out := map[string]string{}
	for _, p := range list.Items {
		out[p.SKU] = p.ID
	}
	for _, sku := range []string{"SOCIAL_ENGAGEMENT", "SOCIAL_ENGAGEMENT_POST_QUOTA", "SOCIAL_ENGAGEMENT_MARKET_INSIGHTS", "CUSTOMER_ENGAGEMENT", "COLLABORATE"} {
		if out[sku] == "" {
			t.Fatalf("catalog lacks %s: %v", sku, out)
		}
	}
	return out
}

// orderResult is POST /api/v1/orders' answer: the subscription with the order.
type orderResult struct {
	licensing.Subscription
	Order licensing.Order `json:"order"`
}

// buy orders quantity seats of product (a new subscription) and returns the answer.
func buy(c *apptest.Client, product string, quantity int) orderResult {
	var out orderResult
	c.Do("POST", "/api/v1/orders", map[string]any{"product_id": product, "quantity": quantity}).Want(http.StatusCreated).Decode(&out)
	return out
}

// seatCount returns the pool of product as GET /api/v1/licenses shows it (zero if none).
func seatCount(t *testing.T, c *apptest.Client, product string) licensing.LicenseCount {
	t.Helper()
	var list httpapi.List[licensing.LicenseCount]
	c.Do("GET", "/api/v1/licenses", nil).Want(http.StatusOK).Decode(&list)
	for _, lc := range list.Items {
		if lc.ProductID == product {
			return lc
		}
	}
	return licensing.LicenseCount{}
}

// licensedUser adds a user with a usage location (so licenses can be assigned) and the
// given admin roles.
func licensedUser(c *apptest.Client, local string, roles ...string) apptest.User {
	var u apptest.User
	c.Do("POST", "/api/v1/users", map[string]any{"username": local, "display_name": strings.ToUpper(local[:1]) + local[1:],
		"contact_email": local + "@mail.example.com", "usage_location": "US", "password": apptest.Password, "must_change_password": false}).
		Want(http.StatusCreated).Decode(&u)
	for _, r := range roles {
		c.Do("PUT", "/api/v1/users/"+string(u.ID)+"/roles/"+r, nil).Want(http.StatusOK)
	}
	return u
}

// licenseSet is the body of PUT /api/v1/users/{id}/licenses for the given products.
func licenseSet(products ...string) map[string]any {
	list := []map[string]any{}
	for _, p := range products {
		list = append(list, map[string]any{"product_id": p, "disabled_service_plans": []string{}})
	}
	return map[string]any{"licenses": list}
}

// heldProducts returns the product ids of a user's licenses as the API shows them.
func heldProducts(t *testing.T, c *apptest.Client, user atrium.UserID) []string {
	t.Helper()
	var got licensing.UserLicenses
	c.Do("GET", "/api/v1/users/"+string(user)+"/licenses", nil).Want(http.StatusOK).Decode(&got)
	var out []string
	for _, l := range got.Licenses {
		out = append(out, l.ProductID)
	}
	slices.Sort(out)
	return out
}

// apps returns what GET /api/v1/me/apps answers for c.
func apps(t *testing.T, c *apptest.Client) []string {
	t.Helper()
	var out struct {
		Apps []string `json:"apps"`
	}
	c.Do("GET", "/api/v1/me/apps", nil).Want(http.StatusOK).Decode(&out)
	return out.Apps
}

// signInAgain signs o's first administrator in anew; sessions end after 12 idle hours,
// so tests that move the clock by days need a fresh one.
func signInAgain(e *apptest.Env, o *apptest.Org) *apptest.Client {
	e.T.Helper()
	return e.SignIn(o.AdminUsername, apptest.Password)
}

// runPeriodic moves the clock by d and runs the periodic jobs that are then due, with
// whatever they enqueue.
func runPeriodic(e *apptest.Env, d time.Duration) {
	e.T.Helper()
	e.Clock.Advance(d)
	e.Main.Queue.SchedulePeriodic(e.T.Context())
	e.RunJobs()
}

// TestLicenseSeatsNeverOversoldOverHTTP: 64 clients assign a 100-seat product to 500
// users at once through PUT /api/v1/users/{id}/licenses. Exactly 100 get 200, the other
// 400 get 409 no_seats_available, and the pool, the assignment rows and the low-seat
// warning all agree.
func TestLicenseSeatsNeverOversoldOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Oversell Co", "oversell")
		ce := products(t, o.Admin)["CUSTOMER_ENGAGEMENT"]
		token := createToken(t, o.Admin, map[string]any{"name": "loader", "role": "global_admin"}).Token
		api := e.Bearer(token)
		buy(api, ce, 100)

		hash, err := e.Main.Directory.Passwords().Hash(t.Context(), apptest.Password)
		if err != nil {
			t.Fatal(err)
		}
		if err := directory.SeedUsers(t.Context(), e.Main.DB, directory.SeedInput{Org: o.ID, Domain: o.Domain, PasswordHash: hash, From: 1, To: 500}); err != nil {
			t.Fatal(err)
		}
		users := e.Strings("SELECT id FROM users WHERE org_id = $1 AND username_key LIKE 'user%' AND usage_location <> '' ORDER BY id", string(o.ID))
		if len(users) != 500 {
			t.Fatalf("seeded %d users with a usage location, want 500", len(users))
		}
		body, _ := json.Marshal(licenseSet(ce))

		work := make(chan string)
		results := make(chan putOutcome, len(users))
		var wg sync.WaitGroup
		client := e.Server.Client()
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for id := range work {
					results <- putLicenses(client, e.URL, token, id, body)
				}
			}()
		}
		for _, id := range users {
			work <- id
		}
		close(work)
		wg.Wait()
		close(results)

		statuses := map[int]int{}
		var licensed []string
		for r := range results {
			if r.err != nil {
				t.Errorf("PUT licenses of %s: %v", r.user, r.err)
				continue
			}
			statuses[r.status]++
			switch {
			case r.status == http.StatusOK:
				licensed = append(licensed, r.user)
			case r.status == http.StatusConflict && r.code == atrium.CodeNoSeatsAvailable:
			default:
				t.Errorf("PUT licenses of %s = %d %s", r.user, r.status, r.code)
			}
		}
		if statuses[http.StatusOK] != 100 || statuses[http.StatusConflict] != 400 {
			t.Errorf("statuses = %v, want 100 × 200 and 400 × 409", statuses)
		}
		if c := seatCount(t, api, ce); c.Purchased != 100 || c.Assigned != 100 || c.Available != 0 {
			t.Errorf("GET /api/v1/licenses = %+v, want 100 purchased, 100 assigned, 0 available", c)
		}
		holders := e.Strings("SELECT user_id FROM license_assignments WHERE org_id = $1 AND product_id = $2 ORDER BY user_id", string(o.ID), ce)
		slices.Sort(licensed)
		if len(holders) != 100 || !slices.Equal(holders, licensed) {
			t.Errorf("%d assignment rows; they are not exactly the %d users who got 200", len(holders), len(licensed))
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'license.assign'", string(o.ID)); n != 100+1 { // +1: the trial admin
			t.Errorf("license.assign audit entries = %d, want 101", n)
		}
		// Crossing 10% left happened once, under full concurrency: one warning.
		if n := e.Count("SELECT count(*) FROM mail_outbox WHERE template = 'low_seats' AND to_addr = $1", o.ContactEmail); n != 1 {
			t.Errorf("low-seat mails = %d, want 1", n)
		}
	})
}

// putOutcome is the answer to one PUT /api/v1/users/{id}/licenses.
type putOutcome struct {
	user   string
	status int
	code   atrium.Code
	err    error
}

// putLicenses is PUT /api/v1/users/{id}/licenses from a goroutine that is not the test's:
// it reports instead of failing the test.
func putLicenses(client *http.Client, base, token, user string, body []byte) (out putOutcome) {
	out.user = user
	req, err := http.NewRequest("PUT", base+"/api/v1/users/"+user+"/licenses", bytes.NewReader(body))
	if err != nil {
		out.err = err
		return out
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		out.err = err
		return out
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		out.err = err
		return out
	}
	out.status = resp.StatusCode
	if resp.StatusCode != http.StatusOK {
		var p httpapi.Problem
		if err := json.Unmarshal(data, &p); err != nil || resp.Header.Get("Content-Type") != "application/problem+json" {
			out.err = fmt.Errorf("%d is not a problem: %s", resp.StatusCode, data)
		}
		out.code = p.Code
	}
	return out
}

// TestLicenseSetIsAllOrNothing: a set that cannot be granted whole changes nothing —
// not the seat taken for an earlier product of the set, not the license dropped from it.
func TestLicenseSetIsAllOrNothing(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Atomic Co", "atomic")
		ids := products(t, o.Admin)
		ce, co := ids["CUSTOMER_ENGAGEMENT"], ids["COLLABORATE"]
		buy(o.Admin, ce, 5)
		buy(o.Admin, co, 1)
		first, second := licensedUser(o.Admin, "first"), licensedUser(o.Admin, "second")
		o.Admin.Do("PUT", "/api/v1/users/"+string(first.ID)+"/licenses", licenseSet(co)).Want(http.StatusOK)
		o.Admin.Do("PUT", "/api/v1/users/"+string(second.ID)+"/licenses", licenseSet(ce)).Want(http.StatusOK)

		before := licensingState(t, e)
		// Customer Engagement has seats, Collaborate has none left: the whole set fails.
		p := o.Admin.Do("PUT", "/api/v1/users/"+string(second.ID)+"/licenses", licenseSet(ce, co)).WantProblem(http.StatusConflict, atrium.CodeNoSeatsAvailable)
		if !strings.Contains(p.Detail, "Collaborate") {
			t.Errorf("detail %q does not name the product", p.Detail)
		}
		// Swapping Customer Engagement for the full Collaborate keeps the license.
		o.Admin.Do("PUT", "/api/v1/users/"+string(second.ID)+"/licenses", licenseSet(co)).WantProblem(http.StatusConflict, atrium.CodeNoSeatsAvailable)
		wantLicensingState(t, e, before, "a refused license set")
		if got := heldProducts(t, o.Admin, second.ID); !slices.Equal(got, []string{ce}) {
			t.Errorf("second holds %v, want only Customer Engagement", got)
		}
		if c := seatCount(t, o.Admin, ce); c.Assigned != 1 {
			t.Errorf("Customer Engagement pool = %+v, want 1 assigned", c)
		}

		// Removing a license frees its seat in the same request's answer.
		o.Admin.Do("PUT", "/api/v1/users/"+string(first.ID)+"/licenses", licenseSet()).Want(http.StatusOK)
		o.Admin.Do("PUT", "/api/v1/users/"+string(second.ID)+"/licenses", licenseSet(ce, co)).Want(http.StatusOK)
		if got := heldProducts(t, o.Admin, second.ID); len(got) != 2 {
			t.Errorf("second holds %v, want both", got)
		}
		// Disabling a service plan by name is stored, and changes no seat count.
		var got licensing.UserLicenses
		o.Admin.Do("PUT", "/api/v1/users/"+string(second.ID)+"/licenses", map[string]any{"licenses": []map[string]any{
			{"product_id": ce, "disabled_service_plans": []string{"CRM"}}, {"product_id": co}}}).Want(http.StatusOK).Decode(&got)
		for _, l := range got.Licenses {
			if want := map[string]int{ce: 1, co: 0}[l.ProductID]; len(l.DisabledServicePlans) != want {
				t.Errorf("license %s has %d disabled plans, want %d", l.ProductName, len(l.DisabledServicePlans), want)
			}
		}
		if c := seatCount(t, o.Admin, ce); c.Assigned != 1 || c.Purchased != 5 {
			t.Errorf("Customer Engagement pool = %+v after a plan change", c)
		}
	})
}

// TestBulkLicensesOverHTTP: POST /api/v1/licenses/bulk reports per user, assigns while
// seats last and removes without touching the user's other licenses.
func TestBulkLicensesOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Bulk Co", "bulk")
		ids := products(t, o.Admin)
		ce, co := ids["CUSTOMER_ENGAGEMENT"], ids["COLLABORATE"]
		buy(o.Admin, ce, 2)
		buy(o.Admin, co, 5)
		var users []atrium.UserID
		for i := range 3 {
			users = append(users, licensedUser(o.Admin, fmt.Sprintf("bulk%d", i)).ID)
		}
		noLocation := o.Admin.CreateUser("nowhere")
		// New users get the organization's country; this one has none.
		o.Admin.Do("PATCH", "/api/v1/users/"+string(noLocation.ID), map[string]any{"usage_location": ""}).Want(http.StatusOK)
		o.Admin.Do("PUT", "/api/v1/users/"+string(users[0])+"/licenses", licenseSet(co)).Want(http.StatusOK)

		var res httpapi.List[licensing.BulkResult]
		o.Admin.Do("POST", "/api/v1/licenses/bulk", map[string]any{"action": "assign", "product_id": ce,
			"user_ids": []atrium.UserID{users[0], users[1], users[2], noLocation.ID, "no-such-user"}}).Want(http.StatusOK).Decode(&res)
		want := []struct {
			ok   bool
			code atrium.Code
		}{{true, ""}, {true, ""}, {false, atrium.CodeNoSeatsAvailable}, {false, atrium.CodeInvalid}, {false, atrium.CodeNotFound}}
		if len(res.Items) != len(want) {
			t.Fatalf("bulk assign = %+v", res.Items)
		}
		for i, w := range want {
			if r := res.Items[i]; r.OK != w.ok || r.Code != w.code {
				t.Errorf("bulk assign result %d = %+v, want ok=%v code=%q", i, r, w.ok, w.code)
			}
		}
		if c := seatCount(t, o.Admin, ce); c.Assigned != 2 {
			t.Errorf("after bulk assign: %+v", c)
		}
		if got := heldProducts(t, o.Admin, users[0]); len(got) != 2 {
			t.Errorf("bulk assign replaced user 0's licenses: %v", got)
		}
		o.Admin.Do("POST", "/api/v1/licenses/bulk", map[string]any{"action": "remove", "product_id": ce, "user_ids": users}).Want(http.StatusOK).Decode(&res)
		for _, r := range res.Items {
			if !r.OK {
				t.Errorf("bulk remove %+v", r)
			}
		}
		if c := seatCount(t, o.Admin, ce); c.Assigned != 0 {
			t.Errorf("after bulk remove: %+v", c)
		}
		if got := heldProducts(t, o.Admin, users[0]); !slices.Equal(got, []string{co}) {
			t.Errorf("bulk remove took user 0's other license: %v", got)
		}
	})
}

// TestQuantityAndCancelOverHTTP: lowering the quantity below the licenses assigned is a
// 409 that says how many are assigned; a cancelled subscription's licenses work until
// the period ends, and then the subscription expires and its seats and licenses go.
func TestQuantityAndCancelOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Quantity Co", "quantity")
		ce := products(t, o.Admin)["CUSTOMER_ENGAGEMENT"]
		sub := buy(o.Admin, ce, 5)
		if sub.Quantity != 5 || sub.State != licensing.StateActive || sub.Trial || sub.Order.TotalMinor != 5*6500 || sub.Order.Currency != "USD" {
			t.Fatalf("order = %+v", sub)
		}
		if n := e.Count("SELECT count(*) FROM orders WHERE subscription_id = $1 AND total_minor = 32500", sub.ID); n != 1 {
			t.Errorf("order rows = %d", n)
		}
		subPath := "/api/v1/subscriptions/" + sub.ID
		etag := o.Admin.Do("GET", subPath, nil).Want(http.StatusOK).Header.Get("ETag")
		if etag == "" {
			t.Fatal("GET subscription sent no ETag")
		}
		var holders []apptest.User
		for i := range 4 {
			u := licensedUser(o.Admin, fmt.Sprintf("holder%d", i))
			o.Admin.Do("PUT", "/api/v1/users/"+string(u.ID)+"/licenses", licenseSet(ce)).Want(http.StatusOK)
			holders = append(holders, u)
		}

		before := licensingState(t, e)
		p := o.Admin.Do("PATCH", subPath, map[string]any{"quantity": 3}).WantProblem(http.StatusConflict, atrium.CodeConflict, "quantity")
		if !strings.Contains(p.Detail, "4 licenses") || p.Errors["quantity"] != "4 licenses are assigned" {
			t.Errorf("problem %+v does not say that 4 are assigned", p)
		}
		// In Polish, the field message in the plural form of 4 (few).
		pl := o.Admin.DoHeader("PATCH", subPath, map[string]any{"quantity": 3}, http.Header{"Accept-Language": {"pl"}}).
			WantProblem(http.StatusConflict, atrium.CodeConflict, "quantity")
		if pl.Errors["quantity"] != "przypisano 4 licencje" || !strings.HasPrefix(pl.Detail, "Przypisano 4 licencje tego produktu") {
			t.Errorf("Polish problem %+v does not say that 4 are assigned", pl)
		}
		wantLicensingState(t, e, before, "a refused decrease")

		var got licensing.Subscription
		res := o.Admin.DoHeader("PATCH", subPath, map[string]any{"quantity": 4}, http.Header{"If-Match": {etag}}).Want(http.StatusOK).Decode(&got)
		if got.Quantity != 4 || res.Header.Get("ETag") == "" || res.Header.Get("ETag") == etag {
			t.Errorf("decrease to 4 = %+v, ETag %q (was %q)", got, res.Header.Get("ETag"), etag)
		}
		o.Admin.DoHeader("PATCH", subPath, map[string]any{"quantity": 6}, http.Header{"If-Match": {etag}}).
			WantProblem(http.StatusPreconditionFailed, atrium.CodePreconditionFailed)
		if c := seatCount(t, o.Admin, ce); c.Purchased != 4 || c.Assigned != 4 || c.Available != 0 {
			t.Errorf("pool after decrease = %+v", c)
		}

		res = o.Admin.Do("POST", subPath+"/cancel", nil).Want(http.StatusOK).Decode(&got)
		if !got.CancelAtPeriodEnd || got.State != licensing.StateActive || res.Header.Get("ETag") == "" {
			t.Errorf("cancelled = %+v", got)
		}
		o.Admin.Do("POST", subPath+"/cancel", nil).WantProblem(http.StatusConflict, atrium.CodeConflict)

		runPeriodic(e, 24*time.Hour)
		admin := signInAgain(e, o)
		if c := seatCount(t, admin, ce); c.Purchased != 4 || c.Assigned != 4 {
			t.Errorf("a day after cancelling: %+v", c)
		}
		if got := apps(t, e.SignIn(holders[0].Username, apptest.Password)); !slices.Contains(got, "crm") {
			t.Errorf("a day after cancelling the holder's apps are %v", got)
		}

		// The period ends a month after the purchase.
		runPeriodic(e, sub.PeriodEnd.Sub(e.Clock.Now())+time.Hour)
		admin = signInAgain(e, o)
		admin.Do("GET", subPath, nil).Want(http.StatusOK).Decode(&got)
		if got.State != licensing.StateExpired {
			t.Errorf("after the period the subscription is %s", got.State)
		}
		if c := seatCount(t, admin, ce); c.Purchased != 0 || c.Assigned != 0 {
			t.Errorf("expired subscription left %+v", c)
		}
		if n := e.Count("SELECT count(*) FROM license_assignments WHERE product_id = $1", ce); n != 0 {
			t.Errorf("%d Customer Engagement licenses survived the expiry", n)
		}
		if got := apps(t, e.SignIn(holders[0].Username, apptest.Password)); slices.Contains(got, "crm") {
			t.Errorf("after expiry the holder's apps are %v", got)
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE action = 'subscription.expire' AND target_id = $1", sub.ID); n != 1 {
			t.Errorf("subscription.expire entries = %d", n)
		}
		admin.Do("PATCH", subPath, map[string]any{"quantity": 9}).WantProblem(http.StatusConflict, atrium.CodeConflict)
		u := licensedUser(admin, "late")
		admin.Do("PUT", "/api/v1/users/"+string(u.ID)+"/licenses", licenseSet(ce)).WantProblem(http.StatusConflict, atrium.CodeNoSeatsAvailable)
	})
}

// TestTrialOverHTTP: sign-up's seats become a 30-day trial of the default product with
// the administrator licensed; unconverted, it expires with its licenses; bought on, it
// becomes a paid subscription that outlives the 30 days.
func TestTrialOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Trial Co", "trial")
		ids := products(t, o.Admin)
		se := ids["SOCIAL_ENGAGEMENT"]
		var subs httpapi.List[licensing.Subscription]
		o.Admin.Do("GET", "/api/v1/subscriptions", nil).Want(http.StatusOK).Decode(&subs)
		if len(subs.Items) != 1 {
			t.Fatalf("subscriptions after sign-up = %+v", subs.Items)
		}
		trial := subs.Items[0]
		if trial.ProductID != se || !trial.Trial || trial.State != licensing.StateTrial || trial.Quantity != 10 ||
			trial.PeriodEnd.Sub(trial.PeriodStart) != licensing.TrialLength || !trial.PeriodStart.Equal(apptest.Epoch) {
			t.Errorf("trial = %+v; want 10 seats of Social Engagement for 30 days from sign-up", trial)
		}
		if c := seatCount(t, o.Admin, se); c.Purchased != 10 || c.Assigned != 1 || c.Available != 9 {
			t.Errorf("trial pool = %+v", c)
		}
		if got := heldProducts(t, o.Admin, o.AdminID); !slices.Equal(got, []string{se}) {
			t.Errorf("admin's licenses = %v", got)
		}
		if got := apps(t, o.Admin); !slices.Equal(got, []string{"social"}) {
			t.Errorf("admin's apps = %v", got)
		}
		o.Admin.Do("PUT", "/api/v1/social/settings/theme", map[string]any{"value": "dark"}).Want(http.StatusNoContent)

		// A second organization signs up with an add-on (one the operator offers a trial of)
		// and converts the main trial.
		e.Operator().Do("PATCH", "/api/v1/products/"+ids["SOCIAL_ENGAGEMENT_POST_QUOTA"], map[string]any{"trial_available": true}).Want(http.StatusOK)
		body := apptest.SignupBody("Convert Co", "convert", "owner@convert.example.com")
		body["addons"] = []string{"social_engagement_post_quota"}
		e.Anonymous().Do("POST", "/api/v1/signup", body).Want(http.StatusCreated)
		e.RunJobs()
		conv := e.SignIn("admin@convert.atrium.localhost", apptest.Password)
		conv.Do("GET", "/api/v1/subscriptions", nil).Want(http.StatusOK).Decode(&subs)
		var convTrial, addonTrial licensing.Subscription
		for _, s := range subs.Items {
			if s.ProductID == se {
				convTrial = s
			} else {
				addonTrial = s
			}
		}
		if len(subs.Items) != 2 || !addonTrial.Trial || addonTrial.ParentID != convTrial.ID || addonTrial.ProductID != ids["SOCIAL_ENGAGEMENT_POST_QUOTA"] {
			t.Fatalf("Convert Co subscriptions = %+v", subs.Items)
		}
		var converted orderResult
		conv.Do("POST", "/api/v1/orders", map[string]any{"product_id": se, "subscription_id": convTrial.ID, "quantity": 3}).
			Want(http.StatusCreated).Decode(&converted)
		// The 3 seats are added to the trial's 10, and all 13 become paid.
		if converted.ID != convTrial.ID || converted.Trial || converted.State != licensing.StateActive || converted.Quantity != 13 ||
			converted.Order.Summary != "10 trial seats become 13 paid seats" {
			t.Errorf("converted = %+v", converted)
		}
		if c := seatCount(t, conv, se); c.Purchased != 13 || c.Assigned != 1 {
			t.Errorf("converted pool = %+v", c)
		}

		runPeriodic(e, licensing.TrialLength-time.Hour)
		admin := signInAgain(e, o)
		admin.Do("GET", "/api/v1/subscriptions/"+trial.ID, nil).Want(http.StatusOK).Decode(&trial)
		if trial.State != licensing.StateTrial {
			t.Errorf("an hour before its end the trial is %s", trial.State)
		}
		if got := apps(t, admin); !slices.Equal(got, []string{"social"}) {
			t.Errorf("an hour before the trial's end the admin's apps are %v", got)
		}
		runPeriodic(e, 2*time.Hour)
		admin = signInAgain(e, o)
		admin.Do("GET", "/api/v1/subscriptions/"+trial.ID, nil).Want(http.StatusOK).Decode(&trial)
		if trial.State != licensing.StateExpired {
			t.Errorf("after 30 days the trial is %s", trial.State)
		}
		if c := seatCount(t, admin, se); c.Purchased != 0 || c.Assigned != 0 {
			t.Errorf("expired trial pool = %+v", c)
		}
		if got := heldProducts(t, admin, o.AdminID); len(got) != 0 {
			t.Errorf("admin keeps %v after the trial", got)
		}
		admin.Do("GET", "/api/v1/social/settings", nil).WantProblem(http.StatusForbidden, atrium.CodeLicenseRequired)
		if n := e.Count("SELECT count(*) FROM social_settings WHERE org_id = $1", string(o.ID)); n != 0 {
			t.Errorf("the admin's settings outlived the trial: %d", n)
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE action = 'subscription.trial_expire' AND org_id = $1", string(o.ID)); n != 1 {
			t.Errorf("trial_expire entries = %d", n)
		}

		conv = e.SignIn("admin@convert.atrium.localhost", apptest.Password)
		conv.Do("GET", "/api/v1/subscriptions", nil).Want(http.StatusOK).Decode(&subs)
		for _, s := range subs.Items {
			want := licensing.StateExpired
			if s.ID == convTrial.ID {
				want = licensing.StateActive
			}
			if s.State != want {
				t.Errorf("Convert Co's %s is %s after 30 days, want %s", s.ProductName, s.State, want)
			}
		}
		if got := apps(t, conv); !slices.Equal(got, []string{"social"}) {
			t.Errorf("converted admin's apps = %v", got)
		}
	})
}

// TestLowSeatMailOverHTTP: the 10%-left warning goes once to the billing administrators,
// and again only after more seats are bought and run low.
func TestLowSeatMailOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Low Seat Co", "lowseat")
		co := products(t, o.Admin)["COLLABORATE"]
		licensedUser(o.Admin, "billy", "billing_admin")
		sub := buy(o.Admin, co, 10)
		mails := func() int {
			return e.Count("SELECT count(*) FROM mail_outbox WHERE template = 'low_seats'")
		}
		var users []apptest.User
		for i := range 12 {
			users = append(users, licensedUser(o.Admin, fmt.Sprintf("seat%02d", i)))
		}
		for i, u := range users[:10] {
			o.Admin.Do("PUT", "/api/v1/users/"+string(u.ID)+"/licenses", licenseSet(co)).Want(http.StatusOK)
			want := 0
			if i >= 8 { // the 9th leaves 1 of 10
				want = 1
			}
			if got := mails(); got != want {
				t.Fatalf("after %d assignments: %d low-seat mails, want %d", i+1, got, want)
			}
		}
		o.Admin.Do("PUT", "/api/v1/users/"+string(users[10].ID)+"/licenses", licenseSet(co)).WantProblem(http.StatusConflict, atrium.CodeNoSeatsAvailable)
		if got := e.Strings("SELECT to_addr FROM mail_outbox WHERE template = 'low_seats'"); !slices.Equal(got, []string{"billy@mail.example.com"}) {
			t.Errorf("low-seat mail went to %v, want the billing administrator only", got)
		}
		var outbox httpapi.List[mail.Rendered]
		e.Operator().Do("GET", "/api/v1/outgoing-mail?q=billy", nil).Want(http.StatusOK).Decode(&outbox)
		found := false
		for _, m := range outbox.Items {
			found = found || strings.Contains(m.Text, "Collaborate")
		}
		if !found {
			t.Errorf("no rendered low-seat mail about Collaborate: %+v", outbox.Items)
		}
		// Buying re-arms the warning.
		o.Admin.Do("PATCH", "/api/v1/subscriptions/"+sub.ID, map[string]any{"quantity": 12}).Want(http.StatusOK)
		o.Admin.Do("PUT", "/api/v1/users/"+string(users[10].ID)+"/licenses", licenseSet(co)).Want(http.StatusOK)
		if got := mails(); got != 2 {
			t.Errorf("after buying more and running low again: %d mails, want 2", got)
		}
	})
}

// TestInvoicesOverHTTP: invoices are issued by the periodic job, prorate mid-period
// changes exactly, and come as JSON, CSV or printable HTML by Accept or ?format=.
func TestInvoicesOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Invoice Co", "invoice")
		ids := products(t, o.Admin)
		se, quota := ids["SOCIAL_ENGAGEMENT"], ids["SOCIAL_ENGAGEMENT_POST_QUOTA"]
		// 15.00 a seat, monthly: the first period is 14 March to 14 April, 31 days = 744 h.
		sub := buy(o.Admin, se, 10)
		if got := sub.PeriodEnd.Sub(sub.PeriodStart); got != 744*time.Hour {
			t.Fatalf("period = %v, want 744h", got)
		}
		runPeriodic(e, 0)
		var list httpapi.List[licensing.Invoice]
		o.Admin.Do("GET", "/api/v1/invoices", nil).Want(http.StatusOK).Decode(&list)
		if len(list.Items) != 1 || list.Items[0].TotalMinor != 15000 || list.Items[0].State != licensing.InvoiceOpen || list.Items[0].SubscriptionID != sub.ID {
			t.Fatalf("first invoices = %+v", list.Items)
		}
		first := list.Items[0]

		// After 248 h (496 of 744 h left): +7 seats and 3 add-ons.
		e.Clock.Advance(248 * time.Hour)
		admin := signInAgain(e, o)
		admin.Do("PATCH", "/api/v1/subscriptions/"+sub.ID, map[string]any{"quantity": 17}).Want(http.StatusOK)
		// The trial subscription is of the same product: the add-on must name its subscription.
		admin.Do("POST", "/api/v1/orders", map[string]any{"addon_id": quota, "quantity": 3}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "subscription_id")
		var addon orderResult
		admin.Do("POST", "/api/v1/orders", map[string]any{"addon_id": quota, "subscription_id": sub.ID, "quantity": 3}).Want(http.StatusCreated).Decode(&addon)
		if addon.ParentID != sub.ID || addon.Quantity != 3 {
			t.Fatalf("add-on = %+v", addon)
		}
		// After 620 h (124 of 744 h left): −4 seats, +1 add-on.
		e.Clock.Advance(372 * time.Hour)
		admin = signInAgain(e, o)
		admin.Do("PATCH", "/api/v1/subscriptions/"+sub.ID, map[string]any{"quantity": 13}).Want(http.StatusOK)
		admin.Do("PATCH", "/api/v1/subscriptions/"+addon.ID, map[string]any{"quantity": 4}).Want(http.StatusOK)
		// Past the period's end: renewal and the next invoice (in either order, hence two rounds).
		runPeriodic(e, 125*time.Hour)
		runPeriodic(e, time.Hour)
		admin = signInAgain(e, o)

		admin.Do("GET", "/api/v1/invoices", nil).Want(http.StatusOK).Decode(&list)
		if len(list.Items) != 2 || list.Items[1].ID != first.ID {
			t.Fatalf("invoices = %+v", list.Items)
		}
		var inv licensing.Invoice
		admin.Do("GET", "/api/v1/invoices/"+list.Items[0].ID, nil).Want(http.StatusOK).Decode(&inv)
		type line struct {
			kind     string
			quantity int
			unit     int64
			amount   int64
		}
		want := []line{
			{"seats", 13, 1500, 19500},
			{"addon", 4, 500, 2000},
			{"proration", 7, 1500, 7000},   // 7 × 15.00 × 496/744
			{"proration", 3, 500, 1000},    // 3 × 5.00 × 496/744
			{"proration", -4, 1500, -1000}, // −4 × 15.00 × 124/744
			{"proration", 1, 500, 83},      // 1 × 5.00 × 124/744 = 0.8333…
		}
		var gotLines []line
		for _, l := range inv.Lines {
			gotLines = append(gotLines, line{l.Kind, l.Quantity, l.UnitPriceMinor, l.AmountMinor})
		}
		if !slices.Equal(gotLines, want) {
			t.Errorf("lines = %+v\nwant    %+v", gotLines, want)
		}
		if inv.TotalMinor != 28583 || inv.Currency != "USD" || !inv.PeriodStart.Equal(sub.PeriodEnd) || inv.State != licensing.InvoiceOpen {
			t.Errorf("invoice = %+v; want 285.83 USD for the second period", inv)
		}

		invPath := "/api/v1/invoices/" + inv.ID
		checkCSV := func(name string, res *apptest.Response) {
			t.Helper()
			res.Want(http.StatusOK)
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
				t.Errorf("%s: Content-Type %q", name, ct)
			}
			if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, inv.Number+".csv") {
				t.Errorf("%s: Content-Disposition %q", name, cd)
			}
			records, err := csv.NewReader(bytes.NewReader(res.Body)).ReadAll()
			if err != nil || len(records) != 10 {
				t.Fatalf("%s: %d records, %v: %s", name, len(records), err, res.Body)
			}
			amounts := []string{}
			for _, r := range records[1:] {
				amounts = append(amounts, r[5])
			}
			// The lines, the total, the tax (none configured) and the total due.
			if wantAmounts := []string{"195.00", "20.00", "70.00", "10.00", "-10.00", "0.83", "285.83", "0.00", "285.83"}; !slices.Equal(amounts, wantAmounts) {
				t.Errorf("%s: amounts %v, want %v", name, amounts, wantAmounts)
			}
			if last := records[7]; last[0] != inv.Number || last[1] != "total" || last[6] != "USD" {
				t.Errorf("%s: total row %v", name, last)
			}
		}
		checkHTML := func(name string, res *apptest.Response) {
			t.Helper()
			res.Want(http.StatusOK)
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("%s: Content-Type %q", name, ct)
			}
			for _, s := range []string{inv.Number, "285.83", "-10.00", "0.83", "Invoice Co"} {
				if !bytes.Contains(res.Body, []byte(s)) {
					t.Errorf("%s: page lacks %q", name, s)
				}
			}
		}
		checkJSON := func(name string, res *apptest.Response) {
			t.Helper()
			res.Want(http.StatusOK)
			var got licensing.Invoice
			res.Decode(&got)
			if ct := res.Header.Get("Content-Type"); ct != "application/json" || got.TotalMinor != 28583 || len(got.Lines) != 6 {
				t.Errorf("%s: %q %+v", name, ct, got)
			}
		}
		checkCSV("Accept: text/csv", admin.DoHeader("GET", invPath, nil, http.Header{"Accept": {"text/csv"}}))
		checkCSV("format=csv", admin.DoHeader("GET", invPath+"?format=csv", nil, http.Header{"Accept": {"application/json"}}))
		checkHTML("Accept: text/html", admin.DoHeader("GET", invPath, nil, http.Header{"Accept": {"text/html,application/xhtml+xml;q=0.9"}}))
		checkHTML("format=html", admin.Do("GET", invPath+"?format=html", nil))
		checkJSON("no Accept", admin.Do("GET", invPath, nil))
		checkJSON("format=json over Accept", admin.DoHeader("GET", invPath+"?format=json", nil, http.Header{"Accept": {"text/csv"}}))
		admin.Do("GET", invPath+"?format=pdf", nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "format")

		// Operator staff mark invoices paid or void; customers cannot.
		before := licensingState(t, e)
		admin.Do("POST", invPath+"/pay", nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		admin.Do("POST", "/api/v1/invoices/"+first.ID+"/void", nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		wantLicensingState(t, e, before, "a customer marking invoices")
		op := e.Operator()
		var paid licensing.Invoice
		op.Do("POST", invPath+"/pay", nil).Want(http.StatusOK).Decode(&paid)
		if paid.State != licensing.InvoicePaid || paid.PaidAt == nil || !paid.PaidAt.Equal(e.Clock.Now()) {
			t.Errorf("paid = %+v", paid)
		}
		op.Do("POST", invPath+"/void", nil).WantProblem(http.StatusConflict, atrium.CodeConflict)
		op.Do("POST", "/api/v1/invoices/"+first.ID+"/void", nil).Want(http.StatusOK)
		op.Do("GET", "/api/v1/invoices?org_id="+string(o.ID), nil).Want(http.StatusOK).Decode(&list)
		if len(list.Items) != 2 || list.Items[0].State != licensing.InvoicePaid || list.Items[1].State != licensing.InvoiceVoid {
			t.Errorf("operator's view = %+v", list.Items)
		}
		for _, action := range []string{"invoice.paid", "invoice.void"} {
			if n := e.Count("SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = $2", string(o.ID), action); n != 1 {
				t.Errorf("%s entries in the customer's log = %d", action, n)
			}
		}
	})
}

// licenseRoleTable is what each organization role may do with licensing, in the order
// of roleTableRoles (GA, UA, HD, GR, BA, LA, SSA, member).
var licenseRoleTable = []struct {
	action string
	want   [8]int
}{
	{"buy", [8]int{created, denied, denied, denied, created, denied, denied, denied}},
	{"change quantity", [8]int{ok, denied, denied, denied, ok, denied, denied, denied}},
	{"cancel", [8]int{ok, denied, denied, denied, ok, denied, denied, denied}},
	{"name partner", [8]int{ok, denied, denied, denied, ok, denied, denied, denied}},
	{"remove partner", [8]int{ok, denied, denied, denied, ok, denied, denied, denied}},
	{"list subscriptions", [8]int{ok, denied, denied, ok, ok, denied, denied, denied}},
	{"get subscription", [8]int{ok, denied, denied, ok, ok, denied, denied, denied}},
	{"partner subscriptions", [8]int{ok, denied, denied, ok, ok, denied, denied, denied}},
	{"assign licenses", [8]int{ok, ok, denied, denied, denied, ok, denied, denied}},
	{"bulk assign", [8]int{ok, ok, denied, denied, denied, ok, denied, denied}},
	{"reassign topic", [8]int{ok, ok, denied, denied, denied, ok, denied, denied}},
	{"license counts", [8]int{ok, ok, denied, ok, ok, ok, denied, denied}},
	{"user's licenses", [8]int{ok, ok, denied, ok, ok, ok, denied, denied}},
	{"removal preview", [8]int{ok, ok, denied, ok, ok, ok, denied, denied}},
	{"list invoices", [8]int{ok, denied, denied, ok, ok, denied, denied, denied}},
	{"get invoice", [8]int{ok, denied, denied, ok, ok, denied, denied, denied}},
	{"invoice as csv", [8]int{ok, denied, denied, ok, ok, denied, denied, denied}},
	{"pay invoice", [8]int{denied, denied, denied, denied, denied, denied, denied, denied}},
	{"void invoice", [8]int{denied, denied, denied, denied, denied, denied, denied, denied}},
	{"create product", [8]int{denied, denied, denied, denied, denied, denied, denied, denied}},
	{"edit product", [8]int{denied, denied, denied, denied, denied, denied, denied, denied}},
}

// TestLicensingRoleTableOverHTTP: a user holding one organization role tries every
// licensing action; allowed ones succeed, the others are 403 forbidden and change no
// licensing row. Operator-only actions are then tried by operator staff.
func TestLicensingRoleTableOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("License Roles Co", "licroles")
		ids := products(t, a.Admin)
		ce, co, se := ids["CUSTOMER_ENGAGEMENT"], ids["COLLABORATE"], ids["SOCIAL_ENGAGEMENT"]
		main := buy(a.Admin, ce, 100)
		a.Admin.Do("POST", "/api/v1/social/search-topics", map[string]any{"name": "Launch", "keywords": "launch"}).Want(http.StatusCreated)
		topic := e.Strings("SELECT id FROM social_search_topics WHERE org_id = $1", string(a.ID))[0]
		runPeriodic(e, 0)
		invoice := e.Strings("SELECT id FROM invoices WHERE subscription_id = $1", main.ID)[0]
		partnerOrg := e.Strings("SELECT id FROM organizations WHERE operator = TRUE")[0]

		for i, role := range roleTableRoles {
			t.Run(role, func(t *testing.T) {
				e := e.For(t)
				admin := a.Admin.For(t)
				slug := strings.ReplaceAll(role, "_", "-")
				var holder apptest.User
				if role == "member" {
					holder = licensedUser(admin, "lic-member")
				} else {
					holder = licensedUser(admin, "lic-"+slug, role)
				}
				c := e.SignIn(holder.Username, apptest.Password)
				target := licensedUser(admin, "target-"+slug)
				bulkTarget := licensedUser(admin, "bulk-"+slug)
				own := buy(admin, co, 1) // cancelled and partnered by this role
				quantity := e.Count("SELECT quantity FROM subscriptions WHERE id = $1", main.ID)
				calls := map[string]func() *apptest.Response{
					"buy": func() *apptest.Response {
						return c.Do("POST", "/api/v1/orders", map[string]any{"product_id": ce, "quantity": 1})
					},
					"change quantity": func() *apptest.Response {
						return c.Do("PATCH", "/api/v1/subscriptions/"+main.ID, map[string]any{"quantity": quantity + 1})
					},
					"cancel": func() *apptest.Response { return c.Do("POST", "/api/v1/subscriptions/"+own.ID+"/cancel", nil) },
					"name partner": func() *apptest.Response {
						return c.Do("PUT", "/api/v1/subscriptions/"+own.ID+"/partner", map[string]any{"partner_org_id": partnerOrg})
					},
					"remove partner":        func() *apptest.Response { return c.Do("DELETE", "/api/v1/subscriptions/"+own.ID+"/partner", nil) },
					"list subscriptions":    func() *apptest.Response { return c.Do("GET", "/api/v1/subscriptions", nil) },
					"get subscription":      func() *apptest.Response { return c.Do("GET", "/api/v1/subscriptions/"+main.ID, nil) },
					"partner subscriptions": func() *apptest.Response { return c.Do("GET", "/api/v1/partner/subscriptions", nil) },
					"assign licenses": func() *apptest.Response {
						return c.Do("PUT", "/api/v1/users/"+string(target.ID)+"/licenses", licenseSet(ce))
					},
					"bulk assign": func() *apptest.Response {
						return c.Do("POST", "/api/v1/licenses/bulk", map[string]any{"action": "assign", "product_id": ce, "user_ids": []atrium.UserID{bulkTarget.ID}})
					},
					"reassign topic": func() *apptest.Response {
						return c.Do("PUT", "/api/v1/social/search-topics/"+topic+"/owner", map[string]any{"owner_id": string(target.ID)})
					},
					"license counts":  func() *apptest.Response { return c.Do("GET", "/api/v1/licenses", nil) },
					"user's licenses": func() *apptest.Response { return c.Do("GET", "/api/v1/users/"+string(a.AdminID)+"/licenses", nil) },
					"removal preview": func() *apptest.Response {
						return c.Do("GET", "/api/v1/users/"+string(a.AdminID)+"/licenses/removal-preview?product_id="+se, nil)
					},
					"list invoices":  func() *apptest.Response { return c.Do("GET", "/api/v1/invoices", nil) },
					"get invoice":    func() *apptest.Response { return c.Do("GET", "/api/v1/invoices/"+invoice, nil) },
					"invoice as csv": func() *apptest.Response { return c.Do("GET", "/api/v1/invoices/"+invoice+"?format=csv", nil) },
					"pay invoice":    func() *apptest.Response { return c.Do("POST", "/api/v1/invoices/"+invoice+"/pay", nil) },
					"void invoice":   func() *apptest.Response { return c.Do("POST", "/api/v1/invoices/"+invoice+"/void", nil) },
					"create product": func() *apptest.Response {
						return c.Do("POST", "/api/v1/products", newProduct("ROLE_"+strings.ToUpper(strings.ReplaceAll(role, "-", "_"))))
					},
					"edit product": func() *apptest.Response {
						return c.Do("PATCH", "/api/v1/products/"+ce, map[string]any{"price_minor": 1})
					},
				}
				for _, row := range licenseRoleTable {
					call := calls[row.action]
					if call == nil {
						t.Fatalf("no call for %q", row.action)
					}
					want := row.want[i]
					before := licensingState(t, e)
					res := call()
					if res.Status != want {
						t.Errorf("%s as %s = %d, want %d: %s", row.action, role, res.Status, want, res.Body)
						continue
					}
					if want == denied {
						if p := res.Problem(); p.Code != atrium.CodeForbidden {
							t.Errorf("%s as %s: code %s", row.action, role, p.Code)
						}
						wantLicensingState(t, e, before, row.action+" as "+role)
					}
				}
				// What the allowed calls did is in the database.
				if row := licenseRoleTable[8]; row.want[i] == ok {
					if got := e.Strings("SELECT product_id FROM license_assignments WHERE user_id = $1", string(target.ID)); !slices.Equal(got, []string{ce}) {
						t.Errorf("%s assigned, but the target holds %v", role, got)
					}
				}
				if row := licenseRoleTable[2]; row.want[i] == ok {
					if n := e.Count("SELECT count(*) FROM subscriptions WHERE id = $1 AND cancel_at_period_end = TRUE", own.ID); n != 1 {
						t.Errorf("%s cancelled, but the subscription is not cancelled", role)
					}
				}
			})
		}

		t.Run("operator staff", func(t *testing.T) {
			e := e.For(t)
			op := e.Operator()
			agentUser := op.CreateUser("agent", "support_agent")
			agent := e.SignIn(agentUser.Username, apptest.Password)
			before := licensingState(t, e)
			agent.Do("POST", "/api/v1/products", newProduct("AGENT_PRODUCT")).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
			agent.Do("PATCH", "/api/v1/products/"+ce, map[string]any{"price_minor": 1}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
			// Operator staff who do not manage invoices do not see the customer's invoice.
			agent.Do("POST", "/api/v1/invoices/"+invoice+"/pay", nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
			wantLicensingState(t, e, before, "support agent")

			var p licensing.Product
			op.Do("POST", "/api/v1/products", newProduct("OPERATOR_PRODUCT")).Want(http.StatusCreated).Decode(&p)
			if p.SKU != "OPERATOR_PRODUCT" || len(p.ServicePlans) != 1 || p.PriceMinor != 2500 {
				t.Errorf("created product = %+v", p)
			}
			op.Do("PATCH", "/api/v1/products/"+p.ID, map[string]any{"price_minor": 3000, "name": "Operator Product Plus"}).Want(http.StatusOK).Decode(&p)
			if p.PriceMinor != 3000 || p.Name != "Operator Product Plus" {
				t.Errorf("edited product = %+v", p)
			}
			if got := products(t, a.Admin.For(t)); got["OPERATOR_PRODUCT"] != p.ID {
				t.Errorf("tenants do not see the new product")
			}
			op.Do("POST", "/api/v1/invoices/"+invoice+"/pay", nil).Want(http.StatusOK)
			if n := e.Count("SELECT count(*) FROM invoices WHERE id = $1 AND state = 'paid'", invoice); n != 1 {
				t.Error("the operator's payment is not stored")
			}
		})
	})
}

// newProduct is a valid POST /api/v1/products body.
func newProduct(sku string) map[string]any {
	return map[string]any{"sku": sku, "kind": "product", "name": "Product " + sku, "description": "For tests.", "apps": []string{"collab"},
		"price_minor": 2500, "currency": "usd", "billing_period": "monthly", "service_plans": []string{"Main"}}
}

// TestPartnerOfRecordOverHTTP: naming a partner of record gives the partner's billing
// readers a read-only view of the subscription; removing it ends that at once; both
// organizations' audit logs show it.
func TestPartnerOfRecordOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		customer := e.Signup("Customer Co", "customer")
		partner := e.Signup("Partner Co", "partner")
		stranger := e.Signup("Stranger Co", "stranger")
		ce := products(t, customer.Admin)["CUSTOMER_ENGAGEMENT"]
		sub := buy(customer.Admin, ce, 3)
		holder := licensedUser(customer.Admin, "holder")
		customer.Admin.Do("PUT", "/api/v1/users/"+string(holder.ID)+"/licenses", licenseSet(ce)).Want(http.StatusOK)

		partnerBilling := e.SignIn(licensedUser(partner.Admin, "pbilling", "billing_admin").Username, apptest.Password)
		partnerReader := e.SignIn(licensedUser(partner.Admin, "preader", "global_reader").Username, apptest.Password)
		partnerUsers := e.SignIn(licensedUser(partner.Admin, "pusers", "user_admin").Username, apptest.Password)
		partnerViews := func(c *apptest.Client) []licensing.PartnerView {
			t.Helper()
			var list httpapi.List[licensing.PartnerView]
			c.Do("GET", "/api/v1/partner/subscriptions", nil).Want(http.StatusOK).Decode(&list)
			return list.Items
		}
		if got := partnerViews(partnerBilling); len(got) != 0 {
			t.Fatalf("before naming: %+v", got)
		}
		partnerBilling.Do("GET", "/api/v1/partner/subscriptions/"+sub.ID, nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)

		var got licensing.Subscription
		customer.Admin.Do("PUT", "/api/v1/subscriptions/"+sub.ID+"/partner", map[string]any{"partner_domain": strings.ToUpper(partner.Domain)}).
			Want(http.StatusOK).Decode(&got)
		if got.PartnerOrg != string(partner.ID) {
			t.Fatalf("partner_org_id = %q, want %q", got.PartnerOrg, partner.ID)
		}
		for _, c := range []*apptest.Client{partnerBilling, partnerReader, partner.Admin} {
			views := partnerViews(c)
			if len(views) != 1 {
				t.Fatalf("%s sees %+v", c.Username, views)
			}
			v := views[0]
			if v.Subscription.ID != sub.ID || v.CustomerName != "Customer Co" || v.Licenses.Purchased != 3 || v.Licenses.Assigned != 1 ||
				len(v.Users) != 1 || v.Users[0].Username != holder.Username {
				t.Errorf("%s's view = %+v", c.Username, v)
			}
		}
		var one licensing.PartnerView
		partnerBilling.Do("GET", "/api/v1/partner/subscriptions/"+sub.ID, nil).Want(http.StatusOK).Decode(&one)
		if one.Subscription.ID != sub.ID {
			t.Errorf("one view = %+v", one)
		}
		// Read-only: the partner cannot reach the subscription through the customer's routes.
		before := licensingState(t, e)
		partner.Admin.Do("GET", "/api/v1/subscriptions/"+sub.ID, nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		partner.Admin.Do("PATCH", "/api/v1/subscriptions/"+sub.ID, map[string]any{"quantity": 30}).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		partner.Admin.Do("POST", "/api/v1/subscriptions/"+sub.ID+"/cancel", nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		partner.Admin.Do("DELETE", "/api/v1/subscriptions/"+sub.ID+"/partner", nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		partnerUsers.Do("GET", "/api/v1/partner/subscriptions", nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		if got := partnerViews(stranger.Admin); len(got) != 0 {
			t.Errorf("a stranger sees %+v", got)
		}
		stranger.Admin.Do("GET", "/api/v1/partner/subscriptions/"+sub.ID, nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		wantLicensingState(t, e, before, "the partner's and stranger's attempts")

		// Every read by the partner is audited in both organizations, once per request (three
		// pages of the list, one single read); so is naming the partner.
		for _, org := range []atrium.OrgID{customer.ID, partner.ID} {
			if n := e.Count("SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'partner.list'", string(org)); n != 3 {
				t.Errorf("partner.list entries in %s = %d, want 3", org, n)
			}
			if n := e.Count("SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'partner.read' AND target_id = $2", string(org), sub.ID); n != 1 {
				t.Errorf("partner.read entries in %s = %d, want 1", org, n)
			}
			if n := e.Count("SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'subscription.partner_set' AND target_id = $2", string(org), sub.ID); n != 1 {
				t.Errorf("partner_set entries in %s = %d, want 1", org, n)
			}
		}
		var log struct {
			Items []struct {
				Action string `json:"action"`
			} `json:"items"`
		}
		partner.Admin.Do("GET", "/api/v1/audit-log?limit=200", nil).Want(http.StatusOK).Decode(&log)
		var actions []string
		for _, en := range log.Items {
			actions = append(actions, en.Action)
		}
		if !slices.Contains(actions, "partner.read") || !slices.Contains(actions, "subscription.partner_set") {
			t.Errorf("the partner's audit log lacks the partnership: %v", actions)
		}

		got = licensing.Subscription{}
		customer.Admin.Do("DELETE", "/api/v1/subscriptions/"+sub.ID+"/partner", nil).Want(http.StatusOK).Decode(&got)
		if got.ID != sub.ID || got.PartnerOrg != "" {
			t.Errorf("after removal partner_org_id = %q", got.PartnerOrg)
		}
		if got := partnerViews(partnerBilling); len(got) != 0 {
			t.Errorf("after removal the partner sees %+v", got)
		}
		partnerBilling.Do("GET", "/api/v1/partner/subscriptions/"+sub.ID, nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		for _, org := range []atrium.OrgID{customer.ID, partner.ID} {
			if n := e.Count("SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'subscription.partner_remove' AND target_id = $2", string(org), sub.ID); n != 1 {
				t.Errorf("partner_remove entries in %s = %d, want 1", org, n)
			}
		}
		// The customer's own organization, an unknown domain and nothing at all are refused.
		before = licensingState(t, e)
		customer.Admin.Do("PUT", "/api/v1/subscriptions/"+sub.ID+"/partner", map[string]any{"partner_org_id": string(customer.ID)}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "partner_org_id")
		customer.Admin.Do("PUT", "/api/v1/subscriptions/"+sub.ID+"/partner", map[string]any{"partner_domain": "nobody.example"}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "partner_domain")
		customer.Admin.Do("PUT", "/api/v1/subscriptions/"+sub.ID+"/partner", map[string]any{}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "partner_org_id")
		wantLicensingState(t, e, before, "refused partners")
	})
}

// TestLicensingBadInput: bad input to the licensing endpoints is a 4xx problem naming
// the field, and nothing is written.
func TestLicensingBadInput(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Bad Input Co", "badlic")
		other := e.Signup("Other Co", "otherlic")
		ids := products(t, a.Admin)
		ce, se, quota := ids["CUSTOMER_ENGAGEMENT"], ids["SOCIAL_ENGAGEMENT"], ids["SOCIAL_ENGAGEMENT_POST_QUOTA"]
		sub := buy(a.Admin, ce, 2)
		foreign := buy(other.Admin, ce, 1)
		u := licensedUser(a.Admin, "carol")
		users := "/api/v1/users/" + string(u.ID) + "/licenses"
		subPath := "/api/v1/subscriptions/" + sub.ID
		runPeriodic(e, 0)
		invoice := e.Strings("SELECT id FROM invoices WHERE subscription_id = $1", sub.ID)[0]
		op := e.Operator()
		many := make([]string, licensing.BulkMaxUsers+1)
		for i := range many {
			many[i] = string(u.ID)
		}
		lic := func(items ...map[string]any) map[string]any { return map[string]any{"licenses": items} }
		cases := []struct {
			name   string
			caller *apptest.Client
			method string
			path   string
			body   any
			status int
			code   atrium.Code
			field  string
		}{
			{"order: unknown field", a.Admin, "POST", "/api/v1/orders", map[string]any{"product_id": ce, "quantity": 1, "discount": 50}, 400, atrium.CodeInvalid, "discount"},
			{"order: quantity as string", a.Admin, "POST", "/api/v1/orders", map[string]any{"product_id": ce, "quantity": "1"}, 400, atrium.CodeInvalid, "quantity"},
			{"order: quantity fractional", a.Admin, "POST", "/api/v1/orders", map[string]any{"product_id": ce, "quantity": 1.5}, 400, atrium.CodeInvalid, "quantity"},
			{"order: quantity zero", a.Admin, "POST", "/api/v1/orders", map[string]any{"product_id": ce, "quantity": 0}, 400, atrium.CodeInvalid, "quantity"},
			{"order: quantity missing", a.Admin, "POST", "/api/v1/orders", map[string]any{"product_id": ce}, 400, atrium.CodeInvalid, "quantity"},
			{"order: quantity negative", a.Admin, "POST", "/api/v1/orders", map[string]any{"product_id": ce, "quantity": -5}, 400, atrium.CodeInvalid, "quantity"},
			{"order: quantity over the maximum", a.Admin, "POST", "/api/v1/orders", map[string]any{"product_id": ce, "quantity": licensing.MaxQuantity + 1}, 400, atrium.CodeInvalid, "quantity"},
			{"order: quantity huge", a.Admin, "POST", "/api/v1/orders", `{"product_id":"` + ce + `","quantity":1e12}`, 400, atrium.CodeInvalid, "quantity"},
			{"order: quantity beyond int64", a.Admin, "POST", "/api/v1/orders", `{"product_id":"` + ce + `","quantity":99999999999999999999}`, 400, atrium.CodeInvalid, "quantity"},
			{"order: extension past the maximum", a.Admin, "POST", "/api/v1/orders", map[string]any{"product_id": ce, "subscription_id": sub.ID, "quantity": licensing.MaxQuantity}, 400, atrium.CodeInvalid, "quantity"},
			{"order: unknown product", a.Admin, "POST", "/api/v1/orders", map[string]any{"product_id": "no-such-product", "quantity": 1}, 400, atrium.CodeInvalid, "product_id"},
			{"order: sql product", a.Admin, "POST", "/api/v1/orders", map[string]any{"product_id": "' OR '1'='1", "quantity": 1}, 400, atrium.CodeInvalid, "product_id"},
			{"order: add-on as product", a.Admin, "POST", "/api/v1/orders", map[string]any{"product_id": quota, "quantity": 1}, 400, atrium.CodeInvalid, "product_id"},
			{"order: product as add-on", a.Admin, "POST", "/api/v1/orders", map[string]any{"addon_id": ce, "quantity": 1}, 400, atrium.CodeInvalid, "addon_id"},
			{"order: both", a.Admin, "POST", "/api/v1/orders", map[string]any{"product_id": ce, "addon_id": quota, "quantity": 1}, 400, atrium.CodeInvalid, "product_id"},
			{"order: neither", a.Admin, "POST", "/api/v1/orders", map[string]any{"quantity": 1}, 400, atrium.CodeInvalid, "product_id"},
			{"order: product id as number", a.Admin, "POST", "/api/v1/orders", map[string]any{"product_id": 7, "quantity": 1}, 400, atrium.CodeInvalid, "product_id"},
			{"order: another org's subscription", a.Admin, "POST", "/api/v1/orders", map[string]any{"product_id": ce, "subscription_id": foreign.ID, "quantity": 1}, 400, atrium.CodeInvalid, "subscription_id"},
			{"order: subscription of another product", a.Admin, "POST", "/api/v1/orders", map[string]any{"product_id": se, "subscription_id": sub.ID, "quantity": 1}, 400, atrium.CodeInvalid, "subscription_id"},
			{"order: add-on on a foreign subscription", a.Admin, "POST", "/api/v1/orders", map[string]any{"addon_id": quota, "subscription_id": foreign.ID, "quantity": 1}, 400, atrium.CodeInvalid, "subscription_id"},
			{"order: array body", a.Admin, "POST", "/api/v1/orders", `[{"product_id":"x"}]`, 400, atrium.CodeInvalid, ""},

			{"quantity: zero", a.Admin, "PATCH", subPath, map[string]any{"quantity": 0}, 400, atrium.CodeInvalid, "quantity"},
			{"quantity: negative", a.Admin, "PATCH", subPath, map[string]any{"quantity": -1}, 400, atrium.CodeInvalid, "quantity"},
			{"quantity: huge", a.Admin, "PATCH", subPath, map[string]any{"quantity": 1e12}, 400, atrium.CodeInvalid, "quantity"},
			{"quantity: over the maximum", a.Admin, "PATCH", subPath, map[string]any{"quantity": licensing.MaxQuantity + 1}, 400, atrium.CodeInvalid, "quantity"},
			{"quantity: as string", a.Admin, "PATCH", subPath, map[string]any{"quantity": "5"}, 400, atrium.CodeInvalid, "quantity"},
			{"quantity: null", a.Admin, "PATCH", subPath, `{"quantity":null}`, 400, atrium.CodeInvalid, "quantity"},
			{"quantity: unknown field", a.Admin, "PATCH", subPath, map[string]any{"quantity": 3, "state": "active"}, 400, atrium.CodeInvalid, "state"},
			{"quantity: unknown subscription", a.Admin, "PATCH", "/api/v1/subscriptions/no-such-sub", map[string]any{"quantity": 3}, 404, atrium.CodeNotFound, ""},
			{"quantity: malformed If-Match", a.Admin, "PATCH", subPath + "#if-match", map[string]any{"quantity": 3}, 412, atrium.CodePreconditionFailed, ""},
			{"cancel: unknown subscription", a.Admin, "POST", "/api/v1/subscriptions/no-such-sub/cancel", nil, 404, atrium.CodeNotFound, ""},

			{"licenses: unknown top-level field", a.Admin, "PUT", users, map[string]any{"licences": []any{}}, 400, atrium.CodeInvalid, "licences"},
			{"licenses: unknown field in an item", a.Admin, "PUT", users, lic(map[string]any{"product_id": ce, "plans": []string{}}), 400, atrium.CodeInvalid, "plans"},
			{"licenses: object for the list", a.Admin, "PUT", users, map[string]any{"licenses": map[string]any{"product_id": ce}}, 400, atrium.CodeInvalid, "licenses"},
			{"licenses: product id as number", a.Admin, "PUT", users, lic(map[string]any{"product_id": 5}), 400, atrium.CodeInvalid, "licenses.product_id"},
			{"licenses: plans as string", a.Admin, "PUT", users, lic(map[string]any{"product_id": ce, "disabled_service_plans": "CRM"}), 400, atrium.CodeInvalid, "licenses.disabled_service_plans"},
			{"licenses: unknown product", a.Admin, "PUT", users, lic(map[string]any{"product_id": ce}, map[string]any{"product_id": "no-such-product"}), 400, atrium.CodeInvalid, "licenses[1].product_id"},
			{"licenses: empty product id", a.Admin, "PUT", users, lic(map[string]any{"product_id": ""}), 400, atrium.CodeInvalid, "licenses[0].product_id"},
			{"licenses: duplicate product", a.Admin, "PUT", users, lic(map[string]any{"product_id": ce}, map[string]any{"product_id": ce}), 400, atrium.CodeInvalid, "licenses[1].product_id"},
			{"licenses: unknown service plan", a.Admin, "PUT", users, lic(map[string]any{"product_id": ce, "disabled_service_plans": []string{"CRM", "Telepathy"}}), 400, atrium.CodeInvalid, "licenses[0].disabled_service_plans"},
			{"licenses: plan of another product", a.Admin, "PUT", users, lic(map[string]any{"product_id": ce, "disabled_service_plans": []string{"Publishing"}}), 400, atrium.CodeInvalid, "licenses[0].disabled_service_plans"},
			{"licenses: unknown user", a.Admin, "PUT", "/api/v1/users/no-such-user/licenses", lic(map[string]any{"product_id": ce}), 404, atrium.CodeNotFound, ""},
			{"licenses: malformed JSON", a.Admin, "PUT", users, `{"licenses":[`, 400, atrium.CodeInvalid, ""},
			{"licenses: no seats of the product", a.Admin, "PUT", users, lic(map[string]any{"product_id": ids["COLLABORATE"]}), 409, atrium.CodeNoSeatsAvailable, ""},
			{"preview: no product", a.Admin, "GET", users + "/removal-preview", nil, 400, atrium.CodeInvalid, "product_id"},

			{"bulk: unknown action", a.Admin, "POST", "/api/v1/licenses/bulk", map[string]any{"action": "grant", "product_id": ce, "user_ids": []string{string(u.ID)}}, 400, atrium.CodeInvalid, "action"},
			{"bulk: too many users", a.Admin, "POST", "/api/v1/licenses/bulk", map[string]any{"action": "assign", "product_id": ce, "user_ids": many}, 400, atrium.CodeInvalid, "user_ids"},
			{"bulk: no users", a.Admin, "POST", "/api/v1/licenses/bulk", map[string]any{"action": "assign", "product_id": ce, "user_ids": []string{}}, 400, atrium.CodeInvalid, "user_ids"},
			{"bulk: users as string", a.Admin, "POST", "/api/v1/licenses/bulk", map[string]any{"action": "assign", "product_id": ce, "user_ids": string(u.ID)}, 400, atrium.CodeInvalid, "user_ids"},
			{"bulk: unknown product", a.Admin, "POST", "/api/v1/licenses/bulk", map[string]any{"action": "assign", "product_id": "nope", "user_ids": []string{string(u.ID)}}, 400, atrium.CodeInvalid, "product_id"},
			{"bulk: unknown field", a.Admin, "POST", "/api/v1/licenses/bulk", map[string]any{"action": "assign", "product_id": ce, "user_ids": []string{string(u.ID)}, "force": true}, 400, atrium.CodeInvalid, "force"},

			{"invoice: unknown format", a.Admin, "GET", "/api/v1/invoices/" + invoice + "?format=pdf", nil, 400, atrium.CodeInvalid, "format"},
			{"invoice: unknown id", a.Admin, "GET", "/api/v1/invoices/no-such-invoice", nil, 404, atrium.CodeNotFound, ""},
			{"invoices: bad limit", a.Admin, "GET", "/api/v1/invoices?limit=0", nil, 400, atrium.CodeInvalid, "limit"},
			{"invoices: bad cursor", a.Admin, "GET", "/api/v1/invoices?cursor=garbage", nil, 400, atrium.CodeInvalid, "cursor"},
			{"invoices: another org's", a.Admin, "GET", "/api/v1/invoices?org_id=" + string(other.ID), nil, 403, atrium.CodeForbidden, ""},
			{"invoice: pay unknown", op, "POST", "/api/v1/invoices/no-such-invoice/pay", nil, 404, atrium.CodeNotFound, ""},

			{"product: bad sku", op, "POST", "/api/v1/products", withChange(newProduct("X"), "sku", "lower case"), 400, atrium.CodeInvalid, "sku"},
			{"product: taken sku", op, "POST", "/api/v1/products", newProduct("COLLABORATE"), 409, atrium.CodeConflict, "sku"},
			{"product: negative price", op, "POST", "/api/v1/products", withChange(newProduct("NEG_PRICE"), "price_minor", -1), 400, atrium.CodeInvalid, "price_minor"},
			{"product: price as string", op, "POST", "/api/v1/products", withChange(newProduct("STR_PRICE"), "price_minor", "12.00"), 400, atrium.CodeInvalid, "price_minor"},
			{"product: unknown kind", op, "POST", "/api/v1/products", withChange(newProduct("ODD_KIND"), "kind", "bundle"), 400, atrium.CodeInvalid, "kind"},
			{"product: unknown parent", op, "POST", "/api/v1/products", withChange(withChange(newProduct("ORPHAN"), "kind", "addon"), "parent_id", "nope"), 400, atrium.CodeInvalid, "parent_id"},
			{"product: duplicate plans", op, "POST", "/api/v1/products", withChange(newProduct("DUP_PLANS"), "service_plans", []string{"A", "A"}), 400, atrium.CodeInvalid, "service_plans"},
			{"product: unknown field", op, "POST", "/api/v1/products", withChange(newProduct("EXTRA"), "free", true), 400, atrium.CodeInvalid, "free"},
			{"product patch: empty name", op, "PATCH", "/api/v1/products/" + ce, map[string]any{"name": " "}, 400, atrium.CodeInvalid, "name"},
			{"product patch: huge price", op, "PATCH", "/api/v1/products/" + ce, map[string]any{"price_minor": 1e12}, 400, atrium.CodeInvalid, "price_minor"},
			{"product patch: sku is not patchable", op, "PATCH", "/api/v1/products/" + ce, map[string]any{"sku": "NEW"}, 400, atrium.CodeInvalid, "sku"},
			{"product patch: unknown product", op, "PATCH", "/api/v1/products/nope", map[string]any{"name": "X"}, 404, atrium.CodeNotFound, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e := e.For(t)
				caller := c.caller.For(t)
				var header http.Header
				path := c.path
				if p, ok := strings.CutSuffix(path, "#if-match"); ok {
					path, header = p, http.Header{"If-Match": {"not-a-version"}}
				}
				before := licensingState(t, e)
				counts := rowCounts(e)
				res := caller.DoHeader(c.method, path, c.body, header)
				var fields []string
				if c.field != "" {
					fields = []string{c.field}
				}
				p := res.WantProblem(c.status, c.code, fields...)
				if p.Detail == "" || strings.Contains(p.Detail, "SQLSTATE") || strings.Contains(strings.ToLower(p.Detail), "sql") {
					t.Errorf("detail %q", p.Detail)
				}
				wantLicensingState(t, e, before, c.name)
				wantCounts(t, e, counts, c.name)
			})
		}
		if c := seatCount(t, a.Admin, ce); c.Purchased != 2 || c.Assigned != 0 {
			t.Errorf("after the bad input the pool is %+v", c)
		}
	})
}

// withChange returns a copy of body with key set to value.
func withChange(body map[string]any, key string, value any) map[string]any {
	out := map[string]any{}
	for k, v := range body {
		out[k] = v
	}
	out[key] = value
	return out
}
