package httpapi_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium/app/apptest"
)

var (
	jsonNameRE      = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	componentNameRE = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)
)

// TestOpenAPI: the document is valid JSON, OpenAPI 3.1, lists every route, every $ref
// resolves, properties carry their JSON names, and real responses fit their schemas.
func TestOpenAPI(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		res := e.Anonymous().Do("GET", "/api/v1/openapi.json", nil).Want(http.StatusOK)
		var doc map[string]any
		if err := json.Unmarshal(res.Body, &doc); err != nil {
			t.Fatalf("openapi.json is not JSON: %v", err)
		}
		if doc["openapi"] != "3.1.0" {
			t.Errorf("openapi = %v", doc["openapi"])
		}
		paths, _ := doc["paths"].(map[string]any)
		for _, rt := range e.Main.API.Routes() {
			item, _ := paths[rt.Path].(map[string]any)
			op, _ := item[strings.ToLower(rt.Method)].(map[string]any)
			if op == nil {
				t.Errorf("%s %s missing from the document", rt.Method, rt.Path)
				continue
			}
			if id, _ := op["operationId"].(string); id == "" {
				t.Errorf("%s %s has no operationId", rt.Method, rt.Path)
			}
			for _, m := range pathParamRE.FindAllString(rt.Path, -1) {
				if !strings.Contains(string(mustJSON(t, op["parameters"])), `"name":"`+strings.Trim(m, "{}")+`"`) {
					t.Errorf("%s %s does not document path parameter %s", rt.Method, rt.Path, m)
				}
			}
		}
		schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
		for name := range schemas {
			// Component names are package-qualified, in the characters OpenAPI allows.
			if !componentNameRE.MatchString(name) || !strings.Contains(name, ".") {
				t.Errorf("component schema name %q is not a package-qualified OpenAPI name", name)
			}
		}
		for _, name := range []string{"directory.User", "auth.APIToken", "httpapi.Problem", "httpapi.List_auth.APIToken"} {
			if _, ok := schemas[name]; !ok {
				t.Errorf("component schema %s missing", name)
			}
		}
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch v := v.(type) {
			case map[string]any:
				if ref, ok := v["$ref"].(string); ok {
					name, found := strings.CutPrefix(ref, "#/components/schemas/")
					if _, exists := schemas[name]; !found || !exists {
						t.Errorf("%s: $ref %s does not resolve", path, ref)
					}
				}
				if props, ok := v["properties"].(map[string]any); ok {
					for name := range props {
						if !jsonNameRE.MatchString(name) {
							t.Errorf("%s: property %q is not a JSON field name", path, name)
						}
					}
				}
				for k, child := range v {
					walk(path+"/"+k, child)
				}
			case []any:
				for _, child := range v {
					walk(path, child)
				}
			}
		}
		walk("#", doc)

		// Real responses carry only documented properties.
		a := e.Signup("Schema Co", "schema")
		u := a.Admin.CreateUser("sam")
		tok := a.Admin.Do("POST", "/api/v1/api-tokens", map[string]any{"name": "s", "role": "global_reader"}).Want(http.StatusCreated)
		created := a.Admin.Do("POST", "/api/v1/users", map[string]any{"username": "sue", "display_name": "Sue"}).Want(http.StatusCreated)
		checks := []struct {
			route string
			body  []byte
		}{
			{"POST /api/v1/users", created.Body},
			{"GET /api/v1/users/{id}", a.Admin.Do("GET", "/api/v1/users/"+string(u.ID), nil).Body},
			{"GET /api/v1/users", a.Admin.Do("GET", "/api/v1/users", nil).Body},
			{"POST /api/v1/api-tokens", tok.Body},
			{"GET /api/v1/me", a.Admin.Do("GET", "/api/v1/me", nil).Body},
			{"GET /api/v1/audit-log", a.Admin.Do("GET", "/api/v1/audit-log", nil).Body},
			{"GET /api/v1/roles", a.Admin.Do("GET", "/api/v1/roles", nil).Body},
		}
		for _, c := range checks {
			method, path, _ := strings.Cut(c.route, " ")
			op := paths[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
			var schema any
			for code, resp := range op["responses"].(map[string]any) {
				if code != "default" {
					schema = resp.(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"]
				}
			}
			var body any
			if err := json.Unmarshal(c.body, &body); err != nil {
				t.Fatalf("%s: %v", c.route, err)
			}
			conforms(t, c.route, schemas, schema, body)
		}
	})
}

// conforms checks that every object property in v is declared by schema (resolving
// $ref), recursively.
func conforms(t *testing.T, where string, schemas map[string]any, schema, v any) {
	t.Helper()
	s, _ := schema.(map[string]any)
	if s == nil {
		return
	}
	if ref, ok := s["$ref"].(string); ok {
		conforms(t, where, schemas, schemas[strings.TrimPrefix(ref, "#/components/schemas/")], v)
		return
	}
	if one, ok := s["oneOf"].([]any); ok {
		if v != nil {
			conforms(t, where, schemas, one[0], v)
		}
		return
	}
	switch v := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		if props == nil {
			if add, ok := s["additionalProperties"].(map[string]any); ok {
				for k, child := range v {
					conforms(t, where+"."+k, schemas, add, child)
				}
			}
			return
		}
		for k, child := range v {
			ps, ok := props[k]
			if !ok {
				t.Errorf("%s: property %q is not in the schema", where, k)
				continue
			}
			conforms(t, where+"."+k, schemas, ps, child)
		}
	case []any:
		for _, child := range v {
			conforms(t, where+"[]", schemas, s["items"], child)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
