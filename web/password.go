package web

import (
	"net/http"

	"github.com/atrium-admin/atrium"
)

func (c *console) passwordForm(w http.ResponseWriter, r *http.Request) error {
	c.render(w, r, http.StatusOK, "password.html", c.newView(r, "Change your password"))
	return nil
}

// changePassword changes the signed-in person's own password; their other sessions end.
func (c *console) changePassword(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	next := r.PostForm.Get("new_password")
	err := error(nil)
	if next != r.PostForm.Get("confirm_password") {
		err = atrium.FieldError("confirm_password", "does not match the new password")
	}
	if err == nil {
		err = c.Auth.ChangePassword(r.Context(), s.ID, r.PostForm.Get("current_password"), next)
	}
	if err != nil {
		v := c.newView(r, "Change your password")
		if !v.formError(err, "current_password", "new_password", "confirm_password") {
			return err
		}
		c.render(w, r, http.StatusBadRequest, "password.html", v)
		return nil
	}
	return c.redirect(w, r, "/", "Your password has been changed. Your other sessions have been signed out.")
}
