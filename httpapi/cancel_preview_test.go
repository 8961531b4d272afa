package httpapi_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/licensing"
)

// TestCancelPreviewOverHTTP: GET /api/v1/subscriptions/{id}/cancel-preview lists which
// users lose which license and what of their app data goes when the subscription ends,
// and changes nothing.
func TestCancelPreviewOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Preview Co", "previewco")
		se := products(t, o.Admin)["SOCIAL_ENGAGEMENT"]
		o.Admin.Do("PUT", "/api/v1/social/settings/theme", map[string]any{"value": "dark"}).Want(http.StatusNoContent)
		var subs httpapi.List[licensing.Subscription]
		o.Admin.Do("GET", "/api/v1/subscriptions", nil).Want(http.StatusOK).Decode(&subs)
		trial := subs.Items[0]

		before := licensingState(t, e)
		var prev licensing.EndingPreview
		o.Admin.Do("GET", "/api/v1/subscriptions/"+trial.ID+"/cancel-preview", nil).Want(http.StatusOK).Decode(&prev)
		wantLicensingState(t, e, before, "a cancel preview")
		if prev.Subscription.ID != trial.ID || prev.SeatsRemoved != 10 || prev.UsersLosing != 1 || len(prev.Losses) != 1 || !prev.EndsAt.Equal(trial.PeriodEnd) {
			t.Fatalf("preview = %+v; want the admin to lose the trial's license", prev)
		}
		l := prev.Losses[0]
		if l.UserID != o.AdminID || l.ProductID != se || !slices.Equal(l.LostApps, []string{"social"}) || l.Data["settings"] != 1 || prev.Data["settings"] != 1 {
			t.Errorf("loss = %+v, data %v; want the admin's Social Engagement with 1 setting", l, prev.Data)
		}

		// Not another organization's, and not without a billing role.
		other := e.Signup("Other Co", "otherco")
		other.Admin.Do("GET", "/api/v1/subscriptions/"+trial.ID+"/cancel-preview", nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		helper := o.Admin.CreateUser("helper", "helpdesk_admin")
		e.SignIn(helper.Username, apptest.Password).Do("GET", "/api/v1/subscriptions/"+trial.ID+"/cancel-preview", nil).
			WantProblem(http.StatusForbidden, atrium.CodeForbidden)

		// A week and a day before the trial ends, its Global administrator is mailed.
		mails := func() []string {
			return e.Strings("SELECT to_addr FROM mail_outbox WHERE template = 'subscription_ending' AND org_id = $1 ORDER BY created_at", string(o.ID))
		}
		runPeriodic(e, trial.PeriodEnd.Sub(e.Clock.Now())-7*24*time.Hour+time.Hour)
		if got := mails(); !slices.Equal(got, []string{o.ContactEmail}) {
			t.Errorf("a week before the end, warnings went to %v, want %s", got, o.ContactEmail)
		}
		runPeriodic(e, trial.PeriodEnd.Sub(e.Clock.Now())-24*time.Hour+time.Hour)
		if got := mails(); len(got) != 2 {
			t.Errorf("a day before the end, %d warnings, want 2", len(got))
		}

		// After the trial expired there is nothing left to preview.
		runPeriodic(e, trial.PeriodEnd.Sub(e.Clock.Now())+time.Hour)
		signInAgain(e, o).Do("GET", "/api/v1/subscriptions/"+trial.ID+"/cancel-preview", nil).WantProblem(http.StatusConflict, atrium.CodeConflict)
		if got := mails(); len(got) != 2 {
			t.Errorf("after the end, %d warnings, want still 2", len(got))
		}
	})
}
