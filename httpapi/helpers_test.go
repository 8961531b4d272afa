package httpapi_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium/app/apptest"
)

// countedTables are every table a request could write to; "nothing written" means all
// their row counts stay the same.
var countedTables = []string{"organizations", "domains", "users", "role_assignments", "api_tokens", "sessions",
	"audit_log", "jobs", "mail_outbox", "signin_throttle"}

// rowCounts returns the row count of every counted table.
func rowCounts(e *apptest.Env) map[string]int {
	e.T.Helper()
	out := map[string]int{}
	for _, t := range countedTables {
		out[t] = e.Count("SELECT count(*) FROM " + t)
	}
	return out
}

// wantCounts fails the test if any table's row count changed since before.
func wantCounts(t *testing.T, e *apptest.Env, before map[string]int, what string) {
	t.Helper()
	after := rowCounts(e)
	for _, tbl := range countedTables {
		if before[tbl] != after[tbl] {
			t.Errorf("%s: %s has %d rows, had %d", what, tbl, after[tbl], before[tbl])
		}
	}
}

// rows returns every row of query, each formatted as its column values joined by "|".
func rows(t *testing.T, e *apptest.Env, query string, args ...any) []string {
	t.Helper()
	r, err := e.Main.DB.Read().QueryContext(t.Context(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer r.Close()
	cols, _ := r.Columns()
	var out []string
	for r.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := r.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

func q(v string) string { return url.QueryEscape(v) }

// pathParamRE matches the {name} parameters of a route path.
var pathParamRE = regexp.MustCompile(`\{[a-z_]+\}`)
