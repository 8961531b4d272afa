package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/i18n"
)

var integrationSecretRE = regexp.MustCompile(`id="integration-secret">(whsec_[^<]+)<`)

// sinks returns the fixture's subscription service, letting sinks be on loopback
// addresses as --allow-private-sinks does (the test's webhook URLs are 127.0.0.1).
func (f *fixture) sinks() *events.Sinks {
	s := app.Need[*events.Sinks](f.m.Kernel)
	s.AllowPrivate = true
	return s
}

func (f *fixture) subscriptions(p *access.Principal) []events.Subscription {
	f.t.Helper()
	list, _, err := f.sinks().Subscriptions(context.Background(), p, 50, "")
	if err != nil {
		f.t.Fatalf("subscriptions: %v", err)
	}
	return list
}

// TestIntegrationsWebhook: a Global admin subscribes a webhook through the form, sees
// its signing secret once, finds it listed, pauses it, sends a test event that fails
// (the log shows it), rotates its secret and deletes it after confirming.
func TestIntegrationsWebhook(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		f.sinks()
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.get("/integrations")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, `href="/integrations"`, "No event subscriptions yet.", `href="/integrations/new"`)
		form := b.get("/integrations/new")
		wantStatus(t, form, http.StatusOK)
		wantContains(t, form, `action="/integrations/new"`, `name="csrf_token"`, `value="user.created"`, "A user was added to the organization.",
			`name="webhook_url"`, `name="nats_servers"`, `name="kafka_bootstrap_servers"`)

		// The fields of the other sink types are ignored.
		p = b.postForm("/integrations/new", "/integrations/new", url.Values{"name": {"HR system"}, "event_types": {"user.created", "user.deleted"},
			"event_types_other": {"role.*"}, "sink_type": {"webhook"}, "webhook_url": {"https://127.0.0.1:1/hook"},
			"nats_subject": {"not a subject"}, "kafka_topic": {"?"}})
		wantStatus(t, p, http.StatusCreated)
		wantContains(t, p, "Subscription “HR system” created", "Copy the signing secret now: it will not be shown again.")
		m := integrationSecretRE.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no signing secret shown\n%s", p.body)
		}
		secret := m[1]
		subs := f.subscriptions(f.adminPrincipal())
		if len(subs) != 1 || subs[0].Sink.Type != events.SinkWebhook || subs[0].Sink.Subject != "" || subs[0].Sink.Topic != "" ||
			len(subs[0].EventTypes) != 3 || subs[0].EventTypes[2] != "role.*" {
			t.Fatalf("subscriptions %+v", subs)
		}
		sub := subs[0]
		detail := "/integrations/" + sub.ID

		list := b.get("/integrations")
		wantStatus(t, list, http.StatusOK)
		list.body = stripWbr(list.body)
		wantContains(t, list, `<a href="`+detail+`">HR system</a>`, "https://127.0.0.1:1/hook", "user.created, user.deleted, role.*",
			`<span class="badge good">Active</span>`)
		wantNotContains(t, list, secret, "No event subscriptions yet.")
		wantNotContains(t, b.get(detail), secret)

		// Pause.
		p = b.postForm(detail, detail+"/state", url.Values{"state": {"paused"}, "version": {strconv.FormatInt(sub.Version, 10)}})
		wantStatus(t, p, http.StatusSeeOther)
		p = b.get(detail)
		wantContains(t, p, "The subscription “HR system” is paused", `<span class="badge">Paused</span>`, ">Resume</button>",
			"Nothing delivered yet.")
		// A form loaded before the change is refused.
		wantStatus(t, b.postForm(detail, detail+"/state", url.Values{"state": {"active"}, "version": {strconv.FormatInt(sub.Version, 10)}}),
			http.StatusPreconditionFailed)

		// A test event to an address nothing listens on fails; the log shows it.
		p = b.postForm(detail, detail+"/test", nil)
		wantStatus(t, p, http.StatusSeeOther)
		if p.location != detail {
			t.Fatalf("test went to %q", p.location)
		}
		p = b.get(detail)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "The test event was not delivered: ", `<span class="badge bad">Failed</span>`, "<code>event_subscription.test</code>")
		atts, _, err := f.sinks().Deliveries(context.Background(), f.adminPrincipal(), sub.ID, 10, "")
		if err != nil || len(atts) != 1 || atts[0].OK {
			t.Fatalf("deliveries %+v %v", atts, err)
		}
		// Test events are not kept, so they cannot be redelivered.
		wantNotContains(t, p, `action="`+detail+`/redeliver"`)

		// Resume.
		cur, _ := f.sinks().Subscription(context.Background(), f.adminPrincipal(), sub.ID)
		wantStatus(t, b.postForm(detail, detail+"/state", url.Values{"state": {"active"}, "version": {strconv.FormatInt(cur.Version, 10)}}),
			http.StatusSeeOther)
		wantContains(t, b.get(detail), "is active again", `<span class="badge good">Active</span>`)

		// Rotate the secret, after confirming.
		rotate := detail + "/rotate"
		wantContains(t, b.get(rotate), "Rotate the signing secret of “HR system”?", "24 hours", `action="`+rotate+`"`)
		p = b.postForm(rotate, rotate, nil)
		wantStatus(t, p, http.StatusOK)
		m = integrationSecretRE.FindStringSubmatch(p.body)
		if m == nil || m[1] == secret {
			t.Fatalf("no new secret shown\n%s", p.body)
		}
		wantContains(t, p, "New signing secret for “HR system”", "it will not be shown again", "for 24 hours")

		// Delete, after confirming.
		del := detail + "/delete"
		p = b.get(del)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Delete the subscription “HR system”?", `action="`+del+`"`, `href="`+detail+`"`)
		if len(f.subscriptions(f.adminPrincipal())) != 1 {
			t.Fatal("the confirmation page deleted the subscription")
		}
		p = b.postForm(del, del, nil)
		wantStatus(t, p, http.StatusSeeOther)
		if p.location != "/integrations" {
			t.Fatalf("delete went to %q", p.location)
		}
		wantContains(t, b.get("/integrations"), "The subscription “HR system” was deleted.", "No event subscriptions yet.")
		if subs := f.subscriptions(f.adminPrincipal()); len(subs) != 0 {
			t.Fatalf("left %+v", subs)
		}
		wantStatus(t, b.get(detail), http.StatusNotFound)
	})
}

