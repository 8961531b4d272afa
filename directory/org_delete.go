package directory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/store"
)

// DeleteOrg deletes a suspended organization (operator staff). Its members stay unable
// to sign in; an operator can restore it within RestoreWindow, after which the purge
// job removes it and everything every module keeps about it. confirm must repeat the
// organization's name, as the console asks: deleting the wrong tenant is not undone by
// a click.
func (s *Service) DeleteOrg(ctx context.Context, p *access.Principal, id atrium.OrgID, confirm string) (*Organization, error) {
	if err := access.Require(p, access.InstanceOrgDelete, access.Resource{Org: id}); err != nil {
		return nil, err
	}
	return s.changeOrgState(ctx, id, OrgSuspended, OrgDeleted, func(tx *store.Tx, org *Organization) error {
		if !strings.EqualFold(strings.TrimSpace(confirm), org.Name) {
			return atrium.FieldError("confirm", "type the organization's name to confirm")
		}
		_, err := s.publish(ctx, tx, id, string(id), OrgDeletedEvent{Org: id, Name: org.Name})
		return err
	})
}

// RestoreOrg brings a deleted organization back, suspended, before it is purged.
func (s *Service) RestoreOrg(ctx context.Context, p *access.Principal, id atrium.OrgID) (*Organization, error) {
	if err := access.Require(p, access.InstanceOrgDelete, access.Resource{Org: id}); err != nil {
		return nil, err
	}
	return s.changeOrgState(ctx, id, OrgDeleted, OrgSuspended, func(tx *store.Tx, org *Organization) error {
		_, err := s.publish(ctx, tx, id, string(id), OrgRestoredEvent{Org: id, Name: org.Name})
		return err
	})
}

// changeOrgState moves organization id from state from to state to, with its audit
// entry, and runs also in the same transaction.
func (s *Service) changeOrgState(ctx context.Context, id atrium.OrgID, from, to OrgState, also func(*store.Tx, *Organization) error) (*Organization, error) {
	var out *Organization
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		org, err := getOrg(ctx, tx, id)
		if err != nil {
			return err
		}
		if org.Operator {
			return atrium.Errorf(atrium.CodeInvalid, "the operator organization cannot be deleted")
		}
		if org.State != from {
			if to == OrgDeleted {
				return &atrium.Error{Code: atrium.CodeConflict, Message: fmt.Sprintf("the organization is %s; suspend it before deleting it", org.State),
					ID: "err.directory.org_delete_state", Args: []any{"State", string(org.State)}}
			}
			return &atrium.Error{Code: atrium.CodeConflict, Message: fmt.Sprintf("the organization is %s, not %s", org.State, from),
				ID: "err.directory.org_state", Args: []any{"State", string(org.State), "Want", string(from)}}
		}
		if err := also(tx, org); err != nil {
			return err
		}
		now := tx.Now()
		var deleted any
		action := "org.restore"
		if to == OrgDeleted {
			deleted, action = store.Micros(now), "org.delete"
		}
		if _, err := tx.ExecContext(ctx, `UPDATE organizations SET state = $1, deleted_at = $2, updated_at = $3, version = version + 1 WHERE id = $4`,
			string(to), deleted, store.Micros(now), string(id)); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: id, Action: action, TargetType: "organization", TargetID: string(id),
			TargetName: org.Name, Before: map[string]any{"state": from}, After: map[string]any{"state": to}}); err != nil {
			return err
		}
		out, err = getOrg(ctx, tx, id)
		return err
	})
	return out, err
}

// purgeOrgs removes for good the organizations deleted more than RestoreWindow ago,
// one transaction each: every module deletes its rows of the organization (org.purged
// subscribers), then the directory its users, domains and the organization itself. The
// audit entry goes to the operator organization, since the purged one's log goes too.
func (s *Service) purgeOrgs(ctx context.Context, _ *jobs.Job) error {
	cutoff := store.Micros(s.clock.Now().Add(-RestoreWindow))
	for {
		var id, name string
		err := s.db.Read().QueryRowContext(ctx, `SELECT id, name FROM organizations
			WHERE deleted_at IS NOT NULL AND deleted_at < $1 ORDER BY deleted_at, id LIMIT 1`, cutoff).Scan(&id, &name)
		if err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			return err
		}
		err = s.db.Tx(ctx, func(tx *store.Tx) error {
			// Still deleted (not restored meanwhile)? The update also locks the row.
			res, err := tx.ExecContext(ctx, `UPDATE organizations SET version = version + 1 WHERE id = $1 AND deleted_at IS NOT NULL AND deleted_at < $2`, id, cutoff)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return err
			}
			var operator string
			if err := tx.QueryRowContext(ctx, `SELECT id FROM organizations WHERE operator = TRUE ORDER BY created_at LIMIT 1`).Scan(&operator); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: atrium.OrgID(operator), Action: "org.purge", TargetType: "organization",
				TargetID: id, TargetName: name}); err != nil {
				return err
			}
			if _, err := s.publish(ctx, tx, atrium.OrgID(id), id, OrgPurged{Org: atrium.OrgID(id), Name: name}); err != nil {
				return err
			}
			if err := s.purgeOrgGuests(ctx, tx, id); err != nil {
				return err
			}
			for _, q := range []string{`DELETE FROM users WHERE org_id = $1`, `DELETE FROM domains WHERE org_id = $1`, `DELETE FROM organizations WHERE id = $1`} {
				if _, err := tx.ExecContext(ctx, q, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("directory: purge organization %s: %w", id, err)
		}
	}
}
