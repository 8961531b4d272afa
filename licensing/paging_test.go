package licensing_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// auditCount counts org's audit entries of action.
func auditCount(t *testing.T, db *store.DB, org atrium.OrgID, action string) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRowContext(context.Background(), `SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = $2`,
		string(org), action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// walk reads every page of a list of size limit and returns the ids in the order read.
// It fails when a page is larger than limit, or when a page other than the last is not
// full.
func walk[T any](t *testing.T, limit int, page func(cursor string) ([]T, string, error), id func(T) string) []string {
	t.Helper()
	var ids []string
	cursor := ""
	for range 1000 {
		items, next, err := page(cursor)
		if err != nil {
			t.Fatalf("page after %q: %v", cursor, err)
		}
		if len(items) > limit || (next != "" && len(items) != limit) {
			t.Fatalf("page after %q has %d items, limit %d, next %q", cursor, len(items), limit, next)
		}
		for _, it := range items {
			ids = append(ids, id(it))
		}
		if next == "" {
			return ids
		}
		cursor = next
	}
	t.Fatal("the pages never end")
	return nil
}

// wantEachOnce fails unless got holds every id of want exactly once, in want's order.
func wantEachOnce(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: walked %d items %v, want each of %d once, in order: %v", what, len(got), got, len(want), want)
	}
}

// ids returns the ids of subs, in order, and fails unless they are newest first.
func ids(t *testing.T, subs []licensing.Subscription) []string {
	t.Helper()
	out := make([]string, len(subs))
	for i, s := range subs {
		if i > 0 && s.CreatedAt.After(subs[i-1].CreatedAt) {
			t.Errorf("%s is newer than %s before it", s.ID, subs[i-1].ID)
		}
		out[i] = s.ID
	}
	return out
}

// idsOf returns the ids of subs.
func idsOf(subs []licensing.Subscription) []string {
	out := make([]string, len(subs))
	for i, s := range subs {
		out[i] = s.ID
	}
	return out
}

// sameSet reports whether a and b hold the same ids, each once.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b) && len(slices.Compact(a)) == len(b)
}

// buySeveral places n orders of product, each a new subscription; every other one a
// second after the one before, so the list has both ties and steps in created_at.
func buySeveral(t *testing.T, e *env, p *access.Principal, product string, n int) []licensing.Subscription {
	t.Helper()
	var subs []licensing.Subscription
	for i := range n {
		if i%2 == 1 {
			e.clock.Advance(time.Second)
		}
		sub, _, err := e.lic.PlaceOrder(context.Background(), p, licensing.OrderInput{ProductID: product, Quantity: 1})
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, *sub)
	}
	return subs
}

func TestSubscriptionsAndInvoicesPage(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		admin, other := e.org(t, "customer"), e.org(t, "other")
		if _, err := e.queue.RunDue(ctx); err != nil { // activate the organizations and start their trials
			t.Fatal(err)
		}
		prod := e.product(t, "CUSTOMER_ENGAGEMENT")
		buySeveral(t, e, admin, prod.ID, 7)
		buySeveral(t, e, other, prod.ID, 2)
		all, next, err := e.lic.Subscriptions(ctx, admin, licensing.ListQuery{Limit: 200})
		if err != nil || next != "" {
			t.Fatalf("one page of everything: %v, next %q", err, next)
		}
		if len(all) < 7 {
			t.Fatalf("%d subscriptions, want at least the 7 bought", len(all))
		}
		want := ids(t, all)
		for _, limit := range []int{1, 2, 3, len(want), len(want) + 1} {
			got := walk(t, limit, func(cursor string) ([]licensing.Subscription, string, error) {
				return e.lic.Subscriptions(ctx, admin, licensing.ListQuery{Limit: limit, Cursor: cursor})
			}, func(s licensing.Subscription) string { return s.ID })
			wantEachOnce(t, "subscriptions", got, want)
		}
		if _, _, err := e.lic.Subscriptions(ctx, admin, licensing.ListQuery{Cursor: "not-a-cursor"}); atrium.ErrorCode(err) != atrium.CodeInvalid {
			t.Errorf("a bad cursor: %v, want invalid", err)
		}

		// Every paid subscription gets its invoice, all issued at the same instant.
		if _, err := e.lic.IssueInvoices(ctx); err != nil {
			t.Fatal(err)
		}
		invs, _, err := e.lic.Invoices(ctx, admin, "", 200, "")
		if err != nil || len(invs) < 7 {
			t.Fatalf("invoices = %d, %v; want one per paid subscription", len(invs), err)
		}
		var wantInv []string
		for _, inv := range invs {
			if inv.Org != admin.Org {
				t.Fatalf("another organization's invoice %+v", inv)
			}
			wantInv = append(wantInv, inv.ID)
		}
		for _, limit := range []int{1, 2, 5} {
			got := walk(t, limit, func(cursor string) ([]licensing.Invoice, string, error) {
				return e.lic.Invoices(ctx, admin, "", limit, cursor)
			}, func(inv licensing.Invoice) string { return inv.ID })
			wantEachOnce(t, "invoices", got, wantInv)
		}
		if _, _, err := e.lic.Invoices(ctx, admin, "", 2, "bm90IGEgY3Vyc29y"); atrium.ErrorCode(err) != atrium.CodeInvalid {
			t.Errorf("a bad invoice cursor: %v, want invalid", err)
		}
	})
}

