package audit

import (
	"context"
	"strings"

	"github.com/atrium-admin/atrium/store"
)

// PurgedName replaces a purged user's names in the audit log.
const PurgedName = "(purged user)"

// Anonymise removes a purged user's names from the audit log in tx: entries about them or
// by them keep what happened and when, under their id, without their username, display
// name or contact address; the organization's other entries lose the names too. names
// are values unique enough to replace wherever they appear — the username and contact
// email, not the display name (entries about the user lose their details whole).
func Anonymise(ctx context.Context, tx *store.Tx, org, user string, names ...string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE audit_log SET target_name = $1, before_json = '{}', after_json = '{}' WHERE target_id = $2`, PurgedName, user); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_log SET actor_name = $1 WHERE actor_id = $2`, PurgedName, user); err != nil {
		return err
	}
	for _, n := range names {
		if strings.TrimSpace(n) == "" {
			continue
		}
		like := "%" + store.EscapeLike(n) + "%"
		for _, col := range []string{"before_json", "after_json", "target_name", "actor_name"} {
			// col is one of the fixed names above, never input.
			q := `UPDATE audit_log SET ` + col + ` = REPLACE(` + col + `, $1, $2) WHERE org_id = $3 AND ` + col + ` LIKE $4 ESCAPE '\'`
			if _, err := tx.ExecContext(ctx, q, n, PurgedName, org, like); err != nil {
				return err
			}
		}
	}
	return nil
}

// ForgetOrg deletes a purged organization's audit log in tx. Entries about it in the
// operator organization's log (its deletion and purge) stay.
func ForgetOrg(ctx context.Context, tx *store.Tx, org string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE org_id = $1`, org)
	return err
}
