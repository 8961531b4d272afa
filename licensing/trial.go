package licensing

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/store"
)

// validateSignup refuses a sign-up whose add-ons are not add-ons of the default product
// with a trial available (field "addons", naming every one refused); it runs in the
// sign-up's transaction, so nothing of the sign-up is written.
func (s *Service) validateSignup(ctx context.Context, tx *events.Tx, ev directory.OrgCreated) error {
	if len(ev.Addons) == 0 {
		return nil
	}
	def, addons, err := s.trialCatalog(ctx, tx)
	if err != nil {
		return err
	}
	var refused []string
	for _, sku := range ev.Addons {
		if a, ok := addons[strings.ToUpper(sku)]; !ok || !a.TrialAvailable || !def.TrialAvailable {
			refused = append(refused, fmt.Sprintf("%q", sku))
		}
	}
	if len(refused) == 0 {
		return nil
	}
	// Count picks the message's plural form; Addons lists them, each in quotes.
	args := []any{"Addons", strings.Join(refused, ", "), "Product", def.Name, "Count", len(refused)}
	if len(refused) == 1 {
		return atrium.FieldErrorf("addons", "err.licensing.trial_addons", "{{.Addons}} is not an add-on of {{.Product}} that can be tried", args...)
	}
	return atrium.FieldErrorf("addons", "err.licensing.trial_addons", "{{.Addons}} are not add-ons of {{.Product}} that can be tried", args...)
}

// trialCatalog returns the default product and its add-ons by SKU, with or without a
// trial.
func (s *Service) trialCatalog(ctx context.Context, q store.Querier) (*Product, map[string]*Product, error) {
	var id string
	if err := q.QueryRowContext(ctx, `SELECT id FROM products WHERE is_default = TRUE AND kind = 'product' ORDER BY created_at LIMIT 1`).Scan(&id); err != nil {
		return nil, nil, atrium.Internal(fmt.Errorf("licensing: no default product in the catalog: %w", err))
	}
	def, err := getProduct(ctx, s, q, id)
	if err != nil {
		return nil, nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT id FROM products WHERE parent_id = $1 AND kind = 'addon'`, def.ID)
	if err != nil {
		return nil, nil, err
	}
	var ids []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			rows.Close()
			return nil, nil, err
		}
		ids = append(ids, a)
	}
	rows.Close()
	addons := map[string]*Product{}
	for _, a := range ids {
		p, err := getProduct(ctx, s, q, a)
		if err != nil {
			return nil, nil, err
		}
		addons[p.SKU] = p
	}
	return def, addons, nil
}

// startTrial turns sign-up's "number of users" into a 30-day trial subscription of the
// default product with that many seats, plus the add-ons the sign-up picked, and
// licenses the first administrator; it runs in the provisioning transaction.
func (s *Service) startTrial(ctx context.Context, etx *events.Tx, ev directory.OrgActivated) error {
	tx := etx.Tx
	if ev.Seats < 1 {
		return nil
	}
	seats, orgID, addons := ev.Seats, ev.Org, ev.Addons
	def, byAddon, err := s.trialCatalog(ctx, tx)
	if err != nil {
		return err
	}
	if !def.TrialAvailable {
		return nil
	}
	now := tx.Now()
	end := now.Add(TrialLength)
	start := func(p *Product, parent string) (string, error) {
		id := uuid.Must(uuid.NewV7()).String()
		if _, err := tx.ExecContext(ctx, `INSERT INTO subscriptions (id, org_id, product_id, parent_id, quantity, state, trial, period_start, period_end, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, 'trial', TRUE, $6, $7, $6, $6)`,
			id, string(orgID), p.ID, nullable(parent), seats, store.Micros(now), store.Micros(end)); err != nil {
			return "", err
		}
		if err := addSeats(ctx, tx, orgID, p.ID, seats); err != nil {
			return "", err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: orgID, Action: "subscription.trial_start", TargetType: "subscription", TargetID: id,
			TargetName: p.Name, After: map[string]any{"quantity": seats, "ends_at": end}}); err != nil {
			return "", err
		}
		return id, publishSubscription(ctx, s, tx, orgID, id, "trial_started", created)
	}
	subID, err := start(def, "")
	if err != nil {
		return err
	}
	tried := []*Product{def}
	seen := map[string]bool{}
	for _, sku := range addons {
		// validateSignup refused the others when the organization was created; an add-on
		// whose trial the operator has turned off since is left out.
		a, ok := byAddon[strings.ToUpper(sku)]
		if !ok || !a.TrialAvailable || seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		if _, err := start(a, subID); err != nil {
			return err
		}
		tried = append(tried, a)
	}
	if ev.AdminUsageLocation == "" {
		return nil // licenses need a usage location; the admin assigns them once it is set
	}
	// The first administrator gets a license of everything the trial includes.
	for _, p := range tried {
		if err := s.takeSeat(ctx, tx, orgID, p.ID, p.Name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO license_assignments (user_id, product_id, org_id, disabled_plans, created_at) VALUES ($1, $2, $3, '[]', $4)`,
			string(ev.Admin.ID), p.ID, string(orgID), store.Micros(now)); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: orgID, Action: "license.assign", TargetType: "user", TargetID: string(ev.Admin.ID),
			TargetName: ev.Admin.Username, After: map[string]any{"product": p.Name, "trial": true}}); err != nil {
			return err
		}
		if _, err := s.events.Publish(ctx, tx, orgID, string(ev.Admin.ID), LicenseAssigned{User: ev.Admin.ID, Org: orgID, ProductID: p.ID, ProductName: p.Name}); err != nil {
			return err
		}
	}
	return nil
}

// TrialOffer returns what a sign-up can try: the default product and those of its
// add-ons that have a trial available, by name. def is nil when the catalog offers no
// trial.
func (s *Service) TrialOffer(ctx context.Context) (def *Product, addons []Product, err error) {
	d, byAddon, err := s.trialCatalog(ctx, s.db.Read())
	if err != nil || !d.TrialAvailable {
		return nil, nil, err
	}
	for _, a := range byAddon {
		if a.TrialAvailable {
			addons = append(addons, *a)
		}
	}
	sort.Slice(addons, func(i, j int) bool { return addons[i].Name < addons[j].Name })
	return d, addons, nil
}
