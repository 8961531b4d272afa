package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/licensing"
)

// TestPrintableInvoiceNamesSellerAndBuyer: the printable invoice comes from the
// operator organization to the customer, with their profiles' addresses and countries,
// a sequential number and its due date.
func TestPrintableInvoiceNamesSellerAndBuyer(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		op := e.Operator()
		op.Do("PATCH", "/api/v1/organization", map[string]any{"address": "Operatorgatan 1\n111 11 Stockholm", "country": "SE",
			"technical_contact": "billing@operator.example.com", "tax_id": "se556677889901"}).Want(http.StatusOK)
		o := e.Signup("Buyer GmbH", "buyer")
		o.Admin.Do("PATCH", "/api/v1/organization", map[string]any{"address": "Kundenweg 2\n10115 Berlin", "country": "DE", "tax_id": "DE123456789"}).Want(http.StatusOK)
		ce := products(t, o.Admin)["CUSTOMER_ENGAGEMENT"]
		buy(o.Admin, ce, 2)
		var list httpapi.List[licensing.Invoice]
		o.Admin.Do("GET", "/api/v1/invoices", nil).Want(http.StatusOK).Decode(&list)
		if len(list.Items) == 0 {
			t.Fatal("no invoice issued with the order")
		}
		inv := list.Items[0]
		page := string(o.Admin.Do("GET", "/api/v1/invoices/"+inv.ID+"?format=html", nil).Want(http.StatusOK).Body)
		for _, want := range []string{"Atrium Operator", "Operatorgatan 1", "Sweden", "billing@operator.example.com", "Buyer GmbH", "Kundenweg 2", "Germany", "VAT number SE556677889901", "VAT number DE123456789",
			inv.Number, "<dt>Due date</dt><dd>" + inv.DueAt.Format("2006-01-02") + "</dd>"} {
			if !strings.Contains(page, want) {
				t.Errorf("printable invoice lacks %q", want)
			}
		}
		if !strings.HasPrefix(inv.Number, inv.IssuedAt.Format("2006")+"-") {
			t.Errorf("invoice number %q is not of the year's sequence", inv.Number)
		}
	})
}
