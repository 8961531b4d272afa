package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/i18n"
)

// userPage is the data of a user's detail page.
type userPage struct {
	User                                                     *directory.User
	Self                                                     bool
	CanUpdate, CanBlock, CanReset, CanDelete, CanAssignRoles bool
	// CanLicenses shows the link to the user's licenses.
	CanLicenses bool
	// Assignable are the roles the user does not hold that may be given here.
	Assignable []access.Role
	// Lock says how failed sign-ins lock the user out, when they do; CanUnlock shows the
	// action that ends it.
	Lock      string
	CanUnlock bool
}

// profileFields are the editable fields of the user page.
var profileFields = []string{"display_name", "first_name", "last_name", "contact_email", "job_title", "department", "usage_location"}

func (c *console) loadUser(r *http.Request) (*directory.User, error) {
	s := sessionFrom(r.Context())
	return c.Directory.GetUser(r.Context(), s.P(), atrium.UserID(r.PathValue("id")))
}

// activeUser loads the user of the request's path, refusing deleted ones.
func (c *console) activeUser(r *http.Request) (*directory.User, error) {
	u, err := c.loadUser(r)
	if err != nil {
		return nil, err
	}
	if u.DeletedAt != nil {
		return nil, atrium.Errorf(atrium.CodeNotFound, "%s", c.t(r, "users.error.deleted"))
	}
	return u, nil
}

// userView builds the detail page of u; the form shows u's values unless form errors
// are being shown.
func (c *console) userView(r *http.Request, u *directory.User) *view {
	s := sessionFrom(r.Context())
	p := s.P()
	t := targetOf(u)
	data := userPage{User: u, Self: u.ID == p.UserID,
		CanUpdate: access.Can(p, access.UserUpdate, t), CanBlock: access.Can(p, access.UserBlock, t),
		CanReset: access.Can(p, access.UserResetPassword, t), CanDelete: access.Can(p, access.UserDelete, t),
		CanAssignRoles: s.Can(access.RoleAssign), CanLicenses: s.Can(access.LicenseRead)}
	if data.CanAssignRoles {
		for _, role := range access.Roles() {
			if (role.Operator() && !s.Org.Operator) || role.Scope() != access.ScopeOrg {
				continue
			}
			if !slices.Contains(u.Roles, role) {
				data.Assignable = append(data.Assignable, role)
			}
		}
	}
	v := c.newView(r, "")
	v.Title = u.DisplayName
	if lock := c.signInLock(r, u); lock != nil {
		data.Lock, data.CanUnlock = lockMessage(v.P, lock), data.CanBlock
	}
	v.Data = data
	for f, val := range map[string]string{"display_name": u.DisplayName, "first_name": u.FirstName, "last_name": u.LastName,
		"contact_email": u.ContactEmail, "job_title": u.JobTitle, "department": u.Department, "usage_location": u.UsageLocation} {
		v.Form.Set(f, val)
	}
	v.Form.Set("version", strconv.FormatInt(u.Version, 10))
	return v
}

// userDetail shows a user with every field, editable when allowed, and their actions.
func (c *console) userDetail(w http.ResponseWriter, r *http.Request) error {
	u, err := c.loadUser(r)
	if err != nil {
		return err
	}
	if u.DeletedAt != nil {
		return c.redirect(w, r, "/deleted-users?q="+url.QueryEscape(u.Username), "")
	}
	c.render(w, r, http.StatusOK, "user.html", c.userView(r, u))
	return nil
}

// userUpdate saves the profile form. The version field makes a concurrent edit fail
// instead of silently overwriting it.
func (c *console) userUpdate(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	f := r.PostForm
	version, _ := strconv.ParseInt(f.Get("version"), 10, 64)
	if version <= 0 {
		version = -1 // a missing version can never match
	}
	str := func(name string) *string { v := f.Get(name); return &v }
	patch := directory.UserPatch{DisplayName: str("display_name"), FirstName: str("first_name"), LastName: str("last_name"),
		ContactEmail: str("contact_email"), JobTitle: str("job_title"), Department: str("department"), UsageLocation: str("usage_location")}
	u, err := c.Directory.UpdateUser(r.Context(), s.P(), atrium.UserID(r.PathValue("id")), patch, version)
	if err != nil {
		cur, lerr := c.activeUser(r)
		if lerr != nil {
			return errors.Join(err, lerr)
		}
		v := c.userView(r, cur)
		for _, name := range profileFields {
			v.Form.Set(name, f.Get(name))
		}
		if atrium.ErrorCode(err) == atrium.CodePreconditionFailed {
			// Show the current values so the edit can be redone on top of them.
			v = c.userView(r, cur)
		}
		if !v.formError(err, profileFields...) {
			return err
		}
		c.render(w, r, statusOf(err), "user.html", v)
		return nil
	}
	return c.redirect(w, r, "/users/"+string(u.ID), c.t(r, "users.user.saved", "Name", u.DisplayName))
}

