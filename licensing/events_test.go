package licensing_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// outboxEvent is one row of the events outbox.
type outboxEvent struct {
	Type, Subject string
	Data          map[string]any
}

// outbox returns the events of org of the given types, in order.
func outbox(t *testing.T, db *store.DB, org string, types ...string) []outboxEvent {
	t.Helper()
	rows, err := db.Read().QueryContext(context.Background(), `SELECT type, subject, data FROM events WHERE org_id = $1 ORDER BY created_at, id`, org)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxEvent
	for rows.Next() {
		var e outboxEvent
		var data string
		if err := rows.Scan(&e.Type, &e.Subject, &data); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(types, e.Type) {
			continue
		}
		if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSubscriptionInvoiceAndSeatEvents: buying, changing, cancelling and renewing a
// subscription, issuing its invoice and running low on seats each publish their event,
// in the change's transaction, with the subscription as the change left it.
func TestSubscriptionInvoiceAndSeatEvents(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		admin := e.org(t, "evsub")
		org := string(admin.Org)
		prod := e.product(t, "COLLABORATE")
		types := []string{"subscription.created", "subscription.changed", "subscription.cancelled", "invoice.issued", "seats.low"}
		before := len(outbox(t, db, org, types...)) // the sign-up trial's
		sub, _, err := e.lic.PlaceOrder(ctx, admin, licensing.OrderInput{ProductID: prod.ID, Quantity: 10})
		if err != nil {
			t.Fatal(err)
		}
		if sub, err = e.lic.SetQuantity(ctx, admin, sub.ID, 11, 0); err != nil {
			t.Fatal(err)
		}
		users := e.users(t, admin, 10, "US")
		for _, u := range users { // the 10th leaves 1 of 11 free: under 10 %
			if _, err := e.lic.SetUserLicenses(ctx, admin, u, []licensing.License{{ProductID: prod.ID}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.lic.SetQuantity(ctx, admin, sub.ID, 0, 0); err == nil {
			t.Fatal("a refused change was accepted")
		}
		if _, err := e.lic.Cancel(ctx, admin, sub.ID); err != nil {
			t.Fatal(err)
		}
		got := outbox(t, db, org, types...)[before:]
		var kinds []string
		for _, ev := range got {
			kinds = append(kinds, ev.Type+"/"+str(ev.Data["change"]))
		}
		want := []string{"subscription.created/ordered", "invoice.issued/", "subscription.changed/quantity", "seats.low/", "subscription.cancelled/cancelled"}
		if !slices.Equal(kinds, want) {
			t.Fatalf("events %v, want %v", kinds, want)
		}
		created, issued, changed, low, cancelled := got[0], got[1], got[2], got[3], got[4]
		if created.Subject != sub.ID || created.Data["subscription_id"] != sub.ID || created.Data["quantity"] != 10.0 || created.Data["product_id"] != prod.ID {
			t.Errorf("subscription.created = %+v", created)
		}
		if changed.Data["quantity"] != 11.0 || changed.Data["state"] != "active" {
			t.Errorf("subscription.changed = %+v", changed)
		}
		if issued.Data["subscription_id"] != sub.ID || issued.Data["number"] == "" || issued.Data["total_due_minor"].(float64) < 10*float64(prod.PriceMinor) {
			t.Errorf("invoice.issued = %+v", issued)
		}
		if low.Subject != prod.ID || low.Data["purchased"] != 11.0 || low.Data["assigned"] != 10.0 || low.Data["available"] != 1.0 {
			t.Errorf("seats.low = %+v", low)
		}
		if cancelled.Data["cancel_at_period_end"] != true || cancelled.Data["state"] != "active" {
			t.Errorf("subscription.cancelled = %+v", cancelled)
		}

		// At the period's end the cancelled subscription expires: a change to "expired".
		e.clock.Advance(366 * 24 * time.Hour) // Collaborate is billed by the year
		e.queue.SchedulePeriodic(ctx)
		if _, err := e.queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if got, err := e.lic.Subscription(ctx, admin, sub.ID); err != nil || got.State != licensing.StateExpired {
			t.Fatalf("after the period: %+v, %v", got, err)
		}
		last := outbox(t, db, org, types...)
		var expired bool
		for _, ev := range last {
			expired = expired || ev.Type == "subscription.changed" && ev.Data["change"] == "expired" && ev.Subject == sub.ID && ev.Data["state"] == "expired"
		}
		if !expired {
			t.Fatalf("no subscription.changed/expired after the period's end: %v", last)
		}
	})
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
