package directory

import (
	"context"
	"database/sql"
	"strconv"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/store"
)

// The user list sorted by display name follows the alphabet of the organization's
// language: users.sort_name is i18n.SortKey of the display name in that language, so
// one index (users_org_name_search) serves the order on both databases and a page's
// cursor is a key like any other. A Polish organization lists Łukasz between Lucyna and
// Maria, a Swedish one Åsa after Zofia. An administrator who reads the console in
// another language than the organization's sees the organization's order in the lists
// the database sorts and pages; lists sorted in Go (i18n.Sort) follow the reader.
//
// Changing the organization's language rewrites its users' keys in the same
// transaction (resortUsers); migration 010 wrote them for the users that existed.

// sortName returns the sort key of displayName for an organization whose language is
// lang.
func sortName(lang, displayName string) string {
	l, _ := i18n.Parse(lang)
	return i18n.SortKey(l, displayName)
}

// orgLanguage returns the language of organization org, read with q.
func orgLanguage(ctx context.Context, q store.Querier, org atrium.OrgID) (string, error) {
	var lang string
	err := q.QueryRowContext(ctx, `SELECT language FROM organizations WHERE id = $1`, string(org)).Scan(&lang)
	return lang, store.Translate(err)
}

// sortKeyBatch is how many users resortUsers reads and rewrites at a time.
const sortKeyBatch = 2000

// resortUsers rewrites sort_name of the users of org (of every organization when org is
// empty) for their organization's language, in batches by ID, with q: the transaction
// of the language change or of the migration.
func resortUsers(ctx context.Context, q store.Querier, d store.Dialect, org atrium.OrgID) error {
	after := ""
	for {
		query := `SELECT u.id, u.display_name, o.language FROM users u JOIN organizations o ON o.id = u.org_id WHERE u.id > $1`
		args := []any{after}
		if org != "" {
			query += ` AND u.org_id = $2`
			args = append(args, string(org))
		}
		rows, err := q.QueryContext(ctx, query+` ORDER BY u.id LIMIT `+strconv.Itoa(sortKeyBatch), args...)
		if err != nil {
			return err
		}
		var ids, keys []string
		for rows.Next() {
			var id, name, lang string
			if err := rows.Scan(&id, &name, &lang); err != nil {
				rows.Close()
				return err
			}
			ids, keys = append(ids, id), append(keys, sortName(lang, name))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if err := writeSortKeys(ctx, q, d, ids, keys); err != nil {
			return err
		}
		if len(ids) < sortKeyBatch {
			return nil
		}
		after = ids[len(ids)-1]
	}
}

// writeSortKeys sets sort_name of the users ids to keys: on PostgreSQL in one statement
// (a round trip per row would cost more than the rest), on SQLite row by row through
// one prepared statement (no round trips there).
func writeSortKeys(ctx context.Context, q store.Querier, d store.Dialect, ids, keys []string) error {
	if d == store.Postgres {
		_, err := q.ExecContext(ctx, `UPDATE users SET sort_name = k.key FROM unnest($1::text[], $2::text[]) AS k(id, key)
			WHERE users.id = k.id AND users.sort_name <> k.key`, ids, keys)
		return err
	}
	for i := range ids {
		if _, err := q.ExecContext(ctx, `UPDATE users SET sort_name = $1 WHERE id = $2 AND sort_name <> $1`, keys[i], ids[i]); err != nil {
			return err
		}
	}
	return nil
}

// sortKeys is migration 010: on PostgreSQL sort_name compares bytes (collation "C",
// whatever the database's collation), as on SQLite; then every user's key is written.
func sortKeys(ctx context.Context, tx *sql.Tx, d store.Dialect) error {
	if d == store.Postgres {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE users ALTER COLUMN sort_name TYPE text COLLATE "C"`); err != nil {
			return err
		}
	}
	return resortUsers(ctx, tx, d, "")
}
