package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/httpapi"
)

// walkPages GETs path (which has a query) page by page with limit, following
// next_cursor, and returns the ids of the items in the order read. It fails when a page
// is over the limit, or short while another follows.
func walkPages[T any](t *testing.T, c *apptest.Client, path string, limit int, id func(T) string) []string {
	t.Helper()
	var ids []string
	cursor := ""
	for range 1000 {
		var page httpapi.List[T]
		c.Do("GET", fmt.Sprintf("%s&limit=%d&cursor=%s", path, limit, url.QueryEscape(cursor)), nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) > limit || (page.NextCursor != "" && len(page.Items) != limit) {
			t.Fatalf("%s: a page of %d items with limit %d, next %q", path, len(page.Items), limit, page.NextCursor)
		}
		for _, it := range page.Items {
			ids = append(ids, id(it))
		}
		if page.NextCursor == "" {
			return ids
		}
		cursor = page.NextCursor
	}
	t.Fatalf("%s: the pages never end", path)
	return nil
}

// onePage GETs path with the largest limit and returns the ids, failing if there is more.
func onePage[T any](t *testing.T, c *apptest.Client, path string, id func(T) string) []string {
	t.Helper()
	var page httpapi.List[T]
	c.Do("GET", path+"&limit=200", nil).Want(http.StatusOK).Decode(&page)
	if page.NextCursor != "" {
		t.Fatalf("%s: more than 200 items", path)
	}
	var ids []string
	for _, it := range page.Items {
		ids = append(ids, id(it))
	}
	return ids
}

func tokenID(t auth.APIToken) string { return t.ID }

// TestTokenListPaging: the API token list walks every live token once, page by page,
// with and without a search, and refuses a cursor it did not give out.
func TestTokenListPaging(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Paging Co", "paging")
		other := e.Signup("Other Co", "other")
		var live, syncs []string
		for i := range 7 {
			name := fmt.Sprintf("report %d", i)
			if i%2 == 0 {
				name = fmt.Sprintf("HR sync %d", i)
			}
			tok := createToken(t, a.Admin, map[string]any{"name": name, "role": "global_reader"})
			if i == 3 {
				a.Admin.Do("DELETE", "/api/v1/api-tokens/"+tok.ID, nil).Want(http.StatusNoContent)
				continue
			}
			live = append(live, tok.ID)
			if i%2 == 0 {
				syncs = append(syncs, tok.ID)
			}
		}
		createToken(t, other.Admin, map[string]any{"name": "HR sync elsewhere", "role": "global_reader"})
		slices.Reverse(live) // newest first
		slices.Reverse(syncs)

		all := onePage(t, a.Admin, "/api/v1/api-tokens?", tokenID)
		if !slices.Equal(all, live) {
			t.Fatalf("one page = %v, want the live tokens newest first %v", all, live)
		}
		for _, limit := range []int{1, 2, 3, 6, 7} {
			if got := walkPages(t, a.Admin, "/api/v1/api-tokens?", limit, tokenID); !slices.Equal(got, live) {
				t.Errorf("pages of %d = %v, want each live token once %v", limit, got, live)
			}
			if got := walkPages(t, a.Admin, "/api/v1/api-tokens?q=SYNC", limit, tokenID); !slices.Equal(got, syncs) {
				t.Errorf("pages of %d searching sync = %v, want %v", limit, got, syncs)
			}
		}
		a.Admin.Do("GET", "/api/v1/api-tokens?cursor=bm9wZQ", nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "cursor")
		a.Admin.Do("GET", "/api/v1/api-tokens?limit=0", nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "limit")
	})
}
