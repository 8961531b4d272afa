package licensing

import (
	"context"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/store"
)

// LicenseAssigned: a user got a product license.
type LicenseAssigned struct {
	User        atrium.UserID `json:"user_id"`
	Org         atrium.OrgID  `json:"org_id"`
	ProductID   string        `json:"product_id"`
	ProductName string        `json:"product_name"`
}

// LicenseRemoved: a user lost a product license. LostApps are the apps the user can no
// longer use at all (no remaining license gives them); each app module subscribes and
// deletes or keeps the user's data in the app, reporting counts with Tx.Count, in the
// same transaction as the removal. The same subscribers answer previews (Bus.Preview).
type LicenseRemoved struct {
	User        atrium.UserID `json:"user_id"`
	Org         atrium.OrgID  `json:"org_id"`
	ProductID   string        `json:"product_id"`
	ProductName string        `json:"product_name"`
	LostApps    []string      `json:"lost_apps"`
}

// SubscriptionData is what the subscription events carry: the subscription as the
// change left it, and what changed.
type SubscriptionData struct {
	Subscription      string            `json:"subscription_id"`
	Org               atrium.OrgID      `json:"org_id"`
	ProductID         string            `json:"product_id"`
	ProductName       string            `json:"product_name"`
	ParentID          string            `json:"parent_id,omitempty"`
	Quantity          int               `json:"quantity"`
	State             SubscriptionState `json:"state"`
	Trial             bool              `json:"trial"`
	PeriodEnd         time.Time         `json:"period_end"`
	CancelAtPeriodEnd bool              `json:"cancel_at_period_end"`
	// Change is what happened: ordered or trial_started (created); quantity,
	// trial_conversion, trial_converted, renewed, expired or partner (changed);
	// cancelled (cancelled).
	Change string `json:"change"`
}

// SubscriptionCreated: an organization ordered a product or started a trial.
type SubscriptionCreated struct{ SubscriptionData }

// SubscriptionChanged: a subscription's seats, trial, period, partner or state changed.
type SubscriptionChanged struct{ SubscriptionData }

// SubscriptionCancelled: a subscription was cancelled; it ends at its period's end.
type SubscriptionCancelled struct{ SubscriptionData }

// InvoiceIssued: an invoice was issued to an organization.
type InvoiceIssued struct {
	Invoice       string       `json:"invoice_id"`
	Org           atrium.OrgID `json:"org_id"`
	Subscription  string       `json:"subscription_id"`
	Number        string       `json:"number"`
	Currency      string       `json:"currency"`
	TotalMinor    int64        `json:"total_minor"`
	TaxMinor      int64        `json:"tax_minor"`
	TotalDueMinor int64        `json:"total_due_minor"`
	DueAt         time.Time    `json:"due_at"`
}

// SeatsLow: an assignment left 10 % or fewer of a product's seats free (LowOnSeats); once
// until seats are bought again.
type SeatsLow struct {
	Org         atrium.OrgID `json:"org_id"`
	ProductID   string       `json:"product_id"`
	ProductName string       `json:"product_name"`
	Purchased   int          `json:"purchased"`
	Assigned    int          `json:"assigned"`
	Available   int          `json:"available"`
}

func (LicenseAssigned) EventType() events.Type       { return "license.assigned" }
func (LicenseRemoved) EventType() events.Type        { return "license.removed" }
func (SubscriptionCreated) EventType() events.Type   { return "subscription.created" }
func (SubscriptionChanged) EventType() events.Type   { return "subscription.changed" }
func (SubscriptionCancelled) EventType() events.Type { return "subscription.cancelled" }
func (InvoiceIssued) EventType() events.Type         { return "invoice.issued" }
func (SeatsLow) EventType() events.Type              { return "seats.low" }

// publishSubscription publishes the event wrap makes of subscription id of org as tx
// leaves it, change saying what changed.
func publishSubscription[T events.Payload](ctx context.Context, s *Service, tx *store.Tx, org atrium.OrgID, id, change string, wrap func(SubscriptionData) T) error {
	sub, err := getSubscription(ctx, tx, org, id)
	if err != nil {
		return err
	}
	_, err = s.events.Publish(ctx, tx, org, sub.ID, wrap(SubscriptionData{Subscription: sub.ID, Org: sub.Org, ProductID: sub.ProductID,
		ProductName: sub.ProductName, ParentID: sub.ParentID, Quantity: sub.Quantity, State: sub.State, Trial: sub.Trial,
		PeriodEnd: sub.PeriodEnd, CancelAtPeriodEnd: sub.CancelAtPeriodEnd, Change: change}))
	return err
}

func created(d SubscriptionData) SubscriptionCreated     { return SubscriptionCreated{d} }
func changed(d SubscriptionData) SubscriptionChanged     { return SubscriptionChanged{d} }
func cancelled(d SubscriptionData) SubscriptionCancelled { return SubscriptionCancelled{d} }

// subscribe makes licensing follow the directory: sign-up add-ons are validated and the
// trial starts on activation; a deleted user's seats are freed and given back on
// restore; a purged user's held licenses go, and a purged organization's everything.
func (s *Service) subscribe(bus *events.Bus) {
	events.Subscribe(bus, "licensing.validate_signup", s.validateSignup)
	events.Subscribe(bus, "licensing.start_trial", s.startTrial)
	events.Subscribe(bus, "licensing.hold_licenses", s.holdLicenses)
	events.Subscribe(bus, "licensing.restore_licenses", s.restoreLicenses)
	events.Subscribe(bus, "licensing.forget_org", s.forgetOrg)
	events.Subscribe(bus, "licensing.forget_user", func(ctx context.Context, tx *events.Tx, ev directory.UserPurged) error {
		for _, q := range []string{
			`DELETE FROM held_licenses WHERE user_id = $1`,
			`DELETE FROM license_assignments WHERE user_id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, string(ev.ID)); err != nil {
				return err
			}
		}
		return nil
	})
}
