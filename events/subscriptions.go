package events

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/store"
)

// An organization's Global administrators subscribe its events to a sink: a webhook URL
// whose deliveries are signed per the Standard Webhooks specification. Publish writes,
// in the change's transaction, a pending row for every active subscription the event
// matches; a push job then delivers a subscription's pending events in order, one node
// at a time (a lease on the subscription row), at least once, with backoff while the
// sink fails (pump.go).

// ManageSubscriptions is the action of creating, changing, testing and deleting event
// subscriptions and reading their delivery logs.
var ManageSubscriptions = access.RegisterActions("events", access.ActionDef{
	Name:        "events.subscriptions.manage",
	Description: "create, change, test and delete the organization's event subscriptions and read their delivery logs",
	Grant:       []string{"global_admin"},
})[0]

// Subscription states.
const (
	SubscriptionActive   = "active"
	SubscriptionPaused   = "paused"
	SubscriptionDisabled = "disabled" // by Atrium, after failing for DisableAfter
)

// Sink types.
const (
	SinkWebhook = "webhook"
	SinkNATS    = "nats"
	SinkKafka   = "kafka"
)

// Limits of a subscription's fields.
const (
	maxSubscriptionName = 100
	maxEventTypes       = 50
	maxURLLength        = 2048
)

// SecretOverlap is how long a rotated webhook secret still signs deliveries beside the
// new one, so a receiver can switch without dropping any.
const SecretOverlap = 24 * time.Hour

// Sink is where a subscription's events go: a webhook URL, a NATS JetStream subject or
// a Kafka topic (Azure Event Hubs included). Token, Credentials and Password are
// write-only: sealed at rest, never returned; HasCredentials says whether any is set.
type Sink struct {
	Type string `json:"type"`
	// URL is the webhook's https URL.
	URL string `json:"url,omitempty"`
	// Servers are the NATS server URLs (nats:// or tls://).
	Servers []string `json:"servers,omitempty"`
	// Subject is the NATS subject an event's type is appended to (atrium.events →
	// atrium.events.user.created); a stream must capture it.
	Subject string `json:"subject,omitempty"`
	// Token authenticates to NATS (instead of Username and Password).
	Token string `json:"token,omitempty"`
	// Credentials authenticate to NATS with the text of a .creds file: a user JWT and
	// its nkey seed (instead of a token or a username and password).
	Credentials string `json:"credentials,omitempty"`
	// BootstrapServers are the Kafka brokers, host:port (Event Hubs: <namespace>.servicebus.windows.net:9093).
	BootstrapServers []string `json:"bootstrap_servers,omitempty"`
	// Topic is the Kafka topic (the event hub).
	Topic string `json:"topic,omitempty"`
	// SASLMechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (Kafka), or empty.
	SASLMechanism string `json:"sasl_mechanism,omitempty"`
	// Username and Password authenticate to Kafka (SASL) or NATS. Event Hubs takes
	// $ConnectionString and the connection string.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// TLS encrypts the Kafka connection; on unless false. NATS uses tls:// URLs.
	TLS *bool `json:"tls,omitempty"`
	// HasCredentials says that a token, credentials or a password are stored (never
	// shown).
	HasCredentials bool `json:"has_credentials,omitempty"`
}

// credentials are a broker sink's secrets, sealed together in secret_sealed.
type credentials struct {
	Token    string `json:"token,omitempty"`
	Password string `json:"password,omitempty"`
	// Creds is the text of a NATS .creds file.
	Creds string `json:"creds,omitempty"`
}

// config returns the sink without its secrets, as sink_config stores it.
func (k Sink) config() string {
	k.Token, k.Password, k.Credentials, k.URL, k.Type = "", "", "", "", ""
	b, _ := json.Marshal(k)
	return string(b)
}

// Encrypted reports whether a Kafka sink encrypts its connections.
func (k Sink) Encrypted() bool { return k.TLS == nil || *k.TLS }

