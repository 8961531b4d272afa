package web_test

import (
	"net/http"
	"testing"
)

// TestOperatorOrgCountsAndDetail: the organization list shows each organization's
// active users and licenses, and an organization's page its profile, domains and
// licenses per product; tenants cannot open it.
func TestOperatorOrgCountsAndDetail(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@operator.atrium.localhost", operatorPassword, false)
		p := b.get("/organizations?q=contoso")
		// Contoso: the admin and Mia; the trial's seats with the admin's license.
		wantContains(t, p, `href="/organizations/`+string(f.org)+`">Contoso</a>`, `<td class="num" data-col="users">2</td>`, `data-col="licenses">1 of `)
		d := b.get("/organizations/" + string(f.org))
		wantStatus(t, d, http.StatusOK)
		wantContains(t, d, "<h1>Contoso", "contoso.atrium.localhost", `<dd data-col="users">2</dd>`, "Social Engagement", "/organizations/"+string(f.org)+"/suspend")

		tenant := f.browser()
		tenant.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		wantStatus(t, tenant.get("/organizations/"+string(f.org)), http.StatusForbidden)
	})
}
