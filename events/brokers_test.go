package events_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// startNATS runs an embedded nats-server with JetStream on loopback, requiring token,
// with a stream that captures atrium.events.>.
func startNATS(t testing.TB, token string) (url string, js jetstream.JetStream) {
	t.Helper()
	return runNATS(t, -1, token)
}

// runNATS runs an embedded nats-server with JetStream on loopback port (-1: any),
// requiring token when not empty, with a stream ATRIUM that captures atrium.events.>.
func runNATS(t testing.TB, port int, token string) (url string, js jetstream.JetStream) {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: t.TempDir(),
		Authorization: token, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	nc, err := nats.Connect(ns.ClientURL(), nats.Token(token))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err = jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "ATRIUM", Subjects: []string{"atrium.events.>"},
		Duplicates: time.Hour}); err != nil {
		t.Fatal(err)
	}
	return ns.ClientURL(), js
}

// streamed reads every message of the stream, in order.
func streamed(t *testing.T, js jetstream.JetStream) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, "ATRIUM")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

type cloudEvent struct {
	ID    string         `json:"id"`
	Type  string         `json:"type"`
	OrgID string         `json:"orgid"`
	Data  map[string]any `json:"data"`
}

// TestNATSDeliveries: a subscription's events reach the JetStream stream once each, in
// order, on the subject with the type appended, the event id as the message id; another
// organization's events never do; a NATS that is down (and one that refuses the token)
// leaves failed attempts in the log, and once it is back nothing is lost or reordered.
func TestNATSDeliveries(t *testing.T) {
	storetest.Each(t, sinkMigrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newSinkEnv(t, db, true)
		url, js := startNATS(t, "s3cret-token")
		sub, err := e.sinks.CreateSubscription(ctx, e.admin, events.SubscriptionInput{Name: "Stream", EventTypes: []string{"widget.*"},
			Sink: events.Sink{Type: "nats", Servers: []string{url}, Subject: "atrium.events", Token: "wrong-token"}})
		if err != nil {
			t.Fatal(err)
		}
		if sub.Secret != "" || sub.Sink.Token != "" || !sub.Sink.HasCredentials {
			t.Fatalf("created %+v", sub.Sink)
		}
		var sealed string
		if err := db.Read().QueryRowContext(ctx, `SELECT secret_sealed || sink_config FROM event_subscriptions WHERE id = $1`, sub.ID).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(sealed, "wrong-token") {
			t.Fatal("the token is stored in the clear")
		}
		outsider := adminOf(atrium.OrgID("other-org"))
		const n = 120
		for i := range n {
			e.publish(t, e.admin.Org, userMade{Name: fmt.Sprintf("w%03d", i)})
			if i%40 == 0 {
				e.publish(t, outsider.Org, userMade{Name: "foreign"})
			}
		}
		e.run(t)
		if got := streamed(t, js); len(got) != 0 {
			t.Fatalf("a refused token delivered %d", len(got))
		}
		log, _, err := e.sinks.Deliveries(ctx, e.admin, sub.ID, 10, "")
		if err != nil || len(log) == 0 || log[0].OK || !strings.Contains(strings.ToLower(log[0].Error), "authorization") {
			t.Fatalf("delivery log after a refused token: %+v, %v", log, err)
		}
		// The right token: the backoff's attempt delivers everything, in order.
		token := "s3cret-token"
		if _, err := e.sinks.UpdateSubscription(ctx, e.admin, sub.ID, events.SubscriptionPatch{Sink: &events.Sink{Servers: []string{url},
			Subject: "atrium.events", Token: token}}, 0); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		e.run(t)
		got := streamed(t, js)
		if len(got) != n {
			t.Fatalf("stream holds %d messages, want %d", len(got), n)
		}
		for i, m := range got {
			var ce cloudEvent
			if err := json.Unmarshal(m.Data, &ce); err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("w%03d", i); ce.Data["name"] != want || ce.OrgID != string(e.admin.Org) {
				t.Fatalf("message %d: %s of %s, want %s", i, ce.Data["name"], ce.OrgID, want)
			}
			if m.Subject != "atrium.events.widget.created" || m.Header.Get("Nats-Msg-Id") != ce.ID || ce.Type != "io.atrium.widget.created" {
				t.Fatalf("message %d: subject %s, id %s, event %+v", i, m.Subject, m.Header.Get("Nats-Msg-Id"), ce)
			}
		}
		// Redelivering an event publishes it again with the same id: the stream drops it.
		var first cloudEvent
		json.Unmarshal(got[0].Data, &first)
		if _, err := e.sinks.Redeliver(ctx, e.admin, sub.ID, first.ID, time.Time{}); err != nil {
			t.Fatal(err)
		}
		e.run(t)
		if again := streamed(t, js); len(again) != n {
			t.Fatalf("a redelivered event was stored twice: %d messages", len(again))
		}
		log, _, _ = e.sinks.Deliveries(ctx, e.admin, sub.ID, 1, "")
		if len(log) != 1 || !log[0].OK || !strings.Contains(log[0].Response, "duplicate") {
			t.Fatalf("the redelivery's log entry: %+v", log)
		}
		// The test event goes to the stream too.
		att, err := e.sinks.TestTarget(ctx, e.admin, sub.ID)
		if err != nil || !att.OK {
			t.Fatalf("test event: %+v, %v", att, err)
		}
		if last := streamed(t, js); len(last) != n+1 || last[n].Subject != "atrium.events.event_subscription.test" {
			t.Fatalf("the test event: %d messages", len(last))
		}
	})
}

