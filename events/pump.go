package events

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/store"
)

// Jobs of the sinks.
const (
	// JobPush delivers a subscription's pending events, in order.
	JobPush jobs.Kind = "events.push"
	// JobPushAll starts a push for every active subscription with pending events whose
	// backoff is over: a push that lost its job (a node killed mid-delivery) resumes.
	JobPushAll jobs.Kind = "events.push_all"
)

// Delivery limits.
const (
	// DeliveryTimeout bounds one delivery, connection included.
	DeliveryTimeout = 15 * time.Second
	// GiveUpAfter is how long one event is retried before the push moves on without it
	// (the delivery log keeps every attempt).
	GiveUpAfter = 24 * time.Hour
	// DisableAfter is how long a sink may fail every delivery before its subscription
	// is disabled.
	DisableAfter = 3 * 24 * time.Hour
	// DefaultPushLease is how long a push holds its subscription without renewing: the
	// longest a subscription waits after the node pushing it died.
	DefaultPushLease = 30 * time.Second
	// pushBatch is how many pending events a push reads at a time.
	pushBatch = 100
	// responseSnippet is how much of a sink's answer the delivery log keeps.
	responseSnippet = 512
)

type push struct {
	Subscription string `json:"subscription_id"`
}

// fanOut writes a pending row, in the publishing transaction, for every active or
// paused subscription of the event's organization whose filter takes the event, and
// starts a push of the active ones after commit, unless one is already scheduled for
// the end of their backoff.
func (s *Sinks) fanOut(ctx context.Context, tx *store.Tx, e *Event) error {
	if !s.KnownType(e.Type) {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, event_types, state, next_attempt_at FROM event_subscriptions
		WHERE (org_id = $1 OR instance_wide) AND state <> 'disabled'`, string(e.Org))
	if err != nil {
		return err
	}
	type target struct {
		id   string
		push bool
	}
	var targets []target
	now := store.Micros(s.clock.Now())
	for rows.Next() {
		var id, types, state string
		var next int64
		if err := rows.Scan(&id, &types, &state, &next); err != nil {
			rows.Close()
			return err
		}
		var filter []string
		if err := json.Unmarshal([]byte(types), &filter); err != nil {
			rows.Close()
			return err
		}
		if matches(filter, e.Type) {
			targets = append(targets, target{id, state == SubscriptionActive && next <= now})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(targets) == 0 {
		return nil
	}
	// One statement for all of them: a change costs a round trip, whatever the number
	// of subscriptions.
	values := make([]string, len(targets))
	args := []any{store.Micros(e.Time), e.ID}
	for i, t := range targets {
		args = append(args, t.id)
		values[i] = fmt.Sprintf("($%d, $1, $2)", i+3)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO event_pending (subscription_id, created_at, event_id) VALUES `+strings.Join(values, ", "), args...); err != nil {
		return err
	}
	for _, t := range targets {
		if t.push {
			if err := s.pushAfter(ctx, tx, t.id); err != nil {
				return err
			}
		}
	}
	return nil
}

var errLeased = errors.New("events: another push holds the subscription")

// push delivers the pending events of the job's subscription (pushSub).
func (s *Sinks) push(ctx context.Context, j *jobs.Job) error {
	var p push
	if err := j.Decode(&p); err != nil {
		return err
	}
	return s.pushSub(ctx, p.Subscription)
}

