package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/auth"
)

// TestTokenDefaultsAreSafe: a token without an expiry expires after 90 days; one that
// never expires is asked for explicitly, and not together with a date.
func TestTokenDefaultsAreSafe(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Tokens Co", "tokens")
		var got struct{ auth.APIToken }
		o.Admin.Do("POST", "/api/v1/api-tokens", map[string]any{"name": "default", "role": "global_reader"}).Want(http.StatusCreated).Decode(&got)
		if got.ExpiresAt == nil || !got.ExpiresAt.Equal(e.Clock.Now().Add(auth.DefaultTokenLifetime)) {
			t.Errorf("default expiry = %v, want 90 days from now", got.ExpiresAt)
		}
		got = struct{ auth.APIToken }{}
		o.Admin.Do("POST", "/api/v1/api-tokens", map[string]any{"name": "forever", "role": "global_reader", "never_expires": true}).Want(http.StatusCreated).Decode(&got)
		if got.ExpiresAt != nil {
			t.Errorf("never_expires token expires at %v", got.ExpiresAt)
		}
		before := rowCounts(e)
		o.Admin.Do("POST", "/api/v1/api-tokens", map[string]any{"name": "both", "role": "global_reader", "never_expires": true,
			"expires_at": e.Clock.Now().Add(time.Hour)}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "expires_at", "never_expires")
		wantCounts(t, e, before, "conflicting expiry")
	})
}
