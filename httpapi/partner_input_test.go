package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/licensing"
)

// TestPartnerConflictingFields: a partner named both by id and by domain is refused
// naming both fields, whichever organizations they name; neither is dropped silently.
func TestPartnerConflictingFields(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Customer Co", "customer")
		partner := e.Signup("Partner Co", "partner")
		other := e.Signup("Other Co", "other")
		sub := buy(a.Admin, products(t, a.Admin)["COLLABORATE"], 1)
		path := "/api/v1/subscriptions/" + sub.ID + "/partner"
		for name, body := range map[string]map[string]any{
			"the same partner": {"partner_org_id": string(partner.ID), "partner_domain": partner.Domain},
			"two partners":     {"partner_org_id": string(partner.ID), "partner_domain": other.Domain},
			"unknown domain":   {"partner_org_id": string(partner.ID), "partner_domain": "nowhere.example.com"},
		} {
			t.Run(name, func(t *testing.T) {
				before := licensingState(t, e)
				a.Admin.For(t).Do("PUT", path, body).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "partner_org_id", "partner_domain")
				wantLicensingState(t, e, before, name)
			})
		}
		var got licensing.Subscription
		a.Admin.Do("PUT", path, map[string]any{"partner_domain": partner.Domain}).Want(http.StatusOK).Decode(&got)
		if got.PartnerOrg != string(partner.ID) {
			t.Errorf("partner = %q, want %q", got.PartnerOrg, partner.ID)
		}
	})
}