// TestNATSDown: events published while the NATS server is unreachable are delivered,
// in order, once a server answers at the address again.
func TestNATSDown(t *testing.T) {
	storetest.Each(t, sinkMigrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newSinkEnv(t, db, true)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close() // nothing listens there yet
		sub, err := e.sinks.CreateSubscription(ctx, e.admin, events.SubscriptionInput{Name: "Stream", EventTypes: []string{"widget.created"},
			Sink: events.Sink{Type: "nats", Servers: []string{fmt.Sprintf("nats://127.0.0.1:%d", port)}, Subject: "atrium.events"}})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			e.publish(t, e.admin.Org, userMade{Name: fmt.Sprintf("d%d", i)})
		}
		e.run(t)
		log, _, _ := e.sinks.Deliveries(ctx, e.admin, sub.ID, 10, "")
		if len(log) != 1 || log[0].OK || log[0].Error == "" {
			t.Fatalf("delivery log while down: %+v", log)
		}
		_, js := runNATS(t, port, "")
		e.clock.Advance(time.Minute)
		e.run(t)
		got := streamed(t, js)
		var names []string
		for _, m := range got {
			var ce cloudEvent
			json.Unmarshal(m.Data, &ce)
			names = append(names, ce.Data["name"].(string))
		}
		if strings.Join(names, " ") != "d0 d1 d2 d3 d4" {
			t.Fatalf("after the server came back: %v", names)
		}
	})
}

// selfSigned returns a TLS certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kafka.test"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// eventHubsConn is a connection string in the form Azure Event Hubs gives.
const eventHubsConn = "Endpoint=sb://atrium-test.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0"

// TestKafkaDeliveries: with a Kafka broker (kfake) configured as Event Hubs is — TLS,
// SASL PLAIN with $ConnectionString and the connection string — a subscription's events
// land on the topic once each, keyed by organization and in order; wrong credentials
// leave a failed attempt in the log, never a delivery.
func TestKafkaDeliveries(t *testing.T) {
	storetest.Each(t, sinkMigrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cert, pool := selfSigned(t)
		serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "lake"), kfake.EnableSASL(),
			kfake.Superuser("PLAIN", "$ConnectionString", eventHubsConn), kfake.TLS(serverTLS))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		e := newSinkEnv(t, db, true)
		e.sinks.TLSConfig = &tls.Config{RootCAs: pool}
		sub, err := e.sinks.CreateSubscription(ctx, e.admin, events.SubscriptionInput{Name: "Lake", EventTypes: []string{"widget.created"},
			Sink: events.Sink{Type: "kafka", BootstrapServers: c.ListenAddrs(), Topic: "lake", SASLMechanism: "PLAIN",
				Username: "$ConnectionString", Password: "Endpoint=sb://atrium-test.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=d3Jvbmc="}})
		if err != nil {
			t.Fatal(err)
		}
		if sub.Sink.Password != "" || !sub.Sink.HasCredentials || !sub.Sink.Encrypted() {
			t.Fatalf("created %+v", sub.Sink)
		}
		const n = 150
		for i := range n {
			e.publish(t, e.admin.Org, userMade{Name: fmt.Sprintf("k%03d", i)})
		}
		e.publish(t, "other-org", userMade{Name: "foreign"})
		e.run(t)
		log, _, err := e.sinks.Deliveries(ctx, e.admin, sub.ID, 10, "")
		if err != nil || len(log) == 0 || log[0].OK || log[0].Error == "" {
			t.Fatalf("delivery log after wrong credentials: %+v, %v", log, err)
		}
		if _, err := e.sinks.UpdateSubscription(ctx, e.admin, sub.ID, events.SubscriptionPatch{Sink: &events.Sink{BootstrapServers: c.ListenAddrs(),
			Topic: "lake", SASLMechanism: "PLAIN", Username: "$ConnectionString", Password: eventHubsConn}}, 0); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		e.run(t)
		consumer, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("lake"), kgo.DialTLSConfig(&tls.Config{RootCAs: pool}),
			kgo.SASL(plain.Auth{User: "$ConnectionString", Pass: eventHubsConn}.AsMechanism()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		if err != nil {
			t.Fatal(err)
		}
		defer consumer.Close()
		var got []*kgo.Record
		deadline, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		for len(got) < n {
			fs := consumer.PollFetches(deadline)
			if err := deadline.Err(); err != nil {
				t.Fatalf("read %d of %d records", len(got), n)
			}
			fs.EachRecord(func(r *kgo.Record) { got = append(got, r) })
		}
		partition := got[0].Partition
		for i, r := range got {
			var ce cloudEvent
			if err := json.Unmarshal(r.Value, &ce); err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("k%03d", i); ce.Data["name"] != want || string(r.Key) != string(e.admin.Org) || r.Partition != partition {
				t.Fatalf("record %d: %v key %s partition %d, want %s in partition %d", i, ce.Data["name"], r.Key, r.Partition, want, partition)
			}
		}
	})
}

