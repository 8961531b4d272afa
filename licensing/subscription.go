package licensing

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/store"
)

// SubscriptionState is where a subscription is in its life.
type SubscriptionState string

// Subscription states.
const (
	StateTrial   SubscriptionState = "trial"
	StateActive  SubscriptionState = "active"
	StateExpired SubscriptionState = "expired"
)

// MaxQuantity bounds the seats of one subscription.
const MaxQuantity = 1_000_000

// TrialLength is how long a trial subscription lasts.
const TrialLength = 30 * 24 * time.Hour

// Subscription is an organization's purchase of seats of one product or add-on.
type Subscription struct {
	ID                string            `json:"id"`
	Org               atrium.OrgID      `json:"org_id"`
	ProductID         string            `json:"product_id"`
	ProductName       string            `json:"product_name"`
	ParentID          string            `json:"parent_id,omitempty"`
	Quantity          int               `json:"quantity"`
	State             SubscriptionState `json:"state"`
	Trial             bool              `json:"trial"`
	PeriodStart       time.Time         `json:"period_start"`
	PeriodEnd         time.Time         `json:"period_end"`
	CancelAtPeriodEnd bool              `json:"cancel_at_period_end"`
	// ConvertAtTrialEnd makes a trial become a paid subscription when it ends.
	ConvertAtTrialEnd bool      `json:"convert_at_trial_end"`
	PartnerOrg        string    `json:"partner_org_id,omitempty"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
	Version           int64     `json:"-"`
}

// ETag returns the subscription's entity tag.
func (s *Subscription) ETag() string { return fmt.Sprintf(`"%d"`, s.Version) }

// OrderInput buys seats: of a product (a new subscription, or more seats on
// SubscriptionID) or of an add-on (attached to the organization's subscription of the
// add-on's product). Seats bought on a trial are added to its seats, and the whole
// subscription becomes paid.
type OrderInput struct {
	ProductID      string `json:"product_id"`
	AddonID        string `json:"addon_id"`
	SubscriptionID string `json:"subscription_id"`
	Quantity       int    `json:"quantity"`
	// SeatsAfter, when set, is the number of paid seats the subscription must have after
	// the order, as a review step showed it; if the order would leave another number
	// (someone changed the subscription since), nothing is bought.
	SeatsAfter int `json:"seats_after,omitempty"`
}

// Order is a placed order. Quantity is the paid seats it bills: the seats ordered, or,
// when it ends a trial, every seat of the subscription; Summary says what it did.
type Order struct {
	ID             string    `json:"id"`
	ProductID      string    `json:"product_id"`
	SubscriptionID string    `json:"subscription_id"`
	Quantity       int       `json:"quantity"`
	UnitPriceMinor int64     `json:"unit_price_minor"`
	TotalMinor     int64     `json:"total_minor"`
	Currency       string    `json:"currency"`
	Summary        string    `json:"summary"`
	CreatedAt      time.Time `json:"created_at"`
}

// OrderPlan is what an order will do, worked out by the same code that places it: a
// review step shows it, and PlaceOrder does exactly that.
type OrderPlan struct {
	Product *Product
	// Subscription is the subscription the seats go on; nil when the order starts one.
	Subscription *Subscription
	// ParentID is the subscription a new add-on subscription attaches to.
	ParentID string
	// Quantity is the seats ordered.
	Quantity int
	// SeatsBefore and TrialBefore are the subscription's seats before the order, and
	// whether they are trial seats (0 and false for a new subscription).
	SeatsBefore int
	TrialBefore bool
	// SeatsAfter is the paid seats the subscription has after the order.
	SeatsAfter int
	// ChargedSeats are the seats the order bills per period: those ordered, or all of
	// SeatsAfter when the order ends a trial.
	ChargedSeats int
	// TotalMinor is what ChargedSeats cost per billing period.
	TotalMinor int64
	// Summary says in a sentence what the subscription has afterwards, such as "50
	// trial seats become 60 paid seats".
	Summary string
}

// seats is "1 seat" or "n seats", with an adjective ("trial", "paid") when given.
func seats(n int, adjective string) string {
	if adjective != "" {
		adjective += " "
	}
	if n == 1 {
		return "1 " + adjective + "seat"
	}
	return fmt.Sprintf("%d %sseats", n, adjective)
}

const subscriptionColumns = `s.id, s.org_id, s.product_id, p.name, s.parent_id, s.quantity, s.state, s.trial, s.period_start, s.period_end,
	s.cancel_at_period_end, s.convert_at_trial_end, s.partner_org_id, s.created_at, s.updated_at, s.version`

func scanSubscription(row interface{ Scan(...any) error }) (*Subscription, error) {
	var sub Subscription
	var parent, partner *string
	var start, end, created, updated int64
	if err := row.Scan(&sub.ID, &sub.Org, &sub.ProductID, &sub.ProductName, &parent, &sub.Quantity, &sub.State, &sub.Trial, &start, &end,
		&sub.CancelAtPeriodEnd, &sub.ConvertAtTrialEnd, &partner, &created, &updated, &sub.Version); err != nil {
		return nil, err
	}
	if parent != nil {
		sub.ParentID = *parent
	}
	if partner != nil {
		sub.PartnerOrg = *partner
	}
	sub.PeriodStart, sub.PeriodEnd, sub.CreatedAt, sub.UpdatedAt = store.Time(start), store.Time(end), store.Time(created), store.Time(updated)
	return &sub, nil
}

func getSubscription(ctx context.Context, q store.Querier, org atrium.OrgID, id string) (*Subscription, error) {
	sub, err := scanSubscription(q.QueryRowContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions s JOIN products p ON p.id = s.product_id
		WHERE s.id = $1 AND s.org_id = $2`, id, string(org)))
	if err != nil {
		err = store.Translate(err)
		if atrium.ErrorCode(err) == atrium.CodeNotFound {
			return nil, atrium.Errorf(atrium.CodeNotFound, "subscription not found")
		}
		return nil, err
	}
	return sub, nil
}

