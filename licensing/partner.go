package licensing

import (
	"context"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/store"
)

// PartnerInput names the partner of record by organization id or by one of its domains.
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
		now := s.now()
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
		out, err = getSubscription(ctx, tx, p.Org, sub.ID)
		return err
	})
	return out, err
}

// PartnerSubscriptions lists the customers' subscriptions on which p's organization is
// partner of record (for those who may read its billing). Each access is audited in
// both organizations.
func (s *Service) PartnerSubscriptions(ctx context.Context, p *access.Principal) ([]PartnerView, error) {
	if err := access.Require(p, access.BillingRead, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT s.id, s.org_id FROM subscriptions s WHERE s.partner_org_id = $1 ORDER BY s.created_at DESC, s.id DESC LIMIT 500`,
		string(p.Org))
	if err != nil {
		return nil, store.Translate(err)
	}
	type ref struct{ id, org string }
	var refs []ref
	for rows.Next() {
		var r ref
		if err := rows.Scan(&r.id, &r.org); err != nil {
			rows.Close()
			return nil, store.Translate(err)
		}
		refs = append(refs, r)
	}
	rows.Close()
	out := []PartnerView{}
	for _, r := range refs {
		v, err := s.partnerView(ctx, p, atrium.OrgID(r.org), r.id)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

// PartnerSubscription returns one customer subscription on which p's organization is
// partner of record; not_found otherwise. The access is audited in both organizations.
func (s *Service) PartnerSubscription(ctx context.Context, p *access.Principal, subID string) (*PartnerView, error) {
	if err := access.Require(p, access.BillingRead, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	var org string
	err := s.db.Read().QueryRowContext(ctx, `SELECT org_id FROM subscriptions WHERE id = $1 AND partner_org_id = $2`, subID, string(p.Org)).Scan(&org)
	if err != nil {
		if atrium.ErrorCode(store.Translate(err)) == atrium.CodeNotFound {
			return nil, atrium.Errorf(atrium.CodeNotFound, "subscription not found")
		}
		return nil, store.Translate(err)
	}
	return s.partnerView(ctx, p, atrium.OrgID(org), subID)
}

func (s *Service) partnerView(ctx context.Context, p *access.Principal, customer atrium.OrgID, subID string) (*PartnerView, error) {
	var v *PartnerView
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		sub, err := getSubscription(ctx, tx, customer, subID)
		if err != nil {
			return err
		}
		if sub.PartnerOrg != string(p.Org) {
			return atrium.Errorf(atrium.CodeNotFound, "subscription not found")
		}
		name, err := s.dir.OrgName(ctx, tx, customer)
		if err != nil {
			return err
		}
		v = &PartnerView{Subscription: *sub, CustomerName: name, Users: []PartnerUser{},
			Licenses: LicenseCount{ProductID: sub.ProductID, ProductName: sub.ProductName}}
		if v.Licenses.Purchased, v.Licenses.Assigned, err = seatCounts(ctx, tx, customer, sub.ProductID); err != nil {
			return err
		}
		v.Licenses.Available = max(0, v.Licenses.Purchased-v.Licenses.Assigned)
		rows, err := tx.QueryContext(ctx, `SELECT user_id FROM license_assignments WHERE org_id = $1 AND product_id = $2 ORDER BY created_at, user_id LIMIT 1000`,
			string(customer), sub.ProductID)
		if err != nil {
			return err
		}
		var ids []atrium.UserID
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, atrium.UserID(id))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		cards, err := s.dir.Cards(ctx, tx, customer, ids)
		if err != nil {
			return err
		}
		for _, c := range cards {
			v.Users = append(v.Users, PartnerUser{Username: c.Username, DisplayName: c.DisplayName})
		}
		now := s.now()
		entry := audit.Entry{Org: customer, Action: "partner.read", TargetType: "subscription", TargetID: sub.ID, TargetName: sub.ProductName,
			After: map[string]any{"partner_org_id": string(p.Org)}}
		if err := audit.Record(ctx, tx, now, entry); err != nil {
			return err
		}
		entry.Org = p.Org
		entry.After = map[string]any{"customer_org_id": string(customer)}
		return audit.Record(ctx, tx, now, entry)
	})
	return v, err
}
