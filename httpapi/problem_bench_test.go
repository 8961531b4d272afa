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
// client asking for English and one asking for Polish:
//
//	go test ./httpapi -run '^$' -bench WriteError -benchmem
func BenchmarkWriteError(b *testing.B) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	err := atrium.Problems{"display_name": "is required", "contact_email": "must be an email address such as ada@example.com"}.Err()
	for _, lang := range []string{"en", "pl"} {
		b.Run(lang, func(b *testing.B) {
			r := httptest.NewRequest("POST", "/api/v1/users", nil)
			r.Header.Set("Accept-Language", lang)
			for b.Loop() {
				w := httptest.NewRecorder()
				httpapi.WriteError(w, r, log, err)
				if w.Code != http.StatusBadRequest {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
