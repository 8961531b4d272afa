package events_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/secrets"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// liveSinks returns the bus and sinks of a node on db that runs on the wall clock,
// allows loopback sinks and publishes widget.created.
func liveSinks(db *store.DB, keys *secrets.Keyring) (*events.Bus, *events.Sinks) {
	clock := atrium.SystemClock{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q := jobs.New(db, clock, log)
	bus := events.New(db, q, clock)
	sinks := events.NewSinks(db, bus, q, clock, keys, log)
	sinks.AllowPrivate = true
	events.Declare[userMade](bus, "A widget was made.")
	return bus, sinks
}

// node is one atrium serve process: its own connections, queue, bus and sinks on the
// shared database.
type node struct {
	db    *store.DB
	bus   *events.Bus
	sinks *events.Sinks
}

func startNode(t *testing.T, dsn string, keys *secrets.Keyring, r *receiver) *node {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bus, sinks := liveSinks(db, keys)
	sinks.Client = r.srv.Client()
	ctx, cancel := context.WithCancel(context.Background())
	sinks.Start(ctx)
	t.Cleanup(func() {
		cancel()
		sinks.Wait()
	})
	return &node{db: db, bus: bus, sinks: sinks}
}

// TestTwoNodesDeliverOnce: two nodes on one PostgreSQL database, both publishing and
// both pushing as soon as their events commit: the webhook gets every event exactly
// once, each writer's events in the order they were written.
func TestTwoNodesDeliverOnce(t *testing.T) {
	dsn := storetest.DSN(t, store.Postgres)
	first, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Migrate(context.Background(), sinkMigrations()); err != nil {
		t.Fatal(err)
	}
	first.Close()
	keys := secrets.Ephemeral()
	r := newReceiver(t)
	a, b := startNode(t, dsn, keys, r), startNode(t, dsn, keys, r)
	admin := adminOf(atrium.OrgID(uuid.NewString()))
	sub, err := a.sinks.CreateSubscription(context.Background(), admin, events.SubscriptionInput{Name: "HR", EventTypes: []string{"widget.created"},
		Sink: events.Sink{Type: "webhook", URL: r.srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	r.trust(t, sub.Secret)
	const writers, each = 4, 60
	var wg sync.WaitGroup
	for w := range writers {
		n := []*node{a, b}[w%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := n.db.Tx(context.Background(), func(tx *store.Tx) error {
					_, err := n.bus.Publish(context.Background(), tx, admin.Org, "s", userMade{Name: fmt.Sprintf("%d-%03d", w, i)})
					return err
				}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for len(r.names()) < writers*each && time.Now().Before(deadline) {
		runtimeYield()
	}
	names := r.names()
	if len(names) != writers*each || r.bad.Load() != 0 {
		t.Fatalf("%d deliveries of %d events, %d badly signed", len(names), writers*each, r.bad.Load())
	}
	seen := map[string]bool{}
	last := map[string]string{}
	for _, name := range names {
		if seen[name] {
			t.Fatalf("%s delivered twice", name)
		}
		seen[name] = true
		w, _, _ := strings.Cut(name, "-")
		if name < last[w] {
			t.Fatalf("%s after %s", name, last[w])
		}
		last[w] = name
	}
}