// TestBrokerSinkInput: bad broker settings are refused at creation, naming the field.
func TestBrokerSinkInput(t *testing.T) {
	storetest.Each(t, sinkMigrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newSinkEnv(t, db, false)
		cases := map[string]events.Sink{
			"sink.servers":                {Type: "nats", Subject: "a.b"},
			"sink.servers[0]":             {Type: "nats", Servers: []string{"http://93.184.215.14:4222"}, Subject: "a.b"},
			"sink.subject":                {Type: "nats", Servers: []string{"nats://93.184.215.14:4222"}, Subject: "a.>"},
			"sink.token":                  {Type: "nats", Servers: []string{"nats://93.184.215.14:4222"}, Subject: "a", Token: "t", Username: "u", Password: "p"},
			"sink.bootstrap_servers[0]":   {Type: "kafka", BootstrapServers: []string{"127.0.0.1:9093"}, Topic: "t"},
			"sink.bootstrap_servers[0] ":  {Type: "kafka", BootstrapServers: []string{"broker"}, Topic: "t"},
			"sink.topic":                  {Type: "kafka", BootstrapServers: []string{"93.184.215.14:9093"}, Topic: "a/b"},
			"sink.sasl_mechanism":         {Type: "kafka", BootstrapServers: []string{"93.184.215.14:9093"}, Topic: "t", SASLMechanism: "GSSAPI"},
			"sink.password":               {Type: "kafka", BootstrapServers: []string{"93.184.215.14:9093"}, Topic: "t", SASLMechanism: "PLAIN", Username: "u"},
			"sink.password ":              {Type: "kafka", BootstrapServers: []string{"93.184.215.14:9093"}, Topic: "t", SASLMechanism: "PLAIN", Username: "$ConnectionString", Password: "secret"},
			"sink.tls":                    {Type: "kafka", BootstrapServers: []string{"93.184.215.14:9093"}, Topic: "t", SASLMechanism: "SCRAM-SHA-256", Username: "u", Password: "p", TLS: new(bool)},
			"sink":                        {Type: "kafka", BootstrapServers: []string{"93.184.215.14:9093"}, Topic: "t", Subject: "x"},
			"sink.servers[0] private":     {Type: "nats", Servers: []string{"nats://10.1.2.3:4222"}, Subject: "a"},
			"sink.bootstrap_servers[0] 2": {Type: "kafka", BootstrapServers: []string{"[::1]:9092"}, Topic: "t"},
		}
		for name, sink := range cases {
			field, _, _ := strings.Cut(strings.TrimSpace(name), " ")
			_, err := e.sinks.CreateSubscription(ctx, e.admin, events.SubscriptionInput{Name: "x", EventTypes: []string{"widget.created"}, Sink: sink})
			if atrium.ErrorCode(err) != atrium.CodeInvalid || atrium.FieldMessage(err, field) == "" {
				t.Errorf("%s: %v", name, err)
			}
		}
		var n int
		db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM event_subscriptions`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d subscriptions written by bad input", n)
		}
		// Rotating a secret is for webhooks only.
		sub, err := e.sinks.CreateSubscription(ctx, e.admin, events.SubscriptionInput{Name: "ok", EventTypes: []string{"widget.created"},
			Sink: events.Sink{Type: "kafka", BootstrapServers: []string{"93.184.215.14:9093"}, Topic: "t"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.sinks.RotateSecret(ctx, e.admin, sub.ID); atrium.ErrorCode(err) != atrium.CodeConflict {
			t.Fatalf("rotate a Kafka sink's secret: %v", err)
		}
		if _, err := e.sinks.UpdateSubscription(ctx, e.admin, sub.ID, events.SubscriptionPatch{Sink: &events.Sink{Type: "nats"}}, 0); atrium.FieldMessage(err, "sink.type") == "" {
			t.Fatalf("change the sink type: %v", err)
		}
	})
}

// TestPushOnCommit: on a serving node (Start), committed events reach the sink without
// a job per event, in order, from several publishers at once.
func TestPushOnCommit(t *testing.T) {
	storetest.Each(t, sinkMigrations(), func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		e := newSinkEnv(t, db, true)
		url, js := startNATS(t, "tok")
		if _, err := e.sinks.CreateSubscription(ctx, e.admin, events.SubscriptionInput{Name: "Stream", EventTypes: []string{"widget.created"},
			Sink: events.Sink{Type: "nats", Servers: []string{url}, Subject: "atrium.events", Token: "tok"}}); err != nil {
			t.Fatal(err)
		}
		e.sinks.Start(ctx)
		defer func() {
			cancel()
			e.sinks.Wait()
		}()
		const writers, each = 4, 50
		done := make(chan struct{})
		for w := range writers {
			go func() {
				defer func() { done <- struct{}{} }()
				for i := range each {
					e.publish(t, e.admin.Org, userMade{Name: fmt.Sprintf("%d-%03d", w, i)})
				}
			}()
		}
		for range writers {
			<-done
		}
		deadline := time.Now().Add(30 * time.Second)
		var got []*jetstream.RawStreamMsg
		for {
			got = streamed(t, js)
			if len(got) >= writers*each || time.Now().After(deadline) {
				break
			}
			runtimeYield()
		}
		if len(got) != writers*each {
			t.Fatalf("stream holds %d of %d events", len(got), writers*each)
		}
		last := map[string]string{}
		for _, m := range got {
			var ce cloudEvent
			json.Unmarshal(m.Data, &ce)
			name := ce.Data["name"].(string)
			w, _, _ := strings.Cut(name, "-")
			if name <= last[w] {
				t.Fatalf("%s after %s", name, last[w])
			}
			last[w] = name
		}
		var jobs int
		db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE kind = 'events.push'`).Scan(&jobs)
		if jobs != 0 {
			t.Fatalf("%d push jobs queued on a serving node", jobs)
		}
	})
}

