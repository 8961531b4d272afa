package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/directory"
)

// TestOrgProfile: Global admins edit the organization profile with If-Match; every bad
// field is reported at once and nothing is written; the change is audited and
// published; new users default to the organization's country, and usage locations are
// real ISO 3166-1 codes.
func TestOrgProfile(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Profile AB", "profile")
		res := o.Admin.Do("GET", "/api/v1/organization", nil).Want(http.StatusOK)
		var org directory.Organization
		res.Decode(&org)
		if org.Country != "US" || org.Language != "en" {
			t.Errorf("after sign-up: country %q, language %q; want US (the admin's usage location) and en", org.Country, org.Language)
		}
		etag := res.Header.Get("ETag")

		reader := e.SignIn(o.Admin.CreateUser("rita", "global_reader").Username, apptest.Password)
		before := rowCounts(e)
		o.Admin.Do("PATCH", "/api/v1/organization", map[string]any{"name": "", "country": "XX", "technical_contact": "not mail", "language": "de", "tax_id": "<script>"}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "name", "country", "technical_contact", "language", "tax_id")
		o.Admin.DoHeader("PATCH", "/api/v1/organization", map[string]any{"country": "SE"}, http.Header{"If-Match": {`"999"`}}).
			WantProblem(http.StatusPreconditionFailed, atrium.CodePreconditionFailed)
		reader.Do("PATCH", "/api/v1/organization", map[string]any{"country": "SE"}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		wantCounts(t, e, before, "refused profile changes")

		var got directory.Organization
		r := o.Admin.DoHeader("PATCH", "/api/v1/organization", map[string]any{"name": "Profil AB", "country": "se", "address": "Storgatan 1\n111 22 Stockholm",
			"technical_contact": "it@profile.example.com", "language": "sv"}, http.Header{"If-Match": {etag}}).Want(http.StatusOK)
		r.Decode(&got)
		if got.Name != "Profil AB" || got.Country != "SE" || got.Language != "sv" || r.Header.Get("ETag") == etag {
			t.Errorf("patched = %+v, ETag %q", got, r.Header.Get("ETag"))
		}
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'org.update' AND before_json LIKE '%US%' AND after_json LIKE '%SE%'`, string(o.ID)); n != 1 {
			t.Errorf("org.update audit entries: %d", n)
		}
		if n := e.Count(`SELECT count(*) FROM events WHERE org_id = $1 AND type = 'org.updated'`, string(o.ID)); n != 1 {
			t.Errorf("org.updated events: %d", n)
		}

		// New users work where the organization is, unless told otherwise.
		var u directory.User
		o.Admin.Do("POST", "/api/v1/users", map[string]any{"username": "sven", "display_name": "Sven", "password": apptest.Password}).
			Want(http.StatusCreated).Decode(&u)
		if u.UsageLocation != "SE" {
			t.Errorf("new user's usage location = %q, want the organization's SE", u.UsageLocation)
		}
		for _, bad := range []string{"XX", "EU", "UK", "S", "1"} {
			o.Admin.Do("POST", "/api/v1/users", map[string]any{"username": "bad", "display_name": "Bad", "usage_location": bad}).
				WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "usage_location")
		}
	})
}
