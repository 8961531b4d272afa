package events_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/secrets"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

type userMade struct {
	Name string `json:"name"`
}

func (userMade) EventType() events.Type { return "widget.created" }

type userGone struct {
	Name string `json:"name"`
}

func (userGone) EventType() events.Type { return "widget.deleted" }

// receiver is a webhook endpoint on a TLS test server: it verifies every delivery with
// the reference Standard Webhooks library under each secret it is told about, and
// answers with status (200 unless set).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	hooks  []*standardwebhooks.Webhook
	got    []delivered
	status atomic.Int32
	bad    atomic.Int32 // deliveries no secret verified
}

type delivered struct {
	ID, Type string
	Data     map[string]any
	Sigs     int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.status.Store(200)
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if code := int(r.status.Load()); code != 200 {
			w.WriteHeader(code)
			io.WriteString(w, "down for maintenance")
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		ok := false
		for _, wh := range r.hooks {
			// The manual clock is years from now: the signature is checked, the
			// timestamp's tolerance is not.
			if wh.VerifyIgnoringTimestamp(body, req.Header) == nil {
				ok = true
			}
		}
		if !ok {
			r.bad.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var e struct {
			ID          string         `json:"id"`
			Type        string         `json:"type"`
			SpecVersion string         `json:"specversion"`
			Data        map[string]any `json:"data"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.ID != req.Header.Get("webhook-id") || e.SpecVersion != "1.0" ||
			!strings.HasPrefix(e.Type, "io.atrium.") {
			r.bad.Add(1)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.got = append(r.got, delivered{ID: e.ID, Type: e.Type, Data: e.Data, Sigs: len(strings.Fields(req.Header.Get("webhook-signature")))})
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) trust(t *testing.T, secret string) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.hooks = append(r.hooks, wh)
	r.mu.Unlock()
}

func (r *receiver) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, d := range r.got {
		out = append(out, d.Data["name"].(string))
	}
	return out
}

type sinkEnv struct {
	db    *store.DB
	bus   *events.Bus
	queue *jobs.Queue
	clock *atrium.ManualClock
	sinks *events.Sinks
	admin *access.Principal
}

func newSinkEnv(t *testing.T, db *store.DB, allowPrivate bool) *sinkEnv {
	bus, q, clock := newBusClock(t, db)
	e := &sinkEnv{db: db, bus: bus, queue: q, clock: clock}
	e.sinks = events.NewSinks(db, bus, q, clock, secrets.Ephemeral(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	e.sinks.AllowPrivate = allowPrivate
	// The types subscriptions may name.
	events.Declare[userMade](bus, "A widget was made.")
	events.Declare[userGone](bus, "A widget went.")
	e.admin = adminOf(atrium.OrgID(uuid.NewString()))
	return e
}

func adminOf(org atrium.OrgID) *access.Principal {
	return &access.Principal{UserID: atrium.UserID(uuid.NewString()), Org: org, Name: "admin",
		Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(org)}}}
}

func (e *sinkEnv) publish(t *testing.T, org atrium.OrgID, p events.Payload) {
	t.Helper()
	if err := e.db.Tx(context.Background(), func(tx *store.Tx) error {
		_, err := e.bus.Publish(context.Background(), tx, org, "subject", p)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// run runs the due jobs until none is left.
func (e *sinkEnv) run(t *testing.T) {
	t.Helper()
	for range 50 {
		n, err := e.queue.RunDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("jobs kept coming")
}

func sinkMigrations() []store.Migration {
	return append(migrations(), audit.Migrations...)
}

// TestWebhookDeliveries: a subscription's events reach its webhook once each, in
// order, signed so that the reference Standard Webhooks library verifies them; other
// types and other organizations' events never do; a sink that fails gets the same
// events, still in order, once it is back; a rotated secret signs beside the new one.
func TestWebhookDeliveries(t *testing.T) {
	storetest.Each(t, sinkMigrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newSinkEnv(t, db, true)
		r := newReceiver(t)
		e.sinks.Client = r.srv.Client()
		sub, err := e.sinks.CreateSubscription(ctx, e.admin, events.SubscriptionInput{Name: "HR tool", EventTypes: []string{"widget.created"},
			Sink: events.Sink{Type: "webhook", URL: r.srv.URL + "/hooks"}})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sub.Secret, "whsec_") || sub.State != "active" {
			t.Fatalf("created %+v", sub)
		}
		var raw string
		if err := db.Read().QueryRowContext(ctx, `SELECT secret_sealed FROM event_subscriptions WHERE id = $1`, sub.ID).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw, strings.TrimPrefix(sub.Secret, "whsec_")) {
			t.Fatal("the secret is stored in the clear")
		}
		if again, err := e.sinks.Subscription(ctx, e.admin, sub.ID); err != nil || again.Secret != "" {
			t.Fatalf("read back: %+v, %v", again, err)
		}
		r.trust(t, sub.Secret)

		other := atrium.OrgID(uuid.NewString())
		for i := range 5 {
			e.publish(t, e.admin.Org, userMade{Name: "a" + string(rune('0'+i))})
			e.publish(t, e.admin.Org, userGone{Name: "gone"}) // another type
			e.publish(t, other, userMade{Name: "other org"})  // another organization
		}
		e.run(t)
		if got := strings.Join(r.names(), " "); got != "a0 a1 a2 a3 a4" {
			t.Fatalf("delivered %q", got)
		}

		// The sink goes down: nothing is lost, order is kept, the log has the failures.
		r.status.Store(503)
		for i := range 3 {
			e.publish(t, e.admin.Org, userMade{Name: "b" + string(rune('0'+i))})
		}
		e.run(t)
		if got := len(r.names()); got != 5 {
			t.Fatalf("delivered while down: %d", got)
		}
		got, err := e.sinks.Subscription(ctx, e.admin, sub.ID)
		if err != nil || got.FailingSince == nil || got.State != "active" {
			t.Fatalf("failing subscription: %+v, %v", got, err)
		}
		log, _, err := e.sinks.Deliveries(ctx, e.admin, sub.ID, 50, "")
		if err != nil || len(log) != 6 || log[0].OK || log[0].StatusCode != 503 || log[0].Response != "down for maintenance" || !log[1].OK {
			t.Fatalf("delivery log: %+v, %v", log, err)
		}
		r.status.Store(200)
		e.clock.Advance(time.Minute) // past the first backoff
		e.queue.SchedulePeriodic(ctx)
		e.run(t)
		if got := strings.Join(r.names(), " "); got != "a0 a1 a2 a3 a4 b0 b1 b2" {
			t.Fatalf("after the outage: %q", got)
		}
		if got, _ := e.sinks.Subscription(ctx, e.admin, sub.ID); got.FailingSince != nil {
			t.Fatalf("still failing after success: %+v", got)
		}

		// Rotation: both secrets sign for a day; the new one alone after.
		rotated, err := e.sinks.RotateSecret(ctx, e.admin, sub.ID)
		if err != nil || rotated.Secret == sub.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") {
			t.Fatalf("rotate: %+v, %v", rotated, err)
		}
		e.publish(t, e.admin.Org, userMade{Name: "c0"})
		e.run(t)
		r.mu.Lock()
		last := r.got[len(r.got)-1]
		r.mu.Unlock()
		if last.Sigs != 2 {
			t.Fatalf("during the overlap: %d signatures", last.Sigs)
		}
		e.clock.Advance(events.SecretOverlap + time.Minute)
		r.mu.Lock()
		r.hooks = nil // only the new secret verifies now
		r.mu.Unlock()
		r.trust(t, rotated.Secret)
		e.publish(t, e.admin.Org, userMade{Name: "c1"})
		e.run(t)
		r.mu.Lock()
		last = r.got[len(r.got)-1]
		r.mu.Unlock()
		if last.Sigs != 1 || last.Data["name"] != "c1" {
			t.Fatalf("after the overlap: %+v", last)
		}
		if n := r.bad.Load(); n != 0 {
			t.Fatalf("%d deliveries failed verification", n)
		}

		// Another organization's admin cannot see or change it.
		outsider := adminOf(other)
		if _, err := e.sinks.Subscription(ctx, outsider, sub.ID); atrium.ErrorCode(err) != atrium.CodeNotFound {
			t.Fatalf("other organization read it: %v", err)
		}
		if err := e.sinks.DeleteSubscription(ctx, outsider, sub.ID); atrium.ErrorCode(err) != atrium.CodeNotFound {
			t.Fatalf("other organization deleted it: %v", err)
		}
	})
}

// TestWebhookPauseRedeliverAndDisable: a paused subscription keeps its events and
// delivers them on resume; an event can be delivered again; a sink failing for three
// days is disabled, and an event failing for a day is given up.
func TestWebhookPauseRedeliverAndDisable(t *testing.T) {
	storetest.Each(t, sinkMigrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newSinkEnv(t, db, true)
		r := newReceiver(t)
		e.sinks.Client = r.srv.Client()
		sub, err := e.sinks.CreateSubscription(ctx, e.admin, events.SubscriptionInput{Name: "Lake", EventTypes: []string{"widget.*"},
			Sink: events.Sink{Type: "webhook", URL: r.srv.URL}})
		if err != nil {
			t.Fatal(err)
		}
		r.trust(t, sub.Secret)
		paused := "paused"
		if _, err := e.sinks.UpdateSubscription(ctx, e.admin, sub.ID, events.SubscriptionPatch{State: &paused}, 0); err != nil {
			t.Fatal(err)
		}
		e.publish(t, e.admin.Org, userMade{Name: "p0"})
		e.publish(t, e.admin.Org, userGone{Name: "p1"})
		e.run(t)
		if n := len(r.names()); n != 0 {
			t.Fatalf("a paused subscription delivered %d", n)
		}
		active := "active"
		if _, err := e.sinks.UpdateSubscription(ctx, e.admin, sub.ID, events.SubscriptionPatch{State: &active}, 0); err != nil {
			t.Fatal(err)
		}
		e.run(t)
		if got := strings.Join(r.names(), " "); got != "p0 p1" {
			t.Fatalf("after resuming: %q", got)
		}
		r.mu.Lock()
		first := r.got[0].ID
		r.mu.Unlock()
		if n, err := e.sinks.Redeliver(ctx, e.admin, sub.ID, first, time.Time{}); err != nil || n != 1 {
			t.Fatalf("redeliver: %d, %v", n, err)
		}
		e.run(t)
		r.mu.Lock()
		if len(r.got) != 3 || r.got[2].ID != first {
			t.Fatalf("redelivered: %+v", r.got)
		}
		r.mu.Unlock()
		if _, err := e.sinks.Redeliver(ctx, e.admin, sub.ID, "no-such-event", time.Time{}); atrium.ErrorCode(err) != atrium.CodeInvalid {
			t.Fatalf("redeliver an unknown event: %v", err)
		}
		att, err := e.sinks.TestTarget(ctx, e.admin, sub.ID)
		if err != nil || !att.OK || att.EventType != events.TestEventType {
			t.Fatalf("test event: %+v, %v", att, err)
		}

		// Down for good: the event is given up after a day, the subscription disabled
		// after three.
		r.status.Store(500)
		e.publish(t, e.admin.Org, userMade{Name: "lost"})
		e.run(t)
		for h := range 4 * 24 {
			if h%12 == 11 {
				e.publish(t, e.admin.Org, userMade{Name: "still"})
			}
			e.clock.Advance(time.Hour)
			e.queue.SchedulePeriodic(ctx)
			e.run(t)
			if got, _ := e.sinks.Subscription(ctx, e.admin, sub.ID); got.State == "disabled" {
				break
			}
		}
		got, err := e.sinks.Subscription(ctx, e.admin, sub.ID)
		if err != nil || got.State != "disabled" || got.DisabledReason == "" {
			t.Fatalf("after days of failures: %+v, %v", got, err)
		}
		if n := count(t, db, `SELECT count(*) FROM event_pending p JOIN events e ON e.id = p.event_id WHERE e.data LIKE '%"lost"%'`); n != 0 {
			t.Fatal("the first event is still pending after days of failures")
		}
		if n := count(t, db, `SELECT count(*) FROM event_pending`); n == 0 {
			t.Fatal("the events of the last day were given up too")
		}
	})
}

// TestSubscriptionInput: bad input names its field and writes nothing; private
// addresses are refused unless allowed.
func TestSubscriptionInput(t *testing.T) {
	storetest.Each(t, sinkMigrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newSinkEnv(t, db, false)
		ok := events.SubscriptionInput{Name: "x", EventTypes: []string{"widget.created"}, Sink: events.Sink{Type: "webhook", URL: "https://93.184.215.14/hook"}}
		cases := map[string]func(in *events.SubscriptionInput){
			"name":           func(in *events.SubscriptionInput) { in.Name = "  " },
			"event_types":    func(in *events.SubscriptionInput) { in.EventTypes = nil },
			"event_types[0]": func(in *events.SubscriptionInput) { in.EventTypes = []string{"nothing.known"} },
			"event_types[1]": func(in *events.SubscriptionInput) { in.EventTypes = []string{"widget.*", "gadget.*"} },
			"sink.type":      func(in *events.SubscriptionInput) { in.Sink.Type = "ftp" },
			"sink.url":       func(in *events.SubscriptionInput) { in.Sink.URL = "http://93.184.215.14/hook" },
		}
		for _, url := range []string{"https://127.0.0.1/x", "https://10.1.2.3/x", "https://169.254.169.254/latest", "https://[::1]/x", "https://u:p@93.184.215.14/",
			"not a url", "https://localhost/x"} {
			cases["sink.url "+url] = func(in *events.SubscriptionInput) { in.Sink.URL = url }
		}
		for name, mutate := range cases {
			in := ok
			in.EventTypes = append([]string(nil), ok.EventTypes...)
			mutate(&in)
			_, err := e.sinks.CreateSubscription(ctx, e.admin, in)
			field, _, _ := strings.Cut(name, " ")
			if atrium.ErrorCode(err) != atrium.CodeInvalid || atrium.FieldMessage(err, field) == "" {
				t.Errorf("%s: %v, want a problem with %s", name, err, field)
			}
		}
		if n := count(t, db, `SELECT count(*) FROM event_subscriptions`); n != 0 {
			t.Fatalf("bad input wrote %d subscriptions", n)
		}
		if _, err := e.sinks.CreateSubscription(ctx, e.admin, ok); err != nil {
			t.Fatalf("a public https URL: %v", err)
		}
		member := &access.Principal{UserID: "u", Org: e.admin.Org, Name: "member"}
		if _, err := e.sinks.CreateSubscription(ctx, member, ok); atrium.ErrorCode(err) != atrium.CodeForbidden {
			t.Fatalf("a member created a subscription: %v", err)
		}
	})
}

// TestRedeliverInstanceWide: redelivering everything since a time to an operator's
// instance-wide subscription covers every organization's events, as the subscription
// receives them; an organization's own subscription still gets only its own.
func TestRedeliverInstanceWide(t *testing.T) {
	storetest.Each(t, sinkMigrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newSinkEnv(t, db, true)
		r := newReceiver(t)
		e.sinks.Client = r.srv.Client()
		operator := e.admin
		operator.Grants = append(operator.Grants, access.Grant{Role: access.OperatorAdmin, Scope: access.OrgScope(operator.Org)})
		all, err := e.sinks.CreateSubscription(ctx, operator, events.SubscriptionInput{Name: "Every org", EventTypes: []string{"widget.created"},
			Sink: events.Sink{Type: "webhook", URL: r.srv.URL + "/all"}, InstanceWide: true})
		if err != nil {
			t.Fatal(err)
		}
		own, err := e.sinks.CreateSubscription(ctx, operator, events.SubscriptionInput{Name: "Own", EventTypes: []string{"widget.created"},
			Sink: events.Sink{Type: "webhook", URL: r.srv.URL + "/own"}})
		if err != nil {
			t.Fatal(err)
		}
		r.trust(t, all.Secret)
		r.trust(t, own.Secret)
		a, b := atrium.OrgID(uuid.NewString()), atrium.OrgID(uuid.NewString())
		e.publish(t, a, userMade{Name: "before"}) // before the redelivery's time
		e.clock.Advance(time.Minute)
		since := e.clock.Now()
		e.publish(t, operator.Org, userMade{Name: "op"})
		e.publish(t, a, userMade{Name: "a"})
		e.publish(t, b, userGone{Name: "b gone"}) // a type the filter does not take
		e.publish(t, b, userMade{Name: "b"})
		e.run(t)
		// Two subscriptions push side by side: compare sorted.
		if got := sortedNames(r); got != "a b before op op" {
			t.Fatalf("delivered %q", got)
		}
		r.mu.Lock()
		r.got = nil
		r.mu.Unlock()
		n, err := e.sinks.Redeliver(ctx, operator, all.ID, "", since)
		if err != nil || n != 3 {
			t.Fatalf("redeliver the instance-wide subscription: %d, %v", n, err)
		}
		e.run(t)
		if got := strings.Join(r.names(), " "); got != "op a b" {
			t.Fatalf("redelivered to the instance-wide subscription: %q", got)
		}
		// One event of another organization, by its id.
		r.mu.Lock()
		bID := r.got[2].ID
		r.got = nil
		r.mu.Unlock()
		if n, err := e.sinks.Redeliver(ctx, operator, all.ID, bID, time.Time{}); err != nil || n != 1 {
			t.Fatalf("redeliver another organization's event: %d, %v", n, err)
		}
		// The operator organization's own subscription: its events only.
		if n, err := e.sinks.Redeliver(ctx, operator, own.ID, "", since); err != nil || n != 1 {
			t.Fatalf("redeliver the organization's subscription: %d, %v", n, err)
		}
		if _, err := e.sinks.Redeliver(ctx, operator, own.ID, bID, time.Time{}); atrium.FieldMessage(err, "event_id") == "" {
			t.Fatalf("redeliver another organization's event to an organization's subscription: %v", err)
		}
		e.run(t)
		if got := sortedNames(r); got != "b op" {
			t.Fatalf("redelivered: %q", got)
		}
	})
}

func sortedNames(r *receiver) string {
	names := r.names()
	slices.Sort(names)
	return strings.Join(names, " ")
}
