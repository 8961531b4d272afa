package licensing

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/store"
)

// PartnerInput names the partner of record by organization id or by one of its domains,
// not both.
type PartnerInput struct {
	PartnerOrgID  atrium.OrgID `json:"partner_org_id"`
	PartnerDomain string       `json:"partner_domain"`
}

// PartnerView is what a partner of record sees of a customer's subscription: read-only,
// with the license counts and the names of the users holding its licenses.
type PartnerView struct {
	Subscription Subscription  `json:"subscription"`
	CustomerName string        `json:"customer_name"`
	Licenses     LicenseCount  `json:"licenses"`
	Users        []PartnerUser `json:"users"`
}

// PartnerUser is a customer's user as the partner sees them: a name, nothing more.
type PartnerUser struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
}

// SetPartner names a partner of record on a subscription of p's organization (Global
// and Billing administrators). The partner's administrators can then read it.
func (s *Service) SetPartner(ctx context.Context, p *access.Principal, subID string, in PartnerInput) (*Subscription, error) {
	if err := access.Require(p, access.BillingManage, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	// Someone else's subscription is not found before anything about the partner is said.
	if _, err := getSubscription(ctx, s.db.Read(), p.Org, subID); err != nil {
		return nil, err
	}
	var partner *directory.Organization
	var err error
	switch {
	case in.PartnerOrgID != "" && in.PartnerDomain != "":
		// Either names one partner; both could name two, and neither may be dropped silently.
		const msg = "name the partner by partner_org_id or by partner_domain, not both"
		return nil, &atrium.Error{Code: atrium.CodeInvalid, Message: msg, Fields: map[string]string{"partner_org_id": msg, "partner_domain": msg}}
	case in.PartnerOrgID != "":
		partner, err = s.dir.Org(ctx, in.PartnerOrgID)
		if err != nil {
			return nil, atrium.NotFoundAsField(err, "partner_org_id", "is not an organization")
		}
	case in.PartnerDomain != "":
		partner, err = s.dir.OrgByDomain(ctx, in.PartnerDomain)
		if err != nil {
			return nil, atrium.NotFoundAsField(err, "partner_domain", "no organization has this domain")
		}
	default:
		return nil, atrium.FieldError("partner_org_id", "name the partner by partner_org_id or partner_domain")
	}
	if partner.ID == p.Org {
		return nil, atrium.FieldError("partner_org_id", "an organization cannot be its own partner of record")
	}
	if partner.State != directory.OrgActive {
		return nil, atrium.FieldError("partner_org_id", "the partner organization is not active")
	}
	return s.changePartner(ctx, p, subID, partner)
}

// RemovePartner removes the partner of record from a subscription; the partner's access
// ends at once.
func (s *Service) RemovePartner(ctx context.Context, p *access.Principal, subID string) (*Subscription, error) {
	if err := access.Require(p, access.BillingManage, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	return s.changePartner(ctx, p, subID, nil)
}

func (s *Service) changePartner(ctx context.Context, p *access.Principal, subID string, partner *directory.Organization) (*Subscription, error) {
	var out *Subscription
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		sub, err := getSubscription(ctx, tx, p.Org, subID)
		if err != nil {
			return err
		}
		now := tx.Now()
		var value any
		action, partnerOrg := "subscription.partner_remove", atrium.OrgID(sub.PartnerOrg)
		if partner != nil {
			value, action, partnerOrg = string(partner.ID), "subscription.partner_set", partner.ID
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET partner_org_id = $1, updated_at = $2, version = version + 1 WHERE id = $3`,
			value, store.Micros(now), sub.ID); err != nil {
			return err
		}
		entry := audit.Entry{Org: p.Org, Action: action, TargetType: "subscription", TargetID: sub.ID, TargetName: sub.ProductName,
			Before: map[string]any{"partner_org_id": sub.PartnerOrg}, After: map[string]any{"partner_org_id": value}}
		if err := audit.Record(ctx, tx, now, entry); err != nil {
			return err
		}
		if partnerOrg != "" {
			entry.Org = partnerOrg
			if err := audit.Record(ctx, tx, now, entry); err != nil {
				return err
			}
		}
		if err := publishSubscription(ctx, s, tx, p.Org, sub.ID, "partner", changed); err != nil {
			return err
		}
		out, err = getSubscription(ctx, tx, p.Org, sub.ID)
		return err
	})
	return out, err
}

// maxPartnerUsers bounds the names a partner view lists per subscription, the first to
// have been given a license; Licenses.Assigned counts them all.
const maxPartnerUsers = 1000

// partnerViewSelect reads partner views with their seat counts in one query; the caller
// appends the conditions after the partner's own, $1.
const partnerViewSelect = `SELECT ` + subscriptionColumns + `,
	COALESCE((SELECT SUM(ss.capacity) FROM seat_stripes ss WHERE ss.org_id = s.org_id AND ss.product_id = s.product_id), 0),
	COALESCE((SELECT SUM(ss.assigned) FROM seat_stripes ss WHERE ss.org_id = s.org_id AND ss.product_id = s.product_id), 0)
	FROM subscriptions s JOIN products p ON p.id = s.product_id
	WHERE s.partner_org_id = $1 AND `

// scanPartnerView scans a row of partnerViewSelect; the customer's name and users are
// filled in later, a page at a time.
func scanPartnerView(row interface{ Scan(...any) error }) (PartnerView, error) {
	var purchased, assigned int
	sub, err := scanSubscription(scanWith{row, []any{&purchased, &assigned}})
	if err != nil {
		return PartnerView{}, err
	}
	return PartnerView{Subscription: *sub, Users: []PartnerUser{}, Licenses: LicenseCount{ProductID: sub.ProductID, ProductName: sub.ProductName,
		Purchased: purchased, Assigned: assigned, Available: max(0, purchased-assigned)}}, nil
}

// scanWith scans a row into the destinations it is given followed by extra, so that a
// row scanner can read columns selected after its own.
type scanWith struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (s scanWith) Scan(dst ...any) error { return s.row.Scan(append(dst, s.extra...)...) }

// PartnerSubscriptions returns one page of the customers' subscriptions on which p's
// organization is partner of record, newest first, and the cursor of the next page (""
// on the last), for those who may read its billing. Reading a page is audited once in
// each customer organization it shows and once in p's organization, however many
// subscriptions it holds. It returns forbidden without a billing role and invalid (field
// "cursor") for a cursor this list did not give out.
func (s *Service) PartnerSubscriptions(ctx context.Context, p *access.Principal, q ListQuery) ([]PartnerView, string, error) {
	if err := access.Require(p, access.BillingRead, access.Resource{Org: p.Org}); err != nil {
		return nil, "", err
	}
	var at int64
	var id string
	page, err := newestFirst.Page([]any{string(p.Org)}, q.Cursor, q.size(), &at, &id)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.Read().QueryContext(ctx, partnerViewSelect+page.Where+` `+page.OrderLimit, page.Args...)
	if err != nil {
		return nil, "", store.Translate(err)
	}
	defer rows.Close()
	views := []PartnerView{}
	for rows.Next() {
		v, err := scanPartnerView(rows)
		if err != nil {
			return nil, "", store.Translate(err)
		}
		views = append(views, v)
	}
	if err := rows.Err(); err != nil {
		return nil, "", store.Translate(err)
	}
	rows.Close()
	views, next := store.NextPage(page, views, func(v PartnerView) []any { return subscriptionKey(v.Subscription) })
	if err := s.fillPartnerViews(ctx, s.db.Read(), views); err != nil {
		return nil, "", err
	}
	if err := s.auditPartnerList(ctx, p, views); err != nil {
		return nil, "", err
	}
	return views, next, nil
}

// PartnerSubscription returns one customer subscription on which p's organization is
// partner of record; not_found otherwise. The access is audited once in each of the two
// organizations.
func (s *Service) PartnerSubscription(ctx context.Context, p *access.Principal, subID string) (*PartnerView, error) {
	if err := access.Require(p, access.BillingRead, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	v, err := scanPartnerView(s.db.Read().QueryRowContext(ctx, partnerViewSelect+`s.id = $2`, string(p.Org), subID))
	if err != nil {
		if err = store.Translate(err); atrium.ErrorCode(err) == atrium.CodeNotFound {
			return nil, atrium.Errorf(atrium.CodeNotFound, "subscription not found")
		}
		return nil, err
	}
	views := []PartnerView{v}
	if err := s.fillPartnerViews(ctx, s.db.Read(), views); err != nil {
		return nil, err
	}
	v = views[0]
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		entry := audit.Entry{Org: v.Subscription.Org, Action: "partner.read", TargetType: "subscription", TargetID: v.Subscription.ID,
			TargetName: v.Subscription.ProductName, After: map[string]any{"partner_org_id": string(p.Org)}}
		if err := audit.Record(ctx, tx, now, entry); err != nil {
			return err
		}
		entry.Org = p.Org
		entry.After = map[string]any{"customer_org_id": string(v.Subscription.Org)}
		return audit.Record(ctx, tx, now, entry)
	})
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// fillPartnerViews sets the customer's name and the users holding the licenses of each
// of views, read with q: one query for the licenses of the whole page, and one lookup of
// the name and one of the users in the directory per customer organization on it.
func (s *Service) fillPartnerViews(ctx context.Context, q store.Querier, views []PartnerView) error {
	if len(views) == 0 {
		return nil
	}
	type pool struct {
		org     atrium.OrgID
		product string
	}
	holders := map[pool][]atrium.UserID{}
	var conds []string
	var args []any
	for _, v := range views {
		k := pool{v.Subscription.Org, v.Subscription.ProductID}
		if _, ok := holders[k]; ok {
			continue // two subscriptions of one product share its seat pool
		}
		holders[k] = nil
		args = append(args, string(k.org), k.product)
		conds = append(conds, fmt.Sprintf("(org_id = $%d AND product_id = $%d)", len(args)-1, len(args)))
	}
	args = append(args, maxPartnerUsers)
	rows, err := q.QueryContext(ctx, `SELECT org_id, product_id, user_id FROM (
		SELECT org_id, product_id, user_id, created_at, ROW_NUMBER() OVER (PARTITION BY org_id, product_id ORDER BY created_at, user_id) AS n
		FROM license_assignments WHERE `+strings.Join(conds, " OR ")+`) a
		WHERE n <= $`+strconv.Itoa(len(args))+` ORDER BY org_id, product_id, created_at, user_id`, args...)
	if err != nil {
		return store.Translate(err)
	}
	defer rows.Close()
	byOrg := map[atrium.OrgID][]atrium.UserID{}
	for rows.Next() {
		var org, product, user string
		if err := rows.Scan(&org, &product, &user); err != nil {
			return store.Translate(err)
		}
		k := pool{atrium.OrgID(org), product}
		holders[k] = append(holders[k], atrium.UserID(user))
		byOrg[k.org] = append(byOrg[k.org], atrium.UserID(user))
	}
	if err := rows.Err(); err != nil {
		return store.Translate(err)
	}
	rows.Close()
	names := map[atrium.OrgID]string{}
	// cards maps a user to their card and its place in the directory's order (by name).
	type placed struct {
		card directory.Card
		at   int
	}
	cards := map[atrium.UserID]placed{}
	for _, v := range views {
		org := v.Subscription.Org
		if _, ok := names[org]; ok {
			continue
		}
		name, err := s.dir.OrgName(ctx, q, org)
		if err != nil {
			return err
		}
		names[org] = name
		if len(byOrg[org]) == 0 {
			continue
		}
		list, err := s.dir.Cards(ctx, q, org, slices.Compact(slices.Sorted(slices.Values(byOrg[org]))))
		if err != nil {
			return store.Translate(err)
		}
		for i, c := range list {
			cards[c.ID] = placed{c, i}
		}
	}
	for i := range views {
		v := &views[i]
		v.CustomerName = names[v.Subscription.Org]
		var held []placed
		for _, id := range holders[pool{v.Subscription.Org, v.Subscription.ProductID}] {
			if c, ok := cards[id]; ok { // deleted users have no card
				held = append(held, c)
			}
		}
		slices.SortFunc(held, func(a, b placed) int { return a.at - b.at })
		for _, c := range held {
			v.Users = append(v.Users, PartnerUser{Username: c.card.Username, DisplayName: c.card.DisplayName})
		}
	}
	return nil
}

// auditPartnerList records that p read a page of partner views: one entry in each
// customer organization on the page, naming the subscriptions of it the page showed,
// and one in p's organization naming them all. A page without subscriptions showed
// nothing of any customer and is not recorded.
func (s *Service) auditPartnerList(ctx context.Context, p *access.Principal, views []PartnerView) error {
	if len(views) == 0 {
		return nil
	}
	var customers []atrium.OrgID
	subs := map[atrium.OrgID][]string{}
	names := map[atrium.OrgID]string{}
	all := make([]string, 0, len(views))
	for _, v := range views {
		org := v.Subscription.Org
		if _, ok := subs[org]; !ok {
			customers = append(customers, org)
			names[org] = v.CustomerName
		}
		subs[org] = append(subs[org], v.Subscription.ID)
		all = append(all, v.Subscription.ID)
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		for _, org := range customers {
			if err := audit.Record(ctx, tx, now, audit.Entry{Org: org, Action: "partner.list", TargetType: "organization", TargetID: string(org),
				TargetName: names[org], After: map[string]any{"partner_org_id": string(p.Org), "subscription_ids": subs[org]}}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "partner.list", TargetType: "subscription",
			TargetName: fmt.Sprintf("%s of %s", plural(len(all), "subscription"), plural(len(customers), "customer")),
			After:      map[string]any{"customer_org_ids": customers, "subscription_ids": all}})
	})
}

// plural says n things: "1 subscription", "2 subscriptions".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}