// runtimeYield waits a little for another goroutine's work: a poll, not a sleep that
// a test's outcome depends on.
func runtimeYield() { time.Sleep(5 * time.Millisecond) }

// TestKafkaSCRAM: a broker taking SCRAM-SHA-512 gets the events over TLS.
func TestKafkaSCRAM(t *testing.T) {
	storetest.Each(t, sinkMigrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cert, pool := selfSigned(t)
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "audit"), kfake.EnableSASL(),
			kfake.Superuser("SCRAM-SHA-512", "atrium", "s3cret"), kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		e := newSinkEnv(t, db, true)
		e.sinks.TLSConfig = &tls.Config{RootCAs: pool}
		sub, err := e.sinks.CreateSubscription(ctx, e.admin, events.SubscriptionInput{Name: "Audit", EventTypes: []string{"widget.*"},
			Sink: events.Sink{Type: "kafka", BootstrapServers: c.ListenAddrs(), Topic: "audit", SASLMechanism: "SCRAM-SHA-512", Username: "atrium", Password: "s3cret"}})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			e.publish(t, e.admin.Org, userMade{Name: fmt.Sprintf("s%d", i)})
		}
		e.run(t)
		log, _, err := e.sinks.Deliveries(ctx, e.admin, sub.ID, 20, "")
		if err != nil || len(log) != 10 {
			t.Fatalf("delivery log: %d entries, %v", len(log), err)
		}
		for _, a := range log {
			if !a.OK || !strings.HasPrefix(a.Response, "partition 0 offset ") {
				t.Fatalf("attempt %+v", a)
			}
		}
	})
}

