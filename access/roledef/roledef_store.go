package roledef

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
)

const roleColumns = `id, org_id, name, description, actions, created_at`

func insertRole(ctx context.Context, tx *store.Tx, r *Role) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO defined_roles (`+roleColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		r.ID, string(r.Org), r.Name, r.Description, strings.Join(r.Actions, " "), store.Micros(r.CreatedAt))
	return store.Translate(err)
}

func deleteRole(ctx context.Context, tx *store.Tx, id string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM defined_roles WHERE id = $1`, id)
	return err
}

type scanner interface{ Scan(dst ...any) error }

func scanRole(row scanner) (Role, error) {
	var r Role
	var actions string
	var created int64
	if err := row.Scan(&r.ID, &r.Org, &r.Name, &r.Description, &actions, &created); err != nil {
		return r, err
	}
	r.Actions = strings.Fields(actions)
	r.CreatedAt = store.Time(created)
	return r, nil
}

func roleByID(ctx context.Context, q store.Querier, id string) (Role, error) {
	r, err := scanRole(q.QueryRowContext(ctx, `SELECT `+roleColumns+` FROM defined_roles WHERE id = $1`, id))
	if err != nil {
		if atrium.ErrorCode(store.Translate(err)) == atrium.CodeNotFound {
			return r, atrium.Errorf(atrium.CodeNotFound, "role not found")
		}
		return r, store.Translate(err)
	}
	return r, nil
}

// listRoles returns up to limit roles of owner named after after, by name; the unique
// (org_id, name) index serves it.
func listRoles(ctx context.Context, q store.Querier, owner atrium.OrgID, after string, limit int) ([]Role, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+roleColumns+` FROM defined_roles WHERE org_id = $1 AND name > $2 ORDER BY name LIMIT $3`,
		string(owner), after, limit)
	if err != nil {
		return nil, fmt.Errorf("roledef: list: %w", store.Translate(err))
	}
	return collect(rows)
}

// allRoles returns every definition, for loading them into the registry, which holds
// them all anyway.
func allRoles(ctx context.Context, q store.Querier) ([]Role, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+roleColumns+` FROM defined_roles ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("roledef: load: %w", store.Translate(err))
	}
	return collect(rows)
}

func collect(rows *sql.Rows) ([]Role, error) {
	defer rows.Close()
	out := []Role{}
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, store.Translate(err)
		}
		out = append(out, r)
	}
	return out, store.Translate(rows.Err())
}
