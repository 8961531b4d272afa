package events

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
)

// A broker sink (NATS JetStream, Kafka) gets a subscription's pending events in batches:
// published together, acknowledged together, so that a stream of thousands of events a
// second costs a round trip per batch rather than per event. Its client is kept between
// pushes (clients) and rebuilt when the subscription changes.

// Limits of a broker sink's fields.
const (
	maxServers       = 10
	maxSubjectLength = 200
	maxTopicLength   = 249
	// brokerBatch is how many events a push hands a broker at a time.
	brokerBatch = 500
	// clientIdle is how long an unused broker client stays open.
	clientIdle = 5 * time.Minute
)

// SASL mechanisms a Kafka sink may use.
const (
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

// eventHubsUser is the SASL PLAIN user name Azure Event Hubs takes, with the namespace's
// connection string as the password.
const eventHubsUser = "$ConnectionString"

var (
	natsSubjectRe = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)
	kafkaTopicRe  = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// checkSink adds a problem for every field of k that is wrong for its type; k's
// servers are normalized. keep are the stored credentials a change leaves in place
// (nil at creation).
func (s *Sinks) checkSink(ctx context.Context, k *Sink, keep *credentials, probs atrium.Problems) {
	switch k.Type {
	case SinkWebhook:
		s.checkURL(ctx, "sink.url", k.URL, probs)
	case SinkNATS:
		s.checkNATS(ctx, k, keep, probs)
	case SinkKafka:
		s.checkKafka(ctx, k, keep, probs)
	default:
		probs.Add("sink.type", "must be webhook, nats or kafka")
	}
}

func (s *Sinks) checkNATS(ctx context.Context, k *Sink, keep *credentials, probs atrium.Problems) {
	if len(k.Servers) == 0 || len(k.Servers) > maxServers {
		probs.Addf("sink.servers", "err.events.servers_count", "give between 1 and {{.Count}} servers", "Count", maxServers)
	}
	for i, raw := range k.Servers {
		field := fmt.Sprintf("sink.servers[%d]", i)
		u, err := url.Parse(strings.TrimSpace(raw))
		switch {
		case err != nil || u.Host == "" || u.Opaque != "":
			probs.Add(field, "must be a URL such as nats://nats.example.com:4222")
		case u.Scheme != "nats" && u.Scheme != "tls":
			probs.Add(field, "must be a nats:// or tls:// URL")
		case u.User != nil || u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "":
			probs.Add(field, "must hold only a scheme, a host and a port; give credentials as token or username and password")
		default:
			if err := s.checkHost(ctx, u.Hostname()); err != nil {
				probs.Add(field, err.Error())
			}
			k.Servers[i] = u.Scheme + "://" + u.Host
		}
	}
	switch {
	case k.Subject == "":
		probs.Add("sink.subject", "is required")
	case len(k.Subject) > maxSubjectLength:
		probs.Addf("sink.subject", "err.max_chars", "must be at most {{.Count}} characters", "Count", maxSubjectLength)
	case !natsSubjectRe.MatchString(k.Subject):
		probs.Add("sink.subject", "must be dot-separated tokens of letters, digits, - and _, without wildcards")
	}
	if k.Token != "" && (k.Username != "" || k.Password != "") {
		probs.Add("sink.token", "give a token or a username and password, not both")
	}
	if k.Credentials != "" {
		if k.Token != "" || k.Username != "" || k.Password != "" {
			probs.Add("sink.credentials", "give credentials alone, without a token, username or password")
		} else if _, _, err := parseCreds(k.Credentials); err != nil {
			probs.Add("sink.credentials", err.Error())
		}
	}
	if k.Username != "" && k.Password == "" && (keep == nil || keep.Password == "") {
		probs.Add("sink.password", "is required with a username")
	}
	if k.Password != "" && k.Username == "" {
		probs.Add("sink.username", "is required with a password")
	}
	if k.TLS != nil || k.SASLMechanism != "" || len(k.BootstrapServers) > 0 || k.Topic != "" || k.URL != "" {
		probs.Add("sink", "holds fields of another sink type; a NATS sink takes servers, subject, token, credentials or username and password")
	}
}

func (s *Sinks) checkKafka(ctx context.Context, k *Sink, keep *credentials, probs atrium.Problems) {
	if len(k.BootstrapServers) == 0 || len(k.BootstrapServers) > maxServers {
		probs.Addf("sink.bootstrap_servers", "err.events.servers_count", "give between 1 and {{.Count}} servers", "Count", maxServers)
	}
	for i, raw := range k.BootstrapServers {
		field := fmt.Sprintf("sink.bootstrap_servers[%d]", i)
		host, port, err := net.SplitHostPort(strings.TrimSpace(raw))
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			probs.Add(field, "must be host:port, such as kafka.example.com:9093")
			continue
		}
		if err := s.checkHost(ctx, host); err != nil {
			probs.Add(field, err.Error())
		}
		k.BootstrapServers[i] = net.JoinHostPort(host, port)
	}
	switch {
	case k.Topic == "":
		probs.Add("sink.topic", "is required")
	case len(k.Topic) > maxTopicLength:
		probs.Addf("sink.topic", "err.max_chars", "must be at most {{.Count}} characters", "Count", maxTopicLength)
	case !kafkaTopicRe.MatchString(k.Topic) || k.Topic == "." || k.Topic == "..":
		probs.Add("sink.topic", "must be letters, digits, ., - and _")
	}
	password := k.Password
	if password == "" && keep != nil {
		password = keep.Password
	}
	switch k.SASLMechanism {
	case "":
		if k.Username != "" || k.Password != "" {
			probs.Add("sink.sasl_mechanism", "is required with a username and password: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
		}
	case SASLPlain, SASLScramSHA256, SASLScramSHA512:
		if k.Username == "" {
			probs.Add("sink.username", "is required with a SASL mechanism")
		}
		if password == "" {
			probs.Add("sink.password", "is required with a SASL mechanism")
		}
		if !k.Encrypted() {
			probs.Add("sink.tls", "must be on when credentials are sent; turn it off only for a broker without SASL")
		}
		if k.Username == eventHubsUser && (k.SASLMechanism != SASLPlain || k.Password != "" && !strings.HasPrefix(k.Password, "Endpoint=sb://")) {
			probs.Add("sink.password", "must be the Event Hubs connection string (Endpoint=sb://…) with the PLAIN mechanism")
		}
	default:
		probs.Add("sink.sasl_mechanism", "must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	}
	if k.Token != "" || k.Credentials != "" || len(k.Servers) > 0 || k.Subject != "" || k.URL != "" {
		probs.Add("sink", "holds fields of another sink type; a Kafka sink takes bootstrap_servers, topic, sasl_mechanism, username, password and tls")
	}
}

// credentialsOf returns the credentials of k as secret_sealed holds them, sealed.
func credentialsOf(k Sink) string {
	b, _ := json.Marshal(credentials{Token: k.Token, Password: k.Password, Creds: k.Credentials})
	return string(b)
}

// maxCredsLength bounds a NATS .creds file (a user JWT and a seed: a few kilobytes).
const maxCredsLength = 16 << 10

// parseCreds reads the text of a NATS .creds file, as nsc writes it: the user JWT and
// the user's nkey seed, each between its BEGIN and END lines. It returns an error, a
// message for people, when the text is not that or the seed is not the JWT's user's.
func parseCreds(text string) (userJWT, seed string, err error) {
	const notCreds = "is not a NATS credentials file: give the text of a .creds file, with the user JWT and its nkey seed"
	if len(text) > maxCredsLength {
		return "", "", errors.New(notCreds)
	}
	userJWT, err = jwt.ParseDecoratedJWT([]byte(text))
	if err != nil {
		return "", "", errors.New(notCreds)
	}
	claims, err := jwt.DecodeUserClaims(userJWT)
	if err != nil {
		return "", "", errors.New(notCreds)
	}
	kp, err := jwt.ParseDecoratedUserNKey([]byte(text))
	if err != nil {
		return "", "", errors.New(notCreds)
	}
	defer kp.Wipe()
	pub, err := kp.PublicKey()
	if err != nil {
		return "", "", errors.New(notCreds)
	}
	if pub != claims.Subject {
		return "", "", errors.New("holds an nkey seed that is not the user JWT's: give the user's own .creds file")
	}
	raw, err := kp.Seed()
	if err != nil {
		return "", "", errors.New(notCreds)
	}
	return userJWT, string(raw), nil
}

// credentials opens a broker subscription's stored credentials.
func (s *Sinks) credentials(ctx context.Context, id string) (credentials, error) {
	var sealed string
	if err := s.db.Read().QueryRowContext(ctx, `SELECT secret_sealed FROM event_subscriptions WHERE id = $1`, id).Scan(&sealed); err != nil {
		return credentials{}, store.Translate(err)
	}
	raw, err := s.sealer.Open(sealed, secretAAD(id))
	if err != nil {
		return credentials{}, err
	}
	var c credentials
	if err := json.Unmarshal(raw, &c); err != nil {
		return credentials{}, fmt.Errorf("events: stored credentials: %w", err)
	}
	return c, nil
}

// driver delivers rendered events to one sink.
type driver interface {
	// send delivers bodies (the CloudEvents of evs) in order and fills in atts, one per
	// event: OK, latency and the sink's answer or error. It returns how many of them it
	// tried.
	send(ctx context.Context, evs []*Event, bodies [][]byte, atts []Attempt) int
	close()
}

// clients keeps the broker clients of the subscriptions pushed lately, one per
// subscription version.
type clients struct {
	mu   sync.Mutex
	list map[string]*client
}

type client struct {
	version int64
	drv     driver
	used    time.Time
	busy    int
}

// get returns the driver of a subscription at version, made by mk when there is none
// or the subscription changed since; release hands it back. Clients idle for clientIdle
// are closed.
func (c *clients) get(sub string, version int64, mk func() (driver, error)) (driver, func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.list == nil {
		c.list = map[string]*client{}
	}
	now := time.Now()
	for id, cl := range c.list {
		if cl.busy == 0 && (now.Sub(cl.used) > clientIdle || id == sub && cl.version != version) {
			cl.drv.close()
			delete(c.list, id)
		}
	}
	cl := c.list[sub]
	if cl == nil || cl.version != version {
		drv, err := mk()
		if err != nil {
			return nil, nil, err
		}
		cl = &client{version: version, drv: drv}
		if old := c.list[sub]; old == nil || old.busy == 0 {
			c.list[sub] = cl
		}
	}
	cl.busy++
	cl.used = now
	return cl.drv, func() {
		c.mu.Lock()
		cl.busy--
		cl.used = time.Now()
		if c.list[sub] != cl && cl.busy == 0 {
			cl.drv.close()
		}
		c.mu.Unlock()
	}, nil
}

// closeAll closes every client.
func (c *clients) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, cl := range c.list {
		cl.drv.close()
		delete(c.list, id)
	}
}

// dialer makes s.dial (which refuses private addresses) a NATS dialer.
type dialer struct{ s *Sinks }

func (d dialer) Dial(network, address string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return d.s.dial(ctx, network, address)
}

// natsDriver publishes to JetStream, the event id as the message id so that the stream
// drops a redelivered duplicate.
type natsDriver struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	subject string
}

func (s *Sinks) newNATS(k Sink, cred credentials) (driver, error) {
	opts := []nats.Option{nats.Name("atrium"), nats.Timeout(10 * time.Second), nats.SetCustomDialer(dialer{s}),
		nats.MaxReconnects(-1), nats.ReconnectWait(time.Second)}
	if s.TLSConfig != nil {
		opts = append(opts, nats.Secure(s.TLSConfig.Clone()))
	}
	switch {
	case cred.Creds != "":
		userJWT, seed, err := parseCreds(cred.Creds)
		if err != nil {
			return nil, fmt.Errorf("NATS credentials: %w", err)
		}
		opts = append(opts, nats.UserJWTAndSeed(userJWT, seed))
	case cred.Token != "":
		opts = append(opts, nats.Token(cred.Token))
	case k.Username != "":
		opts = append(opts, nats.UserInfo(k.Username, cred.Password))
	}
	nc, err := nats.Connect(strings.Join(k.Servers, ","), opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(2*brokerBatch))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("NATS JetStream: %w", err)
	}
	return &natsDriver{nc: nc, js: js, subject: k.Subject}, nil
}