// natsAccount is an account of an embedded nats-server in operator (JWT) mode: its key
// signs the users it trusts.
type natsAccount struct {
	url string
	key nkeys.KeyPair
	js  jetstream.JetStream
}

// userCreds returns the text of a .creds file of a new user signed by key.
func userCreds(t *testing.T, key nkeys.KeyPair) string {
	t.Helper()
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := user.PublicKey()
	seed, _ := user.Seed()
	uc := jwt.NewUserClaims(pub)
	uc.Name = "atrium"
	userJWT, err := uc.Encode(key)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := jwt.FormatUserConfig(userJWT, seed)
	if err != nil {
		t.Fatal(err)
	}
	return string(creds)
}

// startNATSOperator runs an embedded nats-server with JetStream in operator mode: an
// operator, one account with JetStream in a memory resolver, users authenticated by
// their JWT and nkey seed. The stream ATRIUM of the account captures atrium.events.>.
func startNATSOperator(t *testing.T) natsAccount {
	t.Helper()
	op, err := nkeys.CreateOperator()
	if err != nil {
		t.Fatal(err)
	}
	opPub, _ := op.PublicKey()
	// JetStream needs the system account.
	sys, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	sysPub, _ := sys.PublicKey()
	oc := jwt.NewOperatorClaims(opPub)
	oc.Name = "test-operator"
	oc.SystemAccount = sysPub
	opJWT, err := oc.Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	if oc, err = jwt.DecodeOperatorClaims(opJWT); err != nil {
		t.Fatal(err)
	}
	acc, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	accPub, _ := acc.PublicKey()
	ac := jwt.NewAccountClaims(accPub)
	ac.Name = "atrium"
	ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
	accJWT, err := ac.Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	sc := jwt.NewAccountClaims(sysPub)
	sc.Name = "SYS"
	sysJWT, err := sc.Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	resolver := &server.MemAccResolver{}
	for pub, claims := range map[string]string{accPub: accJWT, sysPub: sysJWT} {
		if err := resolver.Store(pub, claims); err != nil {
			t.Fatal(err)
		}
	}
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
		TrustedOperators: []*jwt.OperatorClaims{oc}, AccountResolver: resolver, SystemAccount: sysPub})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	userJWT, seed, err := splitCreds(userCreds(t, acc))
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(ns.ClientURL(), nats.UserJWTAndSeed(userJWT, seed))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "ATRIUM", Subjects: []string{"atrium.events.>"},
		Duplicates: time.Hour}); err != nil {
		t.Fatal(err)
	}
	return natsAccount{url: ns.ClientURL(), key: acc, js: js}
}

// splitCreds reads a .creds file with the library nsc uses, not with Atrium's code.
func splitCreds(creds string) (userJWT, seed string, err error) {
	if userJWT, err = jwt.ParseDecoratedJWT([]byte(creds)); err != nil {
		return "", "", err
	}
	kp, err := jwt.ParseDecoratedUserNKey([]byte(creds))
	if err != nil {
		return "", "", err
	}
	raw, err := kp.Seed()
	return userJWT, string(raw), err
}

