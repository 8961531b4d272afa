package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/i18n"
)

// settingsPage is the data of the organization settings page.
type settingsPage struct {
	// Org and Domains are shown to people who may read the organization's settings.
	Org      *directory.Organization
	Domains  []string
	Sessions []auth.Session
	// CanEdit: the viewer may edit the organization profile (Global admins).
	CanEdit bool
	// State names the organization's state in the page's language.
	State string
	// Language is the organization's language, named in itself; nil when it has none.
	Language *languageChoice
	// Languages are the choices of the profile form's language, the form's marked.
	Languages []languageChoice
}

// orgStateIDs are the message IDs of the organization states' names.
var orgStateIDs = map[directory.OrgState]string{
	directory.OrgProvisioning: "settings.org_state.provisioning",
	directory.OrgActive:       "settings.org_state.active",
	directory.OrgSuspended:    "settings.org_state.suspended",
	directory.OrgDeleted:      "settings.org_state.deleted",
}

// orgStateName returns the name of an organization state in p's language.
func orgStateName(p *i18n.Printer, st directory.OrgState) string {
	if id, ok := orgStateIDs[st]; ok {
		return p.T(id)
	}
	return string(st)
}

// orgProfileFields are the organization profile form's fields.
var orgProfileFields = []string{"name", "country", "address", "technical_contact", "language", "tax_id"}

// settings shows the organization and the signed-in person's sessions.
func (c *console) settings(w http.ResponseWriter, r *http.Request) error {
	return c.settingsPage(w, r, nil, nil)
}

// orgProfileSave saves the organization profile form (Settings > Organization profile).
func (c *console) orgProfileSave(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	f := r.PostForm
	version, _ := strconv.ParseInt(f.Get("version"), 10, 64)
	if version <= 0 {
		version = -1 // a form without its version cannot match
	}
	get := func(k string) *string { v := f.Get(k); return &v }
	_, err := c.Directory.UpdateOrgProfile(r.Context(), s.P(), directory.OrgProfilePatch{Name: get("name"), Country: get("country"),
		Address: get("address"), TechnicalContact: get("technical_contact"), Language: get("language"), TaxID: get("tax_id")}, version)
	if err != nil {
		return c.settingsPage(w, r, f, err)
	}
	return c.redirect(w, r, "/settings", c.t(r, "settings.profile.saved"))
}

// settingsPage renders the settings page; after a failed save, form and err put the
// typed values and the problems back beside their fields.
func (c *console) settingsPage(w http.ResponseWriter, r *http.Request, form url.Values, saveErr error) error {
	s := sessionFrom(r.Context())
	p := settingsPage{CanEdit: s.Can(access.OrgUpdate)}
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
		if org.Language != "" {
			l := i18n.Lang(org.Language)
			p.Language = &languageChoice{Code: string(l), Name: l.Name()}
		}
	}
	sessions, err := c.Auth.Sessions(r.Context(), s.ID)
	if err != nil {
		return err
	}
	p.Sessions = sessions
	v := c.newView(r, "nav.settings.organization")
	status := http.StatusOK
	if saveErr != nil {
		if !v.formError(saveErr, orgProfileFields...) {
			return saveErr
		}
		v.Form, status = form, statusOf(saveErr)
	} else if p.Org != nil {
		v.Form = url.Values{"name": {p.Org.Name}, "country": {p.Org.Country}, "address": {p.Org.Address},
			"technical_contact": {p.Org.TechnicalContact}, "language": {p.Org.Language}, "tax_id": {p.Org.TaxID}}
	}
	p.Languages = languageChoices(i18n.Lang(v.Form.Get("language")))
	if p.Org != nil {
		p.State = orgStateName(v.P, p.Org.State)
	}
	v.Data = p
	c.render(w, r, status, "settings.html", v)
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
	return nil, atrium.Errorf(atrium.CodeNotFound, "settings.sessions.not_found")
}

func (c *console) sessionRevokePage(r *http.Request, ss *auth.Session) confirmPage {
	p := i18n.For(c.lang(r))
	return confirmPage{Heading: p.T("settings.sessions.confirm.heading"),
		Message: p.T("settings.sessions.confirm.message", "Started", formatTimeIn(p, ss.CreatedAt), "Address", ss.SourceIP, "Browser", ss.UserAgent),
		Action:  "/settings/sessions/" + ss.ID + "/revoke", Button: p.T("settings.sessions.confirm.button"), Cancel: "/settings"}
}

func (c *console) sessionRevokeConfirm(w http.ResponseWriter, r *http.Request) error {
	ss, err := c.findSession(r)
	if err != nil {
		return err
	}
	return c.confirm(w, r, c.sessionRevokePage(r, ss), http.StatusOK, "")
}

// sessionRevoke ends one of the signed-in person's other sessions.
func (c *console) sessionRevoke(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	id := r.PathValue("id")
	if id == s.ID.SessionID {
		return atrium.Errorf(atrium.CodeInvalid, "settings.sessions.own")
	}
	if err := c.Auth.RevokeSession(r.Context(), s.ID, id); err != nil {
		return err
	}
	return c.redirect(w, r, "/settings", c.t(r, "settings.sessions.signed_out"))
}
