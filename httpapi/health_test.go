package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium/app/apptest"
)

func TestHealth(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		anon := e.Anonymous()
		var h struct {
			Status            string `json:"status"`
			Database          string `json:"database"`
			PendingMigrations int    `json:"pending_migrations"`
		}
		anon.Do("GET", "/healthz", nil).Want(http.StatusOK).Decode(&h)
		if h.Status != "ok" {
			t.Errorf("healthz status = %q", h.Status)
		}
		anon.Do("GET", "/readyz", nil).Want(http.StatusOK).Decode(&h)
		if h.Status != "ready" || h.PendingMigrations != 0 || h.Database != string(e.Dialect) {
			t.Errorf("readyz = %+v", h)
		}
		res := anon.Do("GET", "/metrics", nil).Want(http.StatusOK)
		for _, name := range []string{"atrium_http_requests_total", "atrium_job_queue_depth", "atrium_http_request_duration_seconds"} {
			if !strings.Contains(string(res.Body), "\n"+name) && !strings.HasPrefix(string(res.Body), name) {
				t.Errorf("/metrics lacks %s", name)
			}
		}
	})
}
