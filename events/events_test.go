package events_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

type thingMade struct {
	Name   string `json:"name"`
	Secret string `json:"-"`
}

func (thingMade) EventType() events.Type { return "thing.made" }

func migrations() []store.Migration {
	return append(append([]store.Migration{}, jobs.Migrations...), events.Migrations...)
}

func newBus(t *testing.T, db *store.DB) (*events.Bus, *jobs.Queue) {
	bus, q, _ := newBusClock(t, db)
	return bus, q
}

func newBusClock(t *testing.T, db *store.DB) (*events.Bus, *jobs.Queue, *atrium.ManualClock) {
	clock := atrium.NewManualClock(time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC))
	db.SetClock(clock)
	q := jobs.New(db, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return events.New(db, q, clock), q, clock
}

func count(t *testing.T, db *store.DB, query string) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRowContext(context.Background(), query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPublish: an event is written with the change; synchronous subscribers run in the
// transaction with the published value (json:"-" fields included) and can report;
// asynchronous ones run after commit, from the stored event (without those fields).
func TestPublish(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		bus, q := newBus(t, db)
		var syncGot []thingMade
		var asyncGot []thingMade
		events.Subscribe(bus, "test.sync", func(ctx context.Context, tx *events.Tx, ev thingMade) error {
			syncGot = append(syncGot, ev)
			tx.Count("things", 1)
			tx.Notice("made " + ev.Name)
			return nil
		})
		events.SubscribeAfter(bus, "test.async", func(ctx context.Context, e *events.Event, ev thingMade) error {
			if e.Type != "thing.made" || e.Subject != "t1" || e.Org != "org1" {
				t.Errorf("envelope = %+v", e)
			}
			asyncGot = append(asyncGot, ev)
			return nil
		})
		var rep *events.Report
		err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			rep, err = bus.Publish(ctx, tx, "org1", "t1", thingMade{Name: "one", Secret: "s3cret"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(syncGot) != 1 || syncGot[0].Secret != "s3cret" {
			t.Errorf("sync subscriber got %+v", syncGot)
		}
		if rep.Counts["things"] != 1 || !slices.Equal(rep.Notices, []string{"made one"}) {
			t.Errorf("report = %+v", rep)
		}
		if len(asyncGot) != 0 {
			t.Fatal("the async subscriber ran before its job")
		}
		if n := count(t, db, `SELECT count(*) FROM events WHERE data LIKE '%s3cret%'`); n != 0 {
			t.Error("a json:\"-\" field was stored")
		}
		if n, err := q.RunDue(ctx); err != nil || n != 1 {
			t.Fatalf("RunDue = %d, %v", n, err)
		}
		if len(asyncGot) != 1 || asyncGot[0].Name != "one" || asyncGot[0].Secret != "" {
			t.Errorf("async subscriber got %+v", asyncGot)
		}
	})
}

// TestRollback: a rolled-back change publishes nothing and queues nothing, and a
// failing synchronous subscriber rolls the change back with its error as it is.
func TestRollback(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		bus, q := newBus(t, db)
		refuse := atrium.FieldError("name", "is taken")
		events.Subscribe(bus, "test.refuse", func(ctx context.Context, tx *events.Tx, ev thingMade) error {
			if ev.Name == "bad" {
				return refuse
			}
			return nil
		})
		events.SubscribeAfter(bus, "test.after", func(context.Context, *events.Event, thingMade) error { return nil })
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := bus.Publish(ctx, tx, "org1", "t1", thingMade{Name: "bad"})
			return err
		})
		if !errors.Is(err, refuse) {
			t.Fatalf("err = %v, want the subscriber's field error", err)
		}
		boom := errors.New("later failure")
		err = db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := bus.Publish(ctx, tx, "org1", "t2", thingMade{Name: "good"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		if n := count(t, db, `SELECT count(*) FROM events`); n != 0 {
			t.Errorf("%d events outlived their rolled-back changes", n)
		}
		if n, _ := q.Depth(ctx); n != 0 {
			t.Errorf("%d deliveries queued for rolled-back changes", n)
		}
		// A preview runs the subscribers and keeps nothing.
		rep, err := bus.Preview(ctx, func(tx *store.Tx, publish func(atrium.OrgID, string, events.Payload) error) error {
			return publish("org1", "t3", thingMade{Name: "fine"})
		})
		if err != nil || rep == nil {
			t.Fatalf("preview: %v", err)
		}
		if n := count(t, db, `SELECT count(*) FROM events`); n != 0 {
			t.Errorf("the preview kept %d events", n)
		}
	})
}

// TestSubscriberNamesAreUnique: a second subscriber with a taken name is a wiring
// mistake and panics.
func TestSubscriberNamesAreUnique(t *testing.T) {
	db := storetest.Open(t, store.SQLite, migrations())
	bus, _ := newBus(t, db)
	events.Subscribe(bus, "test.one", func(context.Context, *events.Tx, thingMade) error { return nil })
	defer func() {
		if recover() == nil {
			t.Error("no panic for a duplicate subscriber name")
		}
	}()
	events.SubscribeAfter(bus, "test.one", func(context.Context, *events.Event, thingMade) error { return nil })
}

// TestSweep: the hourly sweep deletes events older than the retention period, in
// batches, and keeps the newer ones.
func TestSweep(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		bus, q, clock := newBusClock(t, db)
		bus.SetRetention(7 * 24 * time.Hour)
		publish := func(n int) {
			err := db.Tx(ctx, func(tx *store.Tx) error {
				for range n {
					if _, err := bus.Publish(ctx, tx, "org1", "t1", thingMade{Name: "x"}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		publish(2500) // more than one batch
		clock.Advance(6 * 24 * time.Hour)
		publish(3)
		clock.Advance(2 * 24 * time.Hour)
		q.SchedulePeriodic(ctx)
		if _, err := q.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, `SELECT count(*) FROM events`); n != 3 {
			t.Errorf("after the sweep %d events are left, want the 3 younger than a week", n)
		}
	})
}
