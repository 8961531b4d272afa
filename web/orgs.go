package web

import (
	"net/http"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
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
	v := c.newView(r, "Organizations")
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
	Org       *directory.Organization
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

func orgConfirm(o *directory.Organization, ch orgChange) confirmPage {
	p := confirmPage{Action: "/organizations/" + string(o.ID) + "/" + string(ch), Cancel: "/organizations"}
	switch ch {
	case "suspend":
		p.Heading, p.Button = "Suspend "+o.Name+"?", "Suspend organization"
		p.Message = "Nobody of " + o.Name + " can sign in while it is suspended: their sessions end and their API tokens stop working. " +
			"Its users, licenses and data are kept. Reactivating it lets its members sign in again and its API tokens work again; " +
			"the sessions that ended stay ended."
	case "reactivate":
		p.Heading, p.Button = "Reactivate "+o.Name+"?", "Reactivate organization"
		p.Message = "Members of " + o.Name + " can sign in again."
	case "delete":
		p.Heading, p.Button = "Delete "+o.Name+"?", "Delete organization"
		p.Message = "You can restore " + o.Name + " for 30 days. After that it is purged for good: its users, licenses, " +
			"subscriptions, bills, audit log and every app's data."
		p.Type, p.ConfirmLabel = o.Name, "Type the organization's name, "+o.Name+", to confirm"
	case "restore":
		p.Heading, p.Button = "Restore "+o.Name+"?", "Restore organization"
		p.Message = o.Name + " comes back suspended, with its data; reactivate it to let its members sign in."
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
	return c.confirm(w, r, orgConfirm(o, ch), http.StatusOK, "")
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
			return c.confirmFailed(w, r, orgConfirm(cur, ch), err)
		}
		return err
	}
	var msg string
	switch ch {
	case "suspend":
		msg = o.Name + " is suspended."
	case "reactivate":
		msg = o.Name + " is active again."
	case "delete":
		msg = o.Name + " is deleted. It can be restored until " + formatDate(o.PurgeAt) + "."
	case "restore":
		msg = o.Name + " is restored and suspended."
	}
	return c.redirect(w, r, "/organizations", msg)
}
