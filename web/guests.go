package web

import (
	"net/http"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
)

// guestsPage is the data of Users > Guest users.
type guestsPage struct {
	Guests      []directory.User
	Pager       pager
	Invitations []directory.GuestInvitation
	CanInvite   bool
	CanRemove   map[atrium.UserID]bool
}

// guestAcceptPage is the data of the page that accepts an invitation link.
type guestAcceptPage struct {
	Token      string
	Invitation *directory.GuestInvitation
	// Usable is false for an invitation that can no longer be accepted.
	Usable bool
}

// registerGuests adds the guest pages: Users > Guest users, the invitation link's
// acceptance, and the header's "Work with this account".
func (c *console) registerGuests() {
	c.page("GET /guests", c.guestList)
	c.page("POST /guests", c.guestInvite)
	c.page("GET /guests/{id}/remove", c.guestRemoveConfirm)
	c.page("POST /guests/{id}/remove", c.guestRemove)
	c.page("GET /guests/invitations/{id}/revoke", c.invitationRevokeConfirm)
	c.page("POST /guests/invitations/{id}/revoke", c.invitationRevoke)
	c.page("GET /guest/accept", c.guestAcceptForm)
	c.page("POST /guest/accept", c.guestAccept)
	c.page("POST /account/organization", c.switchOrganization)
}