// Subscription is an organization's order to receive its events at a sink.
type Subscription struct {
	ID         string       `json:"id"`
	Org        atrium.OrgID `json:"org_id"`
	Name       string       `json:"name"`
	EventTypes []string     `json:"event_types"`
	Sink       Sink         `json:"sink"`
	// InstanceWide subscriptions, which only operator staff make, take the events of
	// every organization (org.created, org.suspended…), not only their own's.
	InstanceWide bool   `json:"instance_wide"`
	State        string `json:"state"`
	// DisabledReason says why Atrium disabled the subscription.
	DisabledReason string     `json:"disabled_reason,omitempty"`
	FailingSince   *time.Time `json:"failing_since"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	// Secret is the webhook signing secret (whsec_…): only in the answer to creation and
	// to a rotation, never stored in the clear nor read back.
	Secret  string `json:"secret,omitempty"`
	Version int64  `json:"-"`
}

// ETag returns the subscription's entity tag.
func (s *Subscription) ETag() string { return fmt.Sprintf(`"%d"`, s.Version) }

// SubscriptionInput creates a subscription.
type SubscriptionInput struct {
	Name       string   `json:"name"`
	EventTypes []string `json:"event_types"`
	Sink       Sink     `json:"sink"`
	// InstanceWide takes every organization's events: operator staff only.
	InstanceWide bool `json:"instance_wide,omitempty"`
}

// SubscriptionPatch changes a subscription; nil fields stay. State is active or paused
// (resuming a disabled subscription is setting it active).
type SubscriptionPatch struct {
	Name       *string   `json:"name"`
	EventTypes *[]string `json:"event_types"`
	URL        *string   `json:"url"`
	// Sink replaces the sink's settings; its type cannot change. Credentials left out
	// stay as they are; any given replace them all.
	Sink  *Sink   `json:"sink"`
	State *string `json:"state"`
}

// SinkDisabled is published when Atrium disables a subscription whose sink
// failed every delivery for DisableAfter; the organization's Global administrators are
// mailed.
type SinkDisabled struct {
	ID   string       `json:"id"`
	Org  atrium.OrgID `json:"org_id"`
	Name string       `json:"name"`
	// Sink is the sink's type and target (URL, servers or brokers), without secrets.
	Sink         Sink      `json:"sink"`
	Reason       string    `json:"reason"`
	FailingSince time.Time `json:"failing_since"`
}

// EventType implements Payload.
func (SinkDisabled) EventType() Type { return "event_subscription.disabled" }

// Target returns where the sink delivers, for people: the URL, the servers or the
// brokers and topic.
func (k Sink) Target() string {
	switch k.Type {
	case SinkNATS:
		return strings.Join(k.Servers, ", ") + " " + k.Subject
	case SinkKafka:
		return strings.Join(k.BootstrapServers, ", ") + " " + k.Topic
	}
	return k.URL
}

// Sealer seals secrets at rest and opens them again (the secrets keyring).
type Sealer interface {
	Seal(plaintext []byte, aad string) (string, error)
	Open(sealed, aad string) ([]byte, error)
}

// Sinks keeps event subscriptions and delivers events to them.
type Sinks struct {
	db     *store.DB
	bus    *Bus
	queue  *jobs.Queue
	clock  atrium.Clock
	sealer Sealer
	log    *slog.Logger
	node   string

	// Client posts deliveries. Its dialer refuses private addresses unless
	// AllowPrivate; tests replace it with one that trusts their TLS server.
	Client *http.Client
	// AllowPrivate lets a sink be a loopback, link-local or private address
	// (--allow-private-sinks); off, such URLs are refused at creation and at delivery.
	AllowPrivate bool
	// Render turns an event into the body a sink receives: the CloudEvent (the app
	// gives it the instance's public URL).
	Render func(e *Event) ([]byte, error)
	// KnownType reports whether t is an event type subscriptions may name: by default
	// the types modules declared (Declare).
	KnownType func(t Type) bool
	// Lease is how long a push holds a subscription without renewing it: how long a
	// subscription waits when the node pushing it dies (DefaultPushLease).
	Lease time.Duration
	// TLSConfig, when set, is the TLS configuration of broker connections (tests trust
	// their own certificate authority with it).
	TLSConfig *tls.Config

	clients clients

	// Once Start has run, a committed event starts its subscriptions' pushes on this
	// node at once (kick) instead of through a job per event.
	mu      sync.Mutex
	runCtx  context.Context
	running map[string]bool
	again   map[string]bool
	pushes  sync.WaitGroup
}

// Start makes this node push subscriptions as soon as their events commit, until ctx
// ends; Wait then waits for the pushes in flight. Without Start (tests, one-shot
// commands), each event queues a push job.
func (s *Sinks) Start(ctx context.Context) {
	s.mu.Lock()
	s.runCtx = ctx
	s.mu.Unlock()
	// What a node that stopped left pending goes out now and, when that node's lease
	// was still running, once it has run out: not at the next minute's sweep.
	resume := func() {
		if err := s.pushAll(ctx, nil); err != nil && ctx.Err() == nil {
			s.log.Warn("events: resume pushes", "err", err)
		}
	}
	resume()
	s.pushes.Add(1)
	go func() {
		defer s.pushes.Done()
		t := time.NewTicker(s.Lease)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				resume()
			}
		}
	}()
}

// Wait waits, once Start's context has ended, for the pushes Start began, and closes
// the broker clients.
func (s *Sinks) Wait() {
	s.pushes.Wait()
	s.clients.closeAll()
}

// kick pushes a subscription on this node now, or again right after the push running.
func (s *Sinks) kick(sub string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runCtx == nil || s.runCtx.Err() != nil {
		return // the minute's JobPushAll takes it
	}
	if s.running[sub] {
		s.again[sub] = true
		return
	}
	s.running[sub] = true
	s.pushes.Add(1)
	go func() {
		defer s.pushes.Done()
		for {
			if err := s.pushSub(s.runCtx, sub); err != nil && !errors.Is(err, errLeased) && s.runCtx.Err() == nil {
				s.log.Warn("events: push", "subscription", sub, "err", err)
			}
			s.mu.Lock()
			if !s.again[sub] || s.runCtx.Err() != nil {
				delete(s.running, sub)
				delete(s.again, sub)
				s.mu.Unlock()
				return
			}
			delete(s.again, sub)
			s.mu.Unlock()
		}
	}()
}

// pushAfter starts a push of sub once tx commits: on this node at once when it serves,
// else through a job.
func (s *Sinks) pushAfter(ctx context.Context, tx *store.Tx, sub string) error {
	if s.started() {
		tx.AfterCommit(func() { s.kick(sub) })
		return nil
	}
	return s.queue.Enqueue(ctx, tx, JobPush, push{Subscription: sub}, time.Time{})
}

func (s *Sinks) started() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runCtx != nil
}

// NewSinks returns the subscription service on db, publishing through bus and pushing
// with jobs of queue.
func NewSinks(db *store.DB, bus *Bus, queue *jobs.Queue, clock atrium.Clock, sealer Sealer, log *slog.Logger) *Sinks {
	s := &Sinks{db: db, bus: bus, queue: queue, clock: clock, sealer: sealer, log: log, node: uuid.NewString(),
		running: map[string]bool{}, again: map[string]bool{}, Lease: DefaultPushLease,
		Render:    func(e *Event) ([]byte, error) { return json.Marshal(ToCloudEvent(e, "http://atrium.localhost")) },
		KnownType: bus.External}
	s.Client = &http.Client{Timeout: DeliveryTimeout, Transport: &http.Transport{DialContext: s.dial, ForceAttemptHTTP2: true,
		TLSHandshakeTimeout: 10 * time.Second, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}}
	bus.sinks = s
	Declare[SinkDisabled](bus, "Atrium disabled an event subscription whose sink failed every delivery for 3 days.")
	queue.Register(JobPush, s.push, jobs.Options{MaxAttempts: 40, Timeout: 10 * time.Minute})
	queue.Register(JobPushAll, s.pushAll, jobs.Options{Timeout: 10 * time.Minute})
	queue.Every(JobPushAll, time.Minute)
	return s
}

// matches reports whether filter (exact types and prefixes such as "user.*") takes t.
func matches(filter []string, t Type) bool {
	for _, f := range filter {
		if p, ok := strings.CutSuffix(f, "*"); ok && strings.HasPrefix(string(t), p) || f == string(t) {
			return true
		}
	}
	return false
}

// checkEventTypes adds a problem for a filter naming no known type.
func (s *Sinks) checkEventTypes(types []string, probs atrium.Problems) {
	if len(types) == 0 || len(types) > maxEventTypes {
		probs.Addf("event_types", "err.events.event_types_count", "give between 1 and {{.Count}} event types", "Count", maxEventTypes)
		return
	}
	for i, f := range types {
		field := fmt.Sprintf("event_types[%d]", i)
		if p, ok := strings.CutSuffix(f, "*"); ok {
			if p != "" && !strings.HasSuffix(p, ".") {
				probs.Add(field, "a prefix ends with .* (user.*)")
				continue
			}
			if !s.anyKnown(p) {
				probs.Add(field, "matches no event type; see GET /api/v1/event-types")
			}
			continue
		}
		if !s.KnownType(Type(f)) {
			probs.Add(field, "is not an event type; see GET /api/v1/event-types")
		}
	}
}

func (s *Sinks) anyKnown(prefix string) bool {
	s.bus.mu.RLock()
	types := make([]Type, 0, len(s.bus.types))
	for t := range s.bus.types {
		types = append(types, t)
	}
	s.bus.mu.RUnlock()
	for _, t := range types {
		if strings.HasPrefix(string(t), prefix) && s.KnownType(t) {
			return true
		}
	}
	return false
}

// checkURL adds a problem for a webhook URL that is not an absolute https URL on a
// public address.
func (s *Sinks) checkURL(ctx context.Context, field, raw string, probs atrium.Problems) {
	if raw == "" {
		probs.Add(field, "is required")
		return
	}
	u, err := url.Parse(raw)
	switch {
	case len(raw) > maxURLLength:
		probs.Addf(field, "err.max_chars", "must be at most {{.Count}} characters", "Count", maxURLLength)
	case err != nil || u.Host == "" || u.Opaque != "":
		probs.Add(field, "must be an absolute URL (https://…)")
	case u.Scheme != "https":
		probs.Add(field, "must be an https URL")
	case u.User != nil:
		probs.Add(field, "must not hold a user name or password; the deliveries are signed")
	case u.Fragment != "":
		probs.Add(field, "must not have a fragment (#…)")
	default:
		if err := s.checkHost(ctx, u.Hostname()); err != nil {
			probs.Add(field, err.Error())
		}
	}
}

// checkHost returns an error when host is, or resolves to, an address a sink may not
// have.
func (s *Sinks) checkHost(ctx context.Context, host string) error {
	if s.AllowPrivate {
		return nil
	}
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil || len(addrs) == 0 {
			return errors.New("the host name does not resolve")
		}
		ips = ips[:0]
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	for _, ip := range ips {
		if privateIP(ip) {
			return errors.New("is a loopback, link-local or private address; the operator can allow them with --allow-private-sinks")
		}
	}
	return nil
}

func privateIP(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() ||
		ip.IsMulticast() || ip.IsInterfaceLocalMulticast()
}

// dial connects deliveries, refusing private addresses (unless AllowPrivate) after the
// name is resolved, so a name that resolved to a public address at creation cannot
// reach the operator's network later.
func (s *Sinks) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if !s.AllowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || privateIP(ip) {
				return fmt.Errorf("events: refusing to deliver to %s: a private address", host)
			}
			return nil
		}
	}
	return d.DialContext(ctx, network, addr)
}

// newSecret returns a webhook signing secret: whsec_ and 32 random bytes in base64.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// secretAAD binds a sealed secret to its subscription's row.
func secretAAD(id string) string { return "events.event_subscriptions.secret:" + id }

// CreateSubscription creates a subscription of p's organization and returns it with
// its webhook secret, shown only here.
func (s *Sinks) CreateSubscription(ctx context.Context, p *access.Principal, in SubscriptionInput) (*Subscription, error) {
	if err := access.Require(p, ManageSubscriptions, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	probs := atrium.Problems{}
	in.Name = strings.TrimSpace(in.Name)
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		probs.Add("name", "is required")
	case n > maxSubscriptionName:
		probs.Addf("name", "err.max_chars", "must be at most {{.Count}} characters", "Count", maxSubscriptionName)
	}
	s.checkEventTypes(in.EventTypes, probs)
	sink := in.Sink
	sink.Servers, sink.BootstrapServers = slices.Clone(sink.Servers), slices.Clone(sink.BootstrapServers)
	s.checkSink(ctx, &sink, nil, probs)
	if err := probs.Err(); err != nil {
		return nil, err
	}
	if in.InstanceWide && !p.IsOperator() {
		return nil, atrium.Errorf(atrium.CodeForbidden, "only operator staff subscribe to every organization's events")
	}
	now := s.clock.Now()
	sub := &Subscription{ID: uuid.Must(uuid.NewV7()).String(), Org: p.Org, Name: in.Name, EventTypes: slices.Clone(in.EventTypes),
		Sink: sink, InstanceWide: in.InstanceWide, State: SubscriptionActive, CreatedAt: now, UpdatedAt: now, Version: 1}
	secret := credentialsOf(sink)
	if sink.Type == SinkWebhook {
		sub.Secret = newSecret()
		secret = sub.Secret
	}
	sealed, err := s.sealer.Seal([]byte(secret), secretAAD(sub.ID))
	if err != nil {
		return nil, atrium.Internal(err)
	}
	sub.Sink.Token, sub.Sink.Password, sub.Sink.Credentials = "", "", ""
	sub.Sink.HasCredentials = sink.Type != SinkWebhook && secret != "{}"
	types, _ := json.Marshal(sub.EventTypes)
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO event_subscriptions (id, org_id, name, event_types, sink_type, sink_url, sink_config, secret_sealed, state,
			instance_wide, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)`, sub.ID, string(p.Org), sub.Name, string(types),
			sub.Sink.Type, sub.Sink.URL, sub.Sink.config(), sealed, sub.State, sub.InstanceWide, store.Micros(now)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "event_subscription.create", TargetType: "event_subscription",
			TargetID: sub.ID, TargetName: sub.Name, After: map[string]any{"event_types": sub.EventTypes, "sink": sub.Sink}})
	})
	if err != nil {
		return nil, err
	}
	return sub, nil
}

