package licensing

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/store"
)

// LicenseCount is one product's seats in an organization.
type LicenseCount struct {
	ProductID   string `json:"product_id"`
	ProductName string `json:"product_name"`
	Purchased   int    `json:"purchased"`
	Assigned    int    `json:"assigned"`
	Available   int    `json:"available"`
}

// License is one product assigned to a user, with the service plans turned off.
type License struct {
	ProductID            string   `json:"product_id"`
	ProductName          string   `json:"product_name,omitempty"`
	DisabledServicePlans []string `json:"disabled_service_plans"`
}

// UserLicenses is a user's whole set of licenses.
type UserLicenses struct {
	Licenses []License `json:"licenses"`
}

// Licenses returns, per product, the seats purchased, assigned and available in p's
// organization.
func (s *Service) Licenses(ctx context.Context, p *access.Principal) ([]LicenseCount, error) {
	if err := access.Require(p, access.LicenseRead, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	return s.licenseCounts(ctx, p.Org)
}

// licenseCounts returns org's seats per product, by product name.
func (s *Service) licenseCounts(ctx context.Context, org atrium.OrgID) ([]LicenseCount, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT ss.product_id, pr.name, SUM(ss.capacity), SUM(ss.assigned) FROM seat_stripes ss
		JOIN products pr ON pr.id = ss.product_id WHERE ss.org_id = $1 GROUP BY ss.product_id, pr.name ORDER BY pr.name, ss.product_id`, string(org))
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	out := []LicenseCount{}
	for rows.Next() {
		var c LicenseCount
		if err := rows.Scan(&c.ProductID, &c.ProductName, &c.Purchased, &c.Assigned); err != nil {
			return nil, store.Translate(err)
		}
		c.Available = max(0, c.Purchased-c.Assigned)
		out = append(out, c)
	}
	return out, store.Translate(rows.Err())
}

func userLicenses(ctx context.Context, q store.Querier, user atrium.UserID) (map[string]License, error) {
	rows, err := q.QueryContext(ctx, `SELECT la.product_id, pr.name, la.disabled_plans FROM license_assignments la
		JOIN products pr ON pr.id = la.product_id WHERE la.user_id = $1 ORDER BY pr.name`, string(user))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]License{}
	for rows.Next() {
		var l License
		var disabled string
		if err := rows.Scan(&l.ProductID, &l.ProductName, &disabled); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(disabled), &l.DisabledServicePlans)
		if l.DisabledServicePlans == nil {
			l.DisabledServicePlans = []string{}
		}
		out[l.ProductID] = l
	}
	return out, rows.Err()
}

func sortedLicenses(m map[string]License) []License {
	out := make([]License, 0, len(m))
	for _, l := range m {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ProductName < out[j].ProductName })
	return out
}

// UserLicenses returns a user's licenses (a user of p's organization).
func (s *Service) UserLicenses(ctx context.Context, p *access.Principal, user atrium.UserID) (*UserLicenses, error) {
	if err := access.Require(p, access.LicenseRead, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	if _, err := s.dir.GetUserUnchecked(ctx, p.Org, user); err != nil {
		return nil, err
	}
	m, err := userLicenses(ctx, s.db.Read(), user)
	if err != nil {
		return nil, store.Translate(err)
	}
	return &UserLicenses{Licenses: sortedLicenses(m)}, nil
}

// SetUserLicenses replaces a user's whole set of licenses in one transaction: each new
// product takes a seat from its pool (no_seats_available when none is left, and then
// nothing changes), each dropped product frees its seat at once, and when the user loses
// the last license giving access to an app, that app's registered cleanup runs in the
// same transaction. A user needs a usage location before any license can be assigned.
func (s *Service) SetUserLicenses(ctx context.Context, p *access.Principal, user atrium.UserID, want []License) (*UserLicenses, error) {
	u, err := s.dir.GetUserUnchecked(ctx, p.Org, user)
	if err != nil {
		return nil, err
	}
	if err := access.Require(p, access.LicenseAssign, access.Resource{Org: p.Org, TargetOrg: u.Org, TargetRank: access.RankOf(u.Roles)}); err != nil {
		return nil, err
	}
	if u.DeletedAt != nil {
		return nil, atrium.Errorf(atrium.CodeConflict, "the user is deleted")
	}
	// The catalog is read before the transaction: products are never deleted, and on
	// SQLite the transaction holds the one write lock, so it should do no more than write.
	wanted, err := s.resolveLicenses(ctx, s.db.Read(), want)
	if err != nil {
		return nil, err
	}
	var out *UserLicenses
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		// Read again, locked, in the transaction: the user may have been deleted since.
		u, err := s.dir.LockUser(ctx, tx, p.Org, user)
		if err != nil {
			return err
		}
		if u.DeletedAt != nil {
			return atrium.Errorf(atrium.CodeConflict, "the user is deleted")
		}
		res, err := s.applyLicenses(ctx, tx, p.Org, u, wanted)
		out = res
		return err
	})
	return out, err
}

// resolveLicenses checks a wanted set against the catalog — each product listed once and
// in the catalog, each disabled plan (by id or name) one of its plans — and returns it by
// product id, with product names and the disabled plans as sorted ids.
func (s *Service) resolveLicenses(ctx context.Context, q store.Querier, want []License) (map[string]License, error) {
	type product struct {
		name  string
		plans map[string]string // id and name → id
	}
	catalog := map[string]*product{}
	var ids []string
	for _, l := range want {
		if _, ok := catalog[l.ProductID]; !ok {
			catalog[l.ProductID] = nil
			ids = append(ids, l.ProductID)
		}
	}
	// One query per 500 products, not two per license.
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		args, marks := store.In(nil, chunk)
		rows, err := q.QueryContext(ctx, `SELECT p.id, p.name, sp.id, sp.name FROM products p LEFT JOIN service_plans sp ON sp.product_id = p.id
			WHERE p.id IN (`+marks+`)`, args...)
		if err != nil {
			return nil, store.Translate(err)
		}
		for rows.Next() {
			var id, name string
			var planID, planName *string
			if err := rows.Scan(&id, &name, &planID, &planName); err != nil {
				rows.Close()
				return nil, store.Translate(err)
			}
			p := catalog[id]
			if p == nil {
				p = &product{name: name, plans: map[string]string{}}
				catalog[id] = p
			}
			if planID != nil {
				p.plans[*planID], p.plans[*planName] = *planID, *planID
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, store.Translate(err)
		}
	}
	wanted := map[string]License{}
	for i, l := range want {
		if _, dup := wanted[l.ProductID]; dup {
			return nil, atrium.FieldError(fmt.Sprintf("licenses[%d].product_id", i), "is listed twice")
		}
		prod := catalog[l.ProductID]
		if prod == nil {
			return nil, atrium.FieldError(fmt.Sprintf("licenses[%d].product_id", i), "is not a product of the catalog")
		}
		disabled := []string{}
		for _, d := range l.DisabledServicePlans {
			id, ok := prod.plans[d]
			if !ok {
				return nil, atrium.FieldErrorf(fmt.Sprintf("licenses[%d].disabled_service_plans", i), "err.licensing.no_service_plan",
					`"{{.Plan}}" is not a service plan of {{.Product}}`, "Plan", d, "Product", prod.name)
			}
			disabled = append(disabled, id)
		}
		sort.Strings(disabled)
		wanted[l.ProductID] = License{ProductID: l.ProductID, ProductName: prod.name, DisabledServicePlans: disabled}
	}
	return wanted, nil
}

// applyLicenses makes wanted (from resolveLicenses) the user's set inside tx. The seat
// pools are changed last, in product order: a pool row is the one thing concurrent
// assignments of the same product wait for, so its lock is held only from the
// conditional update to the commit, and two sets never lock pools in opposite orders.
func (s *Service) applyLicenses(ctx context.Context, tx *store.Tx, org atrium.OrgID, u *directory.User, wanted map[string]License) (*UserLicenses, error) {
	have, err := userLicenses(ctx, tx, u.ID)
	if err != nil {
		return nil, err
	}
	now := tx.Now()
	var added, removed []string
	for _, id := range sortedIDs(wanted) {
		l := wanted[id]
		old, had := have[id]
		if !had {
			added = append(added, id)
			continue
		}
		disabled := mustJSON(l.DisabledServicePlans)
		if string(mustJSON(old.DisabledServicePlans)) == string(disabled) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE license_assignments SET disabled_plans = $1 WHERE user_id = $2 AND product_id = $3`,
			string(disabled), string(u.ID), id); err != nil {
			return nil, err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: org, Action: "license.update", TargetType: "user", TargetID: string(u.ID),
			TargetName: u.Username, Before: map[string]any{"product": l.ProductName, "disabled_service_plans": old.DisabledServicePlans},
			After: map[string]any{"product": l.ProductName, "disabled_service_plans": l.DisabledServicePlans}}); err != nil {
			return nil, err
		}
	}
	if len(added) > 0 && u.UsageLocation == "" {
		return nil, &atrium.Error{Code: atrium.CodeInvalid, Message: "set the user's usage location before assigning licenses",
			Fields: map[string]string{"usage_location": "is required before a license can be assigned"}}
	}
	for _, id := range added {
		l := wanted[id]
		if _, err := tx.ExecContext(ctx, `INSERT INTO license_assignments (user_id, product_id, org_id, disabled_plans, created_at) VALUES ($1, $2, $3, $4, $5)`,
			string(u.ID), id, string(org), string(mustJSON(l.DisabledServicePlans)), store.Micros(now)); err != nil {
			return nil, err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: org, Action: "license.assign", TargetType: "user", TargetID: string(u.ID),
			TargetName: u.Username, After: map[string]any{"product": l.ProductName}}); err != nil {
			return nil, err
		}
		if _, err := s.events.Publish(ctx, tx, org, string(u.ID), LicenseAssigned{User: u.ID, Org: org, ProductID: id, ProductName: l.ProductName}); err != nil {
			return nil, err
		}
	}
	for _, id := range sortedIDs(have) {
		if _, keep := wanted[id]; keep {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM license_assignments WHERE user_id = $1 AND product_id = $2`, string(u.ID), id); err != nil {
			return nil, err
		}
		removed = append(removed, id)
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: org, Action: "license.remove", TargetType: "user", TargetID: string(u.ID),
			TargetName: u.Username, Before: map[string]any{"product": have[id].ProductName}}); err != nil {
			return nil, err
		}
	}
	if len(removed) > 0 {
		if _, _, err := s.publishRemovals(ctx, tx, org, u, have, removed); err != nil {
			return nil, err
		}
	}
	pools := append(append([]string(nil), added...), removed...)
	sort.Strings(pools)
	for _, id := range pools {
		if _, take := wanted[id]; take {
			if err := s.takeSeat(ctx, tx, org, id, wanted[id].ProductName); err != nil {
				return nil, err
			}
			continue
		}
		if err := s.releaseSeat(ctx, tx, org, id); err != nil {
			return nil, err
		}
	}
	return &UserLicenses{Licenses: sortedLicenses(wanted)}, nil
}

// sortedIDs returns the product ids of m in order.
func sortedIDs(m map[string]License) []string {
	out := make([]string, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// LowOnSeats reports whether the available seats are 10% of the purchased or fewer.
func LowOnSeats(purchased, assigned int) bool {
	return purchased > 0 && (purchased-assigned)*10 <= purchased
}

// warnLowSeats publishes seats.low and mails the billing administrators of org (or,
// when it has none, its Global administrators).
func (s *Service) warnLowSeats(ctx context.Context, tx *store.Tx, org atrium.OrgID, productID, product string, purchased, assigned int) error {
	if _, err := s.events.Publish(ctx, tx, org, productID, SeatsLow{Org: org, ProductID: productID, ProductName: product,
		Purchased: purchased, Assigned: assigned, Available: purchased - assigned}); err != nil {
		return err
	}
	if s.mailer == nil {
		return nil
	}
	recipients, err := access.Holders(ctx, tx, org, access.BillingAdmin)
	if err != nil {
		return err
	}
	if len(recipients) == 0 {
		if recipients, err = access.Holders(ctx, tx, org, access.GlobalAdmin); err != nil {
			return err
		}
	}
	cards, err := s.dir.Cards(ctx, tx, org, recipients)
	if err != nil {
		return err
	}
	for _, c := range cards {
		name, email := c.DisplayName, c.ContactEmail
		if email == "" {
			continue
		}
		if err := s.mailer.Enqueue(ctx, tx, mail.Message{Org: org, To: email, Template: "low_seats", Lang: c.Language, Data: map[string]any{
			"DisplayName": name, "Product": product, "Purchased": purchased, "Assigned": assigned, "Available": purchased - assigned,
		}}); err != nil {
			return err
		}
	}
	return nil
}

// appsOf returns the apps the given products give access to.
func appsOf(ctx context.Context, q store.Querier, products []string) (map[string]bool, error) {
	apps := map[string]bool{}
	for _, id := range products {
		var raw string
		if err := q.QueryRowContext(ctx, `SELECT apps FROM products WHERE id = $1`, id).Scan(&raw); err != nil {
			return nil, err
		}
		var list []string
		_ = json.Unmarshal([]byte(raw), &list)
		for _, a := range list {
			apps[a] = true
		}
	}
	return apps, nil
}

// lostApps returns the apps that the removed products gave and that none of the user's
// remaining licenses gives (a preview product gives the same app as its full product,
// so swapping one for the other loses nothing).
func lostApps(ctx context.Context, q store.Querier, user atrium.UserID, removed []string) ([]string, error) {
	gone, err := appsOf(ctx, q, removed)
	if err != nil {
		return nil, err
	}
	remaining, err := userLicenses(ctx, q, user)
	if err != nil {
		return nil, err
	}
	var keep []string
	for id := range remaining {
		keep = append(keep, id)
	}
	kept, err := appsOf(ctx, q, keep)
	if err != nil {
		return nil, err
	}
	var out []string
	for app := range gone {
		if !kept[app] {
			out = append(out, app)
		}
	}
	sort.Strings(out)
	return out, nil
}

// publishRemovals publishes LicenseRemoved for each removed product, naming the apps
// the user lost with it, and audits what the app modules deleted. It returns the apps
// lost and, per kind, what the app modules counted.
func (s *Service) publishRemovals(ctx context.Context, tx *store.Tx, org atrium.OrgID, u *directory.User, have map[string]License, removed []string) ([]string, map[string]int, error) {
	lost, err := lostApps(ctx, tx, u.ID, removed)
	if err != nil {
		return nil, nil, err
	}
	counts := map[string]int{}
	told := map[string]bool{} // each lost app is named by one event only
	for _, id := range removed {
		gives, err := appsOf(ctx, tx, []string{id})
		if err != nil {
			return nil, nil, err
		}
		apps := []string{}
		for _, app := range lost {
			if gives[app] && !told[app] {
				apps = append(apps, app)
				told[app] = true
			}
		}
		rep, err := s.events.Publish(ctx, tx, org, string(u.ID), LicenseRemoved{User: u.ID, Org: org, ProductID: id, ProductName: have[id].ProductName, LostApps: apps})
		if err != nil {
			return nil, nil, err
		}
		for k, v := range rep.Counts {
			counts[k] += v
		}
		if len(apps) == 0 {
			continue
		}
		summary := map[string]any{"apps": apps}
		for k, v := range rep.Counts {
			summary[k] = v
		}
		if err := audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: org, Action: "app_data.cleanup", TargetType: "user", TargetID: string(u.ID),
			TargetName: u.Username, After: summary}); err != nil {
			return nil, nil, err
		}
	}
	if lost == nil {
		lost = []string{}
	}
	return lost, counts, nil
}

// RemovalPreview tells, for removing products from a user's current licenses, which
// apps the user loses and per app what will be deleted, so the console can ask for
// confirmation.
func (s *Service) RemovalPreview(ctx context.Context, p *access.Principal, user atrium.UserID, products []string) (map[string]map[string]int, error) {
	if err := access.Require(p, access.LicenseRead, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	have, err := userLicenses(ctx, s.db.Read(), user)
	if err != nil {
		return nil, store.Translate(err)
	}
	drop := map[string]bool{}
	for _, id := range products {
		drop[id] = true
	}
	var keep []string
	for id := range have {
		if !drop[id] {
			keep = append(keep, id)
		}
	}
	return s.ChangePreview(ctx, p, user, keep)
}

// ChangePreview tells what replacing a user's licenses with the products in want would
// delete: per app the user loses (given by a removed product and by none of want), the
// counts its cleanup reports. Swapping a full product for its preview loses nothing.
func (s *Service) ChangePreview(ctx context.Context, p *access.Principal, user atrium.UserID, want []string) (map[string]map[string]int, error) {
	if err := access.Require(p, access.LicenseRead, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	u, err := s.dir.GetUserUnchecked(ctx, p.Org, user)
	if err != nil {
		return nil, err
	}
	have, err := userLicenses(ctx, s.db.Read(), u.ID)
	if err != nil {
		return nil, store.Translate(err)
	}
	wanted := map[string]bool{}
	for _, id := range want {
		wanted[id] = true
	}
	var removed []string
	for id := range have {
		if !wanted[id] {
			removed = append(removed, id)
		}
	}
	gone, err := appsOf(ctx, s.db.Read(), removed)
	if err != nil {
		return nil, store.Translate(err)
	}
	kept, err := appsOf(ctx, s.db.Read(), want)
	if atrium.ErrorCode(store.Translate(err)) == atrium.CodeNotFound {
		return nil, atrium.FieldError("product_id", "is not a product of the catalog")
	}
	if err != nil {
		return nil, store.Translate(err)
	}
	out := map[string]map[string]int{}
	for app := range gone {
		if kept[app] {
			continue
		}
		// The app modules' own subscribers say what they would delete, in a transaction
		// that is rolled back: the preview cannot drift from the removal.
		rep, err := s.events.Preview(ctx, func(tx *store.Tx, publish func(atrium.OrgID, string, events.Payload) error) error {
			return publish(p.Org, string(u.ID), LicenseRemoved{User: u.ID, Org: p.Org, LostApps: []string{app}})
		})
		if err != nil {
			return nil, err
		}
		out[app] = map[string]int{}
		for k, v := range rep.Counts {
			out[app][k] = v
		}
	}
	return out, nil
}

// BulkResult is the outcome for one user of a bulk assignment or removal.
type BulkResult struct {
	UserID atrium.UserID `json:"user_id"`
	OK     bool          `json:"ok"`
	Code   atrium.Code   `json:"code,omitempty"`
	Error  string        `json:"error,omitempty"`
}

// BulkMaxUsers bounds one bulk request.
const BulkMaxUsers = 1000

// Bulk assigns (assign=true) or removes one product for many users, each user in their
// own transaction, and reports the outcome per user.
func (s *Service) Bulk(ctx context.Context, p *access.Principal, assign bool, product string, users []atrium.UserID) ([]BulkResult, error) {
	if err := access.Require(p, access.LicenseAssign, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	if len(users) == 0 || len(users) > BulkMaxUsers {
		return nil, atrium.FieldErrorf("user_ids", "err.licensing.bulk_users", "give between 1 and {{.Max}} users", "Max", BulkMaxUsers)
	}
	if _, err := s.Product(ctx, product); atrium.ErrorCode(err) == atrium.CodeNotFound {
		return nil, atrium.FieldError("product_id", "is not a product of the catalog")
	} else if err != nil {
		return nil, err
	}
	out := make([]BulkResult, 0, len(users))
	for _, id := range users {
		err := s.changeOne(ctx, p, id, product, assign)
		r := BulkResult{UserID: id, OK: err == nil}
		if err != nil {
			r.Code = atrium.ErrorCode(err)
			r.Error = publicMessage(err)
		}
		out = append(out, r)
	}
	return out, nil
}

func publicMessage(err error) string {
	if e, ok := err.(*atrium.Error); ok && e.Code != atrium.CodeInternal {
		return e.Message
	}
	return "internal error"
}

// changeOne adds or removes one product of one user, keeping their other licenses.
func (s *Service) changeOne(ctx context.Context, p *access.Principal, user atrium.UserID, product string, assign bool) error {
	u, err := s.dir.GetUserUnchecked(ctx, p.Org, user)
	if err != nil {
		return err
	}
	if err := access.Require(p, access.LicenseAssign, access.Resource{Org: p.Org, TargetOrg: u.Org, TargetRank: access.RankOf(u.Roles)}); err != nil {
		return err
	}
	if u.DeletedAt != nil {
		return atrium.Errorf(atrium.CodeConflict, "the user is deleted")
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		have, err := userLicenses(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		if _, ok := have[product]; ok == assign {
			return nil // already as asked
		}
		if assign {
			have[product] = License{ProductID: product, DisabledServicePlans: []string{}}
		} else {
			delete(have, product)
		}
		wanted, err := s.resolveLicenses(ctx, tx, sortedLicenses(have))
		if err != nil {
			return err
		}
		_, err = s.applyLicenses(ctx, tx, p.Org, u, wanted)
		return err
	})
}

// trimAssignments removes the most recent assignments of product in org until no more
// are assigned than purchased, and says who lost which license and what app data went.
func (s *Service) trimAssignments(ctx context.Context, tx *store.Tx, org atrium.OrgID, product string) ([]LicenseLoss, error) {
	purchased, assigned, err := seatCounts(ctx, tx, org, product)
	if err != nil {
		return nil, err
	}
	excess := assigned - max(purchased, 0)
	if excess <= 0 {
		return nil, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT user_id FROM license_assignments WHERE org_id = $1 AND product_id = $2 ORDER BY created_at DESC, user_id DESC LIMIT $3`,
		string(org), product, excess)
	if err != nil {
		return nil, err
	}
	var users []atrium.UserID
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		users = append(users, atrium.UserID(id))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	name, err := productName(ctx, tx, product)
	if err != nil {
		return nil, err
	}
	losses := make([]LicenseLoss, 0, len(users))
	for _, id := range users {
		if _, err := tx.ExecContext(ctx, `DELETE FROM license_assignments WHERE user_id = $1 AND product_id = $2`, string(id), product); err != nil {
			return nil, err
		}
		if err := s.releaseSeat(ctx, tx, org, product); err != nil {
			return nil, err
		}
		u, err := s.dir.GetUserUnchecked(ctx, org, id)
		if atrium.ErrorCode(err) == atrium.CodeNotFound {
			u, err = &directory.User{ID: id, Org: org}, nil
		}
		if err != nil {
			return nil, err
		}
		lost, counts, err := s.publishRemovals(ctx, tx, org, u, map[string]License{product: {ProductID: product, ProductName: name}}, []string{product})
		if err != nil {
			return nil, err
		}
		losses = append(losses, LicenseLoss{UserID: id, Username: u.Username, DisplayName: u.DisplayName, ProductID: product, ProductName: name,
			LostApps: lost, Data: counts})
	}
	return losses, nil
}

// productName returns the name of a catalog product.
func productName(ctx context.Context, q store.Querier, id string) (string, error) {
	var name string
	err := q.QueryRowContext(ctx, `SELECT name FROM products WHERE id = $1`, id).Scan(&name)
	return name, err
}