// TestIntegrationsBadInput: the service's problems are shown beside the fields that
// caused them, the input is kept, and nothing is written.
func TestIntegrationsBadInput(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		f.sinks()
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p := b.postForm("/integrations/new", "/integrations/new", url.Values{"name": {""}, "event_types": {"user.created"},
			"event_types_other": {"nosuch.type"}, "sink_type": {"webhook"}, "webhook_url": {"http://127.0.0.1/hook"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="form-error"`, `id="f-name-error">is required`, `id="f-webhook_url-error">must be an https URL`,
			`id="f-event_types_other-error">nosuch.type: is not an event type`,
			`value="http://127.0.0.1/hook"`, `value="nosuch.type"`, `value="user.created" checked`)
		// No event type at all.
		p = b.postForm("/integrations/new", "/integrations/new", url.Values{"name": {"HR"}, "sink_type": {"webhook"},
			"webhook_url": {"https://127.0.0.1/hook"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-event_types-error">give between 1 and 50 event types`, `value="HR"`)
		// A NATS sink's problems go beside its fields.
		p = b.postForm("/integrations/new", "/integrations/new", url.Values{"name": {"Bus"}, "event_types": {"user.created"},
			"sink_type": {"nats"}, "nats_servers": {"http://nats.example.com"}, "webhook_url": {"whatever"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-nats_servers-error">http://nats.example.com: must be a nats:// or tls:// URL`,
			`id="f-nats_subject-error">is required`, `value="nats" checked`)
		wantNotContains(t, p, `id="f-webhook_url-error"`)
		// No sink type.
		p = b.postForm("/integrations/new", "/integrations/new", url.Values{"name": {"X"}, "event_types": {"user.created"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-sink_type-error">must be webhook, nats or kafka`)
		// Nothing was written.
		if subs := f.subscriptions(f.adminPrincipal()); len(subs) != 0 {
			t.Fatalf("bad input created %+v", subs)
		}
		// A form without its CSRF token is refused.
		wantStatus(t, b.post("/integrations/new", url.Values{"name": {"X"}}), http.StatusForbidden)

		// A broker sink goes to its page: it has no secret to show.
		p = b.postForm("/integrations/new", "/integrations/new", url.Values{"name": {"Event hub"}, "event_types": {"user.created"},
			"sink_type": {"kafka"}, "kafka_bootstrap_servers": {"127.0.0.1:9093"}, "kafka_topic": {"atrium"},
			"kafka_sasl_mechanism": {"PLAIN"}, "kafka_username": {"$ConnectionString"}, "kafka_password": {"Endpoint=sb://x/"}, "kafka_tls": {"1"}})
		wantStatus(t, p, http.StatusSeeOther)
		subs := f.subscriptions(f.adminPrincipal())
		if len(subs) != 1 || subs[0].Sink.Type != events.SinkKafka || !subs[0].Sink.HasCredentials || !subs[0].Sink.Encrypted() {
			t.Fatalf("subscriptions %+v", subs)
		}
		if p.location != "/integrations/"+subs[0].ID {
			t.Fatalf("created went to %q", p.location)
		}
		p = b.get(p.location)
		wantContains(t, p, "The subscription “Event hub” was created.", "Kafka or Azure Event Hubs", "Stored (never shown)")
		wantNotContains(t, p, "Endpoint=sb://x/", "Rotate secret", "/rotate")
		wantStatus(t, b.get("/integrations/"+subs[0].ID+"/rotate"), http.StatusNotFound)
	})
}

// TestIntegrationsForbidden: without events.ManageSubscriptions there is no
// navigation entry and every page is refused; another organization's subscription is
// not found.
func TestIntegrationsForbidden(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		sinks := f.sinks()
		own, err := sinks.CreateSubscription(ctx, f.adminPrincipal(), events.SubscriptionInput{Name: "Own", EventTypes: []string{"user.created"},
			Sink: events.Sink{Type: events.SinkWebhook, URL: "https://127.0.0.1:1/own"}})
		if err != nil {
			t.Fatal(err)
		}
		mb := f.browser()
		mb.signIn("mia@contoso.atrium.localhost", memberPassword, false)
		wantNotContains(t, mb.get("/"), `href="/integrations"`)
		for _, path := range []string{"/integrations", "/integrations/new", "/integrations/" + own.ID, "/integrations/" + own.ID + "/delete"} {
			if p := mb.get(path); p.status != http.StatusForbidden {
				t.Errorf("member GET %s: status %d, want 403", path, p.status)
			}
		}
		p := mb.postForm("/", "/integrations/"+own.ID+"/delete", nil)
		wantStatus(t, p, http.StatusForbidden)
		p = mb.postForm("/", "/integrations/new", url.Values{"name": {"Mine"}, "event_types": {"user.created"}, "sink_type": {"webhook"},
			"webhook_url": {"https://127.0.0.1:1/mine"}})
		wantStatus(t, p, http.StatusForbidden)
		if subs := f.subscriptions(f.adminPrincipal()); len(subs) != 1 {
			t.Fatalf("a member changed the subscriptions: %+v", subs)
		}

		// Another organization's subscription.
		res, err := f.m.Directory.Signup(ctx, directory.SignupInput{OrganizationName: "Fabrikam", DomainPrefix: "fabrikam", AdminDisplayName: "Fay Admin",
			AdminUsername: "admin", AdminPassword: adminPassword, ContactEmail: "fay@example.com", Seats: 5})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.m.Queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		theirs := &access.Principal{UserID: res.Admin.ID, Org: res.Organization.ID, Name: "admin@fabrikam.atrium.localhost",
			Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(res.Organization.ID)}}}
		other, err := sinks.CreateSubscription(ctx, theirs, events.SubscriptionInput{Name: "Fabrikam hook", EventTypes: []string{"user.created"},
			Sink: events.Sink{Type: events.SinkWebhook, URL: "https://127.0.0.1:1/fabrikam"}})
		if err != nil {
			t.Fatal(err)
		}
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		wantNotContains(t, b.get("/integrations"), "Fabrikam hook")
		there := "/integrations/" + other.ID
		for _, path := range []string{there, there + "/delete", there + "/rotate"} {
			if p := b.get(path); p.status != http.StatusNotFound {
				t.Errorf("GET %s of another organization: status %d, want 404", path, p.status)
			}
		}
		for _, path := range []string{there + "/delete", there + "/test", there + "/rotate", there + "/state", there + "/redeliver"} {
			if p := b.postForm("/integrations", path, url.Values{"state": {"paused"}, "event_id": {"x"}}); p.status != http.StatusNotFound {
				t.Errorf("POST %s of another organization: status %d, want 404", path, p.status)
			}
		}
		if got, err := sinks.Subscription(ctx, theirs, other.ID); err != nil || got.State != events.SubscriptionActive {
			t.Fatalf("the other organization's subscription: %+v %v", got, err)
		}
		if atts, _, _ := sinks.Deliveries(ctx, theirs, other.ID, 10, ""); len(atts) != 0 {
			t.Fatalf("a test event went to another organization's sink: %+v", atts)
		}
		// And a path id that is no subscription at all.
		wantStatus(t, b.get("/integrations/no-such-id"), http.StatusNotFound)
	})
}

// TestIntegrationsPseudo: in the pseudo-language, the Integrations pages show only
// catalogue text and data.
func TestIntegrationsPseudo(t *testing.T) {
	i18n.EnablePseudo()
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		sinks := f.sinks()
		sub, err := sinks.CreateSubscription(ctx, f.adminPrincipal(), events.SubscriptionInput{Name: "HR system", EventTypes: []string{"user.created"},
			Sink: events.Sink{Type: events.SinkWebhook, URL: "https://127.0.0.1:1/hook"}})
		if err != nil {
			t.Fatal(err)
		}
		att, err := sinks.TestTarget(ctx, f.adminPrincipal(), sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		// The delivery log shows a real event that failed too, with its Redeliver button.
		if _, _, err := f.m.Directory.CreateUser(ctx, f.adminPrincipal(), directory.UserInput{Username: "zoe", DisplayName: "Zoe", Password: memberPassword}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.m.Queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		atts, _, err := sinks.Deliveries(ctx, f.adminPrincipal(), sub.ID, 10, "")
		if err != nil {
			t.Fatal(err)
		}
		data := []string{"Contoso", "Ada Admin", "admin@contoso.atrium.localhost", "contoso.atrium.localhost", "HR system",
			"https://127.0.0.1:1/hook", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "Social Engagement"}
		for _, a := range append(atts, *att) {
			data = append(data, a.EventID, a.Error, a.Response)
		}
		b := f.browser()
		u, _ := url.Parse(b.base)
		b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "atrium_lang", Value: "en-XA", Path: "/"}})
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		detail := "/integrations/" + sub.ID
		for _, path := range []string{"/integrations", "/integrations/new", detail, detail + "/rotate", detail + "/delete", detail + "/edit"} {
			p := b.get(path)
			wantStatus(t, p, http.StatusOK)
			if bad := untranslated(p.body, data); len(bad) > 0 {
				t.Errorf("%s: untranslated %q", path, bad)
			}
		}
		if len(atts) < 2 {
			t.Fatalf("deliveries %+v, want the test event and user.created", atts)
		}
		wantContains(t, b.get(detail), `action="`+detail+`/redeliver"`, "<code>user.created</code>")
		// The form with its errors, and the secret page.
		p := b.postForm("/integrations/new", "/integrations/new", url.Values{"name": {""}, "event_types_other": {"nosuch.type"},
			"sink_type": {"webhook"}, "webhook_url": {"http://127.0.0.1/hook"}})
		wantStatus(t, p, http.StatusBadRequest)
		if bad := untranslated(p.body, append(data, "http://127.0.0.1/hook", "nosuch.type")); len(bad) > 0 {
			t.Errorf("/integrations/new with errors: untranslated %q", bad)
		}
		// The edit form with its errors, and of a broker sink.
		p = b.postForm(detail+"/edit", detail+"/edit", url.Values{"version": {"1"}, "name": {""}, "event_types_other": {"nosuch.type"},
			"webhook_url": {"http://127.0.0.1/hook"}})
		wantStatus(t, p, http.StatusBadRequest)
		if bad := untranslated(p.body, append(data, "http://127.0.0.1/hook", "nosuch.type")); len(bad) > 0 {
			t.Errorf("the edit form with errors: untranslated %q", bad)
		}
		bus, err := sinks.CreateSubscription(ctx, f.adminPrincipal(), events.SubscriptionInput{Name: "Bus", EventTypes: []string{"user.created"},
			Sink: events.Sink{Type: events.SinkNATS, Servers: []string{"nats://127.0.0.1:4222"}, Subject: "atrium.events", Token: "tok"}})
		if err != nil {
			t.Fatal(err)
		}
		p = b.postForm("/integrations/"+bus.ID+"/edit", "/integrations/"+bus.ID+"/edit", url.Values{"version": {"1"}, "name": {"Bus"},
			"event_types": {"user.created"}, "nats_servers": {"nats://127.0.0.1:4222"}, "nats_subject": {"atrium.events"}, "nats_credentials": {"nope"}})
		wantStatus(t, p, http.StatusBadRequest)
		if bad := untranslated(p.body, append(data, "Bus", "nats://127.0.0.1:4222", "atrium.events", "nats://nats.example.com:4222")); len(bad) > 0 {
			t.Errorf("the edit form of a NATS sink: untranslated %q", bad)
		}
		p = b.postForm("/integrations/new", "/integrations/new", url.Values{"name": {"HR system"}, "event_types": {"user.created"},
			"sink_type": {"webhook"}, "webhook_url": {"https://127.0.0.1:1/hook"}})
		wantStatus(t, p, http.StatusCreated)
		m := integrationSecretRE.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no secret\n%s", p.body)
		}
		if bad := untranslated(p.body, append(data, htmlUnescape(m[1]))); len(bad) > 0 {
			t.Errorf("the secret page: untranslated %q", bad)
		}
		// Redeliver a real event.
		for _, a := range atts {
			if a.EventType != events.TestEventType {
				p := b.postForm(detail, detail+"/redeliver", url.Values{"event_id": {a.EventID}})
				wantStatus(t, p, http.StatusSeeOther)
				if bad := untranslated(b.get(detail).body, data); len(bad) > 0 {
					t.Errorf("after redelivering: untranslated %q", bad)
				}
				break
			}
		}
	})
}

