package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
)

// TestProblemsReportedAtOnce: a password change with a wrong current password and a
// weak new one names both fields in one answer, and so does a catalog entry with bad
// fields and a parent that is not in the catalog.
func TestProblemsReportedAtOnce(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Once Co", "once")
		o.Admin.Do("POST", "/api/v1/me/password", map[string]any{"current_password": "Wrong-Passw0rd!", "new_password": "weak"}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "current_password", "new_password")
		e.Operator().Do("POST", "/api/v1/products", map[string]any{"sku": "bad sku", "kind": "addon", "parent_id": "nope", "name": "",
			"apps": []string{}, "price_minor": -1, "currency": "usd1", "billing_period": "daily"}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "sku", "parent_id", "name", "apps", "price_minor", "currency", "billing_period")
	})
}