const subscriptionColumns = `id, org_id, name, event_types, sink_type, sink_url, sink_config, instance_wide, state, disabled_reason, failing_since, created_at,
	updated_at, version`

func scanSubscription(row interface{ Scan(...any) error }) (*Subscription, error) {
	var sub Subscription
	var types, typ, url, config string
	var failing *int64
	var created, updated int64
	if err := row.Scan(&sub.ID, &sub.Org, &sub.Name, &types, &typ, &url, &config, &sub.InstanceWide, &sub.State, &sub.DisabledReason, &failing,
		&created, &updated, &sub.Version); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(types), &sub.EventTypes); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(config), &sub.Sink); err != nil {
		return nil, err
	}
	sub.Sink.Type, sub.Sink.URL = typ, url
	if failing != nil {
		t := store.Time(*failing)
		sub.FailingSince = &t
	}
	sub.CreatedAt, sub.UpdatedAt = store.Time(created), store.Time(updated)
	return &sub, nil
}

func getSubscription(ctx context.Context, q store.Querier, org atrium.OrgID, id string) (*Subscription, error) {
	sub, err := scanSubscription(q.QueryRowContext(ctx, `SELECT `+subscriptionColumns+` FROM event_subscriptions WHERE id = $1 AND org_id = $2`, id, string(org)))
	if err != nil {
		if atrium.ErrorCode(store.Translate(err)) == atrium.CodeNotFound {
			return nil, atrium.Errorf(atrium.CodeNotFound, "event subscription not found")
		}
		return nil, store.Translate(err)
	}
	return sub, nil
}

