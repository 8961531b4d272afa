package web

import "net/http"

// confirmPage asks before a destructive action: the page's form POSTs to Action, and
// Cancel goes back without changing anything. It works without JavaScript.
//
// Heading, Message, Button and ConfirmLabel are shown as they are: the caller writes
// them in the request's language (c.t), each a whole sentence with its names filled in.
type confirmPage struct {
	Heading, Message, Action, Button, Cancel string
	// Type, when set, asks the person to type it into the field "confirm" (an
	// organization's name before deleting it): ConfirmLabel says so.
	Type, ConfirmLabel string
	// Hidden are fields the confirmation posts again with its own (the role chosen).
	Hidden [][2]string
}

// confirm renders a confirmation page; errMsg, when set, says why the last attempt
// failed.
func (c *console) confirm(w http.ResponseWriter, r *http.Request, p confirmPage, status int, errMsg string) error {
	v := c.newView(r, p.Heading)
	v.Error = errMsg
	v.Data = p
	c.render(w, r, status, "confirm.html", v)
	return nil
}

// confirmFailed renders the confirmation page again after err, an error about the
// input (the typed confirmation beside its field). It returns err itself when err
// deserves an error page.
func (c *console) confirmFailed(w http.ResponseWriter, r *http.Request, p confirmPage, err error) error {
	v := c.newView(r, p.Heading)
	if !v.formError(err, "confirm") {
		return err
	}
	v.Data = p
	c.render(w, r, statusOf(err), "confirm.html", v)
	return nil
}
