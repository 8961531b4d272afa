package licensing

import (
	"context"
	"fmt"
	"strings"

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
	args := make([]any, len(orgs))
	marks := make([]string, len(orgs))
	for i, o := range orgs {
		args[i], marks[i] = string(o), fmt.Sprintf("$%d", i+1)
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT org_id, SUM(capacity), SUM(assigned) FROM seat_stripes
		WHERE org_id IN (`+strings.Join(marks, ", ")+`) GROUP BY org_id`, args...)
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