// Subscription returns one subscription of p's organization.
func (s *Sinks) Subscription(ctx context.Context, p *access.Principal, id string) (*Subscription, error) {
	if err := access.Require(p, ManageSubscriptions, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	return getSubscription(ctx, s.db.Read(), p.Org, id)
}

// subscriptionOrder is the subscription list's order, oldest first.
var subscriptionOrder = store.Keyset{Columns: []string{"created_at", "id"}}

// Subscriptions returns a page of p's organization's subscriptions, oldest first, and
// the next page's cursor ("" on the last).
func (s *Sinks) Subscriptions(ctx context.Context, p *access.Principal, limit int, cursor string) ([]Subscription, string, error) {
	if err := access.Require(p, ManageSubscriptions, access.Resource{Org: p.Org}); err != nil {
		return nil, "", err
	}
	var created int64
	var id string
	q, err := subscriptionOrder.Page([]any{string(p.Org)}, cursor, limit, &created, &id)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+subscriptionColumns+` FROM event_subscriptions WHERE org_id = $1 AND `+q.Where+` `+q.OrderLimit, q.Args...)
	if err != nil {
		return nil, "", store.Translate(err)
	}
	defer rows.Close()
	out := []Subscription{}
	for rows.Next() {
		sub, err := scanSubscription(rows)
		if err != nil {
			return nil, "", store.Translate(err)
		}
		out = append(out, *sub)
	}
	if err := rows.Err(); err != nil {
		return nil, "", store.Translate(err)
	}
	out, next := store.NextPage(q, out, func(sub Subscription) []any { return []any{store.Micros(sub.CreatedAt), sub.ID} })
	return out, next, nil
}

