package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/store"
)

// pulledEvents are the events GET /api/v1/events returned, as sent and decoded.
type pulledEvents struct {
	raw  []json.RawMessage
	list []events.CloudEvent
}

func (p *pulledEvents) ids() []string {
	out := make([]string, len(p.list))
	for i, ce := range p.list {
		out[i] = ce.ID
	}
	return out
}

// pullPage gets one page of GET /api/v1/events with query and returns it and its
// next_cursor, failing the test when next_cursor is missing.
func pullPage(t *testing.T, c *apptest.Client, query url.Values) (*pulledEvents, string) {
	t.Helper()
	var page struct {
		Items      []json.RawMessage `json:"items"`
		NextCursor *string           `json:"next_cursor"`
	}
	c.Do("GET", "/api/v1/events?"+query.Encode(), nil).Want(http.StatusOK).Decode(&page)
	if page.NextCursor == nil || page.Items == nil {
		t.Fatalf("GET /api/v1/events?%s: no items or next_cursor", query.Encode())
	}
	out := &pulledEvents{raw: page.Items}
	for _, raw := range page.Items {
		var ce events.CloudEvent
		if err := json.Unmarshal(raw, &ce); err != nil {
			t.Fatal(err)
		}
		out.list = append(out.list, ce)
	}
	return out, *page.NextCursor
}