func (d *natsDriver) send(ctx context.Context, evs []*Event, bodies [][]byte, atts []Attempt) int {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, DeliveryTimeout)
	defer cancel()
	futures := make([]jetstream.PubAckFuture, len(evs))
	for i, e := range evs {
		msg := &nats.Msg{Subject: d.subject + "." + string(e.Type), Data: bodies[i], Header: nats.Header{}}
		msg.Header.Set("Content-Type", "application/cloudevents+json")
		f, err := d.js.PublishMsgAsync(msg, jetstream.WithMsgID(e.ID))
		if err != nil {
			for j := i; j < len(evs); j++ {
				atts[j].Error = truncate(err.Error(), 512)
			}
			break
		}
		futures[i] = f
	}
	for i, f := range futures {
		if f == nil {
			break
		}
		select {
		case ack := <-f.Ok():
			atts[i].OK = true
			atts[i].Response = fmt.Sprintf("stream %s sequence %d", ack.Stream, ack.Sequence)
			if ack.Duplicate {
				atts[i].Response += " (duplicate)"
			}
		case err := <-f.Err():
			atts[i].Error = truncate(err.Error(), 512)
		case <-ctx.Done():
			atts[i].Error = "no acknowledgement from JetStream in time"
		}
		atts[i].Latency = float64(time.Since(start).Microseconds()) / 1000
	}
	return len(evs)
}

