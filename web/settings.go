package web

import (
	"net/http"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/directory"
)

// settingsPage is the data of the organization settings page.
type settingsPage struct {
	// Org and Domains are shown to people who may read the organization's settings.
	Org      *directory.Organization
	Domains  []string
	Sessions []auth.Session
}

// settings shows the organization and the signed-in person's sessions.
func (c *console) settings(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	p := settingsPage{}
	if s.Can(access.OrgRead) {
		org, err := c.Directory.GetOrganization(r.Context(), s.P(), s.ID.Principal.Org)
		if err != nil {
			return err
		}
		domains, err := c.Directory.Domains(r.Context(), org.ID)
		if err != nil {
			return err
		}
		p.Org, p.Domains = org, domains
	}
	sessions, err := c.Auth.Sessions(r.Context(), s.ID)
	if err != nil {
		return err
	}
	p.Sessions = sessions
	v := c.newView(r, "Organization settings")
	v.Data = p
	c.render(w, r, http.StatusOK, "settings.html", v)
	return nil
}

func (c *console) findSession(r *http.Request) (*auth.Session, error) {
	s := sessionFrom(r.Context())
	list, err := c.Auth.Sessions(r.Context(), s.ID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].ID == r.PathValue("id") {
			return &list[i], nil
		}
	}
	return nil, atrium.Errorf(atrium.CodeNotFound, "session not found; it may have ended already")
}

func sessionRevokeConfirm(ss *auth.Session) confirmPage {
	return confirmPage{Heading: "Sign out this session?",
		Message: "The session started " + formatTime(ss.CreatedAt) + " from " + ss.SourceIP + " (" + ss.UserAgent + ") will be signed out.",
		Action:  "/settings/sessions/" + ss.ID + "/revoke", Button: "Sign out session", Cancel: "/settings"}
}

func (c *console) sessionRevokeConfirm(w http.ResponseWriter, r *http.Request) error {
	ss, err := c.findSession(r)
	if err != nil {
		return err
	}
	return c.confirm(w, r, sessionRevokeConfirm(ss), http.StatusOK, "")
}

// sessionRevoke ends one of the signed-in person's other sessions.
func (c *console) sessionRevoke(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	id := r.PathValue("id")
	if id == s.ID.SessionID {
		return atrium.Errorf(atrium.CodeInvalid, "this is the session you are using; sign out instead")
	}
	if err := c.Auth.RevokeSession(r.Context(), s.ID, id); err != nil {
		return err
	}
	return c.redirect(w, r, "/settings", "The session was signed out.")
}
