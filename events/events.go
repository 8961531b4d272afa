// Package events carries domain events between modules. A module publishes a typed
// event in the transaction that makes the change: the event is written to the outbox
// table in that transaction, synchronous subscribers run in it (a rule that must be
// atomic with the change, such as deleting app data when a license goes), and
// asynchronous subscribers get a durable job that runs after commit. A rolled-back change
// publishes nothing and runs no asynchronous subscriber.
//
// Subscribing is the one way a module reacts to another: no hooks, callbacks or
// registries of its own.
package events

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the events module's schema changes.
var Migrations = store.LoadMigrations("events", migrationFS, "migrations")

// Type names a kind of event, such as "user.deleted". Types are stable once published.
type Type string

// Payload is an event's typed data. Each event type is one Go type, declared by the
// module that publishes it; EventType must work on the zero value.
type Payload interface {
	EventType() Type
}

// Event is a published event: its envelope and its JSON data.
type Event struct {
	ID      string
	Type    Type
	Org     atrium.OrgID
	Subject string
	Time    time.Time
	Data    json.RawMessage
}

// Tx is what a synchronous subscriber gets: the publishing transaction and the event,
// and a report to say what it did.
type Tx struct {
	*store.Tx
	Event  *Event
	report *Report
}

// Notice records a message for the person who made the change, such as "the Social
// Engagement license could not be restored: no seats are available".
func (t *Tx) Notice(msg string) { t.report.Notices = append(t.report.Notices, msg) }

// Count records that n items of kind were affected (deleted, kept…), for previews and
// confirmations.
func (t *Tx) Count(kind string, n int) {
	if t.report.Counts == nil {
		t.report.Counts = map[string]int{}
	}
	t.report.Counts[kind] += n
}

// Report is what the synchronous subscribers of one publication said.
type Report struct {
	Notices []string
	// Counts are what the subscribers counted, per kind (summed over subscribers).
	Counts map[string]int
}

// JobDeliver runs one asynchronous subscriber for one event.
const JobDeliver jobs.Kind = "events.deliver"

// JobSweep deletes events older than the retention period, hourly.
const JobSweep jobs.Kind = "events.sweep"

// DefaultRetention is how long the outbox keeps an event: long enough for every
// delivery's retries (JobDeliver gives up within a day) and for an integration to
// catch up after an outage.
const DefaultRetention = 30 * 24 * time.Hour

type syncSub struct {
	name   string
	handle func(ctx context.Context, tx *Tx, p Payload) error
}

type asyncSub struct {
	name   string
	handle func(ctx context.Context, e *Event, data json.RawMessage) error
}

// Bus publishes events and calls their subscribers.
type Bus struct {
	db    *store.DB
	queue *jobs.Queue
	clock atrium.Clock

	mu     sync.RWMutex
	syncs  map[Type][]syncSub
	asyncs map[Type][]asyncSub
	names  map[string]bool
	types  map[Type]reflect.Type
	// external are the types subscriptions may take (Declare), with their descriptions.
	external map[Type]string

	retention time.Duration
	// sinks, when the module's subscriptions are wired, get a pending row for every
	// event a subscription takes (fanOut).
	sinks *Sinks
}

// New returns a bus on db whose asynchronous subscribers run as jobs of queue.
func New(db *store.DB, queue *jobs.Queue, clock atrium.Clock) *Bus {
	b := &Bus{db: db, queue: queue, clock: clock, syncs: map[Type][]syncSub{}, asyncs: map[Type][]asyncSub{},
		names: map[string]bool{}, types: map[Type]reflect.Type{}, external: map[Type]string{}, retention: DefaultRetention}
	queue.Register(JobDeliver, b.deliver, jobs.Options{MaxAttempts: 12, Timeout: 5 * time.Minute})
	queue.Register(JobSweep, b.sweep, jobs.Options{Timeout: 30 * time.Minute})
	queue.Every(JobSweep, time.Hour)
	return b
}

// SetRetention sets how long events are kept (DefaultRetention unless set); d <= 0
// keeps the default.
func (b *Bus) SetRetention(d time.Duration) {
	if d > 0 {
		b.retention = d
	}
}

