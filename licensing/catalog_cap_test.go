package licensing_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// TestCatalogIsBounded: the catalog is listed whole, so it may hold at most
// MaxCatalog entries; the next one is refused with a conflict instead of the list
// silently dropping it, and the list returns every entry.
func TestCatalogIsBounded(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		operator := &access.Principal{UserID: "op", Org: "operator-org", Grants: []access.Grant{{Role: access.OperatorAdmin, Scope: access.OrgScope("operator-org")}}}
		have, err := e.lic.Products(ctx)
		if err != nil {
			t.Fatal(err)
		}
		in := func(i int) licensing.ProductInput {
			return licensing.ProductInput{SKU: fmt.Sprintf("BULK_%04d", i), Kind: licensing.KindProduct, Name: fmt.Sprintf("Bulk %d", i),
				Apps: []string{"collab"}, PriceMinor: 100, Currency: "USD", BillingPeriod: "monthly", ServicePlans: []string{"Main"}}
		}
		// Fill the catalog to one below its bound through the service, the last one too.
		for i := len(have); i < licensing.MaxCatalog; i++ {
			if _, err := e.lic.CreateProduct(ctx, operator, in(i)); err != nil {
				t.Fatalf("product %d: %v", i, err)
			}
		}
		if _, err := e.lic.CreateProduct(ctx, operator, in(licensing.MaxCatalog)); atrium.ErrorCode(err) != atrium.CodeConflict {
			t.Fatalf("product beyond the bound: %v, want conflict", err)
		}
		list, err := e.lic.Products(ctx)
		if err != nil || len(list) != licensing.MaxCatalog {
			t.Fatalf("Products = %d entries, %v; want %d", len(list), err, licensing.MaxCatalog)
		}
		for _, p := range list {
			if strings.HasPrefix(p.SKU, "BULK_") && len(p.ServicePlans) != 1 {
				t.Fatalf("%s lost its service plans", p.SKU)
			}
		}
	})
}