// TestNATSCredentials: a NATS sink authenticates with a .creds file (user JWT and
// nkey seed) to a server in operator mode. The credentials are sealed at rest and never
// returned; text that is no creds file, a seed of another user and credentials beside
// a token are refused naming sink.credentials; a user the server's account did not sign
// is a failed attempt in the log, and the right credentials then deliver everything.
func TestNATSCredentials(t *testing.T) {
	storetest.Each(t, sinkMigrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newSinkEnv(t, db, true)
		na := startNATSOperator(t)
		good := userCreds(t, na.key)
		stranger, err := nkeys.CreateAccount()
		if err != nil {
			t.Fatal(err)
		}
		wrong := userCreds(t, stranger) // signed by an account the server does not know

		// Bad input is refused at creation, naming the field.
		other := userCreds(t, na.key)
		jwtOnly, _ := jwt.ParseDecoratedJWT([]byte(good))
		_, otherSeed, _ := splitCreds(other)
		mixed := string(must(jwt.DecorateJWT(jwtOnly))) + string(must(jwt.DecorateSeed([]byte(otherSeed))))
		for name, sink := range map[string]events.Sink{
			"not a creds file":   {Credentials: "-----BEGIN NATS USER JWT-----\nnot a jwt\n------END NATS USER JWT------\n"},
			"plain text":         {Credentials: "hello"},
			"jwt without a seed": {Credentials: string(must(jwt.DecorateJWT(jwtOnly)))},
			"another user's key": {Credentials: mixed},
			"with a token":       {Credentials: good, Token: "tok"},
			"with a password":    {Credentials: good, Username: "u", Password: "p"},
		} {
			sink.Type, sink.Servers, sink.Subject = "nats", []string{na.url}, "atrium.events"
			_, err := e.sinks.CreateSubscription(ctx, e.admin, events.SubscriptionInput{Name: "x", EventTypes: []string{"widget.created"}, Sink: sink})
			if atrium.ErrorCode(err) != atrium.CodeInvalid || atrium.FieldMessage(err, "sink.credentials") == "" {
				t.Errorf("%s: %v", name, err)
			}
		}
		var n int
		db.Read().QueryRowContext(ctx, `SELECT COUNT(*) FROM event_subscriptions`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d subscriptions written by bad credentials", n)
		}

		sub, err := e.sinks.CreateSubscription(ctx, e.admin, events.SubscriptionInput{Name: "Stream", EventTypes: []string{"widget.*"},
			Sink: events.Sink{Type: "nats", Servers: []string{na.url}, Subject: "atrium.events", Credentials: wrong}})
		if err != nil {
			t.Fatal(err)
		}
		if sub.Sink.Credentials != "" || !sub.Sink.HasCredentials {
			t.Fatalf("created %+v", sub.Sink)
		}
		_, wrongSeed, _ := splitCreds(wrong)
		var stored string
		if err := db.Read().QueryRowContext(ctx, `SELECT secret_sealed || sink_config FROM event_subscriptions WHERE id = $1`, sub.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stored, wrongSeed) || strings.Contains(stored, "NATS USER JWT") {
			t.Fatal("the credentials are stored in the clear")
		}
		if got, err := e.sinks.Subscription(ctx, e.admin, sub.ID); err != nil || got.Sink.Credentials != "" || !got.Sink.HasCredentials {
			t.Fatalf("read back %+v, %v", got, err)
		}
		const total = 20
		for i := range total {
			e.publish(t, e.admin.Org, userMade{Name: fmt.Sprintf("c%02d", i)})
		}
		e.run(t)
		if got := streamed(t, na.js); len(got) != 0 {
			t.Fatalf("refused credentials delivered %d", len(got))
		}
		log, _, err := e.sinks.Deliveries(ctx, e.admin, sub.ID, 10, "")
		if err != nil || len(log) == 0 || log[0].OK || !strings.Contains(strings.ToLower(log[0].Error), "authorization") {
			t.Fatalf("delivery log after refused credentials: %+v, %v", log, err)
		}
		// Changing only the subject keeps the stored credentials.
		if _, err := e.sinks.UpdateSubscription(ctx, e.admin, sub.ID, events.SubscriptionPatch{Sink: &events.Sink{Servers: []string{na.url},
			Subject: "atrium.events"}}, 0); err != nil {
			t.Fatal(err)
		}
		// Bad credentials are refused on a change too; a good creds file replaces the token.
		if _, err := e.sinks.UpdateSubscription(ctx, e.admin, sub.ID, events.SubscriptionPatch{Sink: &events.Sink{Servers: []string{na.url},
			Subject: "atrium.events", Credentials: "nope"}}, 0); atrium.FieldMessage(err, "sink.credentials") == "" {
			t.Fatalf("change to bad credentials: %v", err)
		}
		if _, err := e.sinks.UpdateSubscription(ctx, e.admin, sub.ID, events.SubscriptionPatch{Sink: &events.Sink{Servers: []string{na.url},
			Subject: "atrium.events", Credentials: good}}, 0); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		e.run(t)
		got := streamed(t, na.js)
		if len(got) != total {
			t.Fatalf("stream holds %d messages, want %d", len(got), total)
		}
		for i, m := range got {
			var ce cloudEvent
			if err := json.Unmarshal(m.Data, &ce); err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("c%02d", i); ce.Data["name"] != want || m.Header.Get("Nats-Msg-Id") != ce.ID {
				t.Fatalf("message %d: %v, want %s", i, ce.Data["name"], want)
			}
		}
		if att, err := e.sinks.TestTarget(ctx, e.admin, sub.ID); err != nil || !att.OK {
			t.Fatalf("test event: %+v, %v", att, err)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
