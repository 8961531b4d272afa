package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestExportUsersLink: Active users links Export users with the list's search and sort,
// and the link downloads the CSV with the console session.
func TestExportUsersLink(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.get("/users?q=mia&sort=username")
		link := "/api/v1/users/export?filter=&amp;order=&amp;q=mia&amp;sort=username"
		wantContains(t, p, `href="`+link+`"`, "Export users")
		csv := b.get(strings.ReplaceAll(link, "&amp;", "&"))
		wantStatus(t, csv, http.StatusOK)
		if !strings.HasPrefix(csv.body, "username,display_name") || !strings.Contains(csv.body, "mia@contoso.atrium.localhost") || strings.Contains(csv.body, "admin@contoso") {
			t.Errorf("export = %q", csv.body)
		}
	})
}
