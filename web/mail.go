package web

import (
	"net/http"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/mail"
)

// mailPage is the data of the outgoing mail pages.
type mailPage struct {
	Messages []mail.Rendered
	Pager    pager
	Message  *mail.Rendered
	// CanResend offers Resend; Delivering says whether mail leaves the outbox at all.
	CanResend  bool
	Delivering bool
}

func requireMailRead(r *http.Request) error {
	return access.Require(sessionFrom(r.Context()).P(), access.InstanceMailRead, access.Resource{})
}

// mailList lists the outbox for operator staff, searchable by recipient.
func (c *console) mailList(w http.ResponseWriter, r *http.Request) error {
	if err := requireMailRead(r); err != nil {
		return err
	}
	q := r.URL.Query()
	limit, err := listLimit(r)
	if err != nil {
		return err
	}
	list, next, err := c.Outbox.ListFor(r.Context(), sessionFrom(r.Context()).P(), mail.ListFilter{To: q.Get("q"), Limit: limit, Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	v := c.newView(r, "nav.operator.mail")
	v.Form.Set("q", q.Get("q"))
	v.Data = mailPage{Messages: list, Pager: pageLinks(r, next)}
	c.render(w, r, http.StatusOK, "mail.html", v)
	return nil
}

// mailView shows one message: its text, and its HTML inside a sandboxed frame that
// cannot run scripts or reach the console.
func (c *console) mailView(w http.ResponseWriter, r *http.Request) error {
	if err := requireMailRead(r); err != nil {
		return err
	}
	m, err := c.Outbox.GetFor(r.Context(), sessionFrom(r.Context()).P(), r.PathValue("id"))
	if err != nil {
		return err
	}
	v := c.newView(r, m.Subject)
	v.Data = mailPage{Message: &m, CanResend: sessionFrom(r.Context()).CanInstance(mail.Resend), Delivering: c.Outbox.Delivering()}
	c.render(w, r, http.StatusOK, "mail_message.html", v)
	return nil
}

// mailResend queues a copy of the message and opens it.
func (c *console) mailResend(w http.ResponseWriter, r *http.Request) error {
	m, err := c.Outbox.ResendFor(r.Context(), sessionFrom(r.Context()).P(), r.PathValue("id"))
	if err != nil {
		return err
	}
	msg := c.t(r, "mail.outbox.resent")
	if !c.Outbox.Delivering() {
		msg = c.t(r, "mail.outbox.resent.not_sent")
	}
	return c.redirect(w, r, "/mail/"+m.ID, msg)
}
