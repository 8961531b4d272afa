package web

import (
	"net/http"
	"net/url"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/licensing"
)

// taxPage is Operator > Tax rates: the rate invoices charge buyers of each country.
type taxPage struct {
	Rates     []taxRow
	CanManage bool
}

type taxRow struct {
	licensing.TaxRate
	Name string // the country's name
	Rate string // the rate as a percentage, such as "12.5"
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
	data := taxPage{CanManage: s.CanInstance(licensing.TaxManage)}
	for _, t := range rates {
		data.Rates = append(data.Rates, taxRow{TaxRate: t, Name: directory.CountryName(t.Country), Rate: licensing.FormatRate(t.RateBP)})
	}
	v := c.newView(r, "Tax rates")
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
		err = atrium.Problems{"rate": "must be a percentage such as 25 or 12.5"}.Err()
	}
	if err == nil {
		_, err = c.Licensing.SetTaxRate(r.Context(), s.P(), t)
	}
	if err != nil {
		// The service names rate_bp; the form calls it rate.
		if fields := errorFields(err); fields["rate_bp"] != "" {
			probs := atrium.Problems{"rate": "must be from 0 to 100 %"}
			for f, msg := range fields {
				if f != "rate_bp" {
					probs.Add(f, msg)
				}
			}
			err = probs.Err()
		}
		return c.taxRatesPage(w, r, f, err, statusOf(err))
	}
	name := directory.CountryName(t.Country)
	if t.ReverseCharge {
		return c.redirect(w, r, "/tax-rates", "Invoices to buyers in "+name+" now charge no tax: the buyer accounts for it (reverse charge).")
	}
	return c.redirect(w, r, "/tax-rates", "Invoices to buyers in "+name+" now charge "+licensing.FormatRate(t.RateBP)+" % tax.")
}

func taxRemoveConfirm(country string) confirmPage {
	name := directory.CountryName(country)
	return confirmPage{Heading: "Remove the tax rate of " + name + "?",
		Message: "Invoices issued from now on to buyers in " + name + " charge no tax. Invoices already issued keep theirs.",
		Action:  "/tax-rates/" + country + "/remove", Button: "Remove tax rate", Cancel: "/tax-rates"}
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
	return c.confirm(w, r, taxRemoveConfirm(country), http.StatusOK, "")
}

func (c *console) taxRateRemove(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	country := r.PathValue("country")
	if err := c.Licensing.DeleteTaxRate(r.Context(), s.P(), country); err != nil {
		return err
	}
	return c.redirect(w, r, "/tax-rates", "The tax rate of "+directory.CountryName(country)+" was removed: invoices to buyers there now charge no tax.")
}
