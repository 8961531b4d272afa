package httpapi

import (
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/atrium-admin/atrium"
)

// Route describes one endpoint. The router and the OpenAPI document are both built from
// the same Route values, so the document cannot drift from the handlers.
type Route struct {
	Method  string
	Path    string
	Summary string
	Tag     string
	// Public routes need no authentication.
	Public bool
	// DuringPasswordChange routes stay open while the caller must change their password.
	DuringPasswordChange bool
	// Request is a value of the JSON body type, or nil. A route with a Request refuses
	// a request without a body unless OptionalBody is set.
	Request any
	// OptionalBody marks a Request body the route may go without (the document says it
	// is not required); null is still refused.
	OptionalBody bool
	// Response is a value of the JSON response type, or nil for no body.
	Response any
	// Status is the success status; default 200.
	Status int
	// Query lists the query parameters.
	Query []string
	// ETag marks routes whose responses carry an ETag, or that honour If-Match.
	ETag bool
}

var pathParamRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// OpenAPI returns the OpenAPI 3.1 document of every registered route. It returns an
// error if two distinct Go types would share a component schema name.
func (s *Server) OpenAPI() (map[string]any, error) {
	schemas := newSchemaSet()
	paths := map[string]any{}
	for _, rt := range s.routes {
		item, _ := paths[rt.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.Path] = item
		}
		op := map[string]any{
			"summary":     rt.Summary,
			"tags":        []string{rt.Tag},
			"operationId": operationID(rt),
		}
		var params []any
		for _, m := range pathParamRE.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
		}
		if rt.ETag && rt.Method != "GET" {
			params = append(params, map[string]any{"name": "If-Match", "in": "header", "schema": map[string]any{"type": "string"},
				"description": "the ETag the change is based on; a stale one gets 412"})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.Request != nil {
			op["requestBody"] = map[string]any{"required": !rt.OptionalBody, "content": map[string]any{
				"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.Request), schemas)}}}
		}
		status := rt.Status
		if status == 0 {
			status = http.StatusOK
		}
		ok := map[string]any{"description": http.StatusText(status)}
		if rt.Response != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.Response), schemas)}}
		}
		responses := map[string]any{strconv.Itoa(status): ok,
			"default": map[string]any{"description": "an error", "content": map[string]any{
				"application/problem+json": map[string]any{"schema": schemaOf(reflect.TypeOf(Problem{}), schemas)}}}}
		op["responses"] = responses
		if !rt.Public {
			op["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"session": []string{}}}
		}
		item[strings.ToLower(rt.Method)] = op
	}
	if schemas.err != nil {
		return nil, schemas.err
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Atrium API", "version": "1",
			"description": "Errors are application/problem+json with a stable code. Lists take q, limit and cursor and answer {items, next_cursor}. " +
				"Cookie-authenticated unsafe requests need the " + CSRFHeader + " header."},
		"paths": paths,
		"components": map[string]any{
			"schemas": schemas.schemas,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": CookieName},
			},
		},
	}, nil
}

// Routes returns every registered route.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

func operationID(rt Route) string {
	p := pathParamRE.ReplaceAllString(strings.TrimPrefix(rt.Path, "/api/v1/"), "by_$1")
	p = strings.NewReplacer("/", "_", "-", "_", ".", "_").Replace(p)
	return strings.ToLower(rt.Method) + "_" + strings.Trim(p, "_")
}

var timeType = reflect.TypeOf(time.Time{})

// schemaSet is the component schemas of one document. Every name belongs to one Go type:
// a second type wanting a name already taken is recorded in err, never merged into the
// first type's schema.
type schemaSet struct {
	schemas map[string]any
	owners  map[string]reflect.Type
	err     error
}

func newSchemaSet() *schemaSet {
	return &schemaSet{schemas: map[string]any{}, owners: map[string]reflect.Type{}}
}

