package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/httpapi"
)

// TestEventSubscriptionsAPI: through the API, a Global admin subscribes user events to a
// webhook, gets the secret once, and the users they create reach the webhook signed so
// that the reference Standard Webhooks library verifies them; bad input is a problem
// naming the field; the delivery log and a test event work; deleting asks nothing back.
func TestEventSubscriptionsAPI(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		var mu sync.Mutex
		var got []string
		var hook *standardwebhooks.Webhook
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			if hook == nil || hook.VerifyIgnoringTimestamp(body, r.Header) != nil {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			got = append(got, string(body))
		}))
		defer srv.Close()
		sinks := app.Need[*events.Sinks](e.Main.Kernel)
		sinks.Client = srv.Client()

		a := e.Signup("Hooks Co", "hooks")
		// A loopback sink is refused unless the operator allows private sinks; this
		// test's instance does (ATRIUM_ALLOW_PRIVATE_SINKS in apptest).
		p := a.Admin.Do("POST", "/api/v1/event-subscriptions", map[string]any{"name": "", "event_types": []string{"user.nothing"},
			"sink": map[string]any{"type": "webhook", "url": "http://" + strings.TrimPrefix(srv.URL, "https://")}}).
			WantProblem(http.StatusBadRequest, "invalid", "name", "event_types[0]", "sink.url")
		if p.Errors["sink.url"] != "must be an https URL" {
			t.Errorf("sink.url: %q", p.Errors["sink.url"])
		}
		var sub events.Subscription
		a.Admin.Do("POST", "/api/v1/event-subscriptions", map[string]any{"name": "HR", "event_types": []string{"user.*"},
			"sink": map[string]any{"type": "webhook", "url": srv.URL + "/in"}}).Want(http.StatusCreated).Decode(&sub)
		if !strings.HasPrefix(sub.Secret, "whsec_") {
			t.Fatalf("created %+v", sub)
		}
		var err error
		mu.Lock()
		hook, err = standardwebhooks.NewWebhook(sub.Secret)
		mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		var again events.Subscription
		a.Admin.Do("GET", "/api/v1/event-subscriptions/"+sub.ID, nil).Want(http.StatusOK).Decode(&again)
		if again.Secret != "" || again.Name != "HR" {
			t.Fatalf("read back %+v", again)
		}
		u := a.Admin.CreateUser("kim")
		e.RunJobs()
		mu.Lock()
		n := len(got)
		delivered := strings.Join(got, "\n")
		mu.Unlock()
		if n != 1 || !strings.Contains(delivered, string(u.ID)) || !strings.Contains(delivered, `"type":"io.atrium.user.created"`) ||
			!strings.Contains(delivered, `"orgid":"`+string(a.ID)+`"`) || !strings.Contains(delivered, `"specversion":"1.0"`) {
			t.Fatalf("delivered %d: %s", n, delivered)
		}
		var log httpapi.List[events.Attempt]
		a.Admin.Do("GET", "/api/v1/event-subscriptions/"+sub.ID+"/deliveries", nil).Want(http.StatusOK).Decode(&log)
		if len(log.Items) != 1 || !log.Items[0].OK || log.Items[0].StatusCode != 200 {
			t.Fatalf("delivery log %+v", log.Items)
		}
		var att events.Attempt
		a.Admin.Do("POST", "/api/v1/event-subscriptions/"+sub.ID+"/test", nil).Want(http.StatusOK).Decode(&att)
		if !att.OK || att.EventType != events.TestEventType {
			t.Fatalf("test event %+v", att)
		}
		var list httpapi.List[events.Subscription]
		a.Admin.Do("GET", "/api/v1/event-subscriptions", nil).Want(http.StatusOK).Decode(&list)
		if len(list.Items) != 1 || list.Items[0].ID != sub.ID {
			t.Fatalf("list %+v", list.Items)
		}
		member := e.SignIn(a.Admin.CreateUser("lee").Username, apptest.Password)
		member.Do("GET", "/api/v1/event-subscriptions", nil).WantProblem(http.StatusForbidden, "forbidden")
		var rotated events.Subscription
		a.Admin.Do("POST", "/api/v1/event-subscriptions/"+sub.ID+"/rotate-secret", nil).Want(http.StatusOK).Decode(&rotated)
		if rotated.Secret == "" || rotated.Secret == sub.Secret {
			t.Fatalf("rotated %+v", rotated)
		}
		a.Admin.Do("POST", "/api/v1/event-subscriptions/"+sub.ID+"/redeliver", map[string]any{"event_id": "nope"}).
			WantProblem(http.StatusBadRequest, "invalid", "event_id")
		a.Admin.Do("DELETE", "/api/v1/event-subscriptions/"+sub.ID, nil).Want(http.StatusNoContent)
		a.Admin.Do("GET", "/api/v1/event-subscriptions/"+sub.ID, nil).WantProblem(http.StatusNotFound, "not_found")
		if n := e.Count(`SELECT count(*) FROM event_deliveries WHERE subscription_id = $1`, sub.ID); n != 0 {
			t.Fatalf("%d log rows outlived the subscription", n)
		}
	})
}