func (c *console) userBlockConfirm(w http.ResponseWriter, r *http.Request) error {
	u, err := c.activeUser(r)
	if err != nil {
		return err
	}
	if err := access.Require(sessionFrom(r.Context()).P(), access.UserBlock, targetOf(u)); err != nil {
		return err
	}
	return c.confirm(w, r, blockConfirm(i18n.For(c.lang(r)), u), http.StatusOK, "")
}

func blockConfirm(p *i18n.Printer, u *directory.User) confirmPage {
	return confirmPage{Heading: p.T("users.block.heading", "Name", u.DisplayName),
		Message: p.T("users.block.message", "Username", u.Username),
		Action:  "/users/" + string(u.ID) + "/block", Button: p.T("users.block.button"), Cancel: "/users/" + string(u.ID)}
}

// userBlock blocks sign-in, after confirmation.
func (c *console) userBlock(w http.ResponseWriter, r *http.Request) error {
	return c.setBlocked(w, r, true)
}

// userUnblock lets a blocked user sign in again.
func (c *console) userUnblock(w http.ResponseWriter, r *http.Request) error {
	return c.setBlocked(w, r, false)
}

func (c *console) setBlocked(w http.ResponseWriter, r *http.Request, blocked bool) error {
	s := sessionFrom(r.Context())
	u, err := c.Directory.UpdateUser(r.Context(), s.P(), atrium.UserID(r.PathValue("id")), directory.UserPatch{Blocked: &blocked}, 0)
	if err != nil {
		cur, lerr := c.activeUser(r)
		if lerr != nil || !blocked || slices.Contains([]atrium.Code{atrium.CodeForbidden, atrium.CodeInternal}, atrium.ErrorCode(err)) {
			return err
		}
		p := i18n.For(c.lang(r))
		return c.confirm(w, r, blockConfirm(p, cur), statusOf(err), messageIn(p, err))
	}
	msg := c.t(r, "users.unblock.done", "Name", u.DisplayName)
	if blocked {
		msg = c.t(r, "users.block.done", "Name", u.DisplayName)
	}
	return c.redirect(w, r, "/users/"+string(u.ID), msg)
}

// signInLock returns u's sign-in lock, or nil when there is none. The page shows what it
// can without it: a failure to read it is logged, not shown.
func (c *console) signInLock(r *http.Request, u *directory.User) *auth.SignInLock {
	l, err := c.Auth.SignInLock(r.Context(), sessionFrom(r.Context()).P(), u.ID)
	if err != nil {
		if atrium.ErrorCode(err) == atrium.CodeInternal {
			c.Log.Error("web: read sign-in lock", "user", u.ID, "err", err)
		}
		return nil
	}
	if !l.Locked {
		return nil
	}
	return l
}

// lockMessage says in p's language how l locks the user out: a sentence, and for a lock
// of the whole account a second one about the addresses that may still sign in.
func lockMessage(p *i18n.Printer, l *auth.SignInLock) string {
	until := formatTimeIn(p, l.LockedUntil)
	switch {
	case l.Account:
		return p.T("users.lock.account", "Until", until, "Count", l.Failures) + " " + p.T("users.lock.account.known")
	case l.Addresses == 1:
		return p.T("users.lock.one_address", "Until", until, "Count", l.Failures)
	}
	return p.T("users.lock.addresses", "Addresses", p.Number(int64(l.Addresses)), "Until", until, "Count", l.Failures)
}

func unlockConfirm(p *i18n.Printer, u *directory.User, lock *auth.SignInLock) confirmPage {
	return confirmPage{Heading: p.T("users.unlock.heading", "Name", u.DisplayName),
		Message: joinSentences([]string{lockMessage(p, lock), p.T("users.unlock.message"), p.T("users.unlock.warning", "Username", u.Username)}),
		Action:  "/users/" + string(u.ID) + "/unlock", Button: p.T("users.unlock.button"), Cancel: "/users/" + string(u.ID)}
}