// pullEvents pages GET /api/v1/events from after with query (type, limit) until a page
// comes back empty, again until at least n events came back or ten seconds passed (on
// PostgreSQL any open transaction on the server holds the newest events back until it
// ends), and returns them and the last cursor.
func pullEvents(t *testing.T, c *apptest.Client, after string, query url.Values, n int) (*pulledEvents, string) {
	t.Helper()
	all := &pulledEvents{}
	deadline := time.Now().Add(10 * time.Second)
	for {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		if after != "" {
			q.Set("after", after)
		}
		page, next := pullPage(t, c, q)
		if len(page.list) == 0 {
			if next != after {
				t.Fatalf("an empty page moved the cursor from %q to %q", after, next)
			}
			if len(all.list) >= n || time.Now().After(deadline) {
				return all, after
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		all.raw, all.list, after = append(all.raw, page.raw...), append(all.list, page.list...), next
	}
}

// storedEvents returns the ids of org's events of declared types that filter takes
// (exact types and prefixes such as user.*; all for none), in commit order, as the
// database has them.
func storedEvents(e *apptest.Env, org atrium.OrgID, filter ...string) []string {
	var out []string
	for _, row := range e.Strings(`SELECT id || ' ' || type FROM events WHERE org_id = $1 ORDER BY tx_id, seq`, string(org)) {
		id, typ, _ := strings.Cut(row, " ")
		taken := len(filter) == 0 || slices.ContainsFunc(filter, func(f string) bool {
			prefix, ok := strings.CutSuffix(f, "*")
			return f == typ || ok && strings.HasPrefix(typ, prefix)
		})
		if taken && e.Main.Kernel.Events.External(events.Type(typ)) {
			out = append(out, id)
		}
	}
	return out
}

// TestEventsPullAPI: GET /api/v1/events pages through the organization's declared
// events in commit order, each exactly as a webhook receives it; polling with the last
// next_cursor returns the new events only; type filters exact types and prefixes; bad
// input names its field; another organization's events never show; only a Global
// administrator may pull.
func TestEventsPullAPI(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		ctx := context.Background()
		a := e.Signup("Pull Co", "pullco")
		b := e.Signup("Other Co", "otherco")
		a.Admin.CreateUser("kim")
		b.Admin.CreateUser("bo")
		pat := e.SignIn(a.Admin.CreateUser("pat").Username, apptest.Password)
		uma := e.SignIn(a.Admin.CreateUser("uma", "user_admin").Username, apptest.Password)
		// An event of a type not declared for the world outside.
		if _, err := e.Main.DB.Write().ExecContext(ctx, `INSERT INTO events (id, type, org_id, subject, data, created_at) VALUES ('internal-1', 'user.purged', $1, 's', '{}', 1)`,
			string(a.ID)); err != nil {
			t.Fatal(err)
		}
		e.RunJobs()

		want := storedEvents(e, a.ID)
		got, cursor := pullEvents(t, a.Admin, "", url.Values{"limit": {"3"}}, len(want))
		if !slices.Equal(got.ids(), want) {
			t.Fatalf("pulled %v, want %v", got.ids(), want)
		}
		sinks := app.Need[*events.Sinks](e.Main.Kernel)
		for i, ce := range got.list {
			var ev events.Event
			var data string
			var at int64
			if err := e.Main.DB.Read().QueryRowContext(ctx, `SELECT id, type, org_id, subject, data, created_at FROM events WHERE id = $1`, ce.ID).
				Scan(&ev.ID, &ev.Type, &ev.Org, &ev.Subject, &data, &at); err != nil {
				t.Fatal(err)
			}
			ev.Data, ev.Time = json.RawMessage(data), store.Time(at)
			body, err := sinks.Render(&ev)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.raw[i], body) || ce.Source != "http://atrium.test/orgs/"+string(a.ID) {
				t.Fatalf("pulled %s\nwebhooks get %s", got.raw[i], body)
			}
		}

		// At the end: nothing new, the same cursor; then only what happened since.
		if page, next := pullPage(t, a.Admin, url.Values{"after": {cursor}}); len(page.list) != 0 || next != cursor {
			t.Fatalf("polling at the end: %v, %q", page.ids(), next)
		}
		lee := a.Admin.CreateUser("lee")
		b.Admin.CreateUser("bea")
		since, _ := pullEvents(t, a.Admin, cursor, nil, 1)
		if len(since.list) != 1 || since.list[0].Type != "io.atrium.user.created" || since.list[0].Subject != string(lee.ID) {
			t.Fatalf("after the cursor: %+v", since.list)
		}

		// Filters: exact, prefix, comma-separated and repeated.
		for query, filter := range map[string][]string{
			"type=user.created":                      {"user.created"},
			"type=user.*":                            {"user.*"},
			"type=role.assigned,org.*":               {"role.assigned", "org.*"},
			"type=role.assigned&type=user.signed_in": {"role.assigned", "user.signed_in"},
		} {
			q, _ := url.ParseQuery(query)
			want := storedEvents(e, a.ID, filter...)
			if got, _ := pullEvents(t, a.Admin, "", q, len(want)); len(want) == 0 || !slices.Equal(got.ids(), want) {
				t.Errorf("%s: pulled %v, want %v", query, got.ids(), want)
			}
		}

		// Bad input.
		for _, query := range []string{"type=user.nothing", "type=user", "type=user.created,", "type=nothing.*", "type=user.purged"} {
			a.Admin.Do("GET", "/api/v1/events?"+query, nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "type")
		}
		for _, query := range []string{"after=garbage", "after=" + url.QueryEscape(store.EncodeCursor("x", 1))} {
			a.Admin.Do("GET", "/api/v1/events?"+query, nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "after")
		}
		for _, query := range []string{"limit=0", "limit=201", "limit=x"} {
			a.Admin.Do("GET", "/api/v1/events?"+query, nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "limit")
		}

		// Another organization: its own events only, from any cursor.
		wantB := storedEvents(e, b.ID)
		gotB, _ := pullEvents(t, b.Admin, "", nil, len(wantB))
		if !slices.Equal(gotB.ids(), wantB) {
			t.Fatalf("the other organization pulled %v, want %v", gotB.ids(), wantB)
		}
		if fromA, _ := pullEvents(t, b.Admin, cursor, nil, 0); slices.ContainsFunc(fromA.list, func(ce events.CloudEvent) bool { return ce.OrgID != string(b.ID) }) {
			t.Fatalf("with a's cursor, b pulled %v", fromA.ids())
		}

		// Only a Global administrator.
		pat.Do("GET", "/api/v1/events", nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		uma.Do("GET", "/api/v1/events", nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
	})
}
