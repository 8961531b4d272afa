package web_test

import (
	"net/http"
	"testing"
)

// TestBulkUploadRefusesNonText: a file with NUL or bytes that are not UTF-8 is refused
// beside the file field, naming the line, before any name reaches the database.
func TestBulkUploadRefusesNonText(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		se := f.product("SOCIAL_ENGAGEMENT")
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		for _, file := range []string{"username\nmia@contoso.atrium.localhost\nbad\x00name\n", "username\n\xff\xfe\n"} {
			p := b.upload("/users/licenses/upload", map[string]string{"product_id": se.ID, "action": "assign"}, file)
			wantStatus(t, p, http.StatusBadRequest)
			wantContains(t, p, "is not text: save the file as UTF-8")
		}
		if got := f.licensesOf(f.member.ID); len(got) != 0 {
			t.Fatalf("a refused file assigned %v", got)
		}
	})
}
