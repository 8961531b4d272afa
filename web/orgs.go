package web

import (
	"net/http"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/licensing"
)

// orgsPage is the data of the operator's organization list.
type orgsPage struct {
	Orgs      []directory.Organization
	Pager     pager
	CanManage map[atrium.OrgID]bool
	// CanDelete: the viewer may delete suspended organizations and restore deleted ones.
	CanDelete bool
	// CanInvoices links each organization's invoices for staff who mark them paid.
	CanInvoices bool
	// Users and Seats count each listed organization's active users and licenses.
	Users map[atrium.OrgID]int
	Seats map[atrium.OrgID]licensing.SeatTotals
}

// orgList lists every organization for operator staff, with search, a state filter
// and paging.
func (c *console) orgList(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	q := r.URL.Query()
	v := c.newView(r, "nav.operator.organizations")
	v.Form.Set("q", q.Get("q"))
	v.Form.Set("state", q.Get("state"))
	state := directory.OrgState(q.Get("state"))
	switch state {
	case "", directory.OrgProvisioning, directory.OrgActive, directory.OrgSuspended, directory.OrgDeleted:
	default:
		return atrium.FieldError("state", "must be provisioning, active, suspended or deleted")
	}
	limit, err := listLimit(r)
	if err != nil {
		return err
	}
	list, next, err := c.Directory.ListOrganizations(r.Context(), s.P(), directory.OrgListQuery{Q: q.Get("q"), State: state, Limit: limit, Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	p := orgsPage{Orgs: list, Pager: pageLinks(r, next), CanManage: map[atrium.OrgID]bool{}, CanInvoices: s.CanInstance(access.InvoiceManage),
		CanDelete: s.CanInstance(access.InstanceOrgDelete)}
	ids := make([]atrium.OrgID, len(list))
	for i, o := range list {
		p.CanManage[o.ID] = !o.Operator && access.Can(s.P(), access.InstanceOrgManage, access.Resource{Org: o.ID})
		ids[i] = o.ID
	}
	if p.Users, err = c.Directory.UserCountsOf(r.Context(), s.P(), ids); err != nil {
		return err
	}
	if p.Seats, err = c.Licensing.SeatTotalsOf(r.Context(), s.P(), ids); err != nil {
		return err
	}
	v.Data = p
	c.render(w, r, http.StatusOK, "orgs.html", v)
	return nil
}

// orgDetailPage is one organization as operator staff see it.
type orgDetailPage struct {
	Org *directory.Organization
	// Country names the organization's country in the page's language.
	Country   string
	Domains   []string
	Users     int
	Licenses  []licensing.LicenseCount
	CanManage bool
	CanDelete bool
	// CanInvoices links the organization's invoices for staff who mark them paid.
	CanInvoices bool
}

// orgDetail is Operator > Organizations > an organization: its profile, domains, users
// and licenses, with the actions staff may take on it.
func (c *console) orgDetail(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	id := atrium.OrgID(r.PathValue("id"))
	if err := access.Require(s.P(), access.InstanceOrgRead, access.Resource{Org: id}); err != nil {
		return err
	}
	o, err := c.Directory.GetOrganization(r.Context(), s.P(), id)
	if err != nil {
		return err
	}
	p := orgDetailPage{Org: o, CanManage: !o.Operator && access.Can(s.P(), access.InstanceOrgManage, access.Resource{Org: id}),
		CanDelete: !o.Operator && s.CanInstance(access.InstanceOrgDelete), CanInvoices: !o.Operator && s.CanInstance(access.InvoiceManage)}
	if p.Domains, err = c.Directory.Domains(r.Context(), id); err != nil {
		return err
	}
	users, err := c.Directory.UserCountsOf(r.Context(), s.P(), []atrium.OrgID{id})
	if err != nil {
		return err
	}
	p.Users = users[id]
	if p.Licenses, err = c.Licensing.LicensesOf(r.Context(), s.P(), id); err != nil {
		return err
	}
	v := c.newView(r, o.Name)
	if o.Country != "" {
		p.Country = directory.CountryNameIn(v.P.Lang(), o.Country)
	}
	v.Data = p
	c.render(w, r, http.StatusOK, "org.html", v)
	return nil
}

// orgChange is a change of an organization's state the console offers: suspend,
// reactivate, delete (a suspended organization) or restore (a deleted one).
type orgChange string

// orgChangeOf reads the {change} of the path.
func orgChangeOf(r *http.Request) (orgChange, error) {
	switch ch := orgChange(r.PathValue("change")); ch {
	case "suspend", "reactivate", "delete", "restore":
		return ch, nil
	}
	return "", atrium.Errorf(atrium.CodeNotFound, "there is no page at this address")
}

// action is what the change needs.
func (ch orgChange) action() access.Action {
	if ch == "delete" || ch == "restore" {
		return access.InstanceOrgDelete
	}
	return access.InstanceOrgManage
}

// orgConfirm asks before change ch of o, in t's language. The messages of a change are
// orgs.<change>.heading, .message and .button.
func orgConfirm(t *i18n.Printer, o *directory.Organization, ch orgChange) confirmPage {
	id := "orgs." + string(ch)
	p := confirmPage{Action: "/organizations/" + string(o.ID) + "/" + string(ch), Cancel: "/organizations",
		Heading: t.T(id+".heading", "Name", o.Name), Message: t.T(id+".message", "Name", o.Name), Button: t.T(id + ".button")}
	if ch == "delete" {
		days := int(directory.RestoreWindow / (24 * time.Hour))
		p.Message = t.T(id+".message", "Name", o.Name, "Count", days)
		p.Type, p.ConfirmLabel = o.Name, t.T("orgs.delete.confirm_label", "Name", o.Name)
	}
	return p
}

func (c *console) orgStateConfirm(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	ch, err := orgChangeOf(r)
	if err != nil {
		return err
	}
	id := atrium.OrgID(r.PathValue("id"))
	if err := access.Require(s.P(), ch.action(), access.Resource{Org: id}); err != nil {
		return err
	}
	o, err := c.Directory.GetOrganization(r.Context(), s.P(), id)
	if err != nil {
		return err
	}
	return c.confirm(w, r, orgConfirm(i18n.For(c.lang(r)), o, ch), http.StatusOK, "")
}

// orgStateChange changes an organization's state, after confirmation.
func (c *console) orgStateChange(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	ch, err := orgChangeOf(r)
	if err != nil {
		return err
	}
	id := atrium.OrgID(r.PathValue("id"))
	var o *directory.Organization
	switch ch {
	case "delete":
		o, err = c.Directory.DeleteOrg(r.Context(), s.P(), id, r.PostFormValue("confirm"))
	case "restore":
		o, err = c.Directory.RestoreOrg(r.Context(), s.P(), id)
	default:
		o, err = c.Directory.SetOrgSuspended(r.Context(), s.P(), id, ch == "suspend")
	}
	if err != nil {
		if code := atrium.ErrorCode(err); code == atrium.CodeInvalid || code == atrium.CodeConflict {
			cur, gerr := c.Directory.GetOrganization(r.Context(), s.P(), id)
			if gerr != nil {
				return err
			}
			return c.confirmFailed(w, r, orgConfirm(i18n.For(c.lang(r)), cur, ch), err)
		}
		return err
	}
	p := i18n.For(c.lang(r))
	// orgs.suspend.done, orgs.reactivate.done, orgs.delete.done, orgs.restore.done
	msg := p.T("orgs."+string(ch)+".done", "Name", o.Name, "Date", formatDateIn(p, o.PurgeAt))
	return c.redirect(w, r, "/organizations", msg)
}
