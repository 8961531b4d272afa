package httpapi

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium/access/roledef"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/licensing"
)

var validComponentNameRE = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

func TestComponentNames(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{directory.User{}, "directory.User"},
		{licensing.Product{}, "licensing.Product"},
		{auth.APIToken{}, "auth.APIToken"},
		{roledef.Role{}, "access.roledef.Role"},
		{Problem{}, "httpapi.Problem"},
		{List[directory.User]{}, "httpapi.List_directory.User"},
		{List[roledef.Role]{}, "httpapi.List_access.roledef.Role"},
		{List[*directory.User]{}, "httpapi.List_ptr-directory.User"},
		{List[[]roledef.Role]{}, "httpapi.List_slice-access.roledef.Role"},
	} {
		got := componentName(reflect.TypeOf(c.v))
		if got != c.want {
			t.Errorf("componentName(%T) = %q, want %q", c.v, got, c.want)
		}
		if !validComponentNameRE.MatchString(got) {
			t.Errorf("componentName(%T) = %q, not a valid OpenAPI component name", c.v, got)
		}
	}
}

// Two types of one name in one package (declared in different functions) map to one
// component name; building a document with both must fail rather than merge them.
func TestComponentNameCollision(t *testing.T) {
	first := func() any {
		type Item struct {
			A string `json:"a"`
		}
		return Item{}
	}()
	second := func() any {
		type Item struct {
			B int `json:"b"`
		}
		return Item{}
	}()
	if componentName(reflect.TypeOf(first)) != componentName(reflect.TypeOf(second)) {
		t.Fatalf("the two Items map to %q and %q; the test needs a collision", componentName(reflect.TypeOf(first)), componentName(reflect.TypeOf(second)))
	}
	s := &Server{}
	s.routes = []Route{
		{Method: "GET", Path: "/api/v1/first", Summary: "first", Tag: "t", Response: first},
		{Method: "GET", Path: "/api/v1/second", Summary: "second", Tag: "t", Response: struct {
			Items []any `json:"items"`
			Other any   `json:"other"`
		}{}},
		{Method: "POST", Path: "/api/v1/second", Summary: "second", Tag: "t", Request: second},
	}
	if _, err := s.OpenAPI(); err == nil || !strings.Contains(err.Error(), "httpapi.Item") {
		t.Errorf("OpenAPI() error = %v, want the collision on httpapi.Item", err)
	}
	// The same type used twice is no collision, and an anonymous struct is described in
	// place rather than as a component.
	s.routes = s.routes[:2]
	s.routes = append(s.routes, Route{Method: "POST", Path: "/api/v1/first", Summary: "first again", Tag: "t", Request: first})
	doc, err := s.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	if _, ok := schemas["httpapi.Item"]; !ok {
		t.Errorf("schemas = %v, want httpapi.Item", keys(schemas))
	}
	for name := range schemas {
		if strings.Contains(name, "Anonymous") || name == "httpapi" {
			t.Errorf("anonymous struct got component %q", name)
		}
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
