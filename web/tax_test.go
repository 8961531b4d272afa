package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
)

// TestTaxRatesPage: Operator > Tax rates lists the rates by country name, sets one from a
// percentage or as reverse charge, refuses nonsense beside its field, and removes one
// after asking; a tenant's admin cannot reach it.
func TestTaxRatesPage(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		tenant := f.browser()
		tenant.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		wantStatus(t, tenant.get("/tax-rates"), http.StatusForbidden)
		wantNotContains(t, tenant.get("/"), `href="/tax-rates"`)

		op := f.browser()
		op.signIn("admin@operator.atrium.localhost", operatorPassword, false)
		empty := op.get("/tax-rates")
		wantStatus(t, empty, http.StatusOK)
		wantContains(t, empty, "No tax rates yet", `<form method="post" action="/tax-rates" id="tax-form">`, `href="/tax-rates"`)

		set := op.postForm("/tax-rates", "/tax-rates", url.Values{"country": {"SE"}, "rate": {"12,5"}})
		wantStatus(t, set, http.StatusSeeOther)
		wantContains(t, op.get(set.location), "Invoices to buyers in Sweden now charge 12.5 % tax.", "<td>Sweden <span class=\"muted\">(SE)</span></td>", "12.5 %")
		op.postForm("/tax-rates", "/tax-rates", url.Values{"country": {"DE"}, "reverse_charge": {"1"}})
		wantContains(t, op.get("/tax-rates"), "Germany", "Yes: the buyer accounts for the tax")

		bad := op.postForm("/tax-rates", "/tax-rates", url.Values{"country": {""}, "rate": {"lots"}})
		wantStatus(t, bad, http.StatusBadRequest)
		wantContains(t, bad, `id="f-rate-error"`)
		bad = op.postForm("/tax-rates", "/tax-rates", url.Values{"country": {"XX"}, "rate": {"250"}})
		wantStatus(t, bad, http.StatusBadRequest)
		wantContains(t, bad, `id="f-country-error"`, `id="f-rate-error"`)

		ask := op.get("/tax-rates/SE/remove")
		wantContains(t, ask, "Remove the tax rate of Sweden?", "Invoices already issued keep theirs.")
		gone := op.postForm("/tax-rates/SE/remove", "/tax-rates/SE/remove", nil)
		wantStatus(t, gone, http.StatusSeeOther)
		wantContains(t, op.get(gone.location), "The tax rate of Sweden was removed")
		rates, err := f.m.Licensing.TaxRates(context.Background(), f.operatorPrincipal())
		if err != nil || len(rates) != 1 || rates[0].Country != "DE" {
			t.Fatalf("rates = %+v, %v", rates, err)
		}
		wantStatus(t, op.postForm("/tax-rates", "/tax-rates/SE/remove", nil), http.StatusNotFound)
	})
}
