package web

import (
	"net/http"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/licensing"
)

// invoicesPage is Billing > Bills & payments, or an organization's invoices for
// operator staff.
type invoicesPage struct {
	Invoices []licensing.Invoice
	Pager    pager
	// Org is set when operator staff look at another organization's invoices.
	Org *directory.Organization
}

// invoiceList is Billing > Bills & payments: the organization's invoices, newest first.
func (c *console) invoiceList(w http.ResponseWriter, r *http.Request) error {
	return c.renderInvoices(w, r, nil)
}

// orgInvoices lists an organization's invoices for operator staff, who mark them paid
// or void.
func (c *console) orgInvoices(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	id := atrium.OrgID(r.PathValue("id"))
	if err := access.Require(s.P(), access.InvoiceManage, access.Resource{Org: id}); err != nil {
		return err
	}
	org, err := c.Directory.GetOrganization(r.Context(), s.P(), id)
	if err != nil {
		return err
	}
	return c.renderInvoices(w, r, org)
}

func (c *console) renderInvoices(w http.ResponseWriter, r *http.Request, org *directory.Organization) error {
	s := sessionFrom(r.Context())
	limit, err := listLimit(r)
	if err != nil {
		return err
	}
	var orgID atrium.OrgID
	title := "Bills & payments"
	if org != nil {
		orgID, title = org.ID, "Invoices of "+org.Name
	}
	list, next, err := c.Licensing.Invoices(r.Context(), s.P(), orgID, limit, r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	v := c.newView(r, title)
	v.Data = invoicesPage{Invoices: list, Pager: pageLinks(r, next), Org: org}
	c.render(w, r, http.StatusOK, "invoices.html", v)
	return nil
}

// invoicePage is one invoice with its lines.
type invoicePage struct {
	Invoice   *licensing.Invoice
	OrgName   string
	CanManage bool
	// Back is the list the invoice was reached from.
	Back string
}

// invoiceView shows an invoice with its lines and the links to download it.
func (c *console) invoiceView(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	inv, err := c.Licensing.Invoice(r.Context(), s.P(), r.PathValue("id"))
	if err != nil {
		return err
	}
	p := invoicePage{Invoice: inv, OrgName: s.Org.Name, Back: "/billing/invoices",
		CanManage: access.Can(s.P(), access.InvoiceManage, access.Resource{Org: inv.Org})}
	if inv.Org != s.ID.Principal.Org {
		if org, err := c.Directory.Org(r.Context(), inv.Org); err == nil {
			p.OrgName = org.Name
		}
		p.Back = "/organizations/" + string(inv.Org) + "/invoices"
	}
	v := c.newView(r, "Invoice "+inv.Number)
	v.Data = p
	c.render(w, r, http.StatusOK, "invoice.html", v)
	return nil
}

// invoiceState reads the {state} of the path: paid or void.
func invoiceState(r *http.Request) (licensing.InvoiceState, error) {
	switch st := licensing.InvoiceState(r.PathValue("state")); st {
	case licensing.InvoicePaid, licensing.InvoiceVoid:
		return st, nil
	}
	return "", atrium.Errorf(atrium.CodeNotFound, "there is no page at this address")
}

func invoiceConfirm(inv *licensing.Invoice, orgName string, state licensing.InvoiceState) confirmPage {
	amount := licensing.FormatMinor(inv.TotalMinor) + " " + inv.Currency
	if state == licensing.InvoicePaid {
		return confirmPage{Heading: "Mark invoice " + inv.Number + " paid?",
			Message: "Record that " + orgName + " paid " + amount + ". A paid invoice cannot be changed again.",
			Action:  "/billing/invoices/" + inv.ID + "/paid", Button: "Mark paid", Cancel: "/billing/invoices/" + inv.ID}
	}
	return confirmPage{Heading: "Void invoice " + inv.Number + "?",
		Message: orgName + " will no longer owe " + amount + " for this invoice. A void invoice cannot be changed again.",
		Action:  "/billing/invoices/" + inv.ID + "/void", Button: "Void invoice", Cancel: "/billing/invoices/" + inv.ID}
}

func (c *console) invoiceForChange(r *http.Request) (*licensing.Invoice, string, licensing.InvoiceState, error) {
	s := sessionFrom(r.Context())
	state, err := invoiceState(r)
	if err != nil {
		return nil, "", "", err
	}
	inv, err := c.Licensing.Invoice(r.Context(), s.P(), r.PathValue("id"))
	if err != nil {
		return nil, "", "", err
	}
	if err := access.Require(s.P(), access.InvoiceManage, access.Resource{Org: inv.Org}); err != nil {
		return nil, "", "", err
	}
	name := string(inv.Org)
	if org, err := c.Directory.Org(r.Context(), inv.Org); err == nil {
		name = org.Name
	}
	return inv, name, state, nil
}

func (c *console) invoiceStateConfirm(w http.ResponseWriter, r *http.Request) error {
	inv, name, state, err := c.invoiceForChange(r)
	if err != nil {
		return err
	}
	return c.confirm(w, r, invoiceConfirm(inv, name, state), http.StatusOK, "")
}

// invoiceStateChange marks an open invoice paid or void, after confirmation.
func (c *console) invoiceStateChange(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	inv, name, state, err := c.invoiceForChange(r)
	if err != nil {
		return err
	}
	if _, err := c.Licensing.SetInvoiceState(r.Context(), s.P(), inv.ID, state); err != nil {
		if atrium.ErrorCode(err) == atrium.CodeConflict {
			return c.confirm(w, r, invoiceConfirm(inv, name, state), statusOf(err), messageOf(err))
		}
		return err
	}
	msg := "Invoice " + inv.Number + " is marked paid."
	if state == licensing.InvoiceVoid {
		msg = "Invoice " + inv.Number + " is void."
	}
	return c.redirect(w, r, "/billing/invoices/"+inv.ID, msg)
}

// customersPage is the partner of record's read-only view of its customers.
type customersPage struct {
	Customers []licensing.PartnerView
	Pager     pager
}

// partnerCustomers lists the customer subscriptions on which the organization is
// partner of record, read-only, a page at a time.
func (c *console) partnerCustomers(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	limit, err := listLimit(r)
	if err != nil {
		return err
	}
	list, next, err := c.Licensing.PartnerSubscriptions(r.Context(), s.P(), licensing.ListQuery{Limit: limit, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	v := c.newView(r, "Customers")
	v.Data = customersPage{Customers: list, Pager: pageLinks(r, next)}
	c.render(w, r, http.StatusOK, "customers.html", v)
	return nil
}