// userUnlockConfirm asks before unlocking a user's sign-in.
func (c *console) userUnlockConfirm(w http.ResponseWriter, r *http.Request) error {
	u, err := c.activeUser(r)
	if err != nil {
		return err
	}
	if err := access.Require(sessionFrom(r.Context()).P(), access.UserBlock, targetOf(u)); err != nil {
		return err
	}
	lock := c.signInLock(r, u)
	if lock == nil {
		return c.redirect(w, r, "/users/"+string(u.ID), c.t(r, "users.unlock.not_locked", "Name", u.DisplayName))
	}
	return c.confirm(w, r, unlockConfirm(i18n.For(c.lang(r)), u, lock), http.StatusOK, "")
}

// userUnlock ends the locks failed sign-ins put on a user, after confirmation.
func (c *console) userUnlock(w http.ResponseWriter, r *http.Request) error {
	u, err := c.activeUser(r)
	if err != nil {
		return err
	}
	was, err := c.Auth.Unlock(r.Context(), sessionFrom(r.Context()).P(), u.ID)
	if err != nil {
		return err
	}
	if !was.Locked {
		return c.redirect(w, r, "/users/"+string(u.ID), c.t(r, "users.unlock.not_locked", "Name", u.DisplayName))
	}
	return c.redirect(w, r, "/users/"+string(u.ID), c.t(r, "users.unlock.done", "Name", u.DisplayName))
}

// resetPage is the data of the password reset form and its result.
type resetPage struct {
	User      *directory.User
	Generated string
}

func (c *console) userResetForm(w http.ResponseWriter, r *http.Request) error {
	u, err := c.activeUser(r)
	if err != nil {
		return err
	}
	if err := access.Require(sessionFrom(r.Context()).P(), access.UserResetPassword, targetOf(u)); err != nil {
		return err
	}
	v := c.newView(r, "")
	v.Title = v.T("users.reset.title", "Name", u.DisplayName)
	v.Form.Set("mode", "generate")
	v.Data = resetPage{User: u}
	c.render(w, r, http.StatusOK, "user_reset.html", v)
	return nil
}

