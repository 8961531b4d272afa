package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/store"
)

// TestIntegrationsBrowser walks Settings > Integrations in headless Chromium: a
// Global admin subscribes a webhook, sees its signing secret once and goes back to the
// list, which shows the subscription and not the secret.
func TestIntegrationsBrowser(t *testing.T) {
	eachBrowserDialect(t, func(t *testing.T, d store.Dialect, m *app.Main, b *tab) { integrationsFlow(t, m, b) })
}

func integrationsFlow(t *testing.T, m *app.Main, b *tab) {
	ctx := context.Background()
	// The webhook is on loopback, as --allow-private-sinks allows.
	app.Need[*events.Sinks](m.Kernel).AllowPrivate = true
	res, err := m.Directory.Signup(ctx, directory.SignupInput{OrganizationName: "Contoso", DomainPrefix: "contoso", AdminDisplayName: "Ada Admin",
		AdminUsername: "admin", AdminPassword: adminPassword, ContactEmail: "ada@example.com", Seats: 10})
	if err != nil {
		t.Fatal(err)
	}
	waitActive(t, m, res.Organization.ID)
	b.signIn("admin@contoso.atrium.localhost", adminPassword, false)

	// Settings > Integrations, from the navigation (behind the menu button on narrow
	// screens).
	if !b.eval(`!!document.querySelector('nav.sidenav a[href="/integrations"]')`) {
		t.Fatal("the navigation has no Integrations entry")
	}
	if !b.eval(`document.querySelector('nav.sidenav a[href="/integrations"]').offsetParent !== null`) {
		b.openMenu()
	}
	b.click(`nav.sidenav a[href="/integrations"]`)
	b.see("Integrations", "No event subscriptions yet.")

	// A new webhook subscription.
	b.click(`a#new-subscription`)
	b.see("New subscription", "Event types", "Webhook", "NATS JetStream", "Kafka or Azure Event Hubs")
	b.fill("f-name", "HR system")
	b.do(chromedp.Click(chromedp.CSS(`input[name="event_types"][value="user.created"]`)))
	b.fill("f-event_types_other", "role.*")
	b.do(chromedp.Click(chromedp.ID("f-sink_type-webhook")))
	b.fill("f-webhook_url", "https://127.0.0.1:1/hook")
	b.screenshot("integrations-new")
	b.click(`form[action="/integrations/new"] button[type=submit]`)
	b.see("Subscription “HR system” created", "Copy the signing secret now: it will not be shown again.")
	secret, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("integration-secret").innerText`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("the secret shown is %q", secret)
	}
	b.screenshot("integrations-secret")

	// Back to the list: the subscription is there, its secret is not.
	b.click(`a#back-to-list`)
	b.see("HR system", "Webhook", "https://127.0.0.1:1/hook", "user.created, role.*", "Active")
	b.notSee(secret, "No event subscriptions yet.")
	if loc := b.location(); !strings.HasSuffix(loc, "/integrations") {
		t.Fatalf("back at %s", loc)
	}
	// And its page, with its actions.
	b.click(`table a[href^="/integrations/"]`)
	b.see("HR system", "Send test event", "Pause", "Rotate secret", "Delete", "Delivery log", "Nothing delivered yet.")
	b.click(`form[action$="/test"] button`)
	b.see("The test event was not delivered: ", "event_subscription.test", "Failed")
	b.screenshot("integrations-detail")
	b.notSee(secret)
}