// TestEventSubscriptionDisabledMail: a sink that fails every delivery for 3 days is
// disabled, the event_subscription.disabled event is published, and the organization's
// Global admins are mailed once, with a link to the subscription.
func TestEventSubscriptionDisabledMail(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
		defer srv.Close()
		app.Need[*events.Sinks](e.Main.Kernel).Client = srv.Client()
		a := e.Signup("Flaky Co", "flaky")
		var sub events.Subscription
		a.Admin.Do("POST", "/api/v1/event-subscriptions", map[string]any{"name": "Flaky HR", "event_types": []string{"user.*"},
			"sink": map[string]any{"type": "webhook", "url": srv.URL + "/in"}}).Want(http.StatusCreated).Decode(&sub)
		a.Admin.CreateUser("kim")
		e.RunJobs()
		for i := range 200 {
			var now events.Subscription
			a.Admin.Do("GET", "/api/v1/event-subscriptions/"+sub.ID, nil).Want(http.StatusOK).Decode(&now)
			if now.State == "disabled" {
				break
			}
			// Events keep coming (an event failing for a day is given up).
			a.Admin.CreateUser(fmt.Sprintf("kim%d", i))
			runPeriodic(e, 2*time.Hour)
		}
		var now events.Subscription
		a.Admin.Do("GET", "/api/v1/event-subscriptions/"+sub.ID, nil).Want(http.StatusOK).Decode(&now)
		if now.State != "disabled" || now.DisabledReason == "" {
			t.Fatalf("after 3 days of failures: %+v", now)
		}
		mails := e.Strings("SELECT to_addr FROM mail_outbox WHERE template = 'sink_disabled' AND org_id = $1", string(a.ID))
		if len(mails) != 1 {
			t.Fatalf("disabled mails: %v", mails)
		}
		if n := e.Count("SELECT count(*) FROM events WHERE type = 'event_subscription.disabled' AND org_id = $1 AND subject = $2", string(a.ID), sub.ID); n != 1 {
			t.Fatalf("%d event_subscription.disabled events", n)
		}
	})
}

