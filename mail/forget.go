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

// ForgetRecipient deletes the organization's mail to a purged user: every message sent
// to their address, and every message that names their username.
func ForgetRecipient(ctx context.Context, tx *store.Tx, org atrium.OrgID, email, username string) error {
	if email != "" {
		if _, err := tx.ExecContext(ctx, `DELETE FROM mail_outbox WHERE org_id = $1 AND lower(to_addr) = lower($2)`, string(org), email); err != nil {
			return err
		}
	}
	if username == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM mail_outbox WHERE org_id = $1 AND text_body LIKE $2 ESCAPE '\'`, string(org), "%"+store.EscapeLike(username)+"%")
	return err
}
