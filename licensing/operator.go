package licensing

import (
	"context"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/store"
)

// SeatTotals are an organization's seats over every product.
type SeatTotals struct {
	Purchased int `json:"purchased"`
	Assigned  int `json:"assigned"`
}

// SeatTotalsOf returns the seats of each of orgs (at most 500), for operator staff's
// organization list: one query for them all. Organizations without seats are absent.
func (s *Service) SeatTotalsOf(ctx context.Context, p *access.Principal, orgs []atrium.OrgID) (map[atrium.OrgID]SeatTotals, error) {
	if err := access.Require(p, access.InstanceOrgRead, access.Resource{}); err != nil {
		return nil, err
	}
	out := map[atrium.OrgID]SeatTotals{}
	if len(orgs) == 0 {
		return out, nil
	}
	if len(orgs) > 500 {
		return nil, atrium.Errorf(atrium.CodeInvalid, "ask for at most 500 organizations at once")
	}
	args, marks := store.In(nil, orgs)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT org_id, SUM(capacity), SUM(assigned) FROM seat_stripes
		WHERE org_id IN (`+marks+`) GROUP BY org_id`, args...)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var org string
		var t SeatTotals
		if err := rows.Scan(&org, &t.Purchased, &t.Assigned); err != nil {
			return nil, store.Translate(err)
		}
		out[atrium.OrgID(org)] = t
	}
	return out, store.Translate(rows.Err())
}

// LicensesOf returns organization org's seats per product for operator staff (the
// organization's detail page), as Licenses does for the organization itself.
func (s *Service) LicensesOf(ctx context.Context, p *access.Principal, org atrium.OrgID) ([]LicenseCount, error) {
	if err := access.Require(p, access.InstanceOrgRead, access.Resource{Org: org}); err != nil {
		return nil, err
	}
	return s.licenseCounts(ctx, org)
}

// LicensesOfUsers returns the names of the products each of users (of p's organization,
// at most 500) holds a license of, in one query, for a page of the user list.
func (s *Service) LicensesOfUsers(ctx context.Context, p *access.Principal, users []atrium.UserID) (map[atrium.UserID][]string, error) {
	if err := access.Require(p, access.LicenseRead, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	out := map[atrium.UserID][]string{}
	if len(users) == 0 {
		return out, nil
	}
	if len(users) > 500 {
		return nil, atrium.Errorf(atrium.CodeInvalid, "ask for at most 500 users at once")
	}
	args, marks := store.In([]any{string(p.Org)}, users)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT la.user_id, pr.name FROM license_assignments la JOIN products pr ON pr.id = la.product_id
		WHERE la.org_id = $1 AND la.user_id IN (`+marks+`) ORDER BY la.user_id, pr.name`, args...)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var user, name string
		if err := rows.Scan(&user, &name); err != nil {
			return nil, store.Translate(err)
		}
		out[atrium.UserID(user)] = append(out[atrium.UserID(user)], name)
	}
	return out, store.Translate(rows.Err())
}