// userReset sets a typed or generated password; a generated one is shown once.
func (c *console) userReset(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	u, err := c.activeUser(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	pw := ""
	if f.Get("mode") == "type" {
		pw = f.Get("password")
		if pw == "" {
			err = atrium.FieldError("password", c.t(r, "users.reset.password.required"))
		}
	}
	generated := ""
	if err == nil {
		generated, err = c.Directory.ResetPassword(r.Context(), s.P(), u.ID, pw)
	}
	if err != nil {
		v := c.newView(r, "")
		v.Title = v.T("users.reset.title", "Name", u.DisplayName)
		v.Form = f
		v.Data = resetPage{User: u}
		if !v.formError(err, "password") {
			return err
		}
		c.render(w, r, statusOf(err), "user_reset.html", v)
		return nil
	}
	if generated == "" {
		return c.redirect(w, r, "/users/"+string(u.ID), c.t(r, "users.reset.done", "Name", u.DisplayName)+" "+c.t(r, "users.reset.done.must_change"))
	}
	v := c.newView(r, "users.reset.done.title")
	v.Data = resetPage{User: u, Generated: generated}
	c.render(w, r, http.StatusOK, "user_reset.html", v)
	return nil
}

func deleteConfirm(p *i18n.Printer, u *directory.User) confirmPage {
	return confirmPage{Heading: p.T("users.delete.heading", "Name", u.DisplayName),
		Message: joinSentences([]string{p.T("users.delete.sure"), p.T("users.delete.message", "Username", u.Username), p.T("users.delete.restore")}),
		Action:  "/users/" + string(u.ID) + "/delete", Button: p.T("users.delete.button"), Cancel: "/users/" + string(u.ID)}
}

func (c *console) userDeleteConfirm(w http.ResponseWriter, r *http.Request) error {
	u, err := c.activeUser(r)
	if err != nil {
		return err
	}
	if err := access.Require(sessionFrom(r.Context()).P(), access.UserDelete, targetOf(u)); err != nil {
		return err
	}
	return c.confirm(w, r, deleteConfirm(i18n.For(c.lang(r)), u), http.StatusOK, "")
}

// userDelete soft-deletes the user, after confirmation.
func (c *console) userDelete(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	u, err := c.activeUser(r)
	if err != nil {
		return err
	}
	if err := c.Directory.DeleteUser(r.Context(), s.P(), u.ID, 0); err != nil {
		if code := atrium.ErrorCode(err); code == atrium.CodeInvalid || code == atrium.CodeConflict {
			p := i18n.For(c.lang(r))
			return c.confirm(w, r, deleteConfirm(p, u), statusOf(err), messageIn(p, err))
		}
		return err
	}
	return c.redirect(w, r, "/users", c.t(r, "users.delete.done", "Name", u.DisplayName)+" "+c.t(r, "users.delete.done.restore"))
}

// userRoleAssign gives the user an admin role.
func (c *console) userRoleAssign(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	role, ok := access.ParseRole(r.PostForm.Get("role"))
	if ok && role == access.GlobalAdmin && r.PostForm.Get("confirmed") == "" {
		// Everything in the organization, including removing the other admins: asked once more.
		cur, err := c.activeUser(r)
		if err != nil {
			return err
		}
		p := i18n.For(c.lang(r))
		return c.confirm(w, r, confirmPage{Heading: p.T("users.global_admin.heading", "Name", cur.DisplayName),
			Message: p.T("users.global_admin.warning", "Name", cur.DisplayName),
			Action:  "/users/" + string(cur.ID) + "/roles", Button: p.T("users.global_admin.button"), Cancel: "/users/" + string(cur.ID),
			Hidden: [][2]string{{"role", role.String()}, {"confirmed", "1"}}}, http.StatusOK, "")
	}
	var u *directory.User
	err := error(atrium.FieldError("role", c.t(r, "users.role.choose_one")))
	if ok {
		u, err = c.Directory.AssignRole(r.Context(), s.P(), atrium.UserID(r.PathValue("id")), role)
	}
	if err != nil {
		cur, lerr := c.activeUser(r)
		if lerr != nil {
			return errors.Join(err, lerr)
		}
		v := c.userView(r, cur)
		if !v.formError(err, "role") {
			return err
		}
		c.render(w, r, statusOf(err), "user.html", v)
		return nil
	}
	return c.redirect(w, r, "/users/"+string(u.ID), c.t(r, "users.role.assigned", "Name", u.DisplayName, "Role", role.Title()))
}

func roleRemoveConfirm(p *i18n.Printer, u *directory.User, role access.Role) confirmPage {
	return confirmPage{Heading: p.T("users.role.remove.heading", "Role", role.Title(), "Name", u.DisplayName),
		Message: p.T("users.role.remove.message", "Username", u.Username, "Description", role.Description()),
		Action:  "/users/" + string(u.ID) + "/roles/" + role.String() + "/remove", Button: p.T("users.role.remove.button"), Cancel: "/users/" + string(u.ID)}
}

func (c *console) roleOfPath(r *http.Request) (access.Role, error) {
	role, ok := access.ParseRole(r.PathValue("role"))
	if !ok {
		return 0, atrium.Errorf(atrium.CodeNotFound, "%s", c.t(r, "users.error.no_such_role"))
	}
	return role, nil
}

func (c *console) userRoleRemoveConfirm(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	if err := access.Require(s.P(), access.RoleAssign, access.Resource{Org: s.ID.Principal.Org}); err != nil {
		return err
	}
	role, err := c.roleOfPath(r)
	if err != nil {
		return err
	}
	u, err := c.activeUser(r)
	if err != nil {
		return err
	}
	return c.confirm(w, r, roleRemoveConfirm(i18n.For(c.lang(r)), u, role), http.StatusOK, "")
}

// userRoleRemove takes an admin role away, after confirmation.
func (c *console) userRoleRemove(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	role, err := c.roleOfPath(r)
	if err != nil {
		return err
	}
	u, err := c.Directory.RemoveRole(r.Context(), s.P(), atrium.UserID(r.PathValue("id")), role)
	if err != nil {
		cur, lerr := c.activeUser(r)
		if lerr != nil {
			return errors.Join(err, lerr)
		}
		if code := atrium.ErrorCode(err); code == atrium.CodeInvalid || code == atrium.CodeConflict {
			p := i18n.For(c.lang(r))
			return c.confirm(w, r, roleRemoveConfirm(p, cur, role), statusOf(err), messageIn(p, err))
		}
		return err
	}
	return c.redirect(w, r, "/users/"+string(u.ID), c.t(r, "users.role.removed", "Role", role.Title(), "Name", u.DisplayName))
}
