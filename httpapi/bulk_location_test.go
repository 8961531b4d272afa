package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/licensing"
)

// TestBulkAssignSetsMissingUsageLocation: bulk assignment can give users without a
// usage location one first, and license them in the same call; users with one keep it.
func TestBulkAssignSetsMissingUsageLocation(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Bulk Loc", "bulkloc")
		ce := products(t, o.Admin)["CUSTOMER_ENGAGEMENT"]
		buy(o.Admin, ce, 5)
		nowhere := o.Admin.CreateUser("nowhere")
		o.Admin.Do("PATCH", "/api/v1/users/"+string(nowhere.ID), map[string]any{"usage_location": ""}).Want(http.StatusOK)
		placed := licensedUser(o.Admin, "placed") // US
		body := map[string]any{"action": "assign", "product_id": ce, "user_ids": []atrium.UserID{nowhere.ID, placed.ID}, "usage_location": "SE"}
		o.Admin.Do("POST", "/api/v1/licenses/bulk", map[string]any{"action": "remove", "product_id": ce, "user_ids": []atrium.UserID{nowhere.ID},
			"usage_location": "SE"}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "usage_location")
		var res httpapi.List[licensing.BulkResult]
		o.Admin.Do("POST", "/api/v1/licenses/bulk", body).Want(http.StatusOK).Decode(&res)
		if len(res.Items) != 2 || !res.Items[0].OK || !res.Items[1].OK {
			t.Fatalf("bulk = %+v", res.Items)
		}
		locs := e.Strings(`SELECT usage_location FROM users WHERE id IN ($1, $2) ORDER BY username`, string(nowhere.ID), string(placed.ID))
		if len(locs) != 2 || locs[0] != "SE" || locs[1] != "US" {
			t.Errorf("usage locations = %v, want SE for nowhere and US kept for placed", locs)
		}
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE action = 'user.update' AND target_id = $1 AND after_json = '{"usage_location":"SE"}'`, string(nowhere.ID)); n != 1 {
			t.Errorf("audit of the filled usage location: %d", n)
		}
	})
}
