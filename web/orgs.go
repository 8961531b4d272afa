package web

import (
	"net/http"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
)

// orgsPage is the data of the operator's organization list.
type orgsPage struct {
	Orgs      []directory.Organization
	Pager     pager
	CanManage map[atrium.OrgID]bool
	// CanInvoices links each organization's invoices for staff who mark them paid.
	CanInvoices bool
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
	case "", directory.OrgProvisioning, directory.OrgActive, directory.OrgSuspended:
	default:
		return atrium.FieldError("state", "must be provisioning, active or suspended")
	}
	limit, err := listLimit(r)
	if err != nil {
		return err
	}
	list, next, err := c.Directory.ListOrganizations(r.Context(), s.P(), directory.OrgListQuery{Q: q.Get("q"), State: state, Limit: limit, Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	p := orgsPage{Orgs: list, Pager: pageLinks(r, next), CanManage: map[atrium.OrgID]bool{}, CanInvoices: s.CanInstance(access.InvoiceManage)}
	for _, o := range list {
		p.CanManage[o.ID] = !o.Operator && access.Can(s.P(), access.InstanceOrgManage, access.Resource{Org: o.ID})
	}
	v.Data = p
	c.render(w, r, http.StatusOK, "orgs.html", v)
	return nil
}

// orgChange reads the {change} of the path: suspend (true) or reactivate (false).
func orgChange(r *http.Request) (bool, error) {
	switch r.PathValue("change") {
	case "suspend":
		return true, nil
	case "reactivate":
		return false, nil
	}
	return false, atrium.Errorf(atrium.CodeNotFound, "there is no page at this address")
}

func orgConfirm(o *directory.Organization, suspend bool) confirmPage {
	if suspend {
		return confirmPage{Heading: "Suspend " + o.Name + "?",
			Message: "Nobody of " + o.Name + " can sign in while it is suspended, and their sessions and API tokens stop working.",
			Action:  "/organizations/" + string(o.ID) + "/suspend", Button: "Suspend organization", Cancel: "/organizations"}
	}
	return confirmPage{Heading: "Reactivate " + o.Name + "?",
		Message: "Members of " + o.Name + " can sign in again.",
		Action:  "/organizations/" + string(o.ID) + "/reactivate", Button: "Reactivate organization", Cancel: "/organizations"}
}

func (c *console) orgStateConfirm(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	suspend, err := orgChange(r)
	if err != nil {
		return err
	}
	id := atrium.OrgID(r.PathValue("id"))
	if err := access.Require(s.P(), access.InstanceOrgManage, access.Resource{Org: id}); err != nil {
		return err
	}
	o, err := c.Directory.GetOrganization(r.Context(), s.P(), id)
	if err != nil {
		return err
	}
	return c.confirm(w, r, orgConfirm(o, suspend), http.StatusOK, "")
}

// orgStateChange suspends or reactivates an organization, after confirmation.
func (c *console) orgStateChange(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	suspend, err := orgChange(r)
	if err != nil {
		return err
	}
	id := atrium.OrgID(r.PathValue("id"))
	o, err := c.Directory.SetOrgSuspended(r.Context(), s.P(), id, suspend)
	if err != nil {
		if code := atrium.ErrorCode(err); code == atrium.CodeInvalid || code == atrium.CodeConflict {
			cur, gerr := c.Directory.GetOrganization(r.Context(), s.P(), id)
			if gerr != nil {
				return err
			}
			return c.confirm(w, r, orgConfirm(cur, suspend), statusOf(err), messageOf(err))
		}
		return err
	}
	msg := o.Name + " is suspended."
	if !suspend {
		msg = o.Name + " is active again."
	}
	return c.redirect(w, r, "/organizations", msg)
}
