package web

import (
	"net/http"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/httpapi"
)

// safeNext returns next when it is a path on this site, or "/".
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (c *console) signInForm(w http.ResponseWriter, r *http.Request) error {
	v := c.newView(r, "Sign in")
	v.Form.Set("next", safeNext(r.URL.Query().Get("next")))
	if u := r.URL.Query().Get("username"); u != "" {
		v.Form.Set("username", u)
	}
	c.render(w, r, http.StatusOK, "signin.html", v)
	return nil
}

// signIn checks the credentials (rate-limited by the API server), opens a session and
// sets the cookie: persistent only with "Stay signed in".
func (c *console) signIn(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return err
	}
	stay := r.PostForm.Get("stay_signed_in") != ""
	id, token, err := c.API.SignIn(r, auth.SignInInput{Username: r.PostForm.Get("username"), Password: r.PostForm.Get("password"), StaySignedIn: stay})
	if err != nil {
		v := c.newView(r, "Sign in")
		v.Form = r.PostForm
		if atrium.ErrorCode(err) == atrium.CodeForbidden {
			// Blocked accounts and suspended organizations: say so on the form.
			v.Error = messageIn(v.P, err)
		} else if !v.formError(err, "username", "password") {
			return err
		}
		status := httpapi.Status(err)
		httpapi.SetRetryAfterOf(w.Header(), err)
		c.render(w, r, status, "signin.html", v)
		return nil
	}
	expires := c.Clock.Now().Add(auth.BrowserIdleTimeout)
	if stay {
		expires = c.Clock.Now().Add(auth.PersistentLifetime)
	}
	c.API.SetSessionCookie(w, r, token, stay, expires)
	target := safeNext(r.PostForm.Get("next"))
	if id.MustChangePassword {
		target = "/account/password"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// signOut ends the session and clears the cookie.
func (c *console) signOut(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	if err := c.Auth.SignOut(r.Context(), s.ID); err != nil {
		return err
	}
	c.API.ClearSessionCookie(w, r)
	return c.redirect(w, r, "/signin", "You are signed out.")
}
