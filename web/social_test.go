package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/social"
)

// nextPageRE finds a pager's next page link on a page.
var nextPageRE = regexp.MustCompile(`<a href="([^"]+)" rel="next">Next page</a>`)

// TestSocialAppPages: each list of the app page shows a page of its items; a list with
// more has a Next page link that shows the rest and keeps the other lists where they
// were, and a First page link back. A cursor no list gave out is a 400 page.
func TestSocialAppPages(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		s := app.Need[*social.Service](f.m.Kernel)
		admin := f.adminPrincipal() // holds the trial license
		for i := range social.DefaultLimit + 2 {
			if _, err := s.CreateTopic(ctx, admin, social.SearchTopic{Name: fmt.Sprintf("Topic %03d", i), Keywords: "contoso"}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range social.DefaultLimit + 1 {
			if _, err := s.CreateAlert(ctx, admin, social.Alert{Name: fmt.Sprintf("Alert %03d", i), Query: "contoso"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CreateStream(ctx, admin, social.Stream{Name: "Only stream", Query: "@contoso"}); err != nil {
			t.Fatal(err)
		}
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		// nextLinks returns the page's next page links, by list.
		nextLinks := func(p page) map[string]string {
			t.Helper()
			links := map[string]string{}
			for _, m := range nextPageRE.FindAllStringSubmatch(p.body, -1) {
				link := html.UnescapeString(m[1])
				u, err := url.Parse(link)
				if err != nil || u.Path != "/apps/social" {
					t.Fatalf("next page link %q", link)
				}
				links[u.Fragment] = link
			}
			return links
		}

		p := b.get("/apps/social")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Topic 000", "Topic 049", "Alert 000", "Alert 049", "Only stream",
			`<nav class="pager" aria-label="Pages of search topics">`, `<nav class="pager" aria-label="Pages of my alerts">`)
		wantNotContains(t, p, "Topic 050", "Alert 050", "First page", `aria-label="Pages of my streams"`, `aria-label="Pages of my settings"`)
		links := nextLinks(p)
		if len(links) != 2 || links["topics"] == "" || links["alerts"] == "" {
			t.Fatalf("next page links %v, want the alerts' and the topics'", links)
		}

		// The topics' next page; the alerts stay on their first page.
		p = b.get(links["topics"])
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Topic 050", "Topic 051", "Alert 000", "Only stream", `<a href="/apps/social#topics">First page</a>`)
		wantNotContains(t, p, "Topic 049", "Alert 050")
		links = nextLinks(p)
		if len(links) != 1 || links["alerts"] == "" {
			t.Fatalf("next page links %v, want the alerts' only", links)
		}

		// The alerts' next page keeps the topics on their second.
		p = b.get(links["alerts"])
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Alert 050", "Topic 050", "Only stream")
		wantNotContains(t, p, "Alert 049", "Topic 049", "Next page")

		p = b.get("/apps/social?topics_cursor=garbage")
		wantStatus(t, p, http.StatusBadRequest)
	})
}