// guestView builds Users > Guest users for the request's search and page.
func (c *console) guestView(r *http.Request) (*view, error) {
	s := sessionFrom(r.Context())
	q := r.URL.Query()
	limit, err := listLimit(r)
	if err != nil {
		return nil, err
	}
	page, err := c.Directory.ListGuests(r.Context(), s.P(), directory.UserQuery{Q: q.Get("q"), Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		return nil, err
	}
	invs, _, err := c.Directory.ListInvitations(r.Context(), s.P(), directory.InvitationQuery{Pending: true, Limit: 50})
	if err != nil {
		return nil, err
	}
	data := guestsPage{Guests: page.Items, Pager: pageLinks(r, page.NextCursor), Invitations: invs, CanInvite: s.Can(access.UserCreate),
		CanRemove: map[atrium.UserID]bool{}}
	for _, u := range page.Items {
		data.CanRemove[u.ID] = access.Can(s.P(), access.UserDelete, targetOf(&u))
	}
	v := c.newView(r, "guests.title")
	v.Form.Set("q", q.Get("q"))
	v.Data = data
	return v, nil
}

func (c *console) guestList(w http.ResponseWriter, r *http.Request) error {
	v, err := c.guestView(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "guests.html", v)
	return nil
}

// guestInvite sends an invitation from the page's form: one field takes an email
// address or a username (usernames read as addresses; the directory finds the account).
func (c *console) guestInvite(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	f := r.PostForm
	inv, _, err := c.Directory.InviteGuest(r.Context(), s.P(), directory.GuestInvite{Email: f.Get("email"), Message: f.Get("message")})
	if err != nil {
		v, lerr := c.guestView(r)
		if lerr != nil {
			return lerr
		}
		v.Form.Set("email", f.Get("email"))
		v.Form.Set("message", f.Get("message"))
		if !v.formError(err, "email", "message") {
			return err
		}
		c.render(w, r, statusOf(err), "guests.html", v)
		return nil
	}
	return c.redirect(w, r, "/guests", c.t(r, "guests.invite.sent", "Email", inv.Email))
}

func (c *console) guestRemovePage(r *http.Request, u *directory.User) confirmPage {
	return confirmPage{Heading: c.t(r, "guests.remove.heading", "Name", u.DisplayName),
		Message: c.t(r, "guests.remove.message", "Name", u.DisplayName, "Org", u.HomeOrgName),
		Action:  "/guests/" + string(u.ID) + "/remove", Button: c.t(r, "guests.remove.button"), Cancel: "/guests"}
}

// guestOf returns the guest user of the path's id, or not_found for any other user.
func (c *console) guestOf(r *http.Request) (*directory.User, error) {
	u, err := c.Directory.GetUser(r.Context(), sessionFrom(r.Context()).P(), atrium.UserID(r.PathValue("id")))
	if err != nil {
		return nil, err
	}
	if !u.Guest || u.DeletedAt != nil {
		return nil, atrium.Errorf(atrium.CodeNotFound, "guest not found")
	}
	return u, nil
}

func (c *console) guestRemoveConfirm(w http.ResponseWriter, r *http.Request) error {
	u, err := c.guestOf(r)
	if err != nil {
		return err
	}
	return c.confirm(w, r, c.guestRemovePage(r, u), http.StatusOK, "")
}

func (c *console) guestRemove(w http.ResponseWriter, r *http.Request) error {
	u, err := c.guestOf(r)
	if err != nil {
		return err
	}
	if err := c.Directory.RemoveGuest(r.Context(), sessionFrom(r.Context()).P(), u.ID, 0); err != nil {
		return c.confirmFailed(w, r, c.guestRemovePage(r, u), err)
	}
	return c.redirect(w, r, "/guests", c.t(r, "guests.remove.done", "Name", u.DisplayName))
}

func (c *console) invitationRevokePage(r *http.Request) confirmPage {
	return confirmPage{Heading: c.t(r, "guests.revoke.heading"), Message: c.t(r, "guests.revoke.message"),
		Action: "/guests/invitations/" + r.PathValue("id") + "/revoke", Button: c.t(r, "guests.revoke.button"), Cancel: "/guests"}
}

func (c *console) invitationRevokeConfirm(w http.ResponseWriter, r *http.Request) error {
	return c.confirm(w, r, c.invitationRevokePage(r), http.StatusOK, "")
}

func (c *console) invitationRevoke(w http.ResponseWriter, r *http.Request) error {
	if err := c.Directory.RevokeInvitation(r.Context(), sessionFrom(r.Context()).P(), r.PathValue("id")); err != nil {
		return c.confirmFailed(w, r, c.invitationRevokePage(r), err)
	}
	return c.redirect(w, r, "/guests", c.t(r, "guests.revoke.done"))
}

// guestAcceptView shows the invitation of token to the signed-in person, with err
// (about the token) when the last attempt failed.
func (c *console) guestAcceptView(w http.ResponseWriter, r *http.Request, token string, err error) error {
	v := c.newView(r, "guests.accept.title")
	data := guestAcceptPage{Token: token}
	inv, ierr := c.Directory.InvitationByToken(r.Context(), token)
	switch {
	case ierr == nil:
		data.Invitation = inv
		data.Usable = inv.State == directory.InvitationPending
		switch inv.State {
		case directory.InvitationAccepted:
			v.Error = v.T("guests.accept.used")
		case directory.InvitationRevoked:
			v.Error = v.T("guests.accept.revoked")
		case directory.InvitationExpired:
			v.Error = v.T("guests.accept.expired")
		}
	case atrium.ErrorCode(ierr) == atrium.CodeNotFound:
		v.Error = v.T("guests.accept.invalid")
	default:
		return ierr
	}
	status := http.StatusOK
	if err != nil {
		if !v.formError(err) {
			return err
		}
		status = statusOf(err)
	}
	v.Data = data
	c.render(w, r, status, "guest_accept.html", v)
	return nil
}

func (c *console) guestAcceptForm(w http.ResponseWriter, r *http.Request) error {
	return c.guestAcceptView(w, r, r.URL.Query().Get("token"), nil)
}

// guestAccept accepts the invitation with the signed-in person's home account and
// switches the session to the new guest account.
func (c *console) guestAccept(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	token := r.PostForm.Get("token")
	u, err := c.Auth.AcceptInvitation(r.Context(), s.ID, token)
	if err != nil {
		return c.guestAcceptView(w, r, token, err)
	}
	org, err := c.Directory.Org(r.Context(), u.Org)
	if err != nil {
		return err
	}
	if _, err := c.Auth.SwitchOrganization(r.Context(), s.ID, u.Org); err != nil {
		return err
	}
	return c.redirect(w, r, "/", c.t(r, "guests.accept.done", "Org", org.Name))
}

// switchOrganization is the header's "Work with this account".
func (c *console) switchOrganization(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	a, err := c.Auth.SwitchOrganization(r.Context(), s.ID, atrium.OrgID(r.PostForm.Get("org_id")))
	if err != nil {
		return err
	}
	return c.redirect(w, r, "/", c.t(r, "guests.switch.done", "Org", a.OrgName))
}
