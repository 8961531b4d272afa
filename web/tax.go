package web

import (
	"net/http"
	"net/url"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/licensing"
)

// taxPage is Operator > Tax rates: the rate invoices charge buyers of each country.
type taxPage struct {
	Rates     []taxRow
	CanManage bool
}

type taxRow struct {
	licensing.TaxRate
	Name string // the country's name in the page's language
	Rate string // the rate as a percentage in the page's language, such as "12.5 %"
}

// percentIn writes a rate in basis points as a percentage in p's language: "12.5 %",
// "12,5 %".
func percentIn(p *i18n.Printer, bp int) string {
	// A decimal Count is shown with the language's decimal separator.
	return p.T("tax.percent", "Count", licensing.FormatRate(bp))
}

// taxRates lists the configured rates and, for those who may, the form to set one.
func (c *console) taxRates(w http.ResponseWriter, r *http.Request) error {
	return c.taxRatesPage(w, r, nil, nil, http.StatusOK)
}

func (c *console) taxRatesPage(w http.ResponseWriter, r *http.Request, form url.Values, formErr error, status int) error {
	s := sessionFrom(r.Context())
	rates, err := c.Licensing.TaxRates(r.Context(), s.P())
	if err != nil {
		return err
	}
	v := c.newView(r, "nav.operator.tax_rates")
	data := taxPage{CanManage: s.CanInstance(licensing.TaxManage)}
	for _, t := range rates {
		data.Rates = append(data.Rates, taxRow{TaxRate: t, Name: directory.CountryNameIn(v.P.Lang(), t.Country), Rate: percentIn(v.P, t.RateBP)})
	}
	if form != nil {
		v.Form = form
	}
	if formErr != nil && !v.formError(formErr, "country", "rate", "reverse_charge") {
		return formErr
	}
	v.Data = data
	c.render(w, r, status, "tax_rates.html", v)
	return nil
}

// taxRateSet sets the rate of the chosen country from the form.
func (c *console) taxRateSet(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	f := r.PostForm
	t := licensing.TaxRate{Country: f.Get("country"), ReverseCharge: f.Get("reverse_charge") != ""}
	var err error
	if t.ReverseCharge {
		// The buyer accounts for the tax: no rate to give.
	} else if bp, ok := licensing.ParseRate(f.Get("rate")); ok {
		t.RateBP = bp
	} else {
		err = atrium.FieldError("rate", "must be a percentage such as 25 or 12.5")
	}
	if err == nil {
		_, err = c.Licensing.SetTaxRate(r.Context(), s.P(), t)
	}
	if err != nil {
		// The service names rate_bp; the form calls it rate.
		if fields := errorFields(err); fields["rate_bp"] != "" {
			probs := atrium.Problems{}
			probs.Add("rate", "must be from 0 to 100 %")
			probs.AddFrom(err)
			delete(probs, "rate_bp")
			err = probs.Err()
		}
		return c.taxRatesPage(w, r, f, err, statusOf(err))
	}
	p := i18n.For(c.lang(r))
	name := directory.CountryNameIn(p.Lang(), t.Country)
	if t.ReverseCharge {
		return c.redirect(w, r, "/tax-rates", p.T("tax.set.reverse_charge", "Country", name))
	}
	return c.redirect(w, r, "/tax-rates", p.T("tax.set.done", "Country", name, "Rate", percentIn(p, t.RateBP)))
}

// taxRemoveConfirm asks before removing the rate of country, in p's language.
func taxRemoveConfirm(p *i18n.Printer, country string) confirmPage {
	name := directory.CountryNameIn(p.Lang(), country)
	return confirmPage{Heading: p.T("tax.remove.heading", "Country", name),
		Message: p.T("tax.remove.message", "Country", name),
		Action:  "/tax-rates/" + country + "/remove", Button: p.T("tax.remove.button"), Cancel: "/tax-rates"}
}

func (c *console) taxRateRemoveConfirm(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	if err := access.Require(s.P(), licensing.TaxManage, access.Resource{}); err != nil {
		return err
	}
	country := r.PathValue("country")
	if !directory.IsCountry(country) {
		return atrium.Errorf(atrium.CodeNotFound, "no tax rate is set for this country")
	}
	return c.confirm(w, r, taxRemoveConfirm(i18n.For(c.lang(r)), country), http.StatusOK, "")
}

func (c *console) taxRateRemove(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	country := r.PathValue("country")
	if err := c.Licensing.DeleteTaxRate(r.Context(), s.P(), country); err != nil {
		return err
	}
	return c.redirect(w, r, "/tax-rates", c.t(r, "tax.remove.done", "Country", directory.CountryNameIn(c.lang(r), country)))
}