// UpdateSubscription changes a subscription of p's organization; ifMatch, when not 0,
// is the version the caller read. Setting a paused or disabled subscription active
// resumes it: its pending events are pushed again at once.
func (s *Sinks) UpdateSubscription(ctx context.Context, p *access.Principal, id string, patch SubscriptionPatch, ifMatch int64) (*Subscription, error) {
	if err := access.Require(p, ManageSubscriptions, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	probs := atrium.Problems{}
	if patch.Name != nil {
		*patch.Name = strings.TrimSpace(*patch.Name)
		switch n := utf8.RuneCountInString(*patch.Name); {
		case n == 0:
			probs.Add("name", "is required")
		case n > maxSubscriptionName:
			probs.Addf("name", "err.max_chars", "must be at most {{.Count}} characters", "Count", maxSubscriptionName)
		}
	}
	if patch.EventTypes != nil {
		s.checkEventTypes(*patch.EventTypes, probs)
	}
	if patch.URL != nil {
		s.checkURL(ctx, "url", *patch.URL, probs)
	}
	var newSealed string
	if patch.Sink != nil {
		cur, err := getSubscription(ctx, s.db.Read(), p.Org, id)
		if err != nil {
			return nil, err
		}
		k := *patch.Sink
		k.Servers, k.BootstrapServers = slices.Clone(k.Servers), slices.Clone(k.BootstrapServers)
		if k.Type == "" {
			k.Type = cur.Sink.Type
		}
		if k.Type != cur.Sink.Type {
			probs.Add("sink.type", "cannot change; create a new subscription for another kind of sink")
		} else if k.Type != SinkWebhook {
			keep, err := s.credentials(ctx, id)
			if err != nil {
				return nil, atrium.Internal(err)
			}
			if k.Token == "" && k.Password == "" && k.Credentials == "" {
				s.checkSink(ctx, &k, &keep, probs)
				k.HasCredentials = keep != credentials{}
			} else {
				s.checkSink(ctx, &k, nil, probs)
				sealed, err := s.sealer.Seal([]byte(credentialsOf(k)), secretAAD(id))
				if err != nil {
					return nil, atrium.Internal(err)
				}
				newSealed, k.HasCredentials = sealed, true
			}
		} else {
			s.checkSink(ctx, &k, nil, probs)
		}
		k.Token, k.Password, k.Credentials = "", "", ""
		patch.Sink = &k
	}
	if patch.State != nil && *patch.State != SubscriptionActive && *patch.State != SubscriptionPaused {
		probs.Add("state", "must be active or paused")
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	var out *Subscription
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		sub, err := getSubscription(ctx, tx, p.Org, id)
		if err != nil {
			return err
		}
		if ifMatch != 0 && ifMatch != sub.Version {
			return atrium.Errorf(atrium.CodePreconditionFailed, "the event subscription was changed by someone else; reload and try again")
		}
		before := map[string]any{"name": sub.Name, "event_types": sub.EventTypes, "sink": sub.Sink, "state": sub.State}
		if patch.Name != nil {
			sub.Name = *patch.Name
		}
		if patch.EventTypes != nil {
			sub.EventTypes = *patch.EventTypes
		}
		if patch.URL != nil {
			sub.Sink.URL = *patch.URL
		}
		if patch.Sink != nil {
			sub.Sink = *patch.Sink
		}
		if newSealed != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE event_subscriptions SET secret_sealed = $1 WHERE id = $2`, newSealed, sub.ID); err != nil {
				return err
			}
		}
		resumed := false
		if patch.State != nil && *patch.State != sub.State {
			resumed = *patch.State == SubscriptionActive
			sub.State = *patch.State
			sub.DisabledReason = ""
		}
		types, _ := json.Marshal(sub.EventTypes)
		now := tx.Now()
		failing := any(nil)
		if sub.FailingSince != nil && !resumed {
			failing = store.Micros(*sub.FailingSince)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE event_subscriptions SET name = $1, event_types = $2, sink_url = $3, sink_config = $4, state = $5,
			disabled_reason = $6, failing_since = $7, updated_at = $8, version = version + 1 WHERE id = $9`,
			sub.Name, string(types), sub.Sink.URL, sub.Sink.config(), sub.State, sub.DisabledReason, failing, store.Micros(now), sub.ID); err != nil {
			return err
		}
		if resumed {
			if err := s.pushAfter(ctx, tx, sub.ID); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "event_subscription.update", TargetType: "event_subscription",
			TargetID: sub.ID, TargetName: sub.Name, Before: before,
			After: map[string]any{"name": sub.Name, "event_types": sub.EventTypes, "sink": sub.Sink, "state": sub.State}}); err != nil {
			return err
		}
		out, err = getSubscription(ctx, tx, p.Org, id)
		return err
	})
	return out, err
}

