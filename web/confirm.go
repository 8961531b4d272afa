package web

import "net/http"

// confirmPage asks before a destructive action: the page's form POSTs to Action, and
// Cancel goes back without changing anything. It works without JavaScript.
type confirmPage struct {
	Heading, Message, Action, Button, Cancel string
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