// sweep deletes the events older than the retention period, a batch per statement so
// that no transaction holds the outbox for long.
func (b *Bus) sweep(ctx context.Context, _ *jobs.Job) error {
	cutoff := store.Micros(b.clock.Now().Add(-b.retention))
	// The delivery log and the pending rows of swept events go with them.
	for _, q := range []string{
		`DELETE FROM event_deliveries WHERE attempted_at < $1`,
		`DELETE FROM event_pending WHERE created_at < $1`,
	} {
		if _, err := b.db.Write().ExecContext(ctx, q, cutoff); err != nil {
			return fmt.Errorf("events: sweep: %w", err)
		}
	}
	for {
		res, err := b.db.Write().ExecContext(ctx, `DELETE FROM events WHERE id IN
			(SELECT id FROM events WHERE created_at < $1 ORDER BY created_at, id LIMIT 1000)`, cutoff)
		if err != nil {
			return fmt.Errorf("events: sweep: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil || n < 1000 {
			return err
		}
	}
}

func typeOf[T Payload]() Type {
	var zero T
	return zero.EventType()
}

func (b *Bus) claim(name string, typ Type, rt reflect.Type) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.names[name] {
		panic(fmt.Sprintf("events: two subscribers named %q", name))
	}
	if prev, ok := b.types[typ]; ok && prev != rt {
		panic(fmt.Sprintf("events: %s is published as %v and %v", typ, prev, rt))
	}
	b.names[name] = true
	b.types[typ] = rt
}

// Declare makes T's type one that event subscriptions may name and receive: the types
// a module publishes for the world outside (user.created), not those only other modules
// need (user.purged). A module declares its own when it is wired.
// description says in a sentence what happened, for the event type catalogue.
func Declare[T Payload](b *Bus, description string) {
	typ := typeOf[T]()
	rt := reflect.TypeFor[T]()
	b.mu.Lock()
	defer b.mu.Unlock()
	if prev, ok := b.types[typ]; ok && prev != rt {
		panic(fmt.Sprintf("events: %s is published as %v and %v", typ, prev, rt))
	}
	b.types[typ] = rt
	b.external[typ] = description
}

// External reports whether t was declared for the world outside (Declare).
func (b *Bus) External(t Type) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	_, ok := b.external[t]
	return ok
}

// Subscribe calls h in the publishing transaction of every event of T's type, with the
// published value itself (fields tagged json:"-" reach synchronous subscribers only and
// are never stored). An error from h rolls the change back. name identifies the subscriber ("social.license_removed")
// and must be unique.
func Subscribe[T Payload](b *Bus, name string, h func(ctx context.Context, tx *Tx, ev T) error) {
	typ := typeOf[T]()
	b.claim(name, typ, reflect.TypeFor[T]())
	b.mu.Lock()
	b.syncs[typ] = append(b.syncs[typ], syncSub{name: name, handle: func(ctx context.Context, tx *Tx, p Payload) error {
		ev, ok := p.(T)
		if !ok {
			return fmt.Errorf("events: %s published as %T, subscribed as %T by %s", typ, p, ev, name)
		}
		return h(ctx, tx, ev)
	}})
	b.mu.Unlock()
}

// SubscribeAfter calls h after the publishing transaction commits, through a durable job
// that is retried with backoff until h succeeds; h must be idempotent. name must be
// unique and stable: queued deliveries find their subscriber by it.
func SubscribeAfter[T Payload](b *Bus, name string, h func(ctx context.Context, e *Event, ev T) error) {
	typ := typeOf[T]()
	b.claim(name, typ, reflect.TypeFor[T]())
	b.mu.Lock()
	b.asyncs[typ] = append(b.asyncs[typ], asyncSub{name: name, handle: func(ctx context.Context, e *Event, data json.RawMessage) error {
		var ev T
		if err := json.Unmarshal(data, &ev); err != nil {
			return fmt.Errorf("events: decode %s for %s: %w", typ, name, err)
		}
		return h(ctx, e, ev)
	}})
	b.mu.Unlock()
}

// Subscribers lists the subscriber names per event type, for documentation and tests.
func (b *Bus) Subscribers() map[Type][]string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := map[Type][]string{}
	for t, l := range b.syncs {
		for _, s := range l {
			out[t] = append(out[t], s.name)
		}
	}
	for t, l := range b.asyncs {
		for _, s := range l {
			out[t] = append(out[t], s.name)
		}
	}
	for t := range out {
		sort.Strings(out[t])
	}
	return out
}