// DeleteSubscription deletes a subscription of p's organization, its pending events and
// its delivery log.
func (s *Sinks) DeleteSubscription(ctx context.Context, p *access.Principal, id string) error {
	if err := access.Require(p, ManageSubscriptions, access.Resource{Org: p.Org}); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		sub, err := getSubscription(ctx, tx, p.Org, id)
		if err != nil {
			return err
		}
		if err := deleteSubscriptionRows(ctx, tx, `id = $1`, sub.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: p.Org, Action: "event_subscription.delete", TargetType: "event_subscription",
			TargetID: sub.ID, TargetName: sub.Name, Before: map[string]any{"event_types": sub.EventTypes, "sink": sub.Sink}})
	})
}

// deleteSubscriptionRows deletes the subscriptions matching cond ($1 its argument) and
// everything they own.
func deleteSubscriptionRows(ctx context.Context, tx *store.Tx, cond string, arg string) error {
	for _, q := range []string{
		`DELETE FROM event_pending WHERE subscription_id IN (SELECT id FROM event_subscriptions WHERE ` + cond + `)`,
		`DELETE FROM event_deliveries WHERE subscription_id IN (SELECT id FROM event_subscriptions WHERE ` + cond + `)`,
		`DELETE FROM event_subscriptions WHERE ` + cond,
	} {
		if _, err := tx.ExecContext(ctx, q, arg); err != nil {
			return err
		}
	}
	return nil
}

