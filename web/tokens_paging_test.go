package web_test

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"testing"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/auth"
)

var tokenRowRE = regexp.MustCompile(`<a href="/tokens/([^"/]+)/revoke">`)

// walkPages loads path and every page its "Next page" links lead to, and returns what
// item matches on each page, in order. Every page after the first links back to it.
func walkPages(t *testing.T, b *browser, path string, item *regexp.Regexp) []string {
	t.Helper()
	var got []string
	for n := 0; path != ""; n++ {
		if n == 100 {
			t.Fatal("the pages never end")
		}
		p := b.get(path)
		wantStatus(t, p, http.StatusOK)
		for _, m := range item.FindAllStringSubmatch(p.body, -1) {
			got = append(got, m[1])
		}
		if n > 0 {
			wantContains(t, p, "First page")
		}
		path = ""
		if m := nextRE.FindStringSubmatch(p.body); m != nil {
			path = htmlUnescape(m[1])
		}
	}
	return got
}

// TestTokensPageLinksNextPage: the API tokens page shows the live tokens a page at a
// time, searchable, and a token on any page can be revoked.
func TestTokensPageLinksNextPage(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		var all, syncs []string
		for _, name := range []string{"HR sync", "reports", "HR sync 2", "billing export", "HR sync 3"} {
			tok, _, err := f.m.Auth.CreateToken(ctx, f.adminPrincipal(), auth.TokenInput{Name: name, Role: access.GlobalReader})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, tok.ID)
			if name[:2] == "HR" {
				syncs = append(syncs, tok.ID)
			}
		}
		slices.Reverse(all)
		slices.Reverse(syncs)
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		if got := walkPages(t, b, "/tokens?limit=2", tokenRowRE); !slices.Equal(got, all) {
			t.Errorf("token pages show %v, want each token once, newest first: %v", got, all)
		}
		if got := walkPages(t, b, "/tokens?q=sync&limit=2", tokenRowRE); !slices.Equal(got, syncs) {
			t.Errorf("searching sync shows %v, want %v", got, syncs)
		}
		// The oldest token is on the last page; its revoke confirmation still finds it.
		wantContains(t, b.get("/tokens/"+all[len(all)-1]+"/revoke"), "Revoke the API token “HR sync”?")
		wantStatus(t, b.get("/tokens/no-such-token/revoke"), http.StatusNotFound)
	})
}
