package mail

import (
	"context"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
)

// ForgetOrg deletes the mail queued for or sent to a purged organization's people, in
// tx. Its delivery jobs then find nothing to send.
func ForgetOrg(ctx context.Context, tx *store.Tx, org atrium.OrgID) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM mail_outbox WHERE org_id = $1`, string(org))
	return err
}
