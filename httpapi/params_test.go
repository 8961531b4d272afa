package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/atrium-admin/atrium"
)

// FuzzParams: checkParams never panics, refuses exactly the requests with a path id or
// a query value (or name) that is not ValidText, a path id with not_found and a query
// with invalid naming a parameter the query has, and lets every other request through.
func FuzzParams(f *testing.F) {
	for _, seed := range []struct{ id, role, query string }{
		{"u1", "global_admin", ""}, {"", "", "q=ada&limit=5"}, {"\x00", "x", ""}, {"\xff", "x", ""}, {"x", "\xed\xa0\x80", ""},
		{"x", "y", "q=%00"}, {"x", "y", "q=a%FFb"}, {"x", "y", "%00=1"}, {"x", "y", "q=ok&cursor=%C3"}, {"x", "y", "q=%zz&limit=%00"},
		{"zoë", "y", "q=zo%C3%AB"}, {"x", "y", "q=\xff"}, {"x", "y", "a=1&a=%00"},
	} {
		f.Add(seed.id, seed.role, seed.query)
	}
	rt := Route{Method: "PUT", Path: "/api/v1/users/{id}/roles/{role}"}
	f.Fuzz(func(t *testing.T, id, role, rawQuery string) {
		r := httptest.NewRequest("PUT", "/api/v1/users/x/roles/y", nil)
		r.URL.RawQuery = rawQuery
		r.SetPathValue("id", id)
		r.SetPathValue("role", role)
		err := checkParams(rt, r)
		query := r.URL.Query()
		queryOK := true
		for k, vs := range query {
			queryOK = queryOK && ValidText(k)
			for _, v := range vs {
				queryOK = queryOK && ValidText(v)
			}
		}
		switch {
		case !ValidText(id) || !ValidText(role):
			if atrium.ErrorCode(err) != atrium.CodeNotFound {
				t.Fatalf("id %q, role %q: %v, want not_found", id, role, err)
			}
		case !queryOK:
			var e *atrium.Error
			if !errors.As(err, &e) || e.Code != atrium.CodeInvalid {
				t.Fatalf("query %q: %v, want invalid", rawQuery, err)
			}
			for name := range e.Fields {
				if _, ok := query[name]; !ok {
					t.Fatalf("query %q: error names %q, which it does not have", rawQuery, name)
				}
			}
		case err != nil:
			t.Fatalf("id %q, role %q, query %q: %v, want nil", id, role, rawQuery, err)
		}
	})
}

// TestCheckValuesNamesEveryParameter: a form or query with several bad values names
// each of them.
func TestCheckValuesNamesEveryParameter(t *testing.T) {
	err := CheckValues(url.Values{"q": {"\x00"}, "order": {"\xff"}, "limit": {"5"}})
	var e *atrium.Error
	if !errors.As(err, &e) || e.Code != atrium.CodeInvalid || len(e.Fields) != 2 || e.Fields["q"] == "" || e.Fields["order"] == "" {
		t.Fatalf("CheckValues = %#v", err)
	}
	if got := Status(err); got != http.StatusBadRequest {
		t.Errorf("status %d", got)
	}
}
