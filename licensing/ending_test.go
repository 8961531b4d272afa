package licensing_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// TestCancelPreviewChangesNothing: the preview of a subscription's end lists who loses
// which license, as the end then does, and leaves everything as it was.
func TestCancelPreviewChangesNothing(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		admin := e.org(t, "previewed")
		ce := e.product(t, "CUSTOMER_ENGAGEMENT")
		sub, _, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: ce.ID, Quantity: 3})
		if err != nil {
			t.Fatal(err)
		}
		users := e.users(t, admin, 3, "US")
		for _, u := range users {
			if _, err := e.lic.SetUserLicenses(ctx, admin, u, []licensing.License{{ProductID: ce.ID}}); err != nil {
				t.Fatal(err)
			}
		}
		// One more seat on a second subscription: one of the three licenses stays.
		if _, _, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: ce.ID, Quantity: 1}); err != nil {
			t.Fatal(err)
		}
		var audits int
		db.Read().QueryRowContext(ctx, `SELECT count(*) FROM audit_log`).Scan(&audits)

		prev, err := e.lic.CancelPreview(ctx, admin, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if prev.SeatsRemoved != 3 || prev.SeatsLeft != 1 || prev.UsersLosing != 2 || len(prev.Losses) != 2 || !prev.EndsAt.Equal(sub.PeriodEnd) {
			t.Fatalf("preview = %+v; want 3 seats to go, 1 to stay, 2 users to lose Customer Engagement", prev)
		}
		var losing []atrium.UserID
		for _, l := range prev.Losses {
			if l.ProductID != ce.ID || !slices.Equal(l.LostApps, []string{"crm", "groups"}) {
				t.Errorf("loss %+v, want Customer Engagement and its apps", l)
			}
			losing = append(losing, l.UserID)
		}
		// The most recent assignments go.
		slices.Sort(losing)
		want := []atrium.UserID{users[1], users[2]}
		slices.Sort(want)
		if !slices.Equal(losing, want) {
			t.Errorf("losing %v, want the two most recent holders %v", losing, want)
		}
		if c := count(t, e, admin, ce.ID); c.Purchased != 4 || c.Assigned != 3 {
			t.Fatalf("the preview changed the pool: %+v", c)
		}
		if got, _ := e.lic.Subscription(ctx, admin, sub.ID); got.State != licensing.StateActive || got.CancelAtPeriodEnd {
			t.Fatalf("the preview changed the subscription: %+v", got)
		}
		var after int
		db.Read().QueryRowContext(ctx, `SELECT count(*) FROM audit_log`).Scan(&after)
		if after != audits {
			t.Errorf("the preview wrote %d audit entries", after-audits)
		}

		// Others' subscriptions and readers without a billing role are refused.
		other := e.org(t, "other")
		if _, err := e.lic.CancelPreview(ctx, other, sub.ID); atrium.ErrorCode(err) != atrium.CodeNotFound {
			t.Errorf("another organization's preview: %v, want not_found", err)
		}
		helpdesk := &access.Principal{UserID: "h", Org: admin.Org, Grants: []access.Grant{{Role: access.HelpdeskAdmin, Scope: access.OrgScope(admin.Org)}}}
		if _, err := e.lic.CancelPreview(ctx, helpdesk, sub.ID); atrium.ErrorCode(err) != atrium.CodeForbidden {
			t.Errorf("helpdesk preview: %v, want forbidden", err)
		}

		// The end does what the preview said.
		if _, err := e.lic.Cancel(ctx, admin, sub.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(sub.PeriodEnd.Sub(e.clock.Now()) + time.Hour)
		e.queue.SchedulePeriodic(ctx)
		if _, err := e.queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			l, err := e.lic.UserLicenses(ctx, admin, u)
			if err != nil {
				t.Fatal(err)
			}
			if holds := len(l.Licenses) == 1; holds == slices.Contains(losing, u) {
				t.Errorf("after the end %s holds %v; the preview said it would lose it: %v", u, l.Licenses, slices.Contains(losing, u))
			}
		}
		if _, err := e.lic.CancelPreview(ctx, admin, sub.ID); atrium.ErrorCode(err) != atrium.CodeConflict {
			t.Errorf("preview of an expired subscription: %v, want conflict", err)
		}
	})
}
