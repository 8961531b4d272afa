package web_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/atrium-admin/atrium/store"
)

// BenchmarkUserListPage renders Users > Active users, 50 users a page, through the whole
// handler (session, queries, template) in English and in Polish, on SQLite:
//
//	go test ./web -run '^$' -bench UserListPage -benchmem
func BenchmarkUserListPage(b *testing.B) {
	f := newFixture(b, store.SQLite)
	for i := range 48 {
		f.newUser(fmt.Sprintf("user%02d", i), fmt.Sprintf("Łucja Nowak %02d", i), "PL")
	}
	for _, lang := range []string{"en", "pl"} {
		b.Run(lang, func(b *testing.B) {
			if _, err := f.m.Directory.SetLanguage(context.Background(), f.adminPrincipal(), lang); err != nil {
				b.Fatal(err)
			}
			br := f.browser()
			br.signIn("admin@contoso.atrium.localhost", adminPassword, false)
			if p := br.get("/users"); p.status != http.StatusOK {
				b.Fatalf("status %d", p.status)
			}
			b.ResetTimer()
			for b.Loop() {
				br.get("/users")
			}
		})
	}
}
