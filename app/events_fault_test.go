package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/store/storetest"
)

// call sends a JSON request to a subprocess server with a bearer token and decodes the
// answer into out; it returns the status.
func call(t *testing.T, s *server, token, method, path string, body, out any) int {
	t.Helper()
	var buf bytes.Buffer
	if body != nil {
		json.NewEncoder(&buf).Encode(body)
	}
	req, _ := http.NewRequest(method, s.url+path, &buf)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0 // the server is gone
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// TestKilledDuringEventDelivery: users created while a NATS subscription's events are
// being pushed, the server killed with SIGKILL in the middle and started again: every
// user.created event reaches the stream, and every copy of one event (a core NATS
// subscriber sees duplicates the stream drops) carries the same id.
func TestKilledDuringEventDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
			if err != nil {
				t.Fatal(err)
			}
			go ns.Start()
			t.Cleanup(ns.Shutdown)
			if !ns.ReadyForConnections(10 * time.Second) {
				t.Fatal("nats-server did not start")
			}
			nc, err := nats.Connect(ns.ClientURL())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			js, _ := jetstream.New(nc)
			stream, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "ATRIUM", Subjects: []string{"atrium.events.>"},
				Duplicates: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			// Every copy of every event, duplicates included.
			var mu sync.Mutex
			idsByUser := map[string]map[string]bool{}
			if _, err := nc.Subscribe("atrium.events.>", func(m *nats.Msg) {
				var ce struct {
					ID   string `json:"id"`
					Data struct {
						ID string `json:"user_id"`
					} `json:"data"`
				}
				json.Unmarshal(m.Data, &ce)
				mu.Lock()
				if idsByUser[ce.Data.ID] == nil {
					idsByUser[ce.Data.ID] = map[string]bool{}
				}
				idsByUser[ce.Data.ID][ce.ID] = true
				mu.Unlock()
			}); err != nil {
				t.Fatal(err)
			}

			dsn := storetest.DSN(t, d)
			flags := []string{"--allow-private-sinks", "--event-push-lease", "2s", "--job-poll", "100ms"}
			s := startServer(t, dsn, flags...)
			if resp := s.signup(t, "Stream Co", "stream"); resp.StatusCode != http.StatusCreated {
				t.Fatalf("sign-up = %d", resp.StatusCode)
			}
			var session struct {
				Token string `json:"token"`
			}
			waitFor(t, 30*time.Second, "the organization to be provisioned", func() bool {
				return call(t, s, "", "POST", "/api/v1/sessions", map[string]any{"username": "admin@stream.atrium.localhost", "password": apptest.Password},
					&session) == http.StatusCreated
			})
			if code := call(t, s, session.Token, "POST", "/api/v1/event-subscriptions", map[string]any{"name": "Stream", "event_types": []string{"user.created"},
				"sink": map[string]any{"type": "nats", "servers": []string{ns.ClientURL()}, "subject": "atrium.events"}}, nil); code != http.StatusCreated {
				t.Fatalf("subscribe = %d", code)
			}
			create := func(s *server, n, from int) {
				for i := range n {
					if call(t, s, session.Token, "POST", "/api/v1/users", map[string]any{"username": fmt.Sprintf("u%d", from+i), "display_name": "U",
						"password": apptest.Password}, nil) == 0 {
						return // killed
					}
				}
			}
			delivered := func() int {
				info, err := stream.Info(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				return int(info.State.Msgs)
			}
			// Killed while users are being created and their events pushed.
			var creators sync.WaitGroup
			for w := range 4 {
				creators.Add(1)
				go func() {
					defer creators.Done()
					create(s, 200, w*200)
				}()
			}
			waitFor(t, 30*time.Second, "the first deliveries", func() bool { return delivered() >= 40 })
			s.kill(t)
			creators.Wait()
			db := openDB(t, dsn)
			// Every user the database has, whatever the answer its creator got.
			users := func() []string {
				rows, err := db.Read().QueryContext(t.Context(), `SELECT u.id FROM users u JOIN organizations o ON o.id = u.org_id
					WHERE o.name = 'Stream Co' AND u.username <> 'admin@stream.atrium.localhost'`)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				var out []string
				for rows.Next() {
					var id string
					rows.Scan(&id)
					out = append(out, id)
				}
				return out
			}
			t.Logf("killed with %d users created, %d events delivered and %d pending", len(users()), delivered(),
				count(t, db, `SELECT count(*) FROM event_pending`))
			s = startServer(t, dsn, flags...)
			create(s, 20, 1000)
			created := users()
			waitFor(t, 60*time.Second, "every event in the stream", func() bool { return delivered() >= len(created) })
			if n := delivered(); n != len(created) {
				t.Fatalf("stream holds %d events for %d users", n, len(created))
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range created {
				if len(idsByUser[id]) != 1 {
					t.Errorf("user %s: event ids %v, want one", id, idsByUser[id])
				}
			}
		})
	}
}
