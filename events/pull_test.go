package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/secrets"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

type gizmoMade struct {
	Name string `json:"name"`
}

func (gizmoMade) EventType() events.Type { return "gizmo.made" }

type gizmoBroken struct {
	Name string `json:"name"`
}

func (gizmoBroken) EventType() events.Type { return "gizmo.broken" }

type gadgetMade struct {
	Name string `json:"name"`
}

func (gadgetMade) EventType() events.Type { return "gadget.made" }

// pullEnv is a bus with three declared types (gizmo.made, gizmo.broken, gadget.made),
// the undeclared thing.made, and the sinks that pull from it.
type pullEnv struct {
	db    *store.DB
	bus   *events.Bus
	sinks *events.Sinks
	admin *access.Principal
}

// pullURL is the public URL pulled events are rendered with.
const pullURL = "https://admin.example.com"

func newPullEnv(t *testing.T, db *store.DB) *pullEnv {
	bus, q, clock := newBusClock(t, db)
	e := &pullEnv{db: db, bus: bus, admin: adminOf(atrium.OrgID(uuid.NewString()))}
	e.sinks = events.NewSinks(db, bus, q, clock, secrets.Ephemeral(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	e.sinks.Render = func(ev *events.Event) ([]byte, error) { return json.Marshal(events.ToCloudEvent(ev, pullURL)) }
	events.Declare[gizmoMade](bus, "A gizmo was made.")
	events.Declare[gizmoBroken](bus, "A gizmo broke.")
	events.Declare[gadgetMade](bus, "A gadget was made.")
	return e
}

func pullMigrations() []store.Migration {
	return append(migrations(), audit.Migrations...)
}

// publish publishes p about subject in org in a transaction of its own and returns the
// event's id.
func (e *pullEnv) publish(t *testing.T, org atrium.OrgID, p events.Payload) string {
	t.Helper()
	var id string
	err := e.db.Tx(context.Background(), func(tx *store.Tx) error {
		if _, err := e.bus.Publish(context.Background(), tx, org, "subject", p); err != nil {
			return err
		}
		return tx.QueryRowContext(context.Background(), `SELECT id FROM events WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1`,
			string(org)).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// pulled is what a pull returned: the events' names (their data's name), ids and the
// next cursor.
type pulled struct {
	names, ids []string
	next       string
}

func (e *pullEnv) pull(t *testing.T, p *access.Principal, after string, types []string, limit int) pulled {
	t.Helper()
	items, next, err := e.sinks.Pull(context.Background(), p, after, types, limit)
	if err != nil {
		t.Fatalf("pull after %q %v: %v", after, types, err)
	}
	out := pulled{next: next}
	for _, raw := range items {
		var ce events.CloudEvent
		if err := json.Unmarshal(raw, &ce); err != nil {
			t.Fatal(err)
		}
		var data struct{ Name string }
		if err := json.Unmarshal(ce.Data, &data); err != nil {
			t.Fatal(err)
		}
		if ce.OrgID != string(p.Org) || ce.Source != pullURL+"/orgs/"+string(p.Org) || ce.SpecVersion != "1.0" ||
			ce.DataSchema != pullURL+"/api/v1/event-types/"+strings.TrimPrefix(ce.Type, events.TypePrefix)+"/schema" {
			t.Fatalf("rendered %s", raw)
		}
		out.names = append(out.names, data.Name)
		out.ids = append(out.ids, ce.ID)
	}
	return out
}

// drain pulls pages of limit from after until one comes back empty with at least n
// events pulled, or ten seconds passed (on PostgreSQL any transaction open on the
// server, even in another database, holds the newest events back until it ends), and
// returns the events' names and the last cursor.
func (e *pullEnv) drain(t *testing.T, p *access.Principal, after string, types []string, limit, n int) ([]string, string) {
	t.Helper()
	var names []string
	deadline := time.Now().Add(10 * time.Second)
	for range 10000 {
		page := e.pull(t, p, after, types, limit)
		if len(page.names) > limit {
			t.Fatalf("a page of %d holds %d", limit, len(page.names))
		}
		if len(page.names) == 0 {
			if page.next != after {
				t.Fatalf("an empty page moved the cursor from %q to %q", after, page.next)
			}
			if len(names) >= n || time.Now().After(deadline) {
				return names, after
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if page.next == after {
			t.Fatalf("a page of %d events kept the cursor %q", len(page.names), after)
		}
		names, after = append(names, page.names...), page.next
	}
	t.Fatal("the pages never ended")
	return nil, ""
}

// TestPull: an organization's declared events come back in order, page by page, each
// rendered as a sink receives it; polling with the last cursor returns the new events
// only; a filter takes exact types and prefixes; another organization's events, and
// undeclared types, never come back; bad input names its field; a member without the
// role is refused.
func TestPull(t *testing.T) {
	storetest.Each(t, pullMigrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newPullEnv(t, db)
		org := e.admin.Org
		other := adminOf(atrium.OrgID(uuid.NewString()))
		var want []string
		for i := range 4 {
			n := fmt.Sprintf("m%d", i)
			e.publish(t, org, gizmoMade{Name: n})
			e.publish(t, other.Org, gizmoMade{Name: "other " + n})
			e.publish(t, org, thingMade{Name: "internal"})
			e.publish(t, org, gadgetMade{Name: "g" + n})
			want = append(want, n, "g"+n)
		}
		e.publish(t, org, gizmoBroken{Name: "b0"})
		want = append(want, "b0")

		got, cursor := e.drain(t, e.admin, "", nil, 3, len(want))
		if !slices.Equal(got, want) {
			t.Fatalf("pulled %v, want %v", got, want)
		}
		if again := e.pull(t, e.admin, cursor, nil, 50); len(again.names) != 0 || again.next != cursor {
			t.Fatalf("polling at the end: %+v", again)
		}
		e.publish(t, org, gizmoMade{Name: "new0"})
		e.publish(t, other.Org, gizmoMade{Name: "other new"})
		e.publish(t, org, gadgetMade{Name: "new1"})
		if got, _ := e.drain(t, e.admin, cursor, nil, 50, 2); !slices.Equal(got, []string{"new0", "new1"}) {
			t.Fatalf("after the last cursor: %v", got)
		}
		if got, _ := e.drain(t, other, "", nil, 2, 5); !slices.Equal(got, []string{"other m0", "other m1", "other m2", "other m3", "other new"}) {
			t.Fatalf("the other organization pulled %v", got)
		}

		// Filters: exact types, prefixes, both, repeated; a cursor serves any filter.
		for filter, want := range map[string][]string{
			"gizmo.broken":             {"b0"},
			"gizmo.*":                  {"m0", "m1", "m2", "m3", "b0", "new0"},
			"gadget.made,gizmo.broken": {"gm0", "gm1", "gm2", "gm3", "b0", "new1"},
			"*":                        append(slices.Clone(want), "new0", "new1"),
		} {
			if got, _ := e.drain(t, e.admin, "", strings.Split(filter, ","), 2, len(want)); !slices.Equal(got, want) {
				t.Errorf("type=%s: %v, want %v", filter, got, want)
			}
		}
		if got, _ := e.drain(t, e.admin, cursor, []string{"gadget.*"}, 2, 1); !slices.Equal(got, []string{"new1"}) {
			t.Errorf("gadget.* after the cursor: %v", got)
		}

		// Bad input.
		for name, c := range map[string]struct {
			after string
			types []string
			field string
		}{
			"unknown type":        {"", []string{"gizmo.made", "gizmo.lost"}, "type"},
			"undeclared type":     {"", []string{"thing.made"}, "type"},
			"prefix without .*":   {"", []string{"gizmo*"}, "type"},
			"prefix of nothing":   {"", []string{"widget.*"}, "type"},
			"empty type":          {"", []string{""}, "type"},
			"garbage cursor":      {"garbage", nil, "after"},
			"cursor of a list":    {store.EncodeCursor(int64(1), "id"), nil, "after"},
			"negative cursor":     {store.EncodeCursor(int64(-1), int64(-1)), nil, "after"},
			"cursor of one value": {store.EncodeCursor(int64(1)), nil, "after"},
		} {
			_, _, err := e.sinks.Pull(ctx, e.admin, c.after, c.types, 10)
			if atrium.ErrorCode(err) != atrium.CodeInvalid || atrium.FieldMessage(err, c.field) == "" {
				t.Errorf("%s: %v, want a problem with %s", name, err, c.field)
			}
		}
		member := &access.Principal{UserID: "u", Org: org, Name: "member"}
		if _, _, err := e.sinks.Pull(ctx, member, "", nil, 10); atrium.ErrorCode(err) != atrium.CodeForbidden {
			t.Fatalf("a member pulled: %v", err)
		}
	})
}

// TestPullAfterForget: deleting the newest event (a purged user's history) never lets
// a later event take its place behind a cursor already given out.
func TestPullAfterForget(t *testing.T) {
	storetest.Each(t, pullMigrations(), func(t *testing.T, db *store.DB) {
		e := newPullEnv(t, db)
		e.publish(t, e.admin.Org, gizmoMade{Name: "a"})
		gone := e.publish(t, e.admin.Org, gizmoMade{Name: "b"})
		_, cursor := e.drain(t, e.admin, "", nil, 10, 2)
		if _, err := db.Write().ExecContext(context.Background(), `DELETE FROM events WHERE id = $1`, gone); err != nil {
			t.Fatal(err)
		}
		e.publish(t, e.admin.Org, gizmoMade{Name: "c"})
		if got, _ := e.drain(t, e.admin, cursor, nil, 10, 1); !slices.Equal(got, []string{"c"}) {
			t.Fatalf("after the deleted newest event: %v", got)
		}
	})
}

// TestPullMigratedEvents: the events kept before the pull API (migration 004) come back
// in the order they were created, before every later one.
func TestPullMigratedEvents(t *testing.T) {
	var before []store.Migration
	for _, m := range pullMigrations() {
		if m.Module != "events" || m.Version < 4 {
			before = append(before, m)
		}
	}
	storetest.Each(t, before, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := atrium.OrgID(uuid.NewString())
		// Inserted out of order: created_at, then id, decides.
		for _, r := range []struct {
			id   string
			at   int64
			name string
		}{{"e3", 30, "third"}, {"e1", 10, "first"}, {"e2b", 20, "second b"}, {"e2a", 20, "second a"}} {
			if _, err := db.Write().ExecContext(ctx, `INSERT INTO events (id, type, org_id, subject, data, created_at) VALUES ($1, 'gizmo.made', $2, 's', $3, $4)`,
				r.id, string(org), `{"name":"`+r.name+`"}`, r.at); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Migrate(ctx, pullMigrations()); err != nil {
			t.Fatal(err)
		}
		e := newPullEnv(t, db)
		admin := adminOf(org)
		e.publish(t, org, gizmoMade{Name: "new"})
		if got, _ := e.drain(t, admin, "", nil, 2, 5); !slices.Equal(got, []string{"first", "second a", "second b", "third", "new"}) {
			t.Fatalf("pulled %v", got)
		}
	})
}

// TestPullCommitOrder (PostgreSQL): an event whose transaction is still open when a
// later one commits is not skipped: the pull holds the later one back until the first
// commits, then returns both, the first first.
func TestPullCommitOrder(t *testing.T) {
	db := storetest.Open(t, store.Postgres, pullMigrations())
	ctx := context.Background()
	e := newPullEnv(t, db)
	org := e.admin.Org
	e.publish(t, org, gizmoMade{Name: "before"})
	got, cursor := e.drain(t, e.admin, "", nil, 10, 1)
	if !slices.Equal(got, []string{"before"}) {
		t.Fatalf("pulled %v", got)
	}

	published, hold := make(chan struct{}), make(chan struct{})
	finished := make(chan struct{})
	release := sync.OnceFunc(func() { close(hold) })
	// A failure below must not leave the transaction open: dropping the test's schema
	// would wait for it.
	t.Cleanup(func() { release(); <-finished })
	var txErr error
	go func() {
		defer close(finished)
		txErr = db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := e.bus.Publish(ctx, tx, org, "slow", gizmoMade{Name: "slow"}); err != nil {
				return err
			}
			close(published)
			<-hold
			return nil
		})
	}()
	select {
	case <-published:
	case <-finished:
		t.Fatalf("publishing in the open transaction: %v", txErr)
	}
	e.publish(t, org, gizmoMade{Name: "fast"}) // commits first, with a higher seq
	for range 3 {
		if page := e.pull(t, e.admin, cursor, nil, 10); len(page.names) != 0 {
			t.Fatalf("while the first transaction is open: %v", page.names)
		}
	}
	release()
	<-finished
	if txErr != nil {
		t.Fatal(txErr)
	}
	if got, _ := e.drain(t, e.admin, cursor, nil, 10, 2); !slices.Equal(got, []string{"slow", "fast"}) {
		t.Fatalf("after the commit: %v", got)
	}
}

// TestPullConcurrentWriters: while writers publish concurrently, some holding their
// transaction open a while, a reader paging from its cursor gets every event exactly
// once, each writer's in the order it published them.
func TestPullConcurrentWriters(t *testing.T) {
	storetest.Each(t, pullMigrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newPullEnv(t, db)
		const writers, each = 6, 15
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					err := db.Tx(ctx, func(tx *store.Tx) error {
						if _, err := e.bus.Publish(ctx, tx, e.admin.Org, "s", gizmoMade{Name: fmt.Sprintf("w%d-%02d", w, i)}); err != nil {
							return err
						}
						if (w+i)%4 == 0 {
							time.Sleep(3 * time.Millisecond) // commits after later numbers
						}
						return nil
					})
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		var got []string
		after := ""
		stop := make(chan struct{})
		go func() { wg.Wait(); close(stop) }()
		reading := true
		for reading {
			select {
			case <-stop:
				reading = false
			default:
			}
			var names []string
			names, after = e.drain(t, e.admin, after, nil, 5, 0)
			got = append(got, names...)
		}
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		rest, _ := e.drain(t, e.admin, after, nil, 7, writers*each-len(got))
		got = append(got, rest...)
		if len(got) != writers*each {
			t.Fatalf("pulled %d events, want %d", len(got), writers*each)
		}
		seen := map[string]bool{}
		last := map[string]string{}
		for _, n := range got {
			if seen[n] {
				t.Fatalf("%s pulled twice", n)
			}
			seen[n] = true
			w, _, _ := strings.Cut(n, "-")
			if n < last[w] {
				t.Fatalf("%s after %s", n, last[w])
			}
			last[w] = n
		}
	})
}
