package web_test

import (
	"context"
	"net/http"
	"testing"
)

// TestRestoreFlashNamesLicensesNotGivenBack: restoring a user whose license's seat was
// taken meanwhile says, on the page it lands on, which license was not given back.
func TestRestoreFlashNamesLicensesNotGivenBack(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ce := f.product("CUSTOMER_ENGAGEMENT")
		f.order(ce.ID, 1)
		sam, una := f.newUser("sam", "Sam Seat", "DE"), f.newUser("una", "Una One", "US")
		f.setLicenses(sam.ID, ce.ID)
		if err := f.m.Directory.DeleteUser(context.Background(), f.adminPrincipal(), sam.ID, 0); err != nil {
			t.Fatal(err)
		}
		f.setLicenses(una.ID, ce.ID) // takes the seat Sam's deletion freed

		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.postForm("/deleted-users", "/deleted-users/"+string(sam.ID)+"/restore", nil)
		wantStatus(t, p, http.StatusSeeOther)
		wantContains(t, b.get(p.location), "Sam Seat was restored and can sign in again.",
			"The Customer Engagement license was not given back: no seats are available. Buy seats or free one, then assign it.")
		if got := f.licensesOf(sam.ID); len(got) != 0 {
			t.Fatalf("Sam holds %v after a restore without seats", got)
		}
	})
}
