package httpapi_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
)

// TestSignupAddonNeedsATrialOverHTTP: POST /api/v1/signup refuses an add-on without a
// trial available with a field error on addons, and creates nothing; once the operator
// offers its trial, the first administrator gets a license of it.
func TestSignupAddonNeedsATrialOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		op := e.Operator()
		ids := products(t, op)
		body := apptest.SignupBody("Addon Co", "addonco", "owner@addonco.example.com")
		body["addons"] = []string{"SOCIAL_ENGAGEMENT_POST_QUOTA"}
		before := rowCounts(e)
		e.Anonymous().Do("POST", "/api/v1/signup", body).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "addons")
		wantCounts(t, e, before, "a sign-up with an add-on that has no trial")

		op.Do("PATCH", "/api/v1/products/"+ids["SOCIAL_ENGAGEMENT_POST_QUOTA"], map[string]any{"trial_available": true}).Want(http.StatusOK)
		e.Anonymous().Do("POST", "/api/v1/signup", body).Want(http.StatusCreated)
		e.RunJobs()
		admin := e.SignIn("admin@addonco.atrium.localhost", apptest.Password)
		want := []string{ids["SOCIAL_ENGAGEMENT"], ids["SOCIAL_ENGAGEMENT_POST_QUOTA"]}
		slices.Sort(want)
		if got := heldProducts(t, admin, admin.UserID); !slices.Equal(got, want) {
			t.Fatalf("first administrator's licenses = %v, want the trial product and its add-on %v", got, want)
		}
	})
}
