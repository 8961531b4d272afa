package web

import (
	"net/http"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/i18n"
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
	title := c.t(r, "billing.invoices.title")
	if org != nil {
		orgID, title = org.ID, c.t(r, "billing.invoices.org_title", "Org", org.Name)
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
	// Tax says what tax the invoice charges and how much, in words.
	Tax string
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
	v := c.newView(r, c.t(r, "billing.invoice.title", "Number", inv.Number))
	p.Tax = taxWords(v.P, inv)
	v.Data = p
	c.render(w, r, http.StatusOK, "invoice.html", v)
	return nil
}

// taxWords says in p's language what tax inv charges, with the amount: "Tax 25 %:
// $32.50", as licensing.Invoice.TaxDescription does in English.
func taxWords(p *i18n.Printer, inv *licensing.Invoice) string {
	amount := p.Money(inv.TaxMinor, inv.Currency)
	switch {
	case inv.ReverseCharge:
		return p.T("billing.invoice.tax.reverse_charge", "Amount", amount)
	case inv.TaxRateBP == 0:
		return p.T("billing.invoice.tax.none", "Amount", amount)
	}
	// Count shows the rate as a number of the language ("12,5" in Swedish).
	return p.T("billing.invoice.tax.rate", "Count", licensing.FormatRate(inv.TaxRateBP), "Amount", amount)
}

// invoiceState reads the {state} of the path: paid or void.
func invoiceState(r *http.Request) (licensing.InvoiceState, error) {
	switch st := licensing.InvoiceState(r.PathValue("state")); st {
	case licensing.InvoicePaid, licensing.InvoiceVoid:
		return st, nil
	}
	return "", atrium.Errorf(atrium.CodeNotFound, "there is no page at this address")
}

func invoiceConfirm(p *i18n.Printer, inv *licensing.Invoice, orgName string, state licensing.InvoiceState) confirmPage {
	amount := p.Money(inv.TotalMinor, inv.Currency)
	if state == licensing.InvoicePaid {
		return confirmPage{Heading: p.T("billing.invoice.paid.title", "Number", inv.Number),
			Message: p.T("billing.invoice.paid.message", "Org", orgName, "Amount", amount),
			Action:  "/billing/invoices/" + inv.ID + "/paid", Button: p.T("billing.invoice.mark_paid"), Cancel: "/billing/invoices/" + inv.ID}
	}
	return confirmPage{Heading: p.T("billing.invoice.void.title", "Number", inv.Number),
		Message: p.T("billing.invoice.void.message", "Org", orgName, "Amount", amount),
		Action:  "/billing/invoices/" + inv.ID + "/void", Button: p.T("billing.invoice.void.button"), Cancel: "/billing/invoices/" + inv.ID}
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
	return c.confirm(w, r, invoiceConfirm(i18n.For(c.lang(r)), inv, name, state), http.StatusOK, "")
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
			p := i18n.For(c.lang(r))
			return c.confirm(w, r, invoiceConfirm(p, inv, name, state), statusOf(err), messageIn(p, err))
		}
		return err
	}
	msg := c.t(r, "billing.invoice.paid.done", "Number", inv.Number)
	if state == licensing.InvoiceVoid {
		msg = c.t(r, "billing.invoice.void.done", "Number", inv.Number)
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
	v := c.newView(r, "billing.customers.title")
	v.Data = customersPage{Customers: list, Pager: pageLinks(r, next)}
	c.render(w, r, http.StatusOK, "customers.html", v)
	return nil
}
