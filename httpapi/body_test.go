package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
)

// TestNullBodyKeepsLicenses: PUT /users/{id}/licenses replaces the whole set, so a null
// or missing body, were it taken as {}, would take every licence away.
func TestNullBodyKeepsLicenses(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Null Co", "null")
		co := products(t, a.Admin)["COLLABORATE"]
		buy(a.Admin, co, 2)
		lena := licensedUser(a.Admin, "lena")
		path := "/api/v1/users/" + string(lena.ID) + "/licenses"
		a.Admin.Do("PUT", path, licenseSet(co)).Want(http.StatusOK)
		for name, body := range map[string]any{"null": "null", "null in spaces": "\t null \r\n", "no body": nil, "empty body": ""} {
			t.Run(name, func(t *testing.T) {
				before := licensingState(t, e)
				a.Admin.For(t).Do("PUT", path, body).WantProblem(http.StatusBadRequest, atrium.CodeInvalid)
				wantLicensingState(t, e, before, name)
				if got := heldProducts(t, a.Admin.For(t), lena.ID); !slices.Equal(got, []string{co}) {
					t.Errorf("licences after %s: %v, want %v", name, got, []string{co})
				}
			})
		}
	})
}

// optionalBodyRoutes are the routes that take a missing body on purpose; the OpenAPI
// document says so, and every other route with a request body refuses a request without.
var optionalBodyRoutes = []string{
	// No body generates a password, the same as {}.
	"POST /api/v1/users/{id}/password-reset",
	// The message of a join request and the reply to one are optional.
	"POST /api/v1/groups/{id}/join", "POST /api/v1/groups/{id}/join-requests/{rid}/approve", "POST /api/v1/groups/{id}/join-requests/{rid}/deny",
	// So is the message of an access request's decision.
	"POST /api/v1/engagements/{id}/access-requests/{rid}/approve", "POST /api/v1/engagements/{id}/access-requests/{rid}/deny",
}

func TestOptionalBodiesAreDocumented(t *testing.T) {
	e := apptest.Start(t, "sqlite")
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody *struct {
				Required bool `json:"required"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	e.Anonymous().Do("GET", "/api/v1/openapi.json", nil).Want(http.StatusOK).Decode(&doc)
	var optional []string
	for _, rt := range e.Main.API.Routes() {
		key := rt.Method + " " + rt.Path
		body := doc.Paths[rt.Path][strings.ToLower(rt.Method)].RequestBody
		if (rt.Request != nil) != (body != nil) {
			t.Errorf("%s: Request %T, document's requestBody %v", key, rt.Request, body)
			continue
		}
		if body == nil {
			continue
		}
		if body.Required == rt.OptionalBody {
			t.Errorf("%s: requestBody.required = %v, OptionalBody = %v", key, body.Required, rt.OptionalBody)
		}
		if rt.OptionalBody {
			optional = append(optional, key)
		}
	}
	slices.Sort(optional)
	if want := slices.Sorted(slices.Values(optionalBodyRoutes)); !slices.Equal(optional, want) {
		t.Errorf("routes with an optional body = %v, want %v", optional, want)
	}
}