// PlanOrder works out what PlaceOrder would do with in, without buying anything, for a
// review step (Global and Billing administrators). It returns the errors PlaceOrder
// returns for the same input.
func (s *Service) PlanOrder(ctx context.Context, p *access.Principal, in OrderInput) (*OrderPlan, error) {
	if err := access.Require(p, access.BillingManage, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	return s.planOrder(ctx, s.db.Read(), p.Org, in)
}

// planOrder checks in against the catalog and the organization's subscriptions, read
// with q, and returns what the order does.
func (s *Service) planOrder(ctx context.Context, q store.Querier, org atrium.OrgID, in OrderInput) (*OrderPlan, error) {
	probs := atrium.Problems{}
	if (in.ProductID == "") == (in.AddonID == "") {
		probs.Add("product_id", "give either product_id or addon_id")
	}
	if in.Quantity < 1 || in.Quantity > MaxQuantity {
		probs.Addf("quantity", "err.licensing.quantity", "must be between 1 and {{.Max}}", "Max", MaxQuantity)
	}
	if in.SeatsAfter < 0 {
		probs.Add("seats_after", "must not be negative")
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	field, id, want := "product_id", in.ProductID, KindProduct
	if in.AddonID != "" {
		field, id, want = "addon_id", in.AddonID, KindAddon
	}
	prod, err := getProduct(ctx, s, q, id)
	switch {
	case atrium.ErrorCode(err) == atrium.CodeNotFound, err == nil && prod.Kind != want:
		if want == KindAddon {
			return nil, atrium.FieldError(field, "is not an add-on of the catalog")
		}
		return nil, atrium.FieldError(field, "is not a product of the catalog")
	case err != nil:
		return nil, err
	}
	plan := &OrderPlan{Product: prod, Quantity: in.Quantity, SeatsAfter: in.Quantity, ChargedSeats: in.Quantity}
	switch {
	case prod.Kind == KindAddon:
		if plan.ParentID, err = s.parentSubscription(ctx, q, org, prod.ParentID, in.SubscriptionID); err != nil {
			return nil, err
		}
		root, err := getSubscription(ctx, q, org, plan.ParentID)
		if err != nil {
			return nil, err
		}
		plan.Summary = fmt.Sprintf("A new subscription of %s, added to your %s subscription", seats(in.Quantity, "paid"), root.ProductName)
	case in.SubscriptionID != "":
		sub, err := getSubscription(ctx, q, org, in.SubscriptionID)
		if err != nil {
			return nil, atrium.NotFoundAsField(err, "subscription_id", "is not a subscription of your organization")
		}
		if sub.ProductID != prod.ID || sub.State == StateExpired {
			return nil, atrium.FieldError("subscription_id", "must be a live subscription of the same product")
		}
		if sub.Quantity+in.Quantity > MaxQuantity {
			return nil, atrium.FieldErrorf("quantity", "err.licensing.subscription_max", "a subscription holds at most {{.Count}} seats", "Count", MaxQuantity)
		}
		plan.Subscription, plan.SeatsBefore, plan.TrialBefore = sub, sub.Quantity, sub.Trial
		plan.SeatsAfter = sub.Quantity + in.Quantity
		if sub.Trial {
			// The trial's seats are kept and become paid with the new ones.
			plan.ChargedSeats = plan.SeatsAfter
		}
		before, verb := "paid", "become"
		if sub.Trial {
			before = "trial"
		}
		if sub.Quantity == 1 {
			verb = "becomes"
		}
		plan.Summary = fmt.Sprintf("%s %s %s", seats(sub.Quantity, before), verb, seats(plan.SeatsAfter, "paid"))
	default:
		plan.Summary = "A new subscription of " + seats(in.Quantity, "paid")
	}
	plan.TotalMinor = prod.PriceMinor * int64(plan.ChargedSeats)
	if in.SeatsAfter != 0 && in.SeatsAfter != plan.SeatsAfter {
		return nil, &atrium.Error{Code: atrium.CodePreconditionFailed,
			Message: fmt.Sprintf("the subscription was changed since you reviewed the order: it would now have %s; review the order again", seats(plan.SeatsAfter, "paid")),
			ID:      "err.licensing.order_changed", Args: []any{"Count", plan.SeatsAfter}}
	}
	return plan, nil
}

// PlaceOrder buys seats for p's organization (Global and Billing administrators), as
// PlanOrder says, and returns the subscription it created or extended, with the order.
// Seats bought on a trial are added to the trial's seats, and the subscription becomes
// paid, its first period starting now. The first invoice of a new or converted
// subscription is issued with the order.
func (s *Service) PlaceOrder(ctx context.Context, p *access.Principal, in OrderInput) (*Subscription, *Order, error) {
	if err := access.Require(p, access.BillingManage, access.Resource{Org: p.Org}); err != nil {
		return nil, nil, err
	}
	var sub *Subscription
	var order *Order
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		plan, err := s.planOrder(ctx, tx, p.Org, in)
		if err != nil {
			return err
		}
		prod, now := plan.Product, tx.Now()
		action := "order.create"
		invoice := false
		switch {
		case plan.Subscription != nil && plan.TrialBefore:
			sub, action, invoice = plan.Subscription, "subscription.trial_convert", true
			// A trial that was to expire or convert at its end is bought now: neither applies.
			res, err := tx.ExecContext(ctx, `UPDATE subscriptions SET quantity = $1, trial = FALSE, state = 'active', period_start = $2, period_end = $3,
				cancel_at_period_end = FALSE, convert_at_trial_end = FALSE, updated_at = $2, version = version + 1 WHERE id = $4 AND version = $5`,
				plan.SeatsAfter, store.Micros(now), store.Micros(periodEnd(now, prod.BillingPeriod)), sub.ID, sub.Version)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return atrium.Errorf(atrium.CodePreconditionFailed, "the subscription was changed by someone else; review the order again")
			}
		case plan.Subscription != nil:
			sub = plan.Subscription
			res, err := tx.ExecContext(ctx, `UPDATE subscriptions SET quantity = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND version = $4`,
				plan.SeatsAfter, store.Micros(now), sub.ID, sub.Version)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return atrium.Errorf(atrium.CodePreconditionFailed, "the subscription was changed by someone else; review the order again")
			}
			if err := recordChange(ctx, tx, sub, sub.ID, in.Quantity, prod.PriceMinor, now); err != nil {
				return err
			}
		default:
			sub = &Subscription{ID: uuid.Must(uuid.NewV7()).String(), Org: p.Org, ProductID: prod.ID, ProductName: prod.Name, ParentID: plan.ParentID,
				Quantity: in.Quantity, State: StateActive, PeriodStart: now, PeriodEnd: periodEnd(now, prod.BillingPeriod), CreatedAt: now}
			if _, err := tx.ExecContext(ctx, `INSERT INTO subscriptions (id, org_id, product_id, parent_id, quantity, state, trial, period_start, period_end, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7, $8, $9, $9)`,
				sub.ID, string(p.Org), prod.ID, nullable(plan.ParentID), in.Quantity, string(StateActive), store.Micros(now), store.Micros(sub.PeriodEnd), store.Micros(now)); err != nil {
				return err
			}
			if plan.ParentID != "" {
				root, err := getSubscription(ctx, tx, p.Org, plan.ParentID)
				if err != nil {
					return err
				}
				if err := recordChange(ctx, tx, root, sub.ID, in.Quantity, prod.PriceMinor, now); err != nil {
					return err
				}
			} else {
				invoice = true
			}
		}
		if err := addSeats(ctx, tx, p.Org, prod.ID, in.Quantity); err != nil {
			return err
		}
		change, wrapCreated := "quantity", plan.Subscription == nil
		if plan.Subscription != nil && plan.TrialBefore {
			change = "trial_converted"
		}
		if err := s.recordOrder(ctx, tx, p, plan, sub, now, action, &order, &sub); err != nil {
			return err
		}
		if wrapCreated {
			err = publishSubscription(ctx, s, tx, p.Org, sub.ID, "ordered", created)
		} else {
			err = publishSubscription(ctx, s, tx, p.Org, sub.ID, change, changed)
		}
		if err != nil {
			return err
		}
		if invoice {
			// The first period is billed in advance, now, not at the next hourly run.
			return s.issueOne(ctx, tx, p.Org, sub.ID, now)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return sub, order, nil
}

// recordOrder writes the order row and its audit entry and reloads the subscription.
func (s *Service) recordOrder(ctx context.Context, tx *store.Tx, p *access.Principal, plan *OrderPlan, sub *Subscription,
	now time.Time, action string, order **Order, out **Subscription) error {
	prod := plan.Product
	o := &Order{ID: uuid.Must(uuid.NewV7()).String(), ProductID: prod.ID, SubscriptionID: sub.ID, Quantity: plan.ChargedSeats,
		UnitPriceMinor: prod.PriceMinor, TotalMinor: plan.TotalMinor, Currency: prod.Currency, Summary: plan.Summary, CreatedAt: now}
	if _, err := tx.ExecContext(ctx, `INSERT INTO orders (id, org_id, product_id, subscription_id, quantity, unit_price_minor, total_minor, currency, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, o.ID, string(p.Org), prod.ID, sub.ID, o.Quantity, o.UnitPriceMinor,
		o.TotalMinor, o.Currency, p.Name, store.Micros(now)); err != nil {
		return err
	}
	after := map[string]any{"quantity": plan.SeatsAfter, "seats_ordered": plan.Quantity, "total_minor": o.TotalMinor, "currency": o.Currency, "summary": plan.Summary}
	before := map[string]any(nil)
	if plan.Subscription != nil {
		before = map[string]any{"quantity": plan.SeatsBefore, "trial": plan.TrialBefore}
	}
	if err := audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: action, TargetType: "subscription", TargetID: sub.ID,
		TargetName: prod.Name, Before: before, After: after}); err != nil {
		return err
	}
	reloaded, err := getSubscription(ctx, tx, p.Org, sub.ID)
	if err != nil {
		return err
	}
	*order, *out = o, reloaded
	return nil
}

// parentSubscription finds the live subscription of product that an add-on attaches to:
// the one named, or the organization's only one.
func (s *Service) parentSubscription(ctx context.Context, tx store.Querier, org atrium.OrgID, product, named string) (string, error) {
	if named != "" {
		const msg = "must be a live subscription of the product this add-on belongs to"
		sub, err := getSubscription(ctx, tx, org, named)
		if err != nil {
			return "", atrium.NotFoundAsField(err, "subscription_id", msg)
		}
		if sub.ProductID != product || sub.State == StateExpired {
			return "", atrium.FieldError("subscription_id", msg)
		}
		return sub.ID, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM subscriptions WHERE org_id = $1 AND product_id = $2 AND state <> 'expired' ORDER BY created_at LIMIT 2`,
		string(org), product)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		ids = append(ids, id)
	}
	switch len(ids) {
	case 0:
		return "", atrium.FieldError("addon_id", "buy the product this add-on belongs to first")
	case 1:
		return ids[0], nil
	}
	return "", atrium.FieldError("subscription_id", "you have several subscriptions of this product; say which one the add-on attaches to")
}