// natsCreds returns the text of a .creds file of a new NATS user signed by a new
// account.
func natsCreds(t *testing.T) string {
	t.Helper()
	acc, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := user.PublicKey()
	seed, _ := user.Seed()
	userJWT, err := jwt.NewUserClaims(pub).Encode(acc)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := jwt.FormatUserConfig(userJWT, seed)
	if err != nil {
		t.Fatal(err)
	}
	return string(creds)
}

// TestIntegrationsEdit: a Global admin changes a subscription's name, event types and
// sink settings through the edit form, which goes through the service's update (as
// PATCH does, audited); the form is filled in without the secrets, a secret left blank
// stays, problems are shown beside their fields, a stale form is refused, and another
// organization's subscription is not found.
func TestIntegrationsEdit(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		sinks := f.sinks()
		admin := f.adminPrincipal()
		hook, err := sinks.CreateSubscription(ctx, admin, events.SubscriptionInput{Name: "HR system", EventTypes: []string{"user.created", "role.*"},
			Sink: events.Sink{Type: events.SinkWebhook, URL: "https://127.0.0.1:1/hook"}})
		if err != nil {
			t.Fatal(err)
		}
		b := f.browser()
		b.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		detail := "/integrations/" + hook.ID
		edit := detail + "/edit"
		wantContains(t, b.get(detail), `href="`+edit+`"`)
		p := b.get(edit)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Edit “HR system”", `action="`+edit+`"`, `name="csrf_token"`, `name="version" value="1"`, `value="HR system"`,
			`value="user.created" checked`, `name="event_types_other" type="text" value="role.*"`, `value="https://127.0.0.1:1/hook"`)
		wantNotContains(t, p, `name="nats_servers"`, `name="kafka_topic"`, hook.Secret)

		// Problems go beside their fields; nothing changes.
		p = b.postForm(edit, edit, url.Values{"version": {"1"}, "name": {""}, "event_types": {"user.created"}, "event_types_other": {"nosuch.*"},
			"webhook_url": {"http://127.0.0.1/hook"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="form-error"`, `id="f-name-error">is required`, `id="f-webhook_url-error">must be an https URL`,
			`id="f-event_types_other-error">nosuch.*: matches no event type`, `value="http://127.0.0.1/hook"`)
		if got, _ := sinks.Subscription(ctx, admin, hook.ID); got.Name != "HR system" || got.Version != 1 {
			t.Fatalf("bad input changed %+v", got)
		}
		// Without its CSRF token the form is refused.
		wantStatus(t, b.post(edit, url.Values{"version": {"1"}, "name": {"X"}}), http.StatusForbidden)

		// A good change. The sink's type cannot change: a sink_type in the form is ignored.
		p = b.postForm(edit, edit, url.Values{"version": {"1"}, "name": {"HR tool"}, "event_types": {"user.created", "user.deleted"},
			"event_types_other": {""}, "sink_type": {"kafka"}, "webhook_url": {"https://127.0.0.1:2/hook"}})
		wantStatus(t, p, http.StatusSeeOther)
		if p.location != detail {
			t.Fatalf("saved went to %q", p.location)
		}
		wantContains(t, b.get(detail), "The subscription “HR tool” was saved.")
		got, err := sinks.Subscription(ctx, admin, hook.ID)
		if err != nil || got.Name != "HR tool" || strings.Join(got.EventTypes, " ") != "user.created user.deleted" || got.Sink.Type != events.SinkWebhook ||
			got.Sink.URL != "https://127.0.0.1:2/hook" || got.Version != 2 {
			t.Fatalf("after the edit: %+v, %v", got, err)
		}
		var audited int
		if err := f.m.DB.Read().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = 'event_subscription.update' AND target_id = $1`,
			hook.ID).Scan(&audited); err != nil || audited != 1 {
			t.Fatalf("audit entries of the edit: %d, %v", audited, err)
		}
		// A form loaded before that change is refused, and says so.
		p = b.postForm(edit, edit, url.Values{"version": {"1"}, "name": {"Stale"}, "event_types": {"user.created"}, "webhook_url": {"https://127.0.0.1:2/hook"}})
		wantStatus(t, p, http.StatusPreconditionFailed)
		wantContains(t, p, "changed by someone else")
		if got, _ := sinks.Subscription(ctx, admin, hook.ID); got.Name != "HR tool" {
			t.Fatalf("a stale form changed %+v", got)
		}

		// A Kafka sink: the password is never shown; left blank, it stays.
		lake, err := sinks.CreateSubscription(ctx, admin, events.SubscriptionInput{Name: "Lake", EventTypes: []string{"user.created"},
			Sink: events.Sink{Type: events.SinkKafka, BootstrapServers: []string{"127.0.0.1:9093"}, Topic: "atrium", SASLMechanism: "PLAIN",
				Username: "$ConnectionString", Password: "Endpoint=sb://lake.example/;SharedAccessKey=s3cret"}})
		if err != nil {
			t.Fatal(err)
		}
		ledit := "/integrations/" + lake.ID + "/edit"
		p = b.get(ledit)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, `name="kafka_bootstrap_servers"`, ">127.0.0.1:9093</textarea>", `value="atrium"`, `value="PLAIN" selected`,
			`value="$ConnectionString"`, `id="f-kafka_tls" name="kafka_tls" value="1" checked`, "Credentials are stored and never shown.")
		wantNotContains(t, p, "s3cret", "Endpoint=sb://", `name="webhook_url"`)
		p = b.postForm(ledit, ledit, url.Values{"version": {"1"}, "name": {"Lake"}, "event_types": {"user.created"},
			"kafka_bootstrap_servers": {"127.0.0.1:9093\n127.0.0.2:9093"}, "kafka_topic": {"atrium-2"}, "kafka_sasl_mechanism": {"PLAIN"},
			"kafka_username": {"$ConnectionString"}, "kafka_password": {""}, "kafka_tls": {"1"}})
		wantStatus(t, p, http.StatusSeeOther)
		got, _ = sinks.Subscription(ctx, admin, lake.ID)
		if got.Sink.Topic != "atrium-2" || len(got.Sink.BootstrapServers) != 2 || !got.Sink.HasCredentials || !got.Sink.Encrypted() {
			t.Fatalf("the Kafka sink after the edit: %+v", got.Sink)
		}
		// TLS off with SASL is refused beside the checkbox.
		p = b.postForm(ledit, ledit, url.Values{"version": {"2"}, "name": {"Lake"}, "event_types": {"user.created"},
			"kafka_bootstrap_servers": {"127.0.0.1:9093"}, "kafka_topic": {"atrium"}, "kafka_sasl_mechanism": {"PLAIN"}, "kafka_username": {"$ConnectionString"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, "must be on when credentials are sent")

		// A NATS sink with a token: credentials replace it; bad ones are refused beside
		// their field, and so is a token given with them.
		bus, err := sinks.CreateSubscription(ctx, admin, events.SubscriptionInput{Name: "Bus", EventTypes: []string{"user.created"},
			Sink: events.Sink{Type: events.SinkNATS, Servers: []string{"nats://127.0.0.1:4222"}, Subject: "atrium.events", Token: "t0ken-s3cret"}})
		if err != nil {
			t.Fatal(err)
		}
		nedit := "/integrations/" + bus.ID + "/edit"
		p = b.get(nedit)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, ">nats://127.0.0.1:4222</textarea>", `value="atrium.events"`, `name="nats_credentials"`, `name="nats_token" type="password" value=""`)
		wantNotContains(t, p, "t0ken-s3cret")
		natsForm := func(extra url.Values) url.Values {
			form := url.Values{"version": {"1"}, "name": {"Bus"}, "event_types": {"user.created"}, "nats_servers": {"nats://127.0.0.1:4222"},
				"nats_subject": {"atrium.events"}}
			for k, v := range extra {
				form[k] = v
			}
			return form
		}
		p = b.postForm(nedit, nedit, natsForm(url.Values{"nats_credentials": {"not a creds file"}}))
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-nats_credentials-error">is not a NATS credentials file`)
		wantNotContains(t, p, "not a creds file") // write-only, even when refused
		creds := natsCreds(t)
		p = b.postForm(nedit, nedit, natsForm(url.Values{"nats_credentials": {creds}, "nats_token": {"tok"}}))
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-nats_credentials-error">give credentials alone`)
		p = b.postForm(nedit, nedit, natsForm(url.Values{"nats_credentials": {creds}, "nats_subject": {"atrium.more"}}))
		wantStatus(t, p, http.StatusSeeOther)
		got, _ = sinks.Subscription(ctx, admin, bus.ID)
		if got.Sink.Subject != "atrium.more" || !got.Sink.HasCredentials || got.Sink.Credentials != "" || got.Version != 2 {
			t.Fatalf("the NATS sink after the edit: %+v", got)
		}
		wantNotContains(t, b.get(nedit), "NATS USER JWT", "USER NKEY SEED")

		// Another organization's subscription, and a member.
		res, err := f.m.Directory.Signup(ctx, directory.SignupInput{OrganizationName: "Fabrikam", DomainPrefix: "fabrikam", AdminDisplayName: "Fay Admin",
			AdminUsername: "admin", AdminPassword: adminPassword, ContactEmail: "fay@example.com", Seats: 5})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.m.Queue.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		theirs := &access.Principal{UserID: res.Admin.ID, Org: res.Organization.ID, Name: "admin@fabrikam.atrium.localhost",
			Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope(res.Organization.ID)}}}
		other, err := sinks.CreateSubscription(ctx, theirs, events.SubscriptionInput{Name: "Fabrikam hook", EventTypes: []string{"user.created"},
			Sink: events.Sink{Type: events.SinkWebhook, URL: "https://127.0.0.1:1/fabrikam"}})
		if err != nil {
			t.Fatal(err)
		}
		there := "/integrations/" + other.ID + "/edit"
		wantStatus(t, b.get(there), http.StatusNotFound)
		wantStatus(t, b.postForm(edit, there, url.Values{"version": {"1"}, "name": {"Mine"}, "event_types": {"user.created"},
			"webhook_url": {"https://127.0.0.1:1/mine"}}), http.StatusNotFound)
		mb := f.browser()
		mb.signIn("mia@contoso.atrium.localhost", memberPassword, false)
		wantStatus(t, mb.get(edit), http.StatusForbidden)
		wantStatus(t, mb.postForm("/", edit, url.Values{"version": {"2"}, "name": {"Mine"}, "event_types": {"user.created"},
			"webhook_url": {"https://127.0.0.1:1/mine"}}), http.StatusForbidden)
		if got, _ := sinks.Subscription(ctx, theirs, other.ID); got.Name != "Fabrikam hook" || got.Version != 1 {
			t.Fatalf("the other organization's subscription: %+v", got)
		}
		if got, _ := sinks.Subscription(ctx, admin, hook.ID); got.Name != "HR tool" || got.Version != 2 {
			t.Fatalf("a member changed %+v", got)
		}
	})
}