// TestBrokerSubscriptionsAPI: NATS and Kafka (Event Hubs) subscriptions through the API:
// credentials are taken, never returned, and bad settings are problems naming their
// fields; the sink's type cannot change and only webhooks rotate a secret.
func TestBrokerSubscriptionsAPI(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := e.Signup("Brokers Co", "brokers")
		a.Admin.Do("POST", "/api/v1/event-subscriptions", map[string]any{"name": "Lake", "event_types": []string{"user.*"},
			"sink": map[string]any{"type": "kafka", "bootstrap_servers": []string{"lake.servicebus.windows.net"}, "topic": "a b",
				"sasl_mechanism": "PLAIN", "username": "$ConnectionString"}}).
			WantProblem(http.StatusBadRequest, "invalid", "sink.bootstrap_servers[0]", "sink.topic", "sink.password")
		a.Admin.Do("POST", "/api/v1/event-subscriptions", map[string]any{"name": "Stream", "event_types": []string{"user.*"},
			"sink": map[string]any{"type": "nats", "servers": []string{"http://127.0.0.1:4222"}, "subject": "atrium.>"}}).
			WantProblem(http.StatusBadRequest, "invalid", "sink.servers[0]", "sink.subject")
		const conn = "Endpoint=sb://lake.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0"
		var lake events.Subscription
		body := a.Admin.Do("POST", "/api/v1/event-subscriptions", map[string]any{"name": "Lake", "event_types": []string{"user.*", "license.assigned"},
			"sink": map[string]any{"type": "kafka", "bootstrap_servers": []string{"127.0.0.1:9093"}, "topic": "atrium-events",
				"sasl_mechanism": "PLAIN", "username": "$ConnectionString", "password": conn}}).Want(http.StatusCreated)
		body.Decode(&lake)
		if lake.Secret != "" || lake.Sink.Password != "" || !lake.Sink.HasCredentials || lake.Sink.Topic != "atrium-events" {
			t.Fatalf("created %+v", lake.Sink)
		}
		var raw map[string]any
		a.Admin.Do("GET", "/api/v1/event-subscriptions/"+lake.ID, nil).Want(http.StatusOK).Decode(&raw)
		if s := fmt.Sprint(raw); strings.Contains(s, "SharedAccessKey") {
			t.Fatalf("the connection string came back: %s", s)
		}
		if n := e.Count("SELECT count(*) FROM event_subscriptions WHERE secret_sealed LIKE '%SharedAccessKey%' OR sink_config LIKE '%SharedAccessKey%'"); n != 0 {
			t.Fatal("the connection string is stored in the clear")
		}
		// A change without credentials keeps them; another type is refused.
		var moved events.Subscription
		a.Admin.Do("PATCH", "/api/v1/event-subscriptions/"+lake.ID, map[string]any{"sink": map[string]any{"bootstrap_servers": []string{"127.0.0.2:9093"},
			"topic": "atrium-events", "sasl_mechanism": "PLAIN", "username": "$ConnectionString"}}).Want(http.StatusOK).Decode(&moved)
		if moved.Sink.BootstrapServers[0] != "127.0.0.2:9093" || !moved.Sink.HasCredentials {
			t.Fatalf("moved %+v", moved.Sink)
		}
		a.Admin.Do("PATCH", "/api/v1/event-subscriptions/"+lake.ID, map[string]any{"sink": map[string]any{"type": "webhook", "url": "https://127.0.0.1/x"}}).
			WantProblem(http.StatusBadRequest, "invalid", "sink.type")
		a.Admin.Do("POST", "/api/v1/event-subscriptions/"+lake.ID+"/rotate-secret", nil).WantProblem(http.StatusConflict, "conflict")
		// The test event to a broker that is not there is a failed attempt, not an error.
		var att events.Attempt
		a.Admin.Do("POST", "/api/v1/event-subscriptions/"+lake.ID+"/test", nil).Want(http.StatusOK).Decode(&att)
		if att.OK || att.Error == "" {
			t.Fatalf("test event to nowhere: %+v", att)
		}
	})
}

// TestInstanceWideSubscription: operator staff subscribe to every organization's
// events (a new organization's org.created reaches them); an organization's Global
// admin cannot.
func TestInstanceWideSubscription(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		var mu sync.Mutex
		var got []string
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			got = append(got, string(body))
			mu.Unlock()
		}))
		defer srv.Close()
		app.Need[*events.Sinks](e.Main.Kernel).Client = srv.Client()
		a := e.Signup("Tenant Co", "tenant")
		a.Admin.Do("POST", "/api/v1/event-subscriptions", map[string]any{"name": "All", "event_types": []string{"org.*"}, "instance_wide": true,
			"sink": map[string]any{"type": "webhook", "url": srv.URL}}).WantProblem(http.StatusForbidden, "forbidden")
		var sub events.Subscription
		e.Operator().Do("POST", "/api/v1/event-subscriptions", map[string]any{"name": "Every org", "event_types": []string{"org.created"}, "instance_wide": true,
			"sink": map[string]any{"type": "webhook", "url": srv.URL}}).Want(http.StatusCreated).Decode(&sub)
		if !sub.InstanceWide {
			t.Fatalf("created %+v", sub)
		}
		b := e.Signup("Newcomer Co", "newcomer")
		e.RunJobs()
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 1 || !strings.Contains(got[0], `"orgid":"`+string(b.ID)+`"`) || !strings.Contains(got[0], "io.atrium.org.created") {
			t.Fatalf("deliveries: %v", got)
		}
	})
}
