package licensing

import (
	"context"
	"fmt"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/store"
)

// Deleting a user frees their seats at once and keeps a note of their licenses;
// restoring them gives the licenses back while seats are available and says which could
// not be restored. App data is untouched either way — deleting a user is not removing a
// license. Both run in the directory's transaction, as subscribers of its events.

// holdLicenses moves the deleted user's licenses aside and frees their seats.
func (s *Service) holdLicenses(ctx context.Context, etx *events.Tx, u directory.UserDeleted) error {
	tx := etx.Tx
	have, err := userLicenses(ctx, tx, u.ID)
	if err != nil {
		return err
	}
	for id, l := range have {
		if _, err := tx.ExecContext(ctx, `INSERT INTO held_licenses (user_id, product_id, org_id, disabled_plans, created_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (user_id, product_id) DO NOTHING`, string(u.ID), id, string(u.Org), string(mustJSON(l.DisabledServicePlans)), store.Micros(tx.Now())); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM license_assignments WHERE user_id = $1 AND product_id = $2`, string(u.ID), id); err != nil {
			return err
		}
		if err := s.releaseSeat(ctx, tx, u.Org, id); err != nil {
			return err
		}
	}
	return nil
}

// restoreLicenses gives the restored user's held licenses back where seats are free.
func (s *Service) restoreLicenses(ctx context.Context, etx *events.Tx, u directory.UserRestored) error {
	tx := etx.Tx
	rows, err := tx.QueryContext(ctx, `SELECT hl.product_id, p.name, hl.disabled_plans FROM held_licenses hl JOIN products p ON p.id = hl.product_id
		WHERE hl.user_id = $1 ORDER BY p.name`, string(u.ID))
	if err != nil {
		return err
	}
	type held struct{ id, name, disabled string }
	var list []held
	for rows.Next() {
		var x held
		if err := rows.Scan(&x.id, &x.name, &x.disabled); err != nil {
			rows.Close()
			return err
		}
		list = append(list, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	now := tx.Now()
	for _, x := range list {
		err := s.takeSeat(ctx, tx, u.Org, x.id, x.name)
		if atrium.ErrorCode(err) == atrium.CodeNoSeatsAvailable {
			etx.Notice(fmt.Sprintf("The %s license was not given back: no seats are available. Buy seats or free one, then assign it.", x.name))
			continue
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO license_assignments (user_id, product_id, org_id, disabled_plans, created_at) VALUES ($1, $2, $3, $4, $5)`,
			string(u.ID), x.id, string(u.Org), x.disabled, store.Micros(now)); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: u.Org, Action: "license.assign", TargetType: "user", TargetID: string(u.ID),
			TargetName: u.Username, After: map[string]any{"product": x.name, "restored": true}}); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM held_licenses WHERE user_id = $1`, string(u.ID)); err != nil {
		return err
	}
	return nil
}