// ListQuery asks for one page of a list: at most Limit items (1 to 200; 50 when out of
// range) after Cursor, a cursor the same list gave out ("" for the first page).
type ListQuery struct {
	Limit  int
	Cursor string
}

// size is the page size q asks for.
func (q ListQuery) size() int {
	if q.Limit <= 0 || q.Limit > 200 {
		return 50
	}
	return q.Limit
}

// newestFirst is the order of the subscription lists. With an equality on org_id it runs
// on subscriptions_org (org_id, created_at, id), with one on partner_org_id on
// subscriptions_partner (partner_org_id, created_at, id).
var newestFirst = store.Keyset{Columns: []string{"s.created_at", "s.id"}, Desc: true}

// subscriptionKey is a subscription's sort key in newestFirst, as stored.
func subscriptionKey(sub Subscription) []any { return []any{store.Micros(sub.CreatedAt), sub.ID} }

// Subscriptions returns one page of p's organization's subscriptions, newest first, and
// the cursor of the next page ("" on the last). It returns forbidden without a billing
// role and invalid (field "cursor") for a cursor this list did not give out.
func (s *Service) Subscriptions(ctx context.Context, p *access.Principal, q ListQuery) ([]Subscription, string, error) {
	if err := access.Require(p, access.BillingRead, access.Resource{Org: p.Org}); err != nil {
		return nil, "", err
	}
	var at int64
	var id string
	page, err := newestFirst.Page([]any{string(p.Org)}, q.Cursor, q.size(), &at, &id)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions s JOIN products p ON p.id = s.product_id
		WHERE s.org_id = $1 AND `+page.Where+` `+page.OrderLimit, page.Args...)
	if err != nil {
		return nil, "", store.Translate(err)
	}
	defer rows.Close()
	out := []Subscription{}
	for rows.Next() {
		sub, err := scanSubscription(rows)
		if err != nil {
			return nil, "", store.Translate(err)
		}
		out = append(out, *sub)
	}
	if err := rows.Err(); err != nil {
		return nil, "", store.Translate(err)
	}
	out, next := store.NextPage(page, out, subscriptionKey)
	return out, next, nil
}

// Subscription returns one subscription of p's organization.
func (s *Service) Subscription(ctx context.Context, p *access.Principal, id string) (*Subscription, error) {
	if err := access.Require(p, access.BillingRead, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	return getSubscription(ctx, s.db.Read(), p.Org, id)
}

// SetQuantity changes the seats of a subscription. Raising always works; lowering below
// the licenses assigned is refused with a conflict that says how many are assigned.
// ifMatch, when not zero, must be the current version.
func (s *Service) SetQuantity(ctx context.Context, p *access.Principal, id string, quantity int, ifMatch int64) (*Subscription, error) {
	if err := access.Require(p, access.BillingManage, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	if quantity < 1 || quantity > MaxQuantity {
		return nil, atrium.FieldErrorf("quantity", "err.licensing.quantity_cancel", "must be between 1 and {{.Max}}; to stop paying, cancel the subscription", "Max", MaxQuantity)
	}
	var out *Subscription
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		sub, err := getSubscription(ctx, tx, p.Org, id)
		if err != nil {
			return err
		}
		if ifMatch != 0 && ifMatch != sub.Version {
			return atrium.Errorf(atrium.CodePreconditionFailed, "the subscription was changed by someone else; reload and try again")
		}
		if sub.State == StateExpired {
			return atrium.Errorf(atrium.CodeConflict, "the subscription has expired")
		}
		delta := quantity - sub.Quantity
		switch {
		case delta > 0:
			err = addSeats(ctx, tx, p.Org, sub.ProductID, delta)
		case delta < 0:
			err = removeSeats(ctx, tx, p.Org, sub.ProductID, -delta, false)
		}
		if err != nil {
			return err
		}
		now := tx.Now()
		res, err := tx.ExecContext(ctx, `UPDATE subscriptions SET quantity = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND version = $4`,
			quantity, store.Micros(now), sub.ID, sub.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return atrium.Errorf(atrium.CodePreconditionFailed, "the subscription was changed by someone else; reload and try again")
		}
		root := sub
		if sub.ParentID != "" {
			if root, err = getSubscription(ctx, tx, p.Org, sub.ParentID); err != nil {
				return err
			}
		}
		prod, err := getProduct(ctx, s, tx, sub.ProductID)
		if err != nil {
			return err
		}
		if err := recordChange(ctx, tx, root, sub.ID, delta, prod.PriceMinor, now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "subscription.quantity", TargetType: "subscription", TargetID: sub.ID,
			TargetName: sub.ProductName, Before: map[string]any{"quantity": sub.Quantity}, After: map[string]any{"quantity": quantity}}); err != nil {
			return err
		}
		if err := publishSubscription(ctx, s, tx, p.Org, sub.ID, "quantity", changed); err != nil {
			return err
		}
		out, err = getSubscription(ctx, tx, p.Org, sub.ID)
		return err
	})
	return out, err
}

// Cancel makes a subscription end at the end of its current period; its licenses keep
// working until then.
func (s *Service) Cancel(ctx context.Context, p *access.Principal, id string) (*Subscription, error) {
	if err := access.Require(p, access.BillingManage, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	var out *Subscription
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		sub, err := getSubscription(ctx, tx, p.Org, id)
		if err != nil {
			return err
		}
		if sub.State == StateExpired || sub.CancelAtPeriodEnd {
			return atrium.Errorf(atrium.CodeConflict, "the subscription is already cancelled or expired")
		}
		now := tx.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET cancel_at_period_end = TRUE, updated_at = $1, version = version + 1 WHERE id = $2`,
			store.Micros(now), sub.ID); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "subscription.cancel", TargetType: "subscription", TargetID: sub.ID,
			TargetName: sub.ProductName, After: map[string]any{"ends_at": sub.PeriodEnd}}); err != nil {
			return err
		}
		if err := publishSubscription(ctx, s, tx, p.Org, sub.ID, "cancelled", cancelled); err != nil {
			return err
		}
		out, err = getSubscription(ctx, tx, p.Org, sub.ID)
		return err
	})
	return out, err
}

