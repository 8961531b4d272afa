package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/secrets"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// BenchmarkPushToBroker measures the whole path of an event: b.N changes committed by
// four writers, each in its own transaction, pushed by a serving node (Start) to a NATS
// JetStream stream or a Kafka topic, and received by a consumer. It reports events per
// second from the first commit to the last receipt, the p50 and p95 lag from an event's
// time (taken in its transaction) to its receipt, and the heap in use at the end.
// ATRIUM_BENCH_EVENT_RATE paces the writers (events per second in all) to measure the
// lag below saturation; ATRIUM_BENCH_EVENTS_PER_TX commits that many events per
// transaction (a bulk change); ATRIUM_BENCH_NATS_URL names a NATS server of its own
// (nats://127.0.0.1:4222) instead of one in the process. Run:
//
//	go test ./events -run '^$' -bench PushToBroker -benchtime 100000x
func BenchmarkPushToBroker(b *testing.B) {
	for _, d := range storetest.Dialects() {
		for _, sink := range []string{"nats", "kafka"} {
			b.Run(string(d)+"/"+sink, func(b *testing.B) { benchPush(b, d, sink, false) })
		}
	}
}

// BenchmarkDrainToBroker measures the push alone: b.N events already committed (a
// consumer that was paused, a broker that was down) drained to NATS or Kafka, events
// per second from resuming to the last receipt. Run:
//
//	go test ./events -run '^$' -bench DrainToBroker -benchtime 100000x
func BenchmarkDrainToBroker(b *testing.B) {
	for _, d := range storetest.Dialects() {
		for _, sink := range []string{"nats", "kafka"} {
			b.Run(string(d)+"/"+sink, func(b *testing.B) { benchPush(b, d, sink, true) })
		}
	}
}

// received counts the events a consumer got and keeps their lags in a histogram of
// 2 % wide buckets, so that the benchmark's own memory stays flat however many events
// run through it and the heap reported is Atrium's.
type received struct {
	mu      sync.Mutex
	n       int
	buckets [1500]int
	last    time.Time
	all     chan struct{}
	want    int
}

func (r *received) add(body []byte) {
	var ce struct {
		Time time.Time `json:"time"`
	}
	if json.Unmarshal(body, &ce) != nil {
		return
	}
	now := time.Now()
	lag := max(now.Sub(ce.Time).Microseconds(), 1)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buckets[min(int(math.Log(float64(lag))/math.Log(1.02)), len(r.buckets)-1)]++
	r.last = now
	if r.n++; r.n == r.want {
		close(r.all)
	}
}

// percentile returns the lag below which fraction q of the events arrived (the upper
// edge of its bucket).
func (r *received) percentile(q float64) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	target, seen := int(math.Ceil(q*float64(r.n))), 0
	for i, c := range r.buckets {
		if seen += c; seen >= target {
			return time.Duration(math.Pow(1.02, float64(i+1))) * time.Microsecond
		}
	}
	return 0
}

