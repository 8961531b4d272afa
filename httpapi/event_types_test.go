package httpapi_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/httpapi"
)

// TestEventTypesValidateWhatIsPublished: the event type catalogue lists the declared
// types with a JSON Schema each, served at the dataschema URL, and the data of real
// events (published by the real services) validates against its type's schema with a
// JSON Schema validator library.
func TestEventTypesValidateWhatIsPublished(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Schema Co", "schema")
		u := a.Admin.CreateUser("kim", "user_admin")
		a.Admin.Do("PATCH", "/api/v1/users/"+string(u.ID), map[string]any{"blocked": true}).Want(http.StatusOK)
		a.Admin.Do("DELETE", "/api/v1/users/"+string(u.ID), nil).Want(http.StatusNoContent)
		a.Admin.Do("POST", "/api/v1/api-tokens", map[string]any{"name": "ci", "role": "global_reader"}).Want(http.StatusCreated)
		e.SignIn(a.AdminUsername, apptest.Password)

		var list httpapi.List[events.TypeInfo]
		e.Anonymous().Do("GET", "/api/v1/event-types", nil).Want(http.StatusOK).Decode(&list)
		schemas := map[events.Type]*jsonschema.Schema{}
		for _, info := range list.Items {
			if info.Description == "" || len(info.Schema) == 0 {
				t.Errorf("%s: %+v", info.Type, info)
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(info.Schema))
			if err != nil {
				t.Fatalf("%s: %v", info.Type, err)
			}
			c := jsonschema.NewCompiler()
			if err := c.AddResource(string(info.Type)+".json", doc); err != nil {
				t.Fatal(err)
			}
			if schemas[info.Type], err = c.Compile(string(info.Type) + ".json"); err != nil {
				t.Fatalf("%s: %v", info.Type, err)
			}
		}
		for _, want := range []events.Type{"user.created", "user.blocked", "user.deleted", "role.assigned", "api_token.created", "user.signed_in",
			"subscription.created", "license.assigned", "org.created", "seats.low", "invoice.issued"} {
			if schemas[want] == nil {
				t.Errorf("the catalogue has no %s", want)
			}
		}
		if schemas["user.purged"] != nil {
			t.Error("an internal event type is in the catalogue")
		}
		if schemas["user.created"] != nil && schemas["user.created"].Validate(map[string]any{"user_id": 7}) == nil {
			t.Error("the schema of user.created takes data without its fields")
		}
		var one map[string]any
		e.Anonymous().Do("GET", "/api/v1/event-types/user.created/schema", nil).Want(http.StatusOK).Decode(&one)
		if one["type"] != "object" {
			t.Errorf("schema of user.created: %v", one)
		}
		e.Anonymous().Do("GET", "/api/v1/event-types/user.purged/schema", nil).WantProblem(http.StatusNotFound, "not_found")

		checked := map[string]bool{}
		for _, row := range e.Strings(`SELECT type || ' ' || data FROM events WHERE org_id = $1 ORDER BY created_at, id`, string(a.ID)) {
			typ, data, _ := bytes.Cut([]byte(row), []byte(" "))
			sch := schemas[events.Type(typ)]
			if sch == nil {
				continue // internal
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(v); err != nil {
				t.Errorf("%s %s does not validate: %v", typ, data, err)
			}
			checked[string(typ)] = true
		}
		for _, want := range []string{"user.created", "user.blocked", "user.deleted", "role.assigned", "api_token.created", "user.signed_in", "org.created"} {
			if !checked[want] {
				t.Errorf("no %s event was published to check", want)
			}
		}
	})
}