// ForgetOrgSubscriptions deletes a purged organization's subscriptions and all they own.
func ForgetOrgSubscriptions(ctx context.Context, tx *Tx, org atrium.OrgID) error {
	return deleteSubscriptionRows(ctx, tx.Tx, `org_id = $1`, string(org))
}

// RotateSecret gives a subscription a new webhook secret and returns it (shown only
// here). Deliveries are signed with both the new and the previous secret for
// SecretOverlap.
func (s *Sinks) RotateSecret(ctx context.Context, p *access.Principal, id string) (*Subscription, error) {
	if err := access.Require(p, ManageSubscriptions, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	var out *Subscription
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		sub, err := getSubscription(ctx, tx, p.Org, id)
		if err != nil {
			return err
		}
		if sub.Sink.Type != SinkWebhook {
			return atrium.Errorf(atrium.CodeConflict, "only a webhook has a signing secret; change a broker's credentials with PATCH")
		}
		secret := newSecret()
		sealed, err := s.sealer.Seal([]byte(secret), secretAAD(sub.ID))
		if err != nil {
			return atrium.Internal(err)
		}
		now := tx.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE event_subscriptions SET prev_secret_sealed = secret_sealed, prev_secret_until = $1, secret_sealed = $2,
			updated_at = $3, version = version + 1 WHERE id = $4`, store.Micros(now.Add(SecretOverlap)), sealed, store.Micros(now), sub.ID); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "event_subscription.rotate_secret", TargetType: "event_subscription",
			TargetID: sub.ID, TargetName: sub.Name}); err != nil {
			return err
		}
		if out, err = getSubscription(ctx, tx, p.Org, id); err != nil {
			return err
		}
		out.Secret = secret
		return nil
	})
	return out, err
}

// secrets returns the secrets that sign a subscription's deliveries now: the current
// one, and the previous one during its overlap.
func (s *Sinks) secrets(ctx context.Context, q store.Querier, id string) ([]string, error) {
	var cur string
	var prev sql.NullString
	var until sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT secret_sealed, prev_secret_sealed, prev_secret_until FROM event_subscriptions WHERE id = $1`, id).
		Scan(&cur, &prev, &until); err != nil {
		return nil, store.Translate(err)
	}
	secret, err := s.sealer.Open(cur, secretAAD(id))
	if err != nil {
		return nil, err
	}
	out := []string{string(secret)}
	if prev.Valid && until.Valid && s.clock.Now().Before(store.Time(until.Int64)) {
		old, err := s.sealer.Open(prev.String, secretAAD(id))
		if err != nil {
			return nil, err
		}
		out = append(out, string(old))
	}
	return out, nil
}

// Reseal rewrites every subscription's sealed secrets through reseal (atrium secrets
// rotate) and returns how many values it rewrote.
func (s *Sinks) Reseal(ctx context.Context, db *store.DB, reseal func(sealed, aad string) (string, error)) (int, error) {
	rows, err := db.Read().QueryContext(ctx, `SELECT id, secret_sealed, prev_secret_sealed FROM event_subscriptions`)
	if err != nil {
		return 0, err
	}
	type row struct {
		id, cur string
		prev    sql.NullString
	}
	var list []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.cur, &r.prev); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, r := range list {
		cur, err := reseal(r.cur, secretAAD(r.id))
		if err != nil {
			return n, err
		}
		prev := any(nil)
		if r.prev.Valid {
			p, err := reseal(r.prev.String, secretAAD(r.id))
			if err != nil {
				return n, err
			}
			prev = p
			n++
		}
		if _, err := db.Write().ExecContext(ctx, `UPDATE event_subscriptions SET secret_sealed = $1, prev_secret_sealed = $2 WHERE id = $3`,
			cur, prev, r.id); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