// pushSub delivers the pending events of one subscription in order until none is left
// or the sink fails (then the next attempt is scheduled with backoff). After letting
// the subscription go it looks once more: an event committed while another node held
// the lease, whose own push was turned away, is not left waiting for the next sweep.
func (s *Sinks) pushSub(ctx context.Context, id string) error {
	for {
		if err := s.pushLeased(ctx, id); err != nil {
			return err
		}
		var more bool
		err := s.db.Read().QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM event_pending p JOIN event_subscriptions s ON s.id = p.subscription_id
			WHERE p.subscription_id = $1 AND s.state = 'active' AND s.next_attempt_at <= $2 AND s.lease_until < $2)`, id, store.Micros(s.clock.Now())).Scan(&more)
		if err != nil || !more {
			return err
		}
	}
}

// pending is an event a subscription still has to deliver; e is nil when the event
// is no longer in the outbox.
type pending struct {
	at          int64
	id          string
	firstFailed *int64
	e           *Event
}

// pushLeased takes the subscription's lease and delivers its pending events.
func (s *Sinks) pushLeased(ctx context.Context, id string) error {
	now := s.clock.Now()
	res, err := s.db.Write().ExecContext(ctx, `UPDATE event_subscriptions SET lease_until = $1, lease_owner = $2
		WHERE id = $3 AND state = 'active' AND lease_until < $4 AND next_attempt_at <= $4`,
		store.Micros(now.Add(s.Lease)), s.node, id, store.Micros(now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var leased, next int64
		var state string
		err := s.db.Read().QueryRowContext(ctx, `SELECT state, lease_until, next_attempt_at FROM event_subscriptions WHERE id = $1`, id).
			Scan(&state, &leased, &next)
		if err != nil || state != SubscriptionActive || next > store.Micros(now) {
			return nil // gone, paused or disabled, or a later attempt is scheduled
		}
		if leased >= store.Micros(now) {
			return errLeased // retried: the holder may have read the pending rows before ours committed
		}
		return nil
	}
	defer func() {
		s.db.Write().ExecContext(context.WithoutCancel(ctx), `UPDATE event_subscriptions SET lease_until = 0, lease_owner = '' WHERE id = $1 AND lease_owner = $2`,
			id, s.node)
	}()
	target, err := s.target(ctx, id)
	if err != nil {
		return err
	}
	drv, release, err := s.driverFor(target)
	if err != nil {
		// The sink cannot even be set up (a broker refusing the connection): the head
		// event's attempt fails with that error.
		drv, release = failing{err}, func() {}
	}
	defer release()
	size := brokerBatch
	if target.Sink.Type == SinkWebhook {
		size = webhookBatch
	}
	for {
		batch, err := s.pendingBatch(ctx, id, size)
		if err != nil || len(batch) == 0 {
			return err
		}
		var gone []pending
		live := batch[:0:0]
		for _, pe := range batch {
			if pe.e == nil {
				gone = append(gone, pe) // swept or purged with its subject: nothing left to deliver
			} else {
				live = append(live, pe)
			}
		}
		if len(gone) > 0 {
			if err := s.settle(ctx, id, nil, gone); err != nil {
				return err
			}
		}
		if len(live) == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		atts, n := s.sendBatch(ctx, drv, target, live)
		ok := 0
		for ok < n && atts[ok].OK {
			ok++
		}
		if err := s.settle(ctx, id, atts[:n], live[:ok]); err != nil {
			return err
		}
		if ok < len(live) {
			head := live[ok]
			return s.failed(ctx, id, head.at, head.id, head.firstFailed, s.clock.Now())
		}
	}
}

// webhookBatch is how many events a webhook push delivers, one by one, between two
// commits of its results.
const webhookBatch = 20

// target returns the subscription a push delivers to, with its sink's settings.
func (s *Sinks) target(ctx context.Context, id string) (*Subscription, error) {
	sub, err := scanSubscription(s.db.Read().QueryRowContext(ctx, `SELECT `+subscriptionColumns+` FROM event_subscriptions WHERE id = $1`, id))
	return sub, store.Translate(err)
}

// pendingBatch reads the first n pending events of a subscription with the events.
func (s *Sinks) pendingBatch(ctx context.Context, id string, n int) ([]pending, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT p.created_at, p.event_id, p.first_failed_at, e.type, e.org_id, e.subject, e.data, e.created_at
		FROM event_pending p LEFT JOIN events e ON e.id = p.event_id
		WHERE p.subscription_id = $1 ORDER BY p.created_at, p.event_id LIMIT $2`, id, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pending
	for rows.Next() {
		var pe pending
		var typ, org, subject, data *string
		var at *int64
		if err := rows.Scan(&pe.at, &pe.id, &pe.firstFailed, &typ, &org, &subject, &data, &at); err != nil {
			return nil, err
		}
		if typ != nil {
			pe.e = &Event{ID: pe.id, Type: Type(*typ), Org: atrium.OrgID(*org), Subject: *subject, Data: json.RawMessage(*data), Time: store.Time(*at)}
		}
		out = append(out, pe)
	}
	return out, rows.Err()
}

