package licensing

import (
	"context"
	"fmt"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/store"
)

// Holds implements directory.UserHook: deleting a user frees their seats at once and
// keeps a note of their licenses; restoring them gives the licenses back while seats are
// available and says which could not be restored. App data is untouched either way —
// deleting a user is not removing a license.
type Holds struct{ s *Service }

// Holds returns the user hook; wire it with directory.Service.AddUserHook.
func (s *Service) Holds() Holds { return Holds{s: s} }

// UserDeleted moves u's licenses aside and frees their seats.
func (h Holds) UserDeleted(ctx context.Context, tx *store.Tx, u *directory.User) error {
	have, err := userLicenses(ctx, tx, u.ID)
	if err != nil {
		return err
	}
	for id, l := range have {
		if _, err := tx.ExecContext(ctx, `INSERT INTO held_licenses (user_id, product_id, org_id, disabled_plans, created_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (user_id, product_id) DO NOTHING`, string(u.ID), id, string(u.Org), string(mustJSON(l.DisabledServicePlans)), store.Micros(h.s.now())); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM license_assignments WHERE user_id = $1 AND product_id = $2`, string(u.ID), id); err != nil {
			return err
		}
		if err := h.s.releaseSeat(ctx, tx, u.Org, id); err != nil {
			return err
		}
	}
	return nil
}

// UserRestored gives u's held licenses back where seats are free.
func (h Holds) UserRestored(ctx context.Context, tx *store.Tx, u *directory.User) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT hl.product_id, p.name, hl.disabled_plans FROM held_licenses hl JOIN products p ON p.id = hl.product_id
		WHERE hl.user_id = $1 ORDER BY p.name`, string(u.ID))
	if err != nil {
		return nil, err
	}
	type held struct{ id, name, disabled string }
	var list []held
	for rows.Next() {
		var x held
		if err := rows.Scan(&x.id, &x.name, &x.disabled); err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, x)
	}
	rows.Close()
	var notices []string
	now := h.s.now()
	for _, x := range list {
		err := h.s.takeSeat(ctx, tx, u.Org, x.id, x.name)
		if atrium.ErrorCode(err) == atrium.CodeNoSeatsAvailable {
			notices = append(notices, fmt.Sprintf("the %s license could not be restored: no seats are available", x.name))
			continue
		}
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO license_assignments (user_id, product_id, org_id, disabled_plans, created_at) VALUES ($1, $2, $3, $4, $5)`,
			string(u.ID), x.id, string(u.Org), x.disabled, store.Micros(now)); err != nil {
			return nil, err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: u.Org, Action: "license.assign", TargetType: "user", TargetID: string(u.ID),
			TargetName: u.Username, After: map[string]any{"product": x.name, "restored": true}}); err != nil {
			return nil, err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM held_licenses WHERE user_id = $1`, string(u.ID)); err != nil {
		return nil, err
	}
	return notices, nil
}
