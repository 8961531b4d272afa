package httpapi_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/httpapi"
)

// BenchmarkWriteError writes a two-field validation problem as the API does, for a
// client asking for English and one asking for Polish; the values cases have a field
// message with a value in it (a plural in Polish):
//
//	go test ./httpapi -run '^$' -bench WriteError -benchmem
func BenchmarkWriteError(b *testing.B) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	static := atrium.Problems{}
	static.Add("display_name", "is required")
	static.Add("contact_email", "must be an email address such as ada@example.com")
	values := atrium.Problems{}
	values.Add("display_name", "is required")
	values.Addf("quantity", "err.licensing.assigned", "{{.Count}} licenses are assigned", "Count", 5)
	for _, bc := range []struct {
		name, lang string
		err        error
	}{
		{"en", "en", static.Err()},
		{"pl", "pl", static.Err()},
		{"en/values", "en", values.Err()},
		{"pl/values", "pl", values.Err()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("POST", "/api/v1/users", nil)
			r.Header.Set("Accept-Language", bc.lang)
			for b.Loop() {
				w := httptest.NewRecorder()
				httpapi.WriteError(w, r, log, bc.err)
				if w.Code != http.StatusBadRequest {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