func benchPush(b *testing.B, d store.Dialect, sink string, drain bool) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := storetest.Open(b, d, sinkMigrations())
	bus, sinks := liveSinks(db, secrets.Ephemeral())
	admin := adminOf(atrium.OrgID(uuid.NewString()))
	got := &received{all: make(chan struct{}), want: b.N}

	var in events.Sink
	subject := "atrium.events"
	switch sink {
	case "nats":
		url, token := os.Getenv("ATRIUM_BENCH_NATS_URL"), ""
		if url == "" {
			url, _ = startNATS(b, "tok")
			token = "tok"
		}
		nc, err := nats.Connect(url, nats.Token(token))
		if err != nil {
			b.Fatal(err)
		}
		defer nc.Close()
		if token == "" {
			// A server of its own (the machine's nats-server): the benchmark's stream,
			// removed at the end, so that the heap measured is Atrium's alone.
			js, _ := jetstream.New(nc)
			name := "ATRIUM_BENCH_" + strconv.FormatInt(time.Now().UnixNano(), 36)
			if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{"atrium.bench." + name + ".>"}}); err != nil {
				b.Fatal(err)
			}
			defer js.DeleteStream(context.Background(), name)
			subject = "atrium.bench." + name
		}
		if _, err := nc.Subscribe(subject+".>", func(m *nats.Msg) { got.add(m.Data) }); err != nil {
			b.Fatal(err)
		}
		nc.Flush()
		in = events.Sink{Type: "nats", Servers: []string{url}, Subject: subject, Token: token}
	case "kafka":
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "lake"))
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		consumer, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("lake"), kgo.FetchMaxWait(50*time.Millisecond))
		if err != nil {
			b.Fatal(err)
		}
		defer consumer.Close()
		go func() {
			for ctx.Err() == nil {
				consumer.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got.add(r.Value) })
			}
		}()
		off := false
		in = events.Sink{Type: "kafka", BootstrapServers: c.ListenAddrs(), Topic: "lake", TLS: &off}
	}
	sub, err := sinks.CreateSubscription(ctx, admin, events.SubscriptionInput{Name: "bench", EventTypes: []string{"widget.created"}, Sink: in})
	if err != nil {
		b.Fatal(err)
	}
	if !drain {
		sinks.Start(ctx)
		defer func() {
			cancel()
			sinks.Wait()
		}()
	} else {
		paused := events.SubscriptionPaused
		if _, err := sinks.UpdateSubscription(ctx, admin, sub.ID, events.SubscriptionPatch{State: &paused}, 0); err != nil {
			b.Fatal(err)
		}
	}
	rate, _ := strconv.Atoi(os.Getenv("ATRIUM_BENCH_EVENT_RATE"))
	perTx, _ := strconv.Atoi(os.Getenv("ATRIUM_BENCH_EVENTS_PER_TX"))
	perTx = max(perTx, 1)
	writers, _ := strconv.Atoi(os.Getenv("ATRIUM_BENCH_WRITERS"))
	if writers <= 0 {
		writers = 8
	}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := b.N / writers
			if w < b.N%writers {
				n++
			}
			for i := 0; i < n; i += perTx {
				if rate > 0 {
					// Writer w's event i is due at a fixed point of the paced schedule.
					due := start.Add(time.Duration(float64(i*writers+w) / float64(rate) * float64(time.Second)))
					time.Sleep(time.Until(due))
				}
				if err := db.Tx(ctx, func(tx *store.Tx) error {
					for j := i; j < min(i+perTx, n); j++ {
						if _, err := bus.Publish(ctx, tx, admin.Org, "subject", userMade{Name: fmt.Sprintf("%d-%d", w, j)}); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if drain {
		start = time.Now()
		sinks.Start(ctx)
		defer func() {
			cancel()
			sinks.Wait()
		}()
		active := events.SubscriptionActive
		if _, err := sinks.UpdateSubscription(ctx, admin, sub.ID, events.SubscriptionPatch{State: &active}, 0); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-got.all:
	case <-time.After(5 * time.Minute):
		b.Fatalf("received %d of %d events", got.n, b.N)
	}
	b.StopTimer()
	got.mu.Lock()
	elapsed := got.last.Sub(start)
	got.mu.Unlock()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(got.percentile(0.5).Microseconds())/1000, "p50-lag-ms")
	b.ReportMetric(float64(got.percentile(0.95).Microseconds())/1000, "p95-lag-ms")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkWebhookFanOut measures webhook deliveries per second: b.N events committed
// for an organization with 50 subscriptions, each to its own loopback TLS receiver, on
// a serving node; from the first commit until every receiver has every event. Run:
//
//	go test ./events -run '^$' -bench WebhookFanOut -benchtime 200x
func BenchmarkWebhookFanOut(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			db := storetest.Open(b, d, sinkMigrations())
			bus, sinks := liveSinks(db, secrets.Ephemeral())
			admin := adminOf(atrium.OrgID(uuid.NewString()))
			const subs = 50
			var delivered atomic.Int64
			want := int64(subs * b.N)
			all := make(chan struct{})
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				if delivered.Add(1) == want {
					close(all)
				}
			}))
			defer srv.Close()
			tr := srv.Client().Transport.(*http.Transport).Clone()
			tr.MaxIdleConnsPerHost = subs
			sinks.Client = &http.Client{Transport: tr}
			for i := range subs {
				if _, err := sinks.CreateSubscription(ctx, admin, events.SubscriptionInput{Name: fmt.Sprintf("hook %d", i), EventTypes: []string{"widget.created"},
					Sink: events.Sink{Type: "webhook", URL: fmt.Sprintf("%s/hook/%d", srv.URL, i)}}); err != nil {
					b.Fatal(err)
				}
			}
			sinks.Start(ctx)
			defer func() {
				cancel()
				sinks.Wait()
			}()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				if err := db.Tx(ctx, func(tx *store.Tx) error {
					_, err := bus.Publish(ctx, tx, admin.Org, "subject", userMade{Name: strconv.Itoa(i)})
					return err
				}); err != nil {
					b.Fatal(err)
				}
			}
			select {
			case <-all:
			case <-time.After(time.Minute):
				var failed int
				var last string
				db.Read().QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(error), '') FROM event_deliveries WHERE NOT ok`).Scan(&failed, &last)
				b.Fatalf("%d of %d deliveries; %d failed attempts (%s)", delivered.Load(), want, failed, last)
			}
			b.StopTimer()
			b.ReportMetric(float64(want)/time.Since(start).Seconds(), "deliveries/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}
