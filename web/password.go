package web

import (
	"net/http"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/password"
)

// passwordPage is the data of the Change password page.
type passwordPage struct {
	// MinLength is the shortest password the rules allow, for the hint.
	MinLength int
}

// passwordView is the Change password page.
func (c *console) passwordView(r *http.Request) *view {
	v := c.newView(r, "settings.password.title")
	v.Data = passwordPage{MinLength: password.MinLength}
	return v
}

func (c *console) passwordForm(w http.ResponseWriter, r *http.Request) error {
	c.render(w, r, http.StatusOK, "password.html", c.passwordView(r))
	return nil
}

// changePassword changes the signed-in person's own password; their other sessions end.
func (c *console) changePassword(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	next := r.PostForm.Get("new_password")
	err := error(nil)
	if next != r.PostForm.Get("confirm_password") {
		err = atrium.FieldError("confirm_password", "err.password.confirm")
	}
	if err == nil {
		err = c.Auth.ChangePassword(r.Context(), s.ID, r.PostForm.Get("current_password"), next)
	}
	if err != nil {
		v := c.passwordView(r)
		if !v.formError(err, "current_password", "new_password", "confirm_password") {
			return err
		}
		c.render(w, r, http.StatusBadRequest, "password.html", v)
		return nil
	}
	return c.redirect(w, r, "/", c.t(r, "settings.password.changed"))
}