// TestPartnerListPagesAndAuditsPerPage: the partner's list walks every subscription
// once, and reading a page writes one audit entry per customer on it and one for the
// partner, however many subscriptions the page holds.
func TestPartnerListPagesAndAuditsPerPage(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		big, small, partner, stranger := e.org(t, "big"), e.org(t, "small"), e.org(t, "partner"), e.org(t, "stranger")
		if _, err := e.queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		prod := e.product(t, "CUSTOMER_ENGAGEMENT")
		users := e.users(t, big, 2, "US")
		name := func(customer *access.Principal, subs []licensing.Subscription) {
			t.Helper()
			for _, s := range subs {
				if _, err := e.lic.SetPartner(ctx, customer, s.ID, licensing.PartnerInput{PartnerOrgID: partner.Org}); err != nil {
					t.Fatal(err)
				}
			}
		}
		// The big customer's 12 subscriptions are older than the small one's 3, so newest
		// first the small customer's come first.
		bigSubs := buySeveral(t, e, big, prod.ID, 12)
		name(big, bigSubs)
		for _, u := range users {
			if _, err := e.lic.SetUserLicenses(ctx, big, u, []licensing.License{{ProductID: prod.ID}}); err != nil {
				t.Fatal(err)
			}
		}
		e.clock.Advance(time.Minute)
		smallSubs := buySeveral(t, e, small, prod.ID, 3)
		name(small, smallSubs)
		buySeveral(t, e, stranger, prod.ID, 2) // no partner: never listed

		entries := func() map[atrium.OrgID]int {
			n := map[atrium.OrgID]int{}
			for _, org := range []atrium.OrgID{big.Org, small.Org, partner.Org, stranger.Org} {
				n[org] = auditCount(t, db, org, "partner.list")
			}
			return n
		}
		list := func(q licensing.ListQuery) ([]licensing.PartnerView, string) {
			t.Helper()
			views, next, err := e.lic.PartnerSubscriptions(ctx, partner, q)
			if err != nil {
				t.Fatal(err)
			}
			return views, next
		}
		wantEntries := func(what string, before map[atrium.OrgID]int, added map[atrium.OrgID]int) {
			t.Helper()
			after := entries()
			for org, n := range after {
				if n-before[org] != added[org] {
					t.Errorf("%s: %d partner.list entries added in %s, want %d", what, n-before[org], org, added[org])
				}
			}
		}

		// Everything on one page: 15 subscriptions, 3 audit entries.
		before := entries()
		views, next := list(licensing.ListQuery{Limit: 200})
		var subs []licensing.Subscription
		for _, v := range views {
			subs = append(subs, v.Subscription)
		}
		want := ids(t, subs)
		if named := append(idsOf(smallSubs), idsOf(bigSubs)...); next != "" || !sameSet(want, named) {
			t.Fatalf("one page: %v, next %q; want the 15 named %v", want, next, named)
		}
		wantEntries("one page of 15", before, map[atrium.OrgID]int{big.Org: 1, small.Org: 1, partner.Org: 1})
		for _, v := range views {
			if v.Subscription.Org == big.Org && (v.CustomerName != "Org big" || v.Licenses.Purchased != 12 || v.Licenses.Assigned != 2 || len(v.Users) != 2) {
				t.Errorf("big customer's view = %+v", v)
			}
			if v.Subscription.Org == small.Org && (v.CustomerName != "Org small" || len(v.Users) != 0) {
				t.Errorf("small customer's view = %+v", v)
			}
		}
		var after struct {
			PartnerOrgID    string   `json:"partner_org_id"`
			SubscriptionIDs []string `json:"subscription_ids"`
		}
		var raw string
		if err := db.Read().QueryRowContext(ctx, `SELECT after_json FROM audit_log WHERE org_id = $1 AND action = 'partner.list'`, string(big.Org)).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(raw), &after); err != nil || after.PartnerOrgID != string(partner.Org) || len(after.SubscriptionIDs) != len(bigSubs) {
			t.Errorf("the big customer's entry = %s, %v; want the partner and its 12 subscriptions", raw, err)
		}

		// Page by page: every subscription once, and per page one entry per customer on it
		// and one for the partner.
		before = entries()
		got := walk(t, 4, func(cursor string) ([]licensing.PartnerView, string, error) {
			return e.lic.PartnerSubscriptions(ctx, partner, licensing.ListQuery{Limit: 4, Cursor: cursor})
		}, func(v licensing.PartnerView) string { return v.Subscription.ID })
		wantEachOnce(t, "partner subscriptions", got, want)
		// Pages of 4 over 3 small then 12 big: {3 small, 1 big}, {4 big} ×2, {3 big}.
		wantEntries("four pages", before, map[atrium.OrgID]int{small.Org: 1, big.Org: 4, partner.Org: 4})

		// A page of the big customer alone is one entry there and one for the partner.
		_, cursor := list(licensing.ListQuery{Limit: 3})
		before = entries()
		views, _ = list(licensing.ListQuery{Limit: 10, Cursor: cursor})
		if len(views) != 10 {
			t.Fatalf("second page = %d views, want 10", len(views))
		}
		wantEntries("ten of the big customer's", before, map[atrium.OrgID]int{big.Org: 1, partner.Org: 1})

		// Nobody's partner: an empty list, nothing recorded.
		before = entries()
		if views, next, err := e.lic.PartnerSubscriptions(ctx, stranger, licensing.ListQuery{}); err != nil || len(views) != 0 || next != "" {
			t.Errorf("stranger's list = %+v, %q, %v", views, next, err)
		}
		if n := auditCount(t, db, stranger.Org, "partner.list"); n != before[stranger.Org] {
			t.Errorf("an empty list wrote %d entries", n-before[stranger.Org])
		}
		if _, _, err := e.lic.PartnerSubscriptions(ctx, partner, licensing.ListQuery{Cursor: "e30"}); atrium.ErrorCode(err) != atrium.CodeInvalid {
			t.Errorf("a bad cursor: %v, want invalid", err)
		}

		// One subscription: one entry in each organization.
		if _, err := e.lic.PartnerSubscription(ctx, partner, bigSubs[0].ID); err != nil {
			t.Fatal(err)
		}
		for _, org := range []atrium.OrgID{big.Org, partner.Org} {
			if n := auditCount(t, db, org, "partner.read"); n != 1 {
				t.Errorf("partner.read entries in %s = %d, want 1", org, n)
			}
		}
		if _, err := e.lic.PartnerSubscription(ctx, partner, string(stranger.Org)); atrium.ErrorCode(err) != atrium.CodeNotFound {
			t.Errorf("not a subscription: %v, want not_found", err)
		}
	})
}