// SetTrialConversion marks a trial subscription of p's organization to become a paid
// subscription of the same quantity when the trial ends (convert true), or to expire then
// (false). Global and Billing administrators only.
func (s *Service) SetTrialConversion(ctx context.Context, p *access.Principal, id string, convert bool) (*Subscription, error) {
	if err := access.Require(p, access.BillingManage, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	var out *Subscription
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		sub, err := getSubscription(ctx, tx, p.Org, id)
		if err != nil {
			return err
		}
		if !sub.Trial || sub.State == StateExpired {
			return atrium.Errorf(atrium.CodeConflict, "only a running trial can be converted")
		}
		now := tx.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET convert_at_trial_end = $1, updated_at = $2, version = version + 1 WHERE id = $3`,
			convert, store.Micros(now), sub.ID); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "subscription.trial_conversion", TargetType: "subscription", TargetID: sub.ID,
			TargetName: sub.ProductName, Before: map[string]any{"convert_at_trial_end": sub.ConvertAtTrialEnd}, After: map[string]any{"convert_at_trial_end": convert}}); err != nil {
			return err
		}
		if err := publishSubscription(ctx, s, tx, p.Org, sub.ID, "trial_conversion", changed); err != nil {
			return err
		}
		out, err = getSubscription(ctx, tx, p.Org, sub.ID)
		return err
	})
	return out, err
}

// expireSubscriptions converts the trials marked for it, ends cancelled subscriptions and
// the other trials whose period is over, and renews the others for another period. An ended subscription's seats leave the pool;
// when fewer seats remain than are assigned, the most recent assignments are removed.
func (s *Service) expireSubscriptions(ctx context.Context, _ *jobs.Job) error {
	now := s.now()
	for {
		rows, err := s.db.Read().QueryContext(ctx, `SELECT s.id, s.org_id FROM subscriptions s
			WHERE s.state <> 'expired' AND s.period_end <= $1 ORDER BY s.period_end LIMIT 200`, store.Micros(now))
		if err != nil {
			return err
		}
		type due struct{ id, org string }
		var batch []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.id, &d.org); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, d)
		}
		rows.Close()
		if len(batch) == 0 {
			return nil
		}
		for _, d := range batch {
			if err := s.db.Tx(ctx, func(tx *store.Tx) error { return s.endOrRenew(ctx, tx, atrium.OrgID(d.org), d.id, now) }); err != nil {
				return fmt.Errorf("licensing: expire %s: %w", d.id, err)
			}
		}
	}
}

func (s *Service) endOrRenew(ctx context.Context, tx *store.Tx, org atrium.OrgID, id string, now time.Time) error {
	sub, err := getSubscription(ctx, tx, org, id)
	if err != nil {
		return err
	}
	if sub.State == StateExpired || sub.PeriodEnd.After(now) {
		return nil // another worker got here first
	}
	if sub.Trial && sub.ConvertAtTrialEnd && !sub.CancelAtPeriodEnd {
		prod, err := getProduct(ctx, s, tx, sub.ProductID)
		if err != nil {
			return err
		}
		start, end := sub.PeriodEnd, periodEnd(sub.PeriodEnd, prod.BillingPeriod)
		if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET trial = FALSE, state = 'active', period_start = $1, period_end = $2,
			updated_at = $3, version = version + 1 WHERE id = $4`, store.Micros(start), store.Micros(end), store.Micros(now), sub.ID); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: org, Action: "subscription.trial_convert", TargetType: "subscription", TargetID: sub.ID,
			TargetName: sub.ProductName, After: map[string]any{"quantity": sub.Quantity, "period_end": end}}); err != nil {
			return err
		}
		if err := publishSubscription(ctx, s, tx, org, sub.ID, "trial_converted", changed); err != nil {
			return err
		}
		if sub.ParentID != "" {
			return nil // an add-on is billed on its root's invoice
		}
		return s.issueOne(ctx, tx, org, sub.ID, now)
	}
	if !sub.CancelAtPeriodEnd && !sub.Trial {
		prod, err := getProduct(ctx, s, tx, sub.ProductID)
		if err != nil {
			return err
		}
		start := sub.PeriodEnd
		end := periodEnd(start, prod.BillingPeriod)
		for !end.After(now) {
			start, end = end, periodEnd(end, prod.BillingPeriod)
		}
		if _, err = tx.ExecContext(ctx, `UPDATE subscriptions SET period_start = $1, period_end = $2, updated_at = $3, version = version + 1 WHERE id = $4`,
			store.Micros(start), store.Micros(end), store.Micros(now), sub.ID); err != nil {
			return err
		}
		return publishSubscription(ctx, s, tx, org, sub.ID, "renewed", changed)
	}
	_, err = s.end(ctx, tx, sub, now)
	return err
}