// Publish writes p as an event about subject in org to the outbox in tx, runs the
// synchronous subscribers in tx and queues the asynchronous ones. An error from a
// subscriber is returned as it is, so a field error still names its field.
func (b *Bus) Publish(ctx context.Context, tx *store.Tx, org atrium.OrgID, subject string, p Payload) (*Report, error) {
	data, err := json.Marshal(p)
	if err != nil {
		return nil, atrium.Internal(fmt.Errorf("events: encode %s: %w", p.EventType(), err))
	}
	e := &Event{ID: uuid.Must(uuid.NewV7()).String(), Type: p.EventType(), Org: org, Subject: subject, Time: tx.Now(), Data: data}
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (id, type, org_id, subject, data, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		e.ID, string(e.Type), string(e.Org), e.Subject, string(e.Data), store.Micros(e.Time)); err != nil {
		return nil, fmt.Errorf("events: write %s: %w", e.Type, err)
	}
	if b.sinks != nil {
		if err := b.sinks.fanOut(ctx, tx, e); err != nil {
			return nil, fmt.Errorf("events: fan out %s: %w", e.Type, err)
		}
	}
	b.mu.RLock()
	syncs, asyncs := b.syncs[e.Type], b.asyncs[e.Type]
	b.mu.RUnlock()
	rep := &Report{}
	for _, s := range syncs {
		if err := s.handle(ctx, &Tx{Tx: tx, Event: e, report: rep}, p); err != nil {
			return nil, err
		}
	}
	for _, s := range asyncs {
		if err := b.queue.Enqueue(ctx, tx, JobDeliver, delivery{Event: e.ID, Subscriber: s.name}, time.Time{}); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// Preview runs fn in a transaction that is always rolled back and returns the report of
// the events fn published: what the subscribers would do, counted by the same code that
// does it.
func (b *Bus) Preview(ctx context.Context, fn func(tx *store.Tx, publish func(org atrium.OrgID, subject string, p Payload) error) error) (*Report, error) {
	total := &Report{}
	errRollback := errors.New("events: preview rolls back")
	err := b.db.Tx(ctx, func(tx *store.Tx) error {
		err := fn(tx, func(org atrium.OrgID, subject string, p Payload) error {
			rep, err := b.Publish(ctx, tx, org, subject, p)
			if err != nil {
				return err
			}
			total.Notices = append(total.Notices, rep.Notices...)
			for k, n := range rep.Counts {
				if total.Counts == nil {
					total.Counts = map[string]int{}
				}
				total.Counts[k] += n
			}
			return nil
		})
		if err != nil {
			return err
		}
		return errRollback
	})
	if err != nil && !errors.Is(err, errRollback) {
		return nil, err
	}
	return total, nil
}

type delivery struct {
	Event      string `json:"event_id"`
	Subscriber string `json:"subscriber"`
}

func (b *Bus) deliver(ctx context.Context, j *jobs.Job) error {
	var d delivery
	if err := j.Decode(&d); err != nil {
		return err
	}
	e, err := b.load(ctx, d.Event)
	if atrium.ErrorCode(err) == atrium.CodeNotFound {
		return nil // purged with its subject; nothing left to deliver
	}
	if err != nil {
		return err
	}
	b.mu.RLock()
	var sub *asyncSub
	for _, s := range b.asyncs[e.Type] {
		if s.name == d.Subscriber {
			sub = &s
			break
		}
	}
	b.mu.RUnlock()
	if sub == nil {
		return fmt.Errorf("events: no subscriber %q for %s", d.Subscriber, e.Type)
	}
	return sub.handle(ctx, e, e.Data)
}

func (b *Bus) load(ctx context.Context, id string) (*Event, error) {
	var e Event
	var data string
	var at int64
	err := b.db.Read().QueryRowContext(ctx, `SELECT id, type, org_id, subject, data, created_at FROM events WHERE id = $1`, id).
		Scan(&e.ID, &e.Type, &e.Org, &e.Subject, &data, &at)
	if err != nil {
		return nil, store.Translate(err)
	}
	e.Data, e.Time = json.RawMessage(data), store.Time(at)
	return &e, nil
}

// ForgetOrg deletes the outbox events of a purged organization except the one being
// published in tx (the org.purged event itself, which carries ids only).
func ForgetOrg(ctx context.Context, tx *Tx, org atrium.OrgID) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM events WHERE org_id = $1 AND id <> $2`, string(org), tx.Event.ID)
	return err
}

// Forget deletes the outbox events about subject (or that mention it) except the one
// being published in tx: a purged user's history leaves with them.
func Forget(ctx context.Context, tx *Tx, subject string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM events WHERE (subject = $1 OR data LIKE $2 ESCAPE '\') AND id <> $3`,
		subject, "%"+store.EscapeLike(subject)+"%", tx.Event.ID)
	return err
}