// sendBatch renders the events of batch and hands them to drv; it returns one attempt
// per event and how many of them the sink was tried with.
func (s *Sinks) sendBatch(ctx context.Context, drv driver, sub *Subscription, batch []pending) ([]Attempt, int) {
	evs := make([]*Event, len(batch))
	bodies := make([][]byte, len(batch))
	atts := make([]Attempt, len(batch))
	now := s.clock.Now()
	for i, pe := range batch {
		evs[i] = pe.e
		atts[i] = Attempt{ID: uuid.Must(uuid.NewV7()).String(), Subscription: sub.ID, Org: sub.Org, EventID: pe.id, EventType: pe.e.Type, At: now}
		body, err := s.Render(pe.e)
		if err != nil {
			atts[i].Error = truncate(err.Error(), 512)
			return atts, i + 1
		}
		bodies[i] = body
	}
	return atts, drv.send(ctx, evs, bodies, atts)
}

// settle records atts in the delivery log and, in the same transaction, removes the
// delivered events from the subscription's pending list; any delivery clears the
// subscription's failures and renews its lease.
func (s *Sinks) settle(ctx context.Context, sub string, atts []Attempt, done []pending) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := record(ctx, tx, atts); err != nil {
			return err
		}
		if len(done) > 0 && tx.Dialect == store.Postgres {
			ats, ids := make([]int64, len(done)), make([]string, len(done))
			for i, pe := range done {
				ats[i], ids[i] = pe.at, pe.id
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM event_pending WHERE subscription_id = $1 AND (created_at, event_id) IN
				(SELECT * FROM unnest($2::bigint[], $3::text[]))`, sub, ats, ids); err != nil {
				return err
			}
		} else if len(done) > 0 {
			stmt, err := tx.PrepareContext(ctx, `DELETE FROM event_pending WHERE subscription_id = $1 AND created_at = $2 AND event_id = $3`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for _, pe := range done {
				if _, err := stmt.ExecContext(ctx, sub, pe.at, pe.id); err != nil {
					return err
				}
			}
		}
		if len(atts) > 0 && atts[0].OK {
			_, err := tx.ExecContext(ctx, `UPDATE event_subscriptions SET failures = 0, failing_since = NULL, next_attempt_at = 0, lease_until = $1
				WHERE id = $2 AND lease_owner = $3`, store.Micros(s.clock.Now().Add(s.Lease)), sub, s.node)
			return err
		}
		return nil
	})
}

// failing is the driver of a sink that could not be set up: every attempt fails with
// its error.
type failing struct{ err error }

func (f failing) send(_ context.Context, _ []*Event, _ [][]byte, atts []Attempt) int {
	atts[0].Error = truncate(f.err.Error(), 512)
	return 1
}

func (failing) close() {}

// driverFor returns the driver of sub's sink: a kept broker client, or the webhook
// poster.
func (s *Sinks) driverFor(sub *Subscription) (driver, func(), error) {
	if sub.Sink.Type == SinkWebhook {
		return &webhookDriver{s: s, sub: sub.ID, url: sub.Sink.URL}, func() {}, nil
	}
	return s.clients.get(sub.ID, sub.Version, func() (driver, error) {
		cred, err := s.credentials(context.Background(), sub.ID)
		if err != nil {
			return nil, err
		}
		if sub.Sink.Type == SinkNATS {
			return s.newNATS(sub.Sink, cred)
		}
		return s.newKafka(sub.Sink, cred)
	})
}

// failed records that the head event's delivery failed: it is retried after a backoff,
// until GiveUpAfter, when the push moves past it; a subscription failing for
// DisableAfter is disabled.
func (s *Sinks) failed(ctx context.Context, sub string, at int64, id string, firstFailed *int64, now time.Time) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if firstFailed == nil {
			if _, err := tx.ExecContext(ctx, `UPDATE event_pending SET first_failed_at = $1 WHERE subscription_id = $2 AND created_at = $3 AND event_id = $4`,
				store.Micros(now), sub, at, id); err != nil {
				return err
			}
		} else if now.Sub(store.Time(*firstFailed)) >= GiveUpAfter {
			if _, err := tx.ExecContext(ctx, `DELETE FROM event_pending WHERE subscription_id = $1 AND created_at = $2 AND event_id = $3`, sub, at, id); err != nil {
				return err
			}
		}
		var failures int
		var since *int64
		if err := tx.QueryRowContext(ctx, `SELECT failures, failing_since FROM event_subscriptions WHERE id = $1`, sub).Scan(&failures, &since); err != nil {
			return err
		}
		failures++
		start := store.Micros(now)
		if since != nil {
			start = *since
		}
		if now.Sub(store.Time(start)) >= DisableAfter {
			const reason = "every delivery failed for 3 days"
			if _, err := tx.ExecContext(ctx, `UPDATE event_subscriptions SET state = 'disabled', disabled_reason = $1, failures = $2, failing_since = $3,
				updated_at = $4, version = version + 1 WHERE id = $5`,
				reason, failures, start, store.Micros(now), sub); err != nil {
				return err
			}
			row, err := scanSubscription(tx.QueryRowContext(ctx, `SELECT `+subscriptionColumns+` FROM event_subscriptions WHERE id = $1`, sub))
			if err != nil {
				return err
			}
			_, err = s.bus.Publish(ctx, tx, row.Org, row.ID, SinkDisabled{ID: row.ID, Org: row.Org, Name: row.Name, Sink: row.Sink,
				Reason: reason, FailingSince: store.Time(start)})
			return err
		}
		next := now.Add(jobs.Backoff(failures))
		if _, err := tx.ExecContext(ctx, `UPDATE event_subscriptions SET failures = $1, failing_since = $2, next_attempt_at = $3 WHERE id = $4`,
			failures, start, store.Micros(next), sub); err != nil {
			return err
		}
		return s.queue.Enqueue(ctx, tx, JobPush, push{Subscription: sub}, next)
	})
}

// pushAll starts a push for every active subscription with pending events that no push
// holds and whose backoff is over: on this node when it serves, else through jobs.
func (s *Sinks) pushAll(ctx context.Context, _ *jobs.Job) error {
	now := store.Micros(s.clock.Now())
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM event_subscriptions s WHERE state = 'active' AND lease_until < $1 AND next_attempt_at <= $1
			AND EXISTS (SELECT 1 FROM event_pending p WHERE p.subscription_id = s.id)`, now)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			if err := s.pushAfter(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Attempt is one delivery attempt, as the delivery log shows it.
type Attempt struct {
	ID           string       `json:"id"`
	Subscription string       `json:"subscription_id"`
	Org          atrium.OrgID `json:"-"`
	EventID      string       `json:"event_id"`
	EventType    Type         `json:"event_type"`
	At           time.Time    `json:"attempted_at"`
	OK           bool         `json:"ok"`
	StatusCode   int          `json:"status_code"`
	Latency      float64      `json:"latency_ms"`
	Response     string       `json:"response"`
	Error        string       `json:"error,omitempty"`
}

// webhookDriver posts events to a webhook one by one, each signed per Standard
// Webhooks with every secret that signs now.
type webhookDriver struct {
	s        *Sinks
	sub, url string
}

func (d *webhookDriver) send(ctx context.Context, evs []*Event, bodies [][]byte, atts []Attempt) int {
	start := time.Now()
	for i, e := range evs {
		d.s.post(ctx, d.sub, d.url, e, bodies[i], &atts[i])
		// A slow receiver must not outlast the lease before the results are committed.
		if !atts[i].OK || time.Since(start) > d.s.Lease/2 {
			return i + 1
		}
	}
	return len(evs)
}

func (*webhookDriver) close() {}

// post delivers one rendered event to a webhook and fills in att.
func (s *Sinks) post(ctx context.Context, sub, url string, e *Event, body []byte, att *Attempt) {
	start := time.Now()
	err := func() error {
		secrets, err := s.secrets(ctx, s.db.Read(), sub)
		if err != nil {
			return err
		}
		ts := strconv.FormatInt(s.clock.Now().Unix(), 10)
		sigs := make([]string, 0, len(secrets))
		for _, secret := range secrets {
			sig, err := sign(secret, e.ID, ts, body)
			if err != nil {
				return err
			}
			sigs = append(sigs, "v1,"+sig)
		}
		ctx, cancel := context.WithTimeout(ctx, DeliveryTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/cloudevents+json")
		req.Header.Set("User-Agent", "Atrium-Webhooks/1")
		req.Header.Set("webhook-id", e.ID)
		req.Header.Set("webhook-timestamp", ts)
		req.Header.Set("webhook-signature", strings.Join(sigs, " "))
		resp, err := s.Client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, responseSnippet))
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		att.StatusCode = resp.StatusCode
		att.Response = strings.ToValidUTF8(string(snippet), "\uFFFD")
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return fmt.Errorf("the sink answered %d", resp.StatusCode)
		}
		return nil
	}()
	att.Latency = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		att.Error = truncate(err.Error(), 512)
	} else {
		att.OK = true
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// sign returns the Standard Webhooks signature of body: base64 of HMAC-SHA256 over
// "id.timestamp.body", keyed by the secret's bytes (the base64 after whsec_).
func sign(secret, id, ts string, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return "", fmt.Errorf("events: webhook secret: %w", err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// record writes attempts to the delivery log, in tx, through one prepared statement:
// SQLite parses a multi-row insert with thousands of numbered parameters in quadratic
// time.
func record(ctx context.Context, tx *store.Tx, atts []Attempt) error {
	if len(atts) == 0 {
		return nil
	}
	if tx.Dialect == store.Postgres {
		// One statement of arrays: a round trip per batch rather than per attempt.
		n := len(atts)
		ids, subs, orgs, evs, types, resps, errs := make([]string, n), make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n)
		ats, lats, oks, codes := make([]int64, n), make([]int64, n), make([]bool, n), make([]int, n)
		for i, a := range atts {
			ids[i], subs[i], orgs[i], evs[i], types[i], resps[i], errs[i] = a.ID, a.Subscription, string(a.Org), a.EventID, string(a.EventType), a.Response, a.Error
			ats[i], lats[i], oks[i], codes[i] = store.Micros(a.At), int64(a.Latency*1000), a.OK, a.StatusCode
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO event_deliveries (id, subscription_id, org_id, event_id, event_type, attempted_at, ok, status_code,
			latency_us, response, error) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::boolean[],
			$8::int[], $9::bigint[], $10::text[], $11::text[])`, ids, subs, orgs, evs, types, ats, oks, codes, lats, resps, errs)
		return err
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO event_deliveries (id, subscription_id, org_id, event_id, event_type, attempted_at, ok, status_code,
		latency_us, response, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, a := range atts {
		if _, err := stmt.ExecContext(ctx, a.ID, a.Subscription, string(a.Org), a.EventID, string(a.EventType), store.Micros(a.At), a.OK,
			a.StatusCode, int64(a.Latency*1000), a.Response, a.Error); err != nil {
			return err
		}
	}
	return nil
}

// deliveryOrder is the delivery log's order, newest first.
var deliveryOrder = store.Keyset{Columns: []string{"attempted_at", "id"}, Desc: true}

// Deliveries returns a page of a subscription's delivery log, newest first.
func (s *Sinks) Deliveries(ctx context.Context, p *access.Principal, id string, limit int, cursor string) ([]Attempt, string, error) {
	if _, err := s.Subscription(ctx, p, id); err != nil {
		return nil, "", err
	}
	var at int64
	var aid string
	q, err := deliveryOrder.Page([]any{id}, cursor, limit, &at, &aid)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, subscription_id, event_id, event_type, attempted_at, ok, status_code, latency_us, response, error
		FROM event_deliveries WHERE subscription_id = $1 AND `+q.Where+` `+q.OrderLimit, q.Args...)
	if err != nil {
		return nil, "", store.Translate(err)
	}
	defer rows.Close()
	out := []Attempt{}
	for rows.Next() {
		var a Attempt
		var at, lat int64
		if err := rows.Scan(&a.ID, &a.Subscription, &a.EventID, &a.EventType, &at, &a.OK, &a.StatusCode, &lat, &a.Response, &a.Error); err != nil {
			return nil, "", store.Translate(err)
		}
		a.At, a.Latency = store.Time(at), float64(lat)/1000
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, "", store.Translate(err)
	}
	out, next := store.NextPage(q, out, func(a Attempt) []any { return []any{store.Micros(a.At), a.ID} })
	return out, next, nil
}

// TestTarget sends a test event to a subscription's sink now, whatever its state, and
// returns the attempt (also in the delivery log).
func (s *Sinks) TestTarget(ctx context.Context, p *access.Principal, id string) (*Attempt, error) {
	sub, err := s.Subscription(ctx, p, id)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	e := &Event{ID: uuid.Must(uuid.NewV7()).String(), Type: TestEventType, Org: p.Org, Subject: sub.ID, Time: now,
		Data: []byte(`{"subscription_id":` + strconv.Quote(sub.ID) + `,"message":"a test event from Atrium"}`)}
	return s.sendNow(ctx, sub, e)
}

// sendNow delivers one event to sub's sink at once, outside its pending order, and
// records the attempt.
func (s *Sinks) sendNow(ctx context.Context, sub *Subscription, e *Event) (*Attempt, error) {
	drv, release, err := s.driverFor(sub)
	if err != nil {
		drv, release = failing{err}, func() {}
	}
	defer release()
	atts, _ := s.sendBatch(ctx, drv, sub, []pending{{id: e.ID, e: e}})
	if err := s.db.Tx(ctx, func(tx *store.Tx) error { return record(ctx, tx, atts) }); err != nil {
		return nil, err
	}
	return &atts[0], nil
}

// TestEventType is the type of the event "Send test event" delivers.
const TestEventType Type = "event_subscription.test"

// Redeliver queues again, for a subscription of p's organization, the event eventID or
// (eventID empty) every event since since that the subscription's filter takes, still
// in the outbox: the organization's events or, for an instance-wide subscription, every
// organization's, as the subscription receives them. It returns how many.
func (s *Sinks) Redeliver(ctx context.Context, p *access.Principal, id, eventID string, since time.Time) (int, error) {
	sub, err := s.Subscription(ctx, p, id)
	if err != nil {
		return 0, err
	}
	if eventID == "" && since.IsZero() {
		return 0, atrium.FieldError("since", "give an event_id or a time")
	}
	n := 0
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		cond, args := `id = $1`, []any{eventID}
		if eventID == "" {
			cond, args = `created_at >= $1`, []any{store.Micros(since)}
		}
		// An instance-wide subscription takes every organization's events (fanOut).
		if !sub.InstanceWide {
			cond, args = cond+` AND org_id = $2`, append(args, string(p.Org))
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, type, created_at FROM events WHERE `+cond+` ORDER BY created_at, id`, args...)
		if err != nil {
			return err
		}
		type ev struct {
			id string
			at int64
		}
		var list []ev
		for rows.Next() {
			var e ev
			var t Type
			if err := rows.Scan(&e.id, &t, &e.at); err != nil {
				rows.Close()
				return err
			}
			if s.KnownType(t) && matches(sub.EventTypes, t) {
				list = append(list, e)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if eventID != "" && len(list) == 0 {
			return atrium.FieldError("event_id", "is not an event of this subscription still kept")
		}
		for _, e := range list {
			if _, err := tx.ExecContext(ctx, `INSERT INTO event_pending (subscription_id, created_at, event_id) VALUES ($1, $2, $3)
				ON CONFLICT DO NOTHING`, sub.ID, e.at, e.id); err != nil {
				return err
			}
		}
		n = len(list)
		return s.queue.Enqueue(ctx, tx, JobPush, push{Subscription: sub.ID}, time.Time{})
	})
	return n, err
}
