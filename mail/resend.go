package mail

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/store"
)

// Resend is the mail module's action: sending an outbox message again.
var Resend = access.RegisterActions("mail", access.ActionDef{
	Name:        "instance.mail.resend",
	Description: "send a message of the outgoing mail again",
	Instance:    true,
	Grant:       []string{"operator_admin", "support_agent"},
})[0]

// ResendFor queues a copy of message id (same recipient, sender and content, a new id
// that names the original) for delivery, for operator staff; without SMTP configured
// it stays in the outbox as the original did. Audited in p's organization. It returns
// not_found for an unknown message and forbidden without instance.mail.resend.
func (o *Outbox) ResendFor(ctx context.Context, p *access.Principal, id string) (Rendered, error) {
	if err := access.Require(p, Resend, access.Resource{}); err != nil {
		return Rendered{}, err
	}
	orig, err := o.get(ctx, id)
	if atrium.ErrorCode(err) == atrium.CodeNotFound {
		return Rendered{}, atrium.Errorf(atrium.CodeNotFound, "message not found")
	}
	if err != nil {
		return Rendered{}, err
	}
	copyID := uuid.Must(uuid.NewV7()).String()
	err = o.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO mail_outbox (id, org_id, to_addr, template, subject, text_body, html_body, state, created_at, from_addr, resend_of)
			SELECT $1, org_id, to_addr, template, subject, text_body, html_body, $2, $3, from_addr, $4 FROM mail_outbox WHERE id = $4`,
			copyID, StateQueued, store.Micros(tx.Now()), orig.ID); err != nil {
			return err
		}
		if o.sender != nil {
			if err := o.queue.Enqueue(ctx, tx, JobSend, sendPayload{ID: copyID}, time.Time{}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: p.Org, Action: "mail.resend", TargetType: "mail", TargetID: orig.ID,
			TargetName: orig.Subject, After: map[string]any{"copy": copyID, "smtp": o.sender != nil}})
	})
	if err != nil {
		return Rendered{}, err
	}
	return o.get(ctx, copyID)
}

// Delivering reports whether mail leaves the outbox (an SMTP server is configured).
func (o *Outbox) Delivering() bool { return o.sender != nil }
