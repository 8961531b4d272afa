package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/licensing"
)

// TestInvoiceTax: operators set a tax rate per buyer country; an invoice charges the
// rate of its buyer's country when issued (reverse charge: none, and says so), and keeps
// it when the rate changes later. Tenants cannot set rates.
func TestInvoiceTax(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		op := e.Operator()
		op.Do("PUT", "/api/v1/tax-rates/se", map[string]any{"rate_bp": 2500}).Want(http.StatusOK)
		op.Do("PUT", "/api/v1/tax-rates/DE", map[string]any{"reverse_charge": true}).Want(http.StatusOK)
		op.Do("PUT", "/api/v1/tax-rates/XX", map[string]any{"rate_bp": -1}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "country", "rate_bp")
		var rates httpapi.List[licensing.TaxRate]
		op.Do("GET", "/api/v1/tax-rates", nil).Want(http.StatusOK).Decode(&rates)
		if len(rates.Items) != 2 || rates.Items[0].Country != "DE" || !rates.Items[0].ReverseCharge || rates.Items[1].RateBP != 2500 {
			t.Errorf("rates = %+v", rates.Items)
		}
		invoice := func(name, prefix, country string) licensing.Invoice {
			o := e.Signup(name, prefix)
			o.Admin.Do("PATCH", "/api/v1/organization", map[string]any{"country": country}).Want(http.StatusOK)
			o.Admin.Do("PUT", "/api/v1/tax-rates/US", map[string]any{"rate_bp": 0}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
			buy(o.Admin, products(t, o.Admin)["CUSTOMER_ENGAGEMENT"], 4)
			var list httpapi.List[licensing.Invoice]
			o.Admin.Do("GET", "/api/v1/invoices", nil).Want(http.StatusOK).Decode(&list)
			if len(list.Items) != 1 {
				t.Fatalf("%s: %d invoices", name, len(list.Items))
			}
			return list.Items[0]
		}
		se := invoice("Svensk AB", "svensk", "SE")
		if se.TaxRateBP != 2500 || se.TaxMinor != (se.TotalMinor+2)/4 || se.TotalDueMinor != se.TotalMinor+se.TaxMinor || se.BuyerCountry != "SE" {
			t.Errorf("Swedish invoice = %+v", se)
		}
		de := invoice("Deutsch GmbH", "deutsch", "DE")
		if !de.ReverseCharge || de.TaxMinor != 0 || de.TotalDueMinor != de.TotalMinor {
			t.Errorf("German invoice = %+v", de)
		}
		page := string(op.Do("GET", "/api/v1/invoices/"+de.ID+"?format=html", nil).Want(http.StatusOK).Body)
		if !strings.Contains(page, "Reverse charge") {
			t.Error("the reverse-charge invoice does not say so")
		}
		// A later change leaves issued invoices as they were.
		op.Do("PUT", "/api/v1/tax-rates/SE", map[string]any{"rate_bp": 1200}).Want(http.StatusOK)
		var again licensing.Invoice
		op.Do("GET", "/api/v1/invoices/"+se.ID, nil).Want(http.StatusOK).Decode(&again)
		if again.TaxRateBP != 2500 || again.TaxMinor != se.TaxMinor {
			t.Errorf("issued invoice changed with the rate: %+v", again)
		}
		// Removing a rate: gone from the list, once; tenants may not.
		e.Signup("Nosy AB", "nosy").Admin.Do("DELETE", "/api/v1/tax-rates/SE", nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		op.Do("DELETE", "/api/v1/tax-rates/se", nil).Want(http.StatusNoContent)
		op.Do("DELETE", "/api/v1/tax-rates/SE", nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		op.Do("GET", "/api/v1/tax-rates", nil).Want(http.StatusOK).Decode(&rates)
		if len(rates.Items) != 1 || rates.Items[0].Country != "DE" {
			t.Errorf("rates after removing SE = %+v", rates.Items)
		}
	})
}
