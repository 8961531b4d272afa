package httpapi_test

import (
	"bytes"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
)

func TestETags(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Etag Co", "etag")
		u := a.Admin.CreateUser("eddie")
		path := "/api/v1/users/" + string(u.ID)
		etag := a.Admin.Do("GET", path, nil).Want(http.StatusOK).Header.Get("ETag")
		if etag != `"1"` {
			t.Fatalf("ETag = %q", etag)
		}
		next := a.Admin.DoHeader("PATCH", path, map[string]any{"job_title": "First"}, http.Header{"If-Match": {etag}}).Want(http.StatusOK).Header.Get("ETag")
		if next == etag || next == "" {
			t.Fatalf("ETag after change = %q", next)
		}
		if got := a.Admin.Do("GET", path, nil).Header.Get("ETag"); got != next {
			t.Errorf("GET ETag %q, PATCH answered %q", got, next)
		}

		stale := []struct {
			name    string
			method  string
			ifMatch string
			body    any
		}{
			{"patch with stale ETag", "PATCH", etag, map[string]any{"job_title": "Stale"}},
			{"patch with weak stale ETag", "PATCH", "W/" + etag, map[string]any{"job_title": "Stale"}},
			{"patch with garbage", "PATCH", "not-an-etag", map[string]any{"job_title": "Stale"}},
			{"patch with negative version", "PATCH", `"-1"`, map[string]any{"job_title": "Stale"}},
			{"delete with stale ETag", "DELETE", etag, nil},
		}
		for _, c := range stale {
			t.Run(c.name, func(t *testing.T) {
				before := rowCounts(e)
				a.Admin.DoHeader(c.method, path, c.body, http.Header{"If-Match": {c.ifMatch}}).WantProblem(http.StatusPreconditionFailed, atrium.CodePreconditionFailed)
				wantCounts(t, e, before, c.name)
				if got := e.Strings("SELECT job_title FROM users WHERE id = $1 AND deleted_at IS NULL", string(u.ID)); !slices.Equal(got, []string{"First"}) {
					t.Errorf("user after refused change: %v", got)
				}
			})
		}
		// "*" and the current ETag match.
		a.Admin.DoHeader("PATCH", path, map[string]any{"job_title": "Star"}, http.Header{"If-Match": {"*"}}).Want(http.StatusOK)

		t.Run("concurrent patches with one ETag", func(t *testing.T) {
			for round := range 5 {
				current := a.Admin.Do("GET", path, nil).Want(http.StatusOK).Header.Get("ETag")
				statuses := make([]int, 2)
				var wg sync.WaitGroup
				for i := range statuses {
					wg.Add(1)
					go func() {
						defer wg.Done()
						// Plain HTTP: t.Fatal must not be called off the test goroutine.
						body := []byte(`{"department":"writer ` + string(rune('A'+i)) + `"}`)
						req, _ := http.NewRequest("PATCH", e.URL+path, bytes.NewReader(body))
						req.Header.Set("Authorization", "Bearer "+a.Admin.Token)
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("If-Match", current)
						resp, err := e.Server.Client().Do(req)
						if err != nil {
							return
						}
						resp.Body.Close()
						statuses[i] = resp.StatusCode
					}()
				}
				wg.Wait()
				slices.Sort(statuses)
				if !slices.Equal(statuses, []int{http.StatusOK, http.StatusPreconditionFailed}) {
					t.Errorf("round %d: statuses = %v, want one 200 and one 412", round, statuses)
				}
			}
			if n := e.Count("SELECT count(*) FROM audit_log WHERE action = 'user.update' AND target_id = $1 AND after_json LIKE '%writer%'", string(u.ID)); n != 5 {
				t.Errorf("%d audited concurrent updates, want 5", n)
			}
		})
	})
}