// schemaOf returns the JSON Schema of t, adding named structs to schemas as components.
func schemaOf(t reflect.Type, schemas *schemaSet) map[string]any {
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	if t.Kind() != reflect.Pointer && t.Implements(reflect.TypeOf((*interface{ MarshalText() ([]byte, error) })(nil)).Elem()) {
		return map[string]any{"type": "string"}
	}
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
		// encoding/json writes and reads []byte as base64 text.
		return map[string]any{"type": "string", "contentEncoding": "base64"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		inner := schemaOf(t.Elem(), schemas)
		return map[string]any{"oneOf": []any{inner, map[string]any{"type": "null"}}}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), schemas)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), schemas)}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		if t.Name() == "" {
			// An anonymous struct has no name to share: describe it in place.
			props := map[string]any{}
			addProperties(t, props, schemas)
			return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		}
		name := componentName(t)
		ref := map[string]any{"$ref": "#/components/schemas/" + name}
		if owner, taken := schemas.owners[name]; taken {
			if owner != t && schemas.err == nil {
				schemas.err = fmt.Errorf("httpapi: openapi: %s and %s (another type of the same name, declared in a function?) both map to component schema %q",
					owner, t, name)
			}
			return ref
		}
		schemas.owners[name] = t
		schemas.schemas[name] = map[string]any{} // placeholder against recursion
		props := map[string]any{}
		addProperties(t, props, schemas)
		schemas.schemas[name] = map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		return ref
	}
	return map[string]any{}
}

// addProperties adds the JSON properties of struct t to props. Untagged embedded
// structs are flattened into the outer object, as encoding/json does.
func addProperties(t reflect.Type, props map[string]any, schemas *schemaSet) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				embedded := map[string]any{}
				addProperties(ft, embedded, schemas)
				for k, v := range embedded {
					if _, outer := props[k]; !outer {
						props[k] = v // outer fields win, as in encoding/json
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type, schemas)
	}
}

// modulePath is this module's import path, which component names leave out.
var modulePath = strings.TrimSuffix(reflect.TypeOf(Route{}).PkgPath(), "/httpapi")

// typeRefRE matches a package-qualified type in a reflect type name, such as
// github.com/atrium-admin/atrium/directory.User inside List[…].
var typeRefRE = regexp.MustCompile(`[A-Za-z0-9_.~-]+(?:/[A-Za-z0-9_.~-]+)*\.[A-Za-z_][A-Za-z0-9_]*`)

var invalidNameRE = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// typeArgs spells a generic type's arguments with what component names allow.
var typeArgs = strings.NewReplacer("*", "ptr-", "[]", "slice-", "[", "_", "]", "", ",", "_", " ", "")

// componentName names the component schema of named type t after its package path
// inside the module and its name, so types of the same name in different packages get
// different names: licensing.Product, access.roledef.Role, httpapi.List_directory.User,
// httpapi.List_ptr-directory.User.
// Only what OpenAPI allows in a component name (^[a-zA-Z0-9._-]+$) is kept. Two types
// can still meet on one name (types declared inside functions share their package's
// path); schemaOf detects that.
func componentName(t reflect.Type) string {
	name := typeRefRE.ReplaceAllStringFunc(t.Name(), func(ref string) string {
		i := strings.LastIndexByte(ref, '.')
		return qualifier(ref[:i]) + ref[i:]
	})
	name = qualifier(t.PkgPath()) + "." + typeArgs.Replace(name)
	return strings.Trim(invalidNameRE.ReplaceAllString(name, "_"), "_")
}

// qualifier turns an import path into the prefix of a component name: the path inside
// the module (access/roledef → access.roledef; the module itself → atrium), or the
// whole path for other modules' packages.
func qualifier(pkg string) string {
	switch {
	case pkg == modulePath:
		pkg = pkg[strings.LastIndexByte(pkg, '/')+1:]
	case strings.HasPrefix(pkg, modulePath+"/"):
		pkg = pkg[len(modulePath)+1:]
	}
	return strings.ReplaceAll(pkg, "/", ".")
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) error {
	doc, err := s.OpenAPI()
	if err != nil {
		return atrium.Internal(err)
	}
	return writeJSON(w, http.StatusOK, doc)
}