// end expires sub: its seats leave the pool, the licenses beyond the seats that remain
// go (the most recent first), and with them the app data the app modules delete. It
// returns who lost which license; CancelPreview runs it in a transaction it rolls back.
func (s *Service) end(ctx context.Context, tx *store.Tx, sub *Subscription, now time.Time) ([]LicenseLoss, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET state = 'expired', updated_at = $1, version = version + 1 WHERE id = $2`,
		store.Micros(now), sub.ID); err != nil {
		return nil, err
	}
	if err := removeSeats(ctx, tx, sub.Org, sub.ProductID, sub.Quantity, true); err != nil {
		return nil, err
	}
	losses, err := s.trimAssignments(ctx, tx, sub.Org, sub.ProductID)
	if err != nil {
		return nil, err
	}
	action := "subscription.expire"
	if sub.Trial {
		action = "subscription.trial_expire"
	}
	if err := audit.Record(ctx, tx, now, audit.Entry{Org: sub.Org, Action: action, TargetType: "subscription", TargetID: sub.ID, TargetName: sub.ProductName,
		After: map[string]any{"seats_removed": sub.Quantity, "licenses_removed": len(losses)}}); err != nil {
		return nil, err
	}
	return losses, publishSubscription(ctx, s, tx, sub.Org, sub.ID, "expired", changed)
}
