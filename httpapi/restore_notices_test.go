package httpapi_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/atrium-admin/atrium/app/apptest"
)

// TestRestoreReportsLicensesNotGivenBack: POST /api/v1/users/{id}/restore answers the
// restored user with a notice naming each license that could not be given back (its
// seat was taken meanwhile), and gives back the others.
func TestRestoreReportsLicensesNotGivenBack(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Restore Co", "restore")
		ids := products(t, o.Admin)
		ce, co := ids["CUSTOMER_ENGAGEMENT"], ids["COLLABORATE"]
		buy(o.Admin, ce, 1)
		buy(o.Admin, co, 1)
		ann, ben := licensedUser(o.Admin, "ann"), licensedUser(o.Admin, "ben")
		o.Admin.Do("PUT", "/api/v1/users/"+string(ann.ID)+"/licenses", licenseSet(ce, co)).Want(http.StatusOK)
		o.Admin.Do("DELETE", "/api/v1/users/"+string(ann.ID), nil).Want(http.StatusNoContent)
		o.Admin.Do("PUT", "/api/v1/users/"+string(ben.ID)+"/licenses", licenseSet(ce)).Want(http.StatusOK)

		var got struct {
			ID      string   `json:"id"`
			Notices []string `json:"notices"`
		}
		o.Admin.Do("POST", "/api/v1/users/"+string(ann.ID)+"/restore", nil).Want(http.StatusOK).Decode(&got)
		want := []string{"The Customer Engagement license was not given back: no seats are available. Buy seats or free one, then assign it."}
		if got.ID != string(ann.ID) || !slices.Equal(got.Notices, want) {
			t.Errorf("restore answered %+v; want notices %q", got, want)
		}
		if held := heldProducts(t, o.Admin, ann.ID); !slices.Equal(held, []string{co}) {
			t.Errorf("after the restore Ann holds %v, want Collaborate back", held)
		}
		// A restore that gives everything back has no notices.
		o.Admin.Do("DELETE", "/api/v1/users/"+string(ben.ID), nil).Want(http.StatusNoContent)
		got.Notices = nil
		o.Admin.Do("POST", "/api/v1/users/"+string(ben.ID)+"/restore", nil).Want(http.StatusOK).Decode(&got)
		if len(got.Notices) != 0 {
			t.Errorf("a full restore answered notices %v", got.Notices)
		}
	})
}