func (d *natsDriver) close() { d.nc.Close() }

// kafkaDriver produces to a topic with an idempotent producer, keyed by organization
// so that one organization's events stay in one partition, in order.
type kafkaDriver struct {
	cl    *kgo.Client
	topic string
}

func (s *Sinks) newKafka(k Sink, cred credentials) (driver, error) {
	var tlsConf *tls.Config
	if k.Encrypted() {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
		if s.TLSConfig != nil {
			tlsConf = s.TLSConfig.Clone()
		}
	}
	opts := []kgo.Opt{kgo.SeedBrokers(k.BootstrapServers...), kgo.DefaultProduceTopic(k.Topic), kgo.ClientID("atrium"),
		kgo.RecordDeliveryTimeout(DeliveryTimeout), kgo.ProducerLinger(0), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.Dialer(func(ctx context.Context, network, host string) (net.Conn, error) {
			conn, err := s.dial(ctx, network, host)
			if err != nil || tlsConf == nil {
				return conn, err
			}
			c := tlsConf.Clone()
			if c.ServerName == "" {
				c.ServerName, _, _ = net.SplitHostPort(host)
			}
			tc := tls.Client(conn, c)
			if err := tc.HandshakeContext(ctx); err != nil {
				conn.Close()
				return nil, err
			}
			return tc, nil
		})}
	switch k.SASLMechanism {
	case SASLPlain:
		opts = append(opts, kgo.SASL(plain.Auth{User: k.Username, Pass: cred.Password}.AsMechanism()))
	case SASLScramSHA256:
		opts = append(opts, kgo.SASL(scram.Auth{User: k.Username, Pass: cred.Password}.AsSha256Mechanism()))
	case SASLScramSHA512:
		opts = append(opts, kgo.SASL(scram.Auth{User: k.Username, Pass: cred.Password}.AsSha512Mechanism()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("Kafka client: %w", err)
	}
	// A broker that refuses the credentials says so here, at once; a produce would only
	// time out.
	ctx, cancel := context.WithTimeout(context.Background(), DeliveryTimeout)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		cl.Close()
		if errors.Is(err, io.EOF) && k.SASLMechanism != "" {
			return nil, fmt.Errorf("connect to Kafka: the broker closed the connection; check the credentials (%w)", err)
		}
		return nil, fmt.Errorf("connect to Kafka: %w", err)
	}
	return &kafkaDriver{cl: cl, topic: k.Topic}, nil
}

func (d *kafkaDriver) send(ctx context.Context, evs []*Event, bodies [][]byte, atts []Attempt) int {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, DeliveryTimeout)
	defer cancel()
	recs := make([]*kgo.Record, len(evs))
	for i, e := range evs {
		recs[i] = &kgo.Record{Key: []byte(e.Org), Value: bodies[i], Headers: []kgo.RecordHeader{
			{Key: "content-type", Value: []byte("application/cloudevents+json")}, {Key: "ce_id", Value: []byte(e.ID)}}}
	}
	res := d.cl.ProduceSync(ctx, recs...)
	for i, r := range res {
		atts[i].Latency = float64(time.Since(start).Microseconds()) / 1000
		if r.Err != nil {
			msg := r.Err.Error()
			if errors.Is(r.Err, context.DeadlineExceeded) {
				msg = "no acknowledgement from Kafka in time: " + msg
			}
			atts[i].Error = truncate(msg, 512)
			continue
		}
		atts[i].OK = true
		atts[i].Response = fmt.Sprintf("partition %d offset %d", r.Record.Partition, r.Record.Offset)
	}
	return len(evs)
}

func (d *kafkaDriver) close() { d.cl.Close() }
