package directory

import (
	"context"
	"database/sql"

	"github.com/atrium-admin/atrium/store"
)

// foldSearch recomputes the search text of the users written before it was folded
// (searchKey). Lower-casing and folding agree on ASCII, so only rows with other
// characters can change; the rest are not touched.
func foldSearch(ctx context.Context, tx *sql.Tx, d store.Dialect) error {
	// Any character outside newline (the separator) and printable ASCII.
	where := `search GLOB $1`
	pattern := "*[^\n -~]*"
	if d == store.Postgres {
		where, pattern = `search ~ $1`, "[^\n -~]"
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, display_name, username, contact_email, search FROM users WHERE `+where, pattern)
	if err != nil {
		return err
	}
	type change struct{ id, search string }
	var changes []change
	for rows.Next() {
		var id, name, username, email, old string
		if err := rows.Scan(&id, &name, &username, &email, &old); err != nil {
			rows.Close()
			return err
		}
		if s := searchKey(name, username, email); s != old {
			changes = append(changes, change{id, s})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET search = $1 WHERE id = $2`, c.search, c.id); err != nil {
			return err
		}
	}
	return nil
}
