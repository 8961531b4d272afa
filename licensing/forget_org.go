package licensing

import (
	"context"

	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
)

// forgetOrg removes a purged organization's subscriptions, seats, licenses, orders and
// bills, children before parents, and its name as partner of record of other
// organizations' subscriptions (theirs stay, with no partner).
func (s *Service) forgetOrg(ctx context.Context, tx *events.Tx, ev directory.OrgPurged) error {
	const subs = `SELECT id FROM subscriptions WHERE org_id = $1`
	for _, q := range []string{
		`DELETE FROM invoice_lines WHERE invoice_id IN (SELECT id FROM invoices WHERE org_id = $1)`,
		`DELETE FROM invoices WHERE org_id = $1`,
		`DELETE FROM subscription_end_warnings WHERE org_id = $1`,
		`DELETE FROM subscription_changes WHERE subscription_id IN (` + subs + `) OR root_id IN (` + subs + `)`,
		`DELETE FROM held_licenses WHERE org_id = $1`,
		`DELETE FROM license_assignments WHERE org_id = $1`,
		`DELETE FROM seat_stripes WHERE org_id = $1`,
		`DELETE FROM seat_pools WHERE org_id = $1`,
		`DELETE FROM orders WHERE org_id = $1`,
		`UPDATE subscriptions SET partner_org_id = NULL WHERE partner_org_id = $1`,
		`DELETE FROM subscriptions WHERE org_id = $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, string(ev.Org)); err != nil {
			return err
		}
	}
	return nil
}
