package httpapi_test

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
)

// TestUserExportOverHTTP: Export users streams the list with its filters as CSV to
// those who may read users, with the session cookie of the console too; others get a
// problem, not a file.
func TestUserExportOverHTTP(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		o := e.Signup("Export Co", "export")
		for _, n := range []string{"anna", "bert", "cora"} {
			o.Admin.CreateUser(n)
		}
		res := o.Admin.Do("GET", "/api/v1/users/export?sort=username&order=desc", nil).Want(http.StatusOK)
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(res.Header.Get("Content-Disposition"), "users.csv") {
			t.Errorf("headers = %v", res.Header)
		}
		recs, err := csv.NewReader(strings.NewReader(string(res.Body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range recs[1:] {
			got = append(got, r[0])
		}
		if strings.Join(got, ",") != "cora@export.atrium.localhost,bert@export.atrium.localhost,anna@export.atrium.localhost,admin@export.atrium.localhost" {
			t.Errorf("export by username desc = %v", got)
		}
		one := o.Admin.Do("GET", "/api/v1/users/export?q=BERT", nil).Want(http.StatusOK)
		if n := strings.Count(string(one.Body), "\n"); n != 2 || !strings.Contains(string(one.Body), "bert@") {
			t.Errorf("export q=BERT = %q", one.Body)
		}
		all := o.Admin.Do("GET", "/api/v1/users/export", nil).Want(http.StatusOK)
		if n := strings.Count(string(all.Body), "\n"); n != 1+4 {
			t.Errorf("full export has %d lines, want a header and 4 users", n)
		}
		if !strings.Contains(string(all.Body), "global_admin") {
			t.Error("the admin's role is not in the export")
		}
		o.Admin.Do("GET", "/api/v1/users/export?sort=age", nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "sort")
		o.Admin.Do("GET", "/api/v1/users/export?deleted=maybe", nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "deleted")
		support := e.SignIn(o.Admin.CreateUser("sam", "service_support_admin").Username, apptest.Password)
		support.Do("GET", "/api/v1/users/export", nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
	})
}
