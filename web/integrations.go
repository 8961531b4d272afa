package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/i18n"
)

// Integrations is the page of the organization's event subscriptions, under Settings:
// its Global admins subscribe event types to a webhook, a NATS JetStream subject or a
// Kafka topic (Azure Event Hubs included), test them and read their delivery logs.
func Integrations(sinks *events.Sinks, bus *events.Bus) Module {
	return func(c *console) {
		p := integrationPages{console: c, sinks: sinks, bus: bus}
		c.nav(navEntry{Section: sectionSettings, Label: "nav.settings.integrations", Href: "/integrations",
			Show: func(_ *http.Request, s *session) bool { return s.Can(events.ManageSubscriptions) }})
		c.page("GET /integrations", p.list)
		c.page("GET /integrations/new", p.newForm)
		c.page("POST /integrations/new", p.create)
		c.page("GET /integrations/{id}", p.detail)
		c.page("GET /integrations/{id}/edit", p.editForm)
		c.page("POST /integrations/{id}/edit", p.update)
		c.page("POST /integrations/{id}/test", p.test)
		c.page("POST /integrations/{id}/state", p.setState)
		c.page("POST /integrations/{id}/redeliver", p.redeliver)
		c.page("GET /integrations/{id}/rotate", p.rotateConfirm)
		c.page("POST /integrations/{id}/rotate", p.rotate)
		c.page("GET /integrations/{id}/delete", p.deleteConfirm)
		c.page("POST /integrations/{id}/delete", p.delete)
	}
}

// integrationPages serves the Integrations pages with the subscription service.
type integrationPages struct {
	*console
	sinks *events.Sinks
	bus   *events.Bus
}

// subscriptionView is a subscription as the pages show it.
type subscriptionView struct {
	events.Subscription
	// StateID and SinkID are the message IDs of its state and its sink type.
	StateID, SinkID string
	// Reason says, in the page's language, why Atrium disabled it.
	Reason string
	// Badge is the class of its state's badge: good, bad or none.
	Badge string
}

// Target is where the subscription's events go: the webhook's URL, or the brokers
// with the subject or topic.
func (s subscriptionView) Target() string {
	switch s.Sink.Type {
	case events.SinkNATS:
		return strings.Join(s.Sink.Servers, ", ") + " · " + s.Sink.Subject
	case events.SinkKafka:
		return strings.Join(s.Sink.BootstrapServers, ", ") + " · " + s.Sink.Topic
	}
	return s.Sink.URL
}

// IsWebhook reports whether the subscription posts to a webhook (which has a secret).
func (s subscriptionView) IsWebhook() bool { return s.Sink.Type == events.SinkWebhook }

// Active reports whether the subscription delivers now.
func (s subscriptionView) Active() bool { return s.State == events.SubscriptionActive }

func viewSubscription(p *i18n.Printer, s events.Subscription) subscriptionView {
	v := subscriptionView{Subscription: s, StateID: "integrations.state." + s.State, SinkID: "integrations.sink." + s.Sink.Type}
	if s.DisabledReason != "" {
		v.Reason = p.Text(s.DisabledReason)
	}
	switch s.State {
	case events.SubscriptionActive:
		v.Badge = "badge good"
	case events.SubscriptionDisabled:
		v.Badge = "badge bad"
	default:
		v.Badge = "badge"
	}
	return v
}

// integrationsPage is the data of the subscription list.
type integrationsPage struct {
	Subscriptions []subscriptionView
	Pager         pager
}

// list shows the organization's subscriptions, a page at a time, oldest first.
func (c *integrationPages) list(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	limit, err := listLimit(r)
	if err != nil {
		return err
	}
	subs, next, err := c.sinks.Subscriptions(r.Context(), s.P(), limit, r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	v := c.newView(r, "nav.settings.integrations")
	p := integrationsPage{Pager: pageLinks(r, next)}
	for _, sub := range subs {
		p.Subscriptions = append(p.Subscriptions, viewSubscription(v.P, sub))
	}
	v.Data = p
	c.render(w, r, http.StatusOK, "integrations.html", v)
	return nil
}

// eventTypeChoice is one event type of the catalogue, a checkbox of the form.
type eventTypeChoice struct {
	Type        string
	Description string
}

// integrationForm is the data of the new subscription form.
type integrationForm struct {
	EventTypes []eventTypeChoice
	// SASLMechanisms are the choices of a Kafka sink's SASL mechanism.
	SASLMechanisms []string
}

var saslMechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}

// The form's sink fields, by sink type: the service's field (after "sink.") each
// stands for.
var sinkFormFields = map[string][]string{
	events.SinkWebhook: {"url"},
	events.SinkNATS:    {"servers", "subject", "token", "credentials", "username", "password"},
	events.SinkKafka:   {"bootstrap_servers", "topic", "sasl_mechanism", "username", "password", "tls"},
}

// formFields are the names of every field of the form that shows its own errors.
func formFields() []string {
	out := []string{"name", "event_types", "event_types_other", "sink_type"}
	for typ, fields := range sinkFormFields {
		for _, f := range fields {
			out = append(out, typ+"_"+f)
		}
	}
	return out
}

func (c *integrationPages) formView(r *http.Request) (*view, error) {
	s := sessionFrom(r.Context())
	if err := access.Require(s.P(), events.ManageSubscriptions, access.Resource{Org: s.ID.Principal.Org}); err != nil {
		return nil, err
	}
	v := c.newView(r, "integrations.new.title")
	p := integrationForm{SASLMechanisms: saslMechanisms}
	var err error
	if p.EventTypes, err = c.eventTypeChoices(v); err != nil {
		return nil, err
	}
	v.Data = p
	return v, nil
}

// eventTypeChoices are the checkboxes of the catalogue's event types, described in
// the page's language.
func (c *integrationPages) eventTypeChoices(v *view) ([]eventTypeChoice, error) {
	types, err := c.bus.EventTypes()
	if err != nil {
		return nil, err
	}
	out := make([]eventTypeChoice, 0, len(types))
	for _, t := range types {
		out = append(out, eventTypeChoice{Type: string(t.Type),
			Description: messageOr(v.P, "integrations.event_type."+string(t.Type), t.Description)})
	}
	return out, nil
}

func (c *integrationPages) newForm(w http.ResponseWriter, r *http.Request) error {
	v, err := c.formView(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "integrations_new.html", v)
	return nil
}

// splitList reads a list field: one entry a line, or separated by commas or spaces.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// sinkOf builds the sink of the chosen type from the form, only with that type's
// fields: what was typed for the other types is ignored.
func sinkOf(f map[string][]string) events.Sink {
	get := func(name string) string {
		if vs := f[name]; len(vs) > 0 {
			return strings.TrimSpace(vs[0])
		}
		return ""
	}
	k := events.Sink{Type: get("sink_type")}
	switch k.Type {
	case events.SinkWebhook:
		k.URL = get("webhook_url")
	case events.SinkNATS:
		k.Servers, k.Subject, k.Token = splitList(get("nats_servers")), get("nats_subject"), get("nats_token")
		k.Credentials, k.Username, k.Password = get("nats_credentials"), get("nats_username"), get("nats_password")
	case events.SinkKafka:
		k.BootstrapServers, k.Topic, k.SASLMechanism = splitList(get("kafka_bootstrap_servers")), get("kafka_topic"), get("kafka_sasl_mechanism")
		k.Username, k.Password = get("kafka_username"), get("kafka_password")
		tls := get("kafka_tls") != ""
		k.TLS = &tls
	}
	return k
}

// integrationSecret is the page that shows a webhook's signing secret, once: right
// after creating the subscription or rotating its secret.
type integrationSecret struct {
	Subscription subscriptionView
	Secret       string
	Rotated      bool
	// OverlapHours is how long a rotated secret keeps signing beside the new one.
	OverlapHours int
}

// create creates a subscription; a webhook's signing secret is shown once.
func (c *integrationPages) create(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	f := r.PostForm
	checked := f["event_types"]
	other := splitList(f.Get("event_types_other"))
	in := events.SubscriptionInput{Name: f.Get("name"), EventTypes: append(slices.Clone(checked), other...), Sink: sinkOf(f)}
	sub, err := c.sinks.CreateSubscription(r.Context(), s.P(), in)
	if err != nil {
		v, verr := c.formView(r)
		if verr != nil {
			return verr
		}
		v.Form = f
		if !c.fieldErrors(v, err, in, len(checked)) {
			return err
		}
		c.render(w, r, statusOf(err), "integrations_new.html", v)
		return nil
	}
	if sub.Secret == "" {
		return c.redirect(w, r, "/integrations/"+sub.ID, c.t(r, "integrations.created", "Name", sub.Name))
	}
	return c.showSecret(w, r, http.StatusCreated, sub, false)
}

func (c *integrationPages) showSecret(w http.ResponseWriter, r *http.Request, status int, sub *events.Subscription, rotated bool) error {
	title := "integrations.secret.created"
	if rotated {
		title = "integrations.secret.rotated"
	}
	v := c.newView(r, "nav.settings.integrations")
	v.Title = v.T(title, "Name", sub.Name)
	v.Data = integrationSecret{Subscription: viewSubscription(v.P, *sub), Secret: sub.Secret, Rotated: rotated,
		OverlapHours: int(events.SecretOverlap / time.Hour)}
	c.render(w, r, status, "integrations_secret.html", v)
	return nil
}

// fieldErrors puts the service's field problems beside the form's fields, as
// formError does; the service names the sink's fields sink.url, sink.servers[0], …
// and the event types event_types[0], …, which the form shows as the chosen type's
// fields, the list fields and the checkboxes or the free text field. It returns false
// for errors that deserve an error page.
func (c *integrationPages) fieldErrors(v *view, err error, in events.SubscriptionInput, checked int) bool {
	var e *atrium.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return v.formError(err, formFields()...)
	}
	if e.Code != atrium.CodeInvalid {
		return v.formError(err, formFields()...)
	}
	known := formFields()
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var other []string
	for _, key := range keys {
		text := v.fieldText(e, key, e.Fields[key])
		field, value := key, ""
		name, index, indexed := splitIndex(key)
		switch {
		case name == "event_types" && indexed:
			field = "event_types"
			if index >= checked {
				field = "event_types_other"
			}
			if index < len(in.EventTypes) {
				value = in.EventTypes[index]
			}
		case key == "sink.type":
			field = "sink_type"
		case strings.HasPrefix(name, "sink."):
			field = in.Sink.Type + "_" + strings.TrimPrefix(name, "sink.")
			if indexed {
				list := in.Sink.Servers
				if in.Sink.Type == events.SinkKafka {
					list = in.Sink.BootstrapServers
				}
				if index < len(list) {
					value = list[index]
				}
			}
		}
		if value != "" {
			text = v.T("integrations.error.entry", "Value", value, "Message", text)
		}
		if !slices.Contains(known, field) {
			if r, _ := utf8.DecodeRuneInString(text); unicode.IsUpper(r) {
				other = append(other, text)
			} else {
				other = append(other, key+": "+text)
			}
			continue
		}
		if prev, ok := v.Errors[field]; ok {
			text = prev + " " + text
		}
		v.Errors[field] = text
	}
	if len(other) > 0 {
		v.Error = strings.Join(other, "; ")
	} else {
		v.Error = v.T("form.correct_fields")
	}
	return true
}

// splitIndex splits "sink.servers[1]" into "sink.servers" and 1.
func splitIndex(key string) (string, int, bool) {
	name, rest, ok := strings.Cut(key, "[")
	if !ok || !strings.HasSuffix(rest, "]") {
		return key, 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(rest, "]"))
	if err != nil {
		return key, 0, false
	}
	return name, n, true
}

// deliveryView is one delivery attempt of the log.
type deliveryView struct {
	events.Attempt
	LatencyMS int
	// Redeliverable is false for test events, which are not kept as events.
	Redeliverable bool
}

// integrationPage is the data of a subscription's page.
type integrationPage struct {
	Subscription subscriptionView
	Deliveries   []deliveryView
	Pager        pager
}

func (c *integrationPages) detailView(r *http.Request) (*view, error) {
	s := sessionFrom(r.Context())
	sub, err := c.sinks.Subscription(r.Context(), s.P(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	limit, err := listLimit(r)
	if err != nil {
		return nil, err
	}
	atts, next, err := c.sinks.Deliveries(r.Context(), s.P(), sub.ID, limit, r.URL.Query().Get("cursor"))
	if err != nil {
		return nil, err
	}
	v := c.newView(r, "nav.settings.integrations")
	v.Title = sub.Name
	p := integrationPage{Subscription: viewSubscription(v.P, *sub), Pager: pageLinks(r, next)}
	for _, a := range atts {
		p.Deliveries = append(p.Deliveries, deliveryView{Attempt: a, LatencyMS: int(a.Latency + 0.5),
			Redeliverable: a.EventType != events.TestEventType})
	}
	v.Data = p
	return v, nil
}

func (c *integrationPages) detail(w http.ResponseWriter, r *http.Request) error {
	v, err := c.detailView(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "integrations_detail.html", v)
	return nil
}

func (c *integrationPages) back(r *http.Request) string { return "/integrations/" + r.PathValue("id") }

// test sends a test event now and says how the sink answered.
func (c *integrationPages) test(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	att, err := c.sinks.TestTarget(r.Context(), s.P(), r.PathValue("id"))
	if err != nil {
		return err
	}
	ms := int(att.Latency + 0.5)
	var msg string
	switch {
	case att.OK && att.StatusCode != 0:
		msg = c.t(r, "integrations.test.ok_http", "Status", att.StatusCode, "Count", ms)
	case att.OK:
		msg = c.t(r, "integrations.test.ok", "Count", ms)
	default:
		why := att.Error
		if why == "" {
			why = "HTTP " + strconv.Itoa(att.StatusCode)
		}
		if utf8.RuneCountInString(why) > 160 {
			why = string([]rune(why)[:160]) + "…"
		}
		msg = c.t(r, "integrations.test.failed", "Error", why)
	}
	return c.redirect(w, r, c.back(r), msg)
}

// setState pauses or resumes a subscription.
func (c *integrationPages) setState(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	state := r.PostForm.Get("state")
	version, _ := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	sub, err := c.sinks.UpdateSubscription(r.Context(), s.P(), r.PathValue("id"), events.SubscriptionPatch{State: &state}, version)
	if err != nil {
		return err
	}
	msg := "integrations.resumed"
	if sub.State == events.SubscriptionPaused {
		msg = "integrations.paused"
	}
	return c.redirect(w, r, c.back(r), c.t(r, msg, "Name", sub.Name))
}

// redeliver queues an event of the delivery log again.
func (c *integrationPages) redeliver(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	n, err := c.sinks.Redeliver(r.Context(), s.P(), r.PathValue("id"), r.PostForm.Get("event_id"), time.Time{})
	if err != nil {
		v, verr := c.detailView(r)
		if verr != nil {
			return verr
		}
		if !v.formError(err) {
			return err
		}
		c.render(w, r, statusOf(err), "integrations_detail.html", v)
		return nil
	}
	return c.redirect(w, r, c.back(r), c.t(r, "integrations.redelivered", "Count", n))
}

func (c *integrationPages) find(r *http.Request) (*events.Subscription, error) {
	return c.sinks.Subscription(r.Context(), sessionFrom(r.Context()).P(), r.PathValue("id"))
}

func (c *integrationPages) rotatePage(r *http.Request, sub *events.Subscription) confirmPage {
	return confirmPage{Heading: c.t(r, "integrations.rotate.heading", "Name", sub.Name),
		Message: c.t(r, "integrations.rotate.message", "Count", int(events.SecretOverlap/time.Hour)),
		Action:  "/integrations/" + sub.ID + "/rotate", Button: c.t(r, "integrations.rotate.button"), Cancel: "/integrations/" + sub.ID}
}

func (c *integrationPages) rotateConfirm(w http.ResponseWriter, r *http.Request) error {
	sub, err := c.find(r)
	if err != nil {
		return err
	}
	if sub.Sink.Type != events.SinkWebhook {
		return atrium.Errorf(atrium.CodeNotFound, "there is no page at this address")
	}
	return c.confirm(w, r, c.rotatePage(r, sub), http.StatusOK, "")
}

// rotate gives a webhook a new signing secret, after confirmation, and shows it once.
func (c *integrationPages) rotate(w http.ResponseWriter, r *http.Request) error {
	sub, err := c.sinks.RotateSecret(r.Context(), sessionFrom(r.Context()).P(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return c.showSecret(w, r, http.StatusOK, sub, true)
}

func (c *integrationPages) deletePage(r *http.Request, sub *events.Subscription) confirmPage {
	return confirmPage{Heading: c.t(r, "integrations.delete.heading", "Name", sub.Name),
		Message: c.t(r, "integrations.delete.message"),
		Action:  "/integrations/" + sub.ID + "/delete", Button: c.t(r, "integrations.delete.button"), Cancel: "/integrations/" + sub.ID}
}

func (c *integrationPages) deleteConfirm(w http.ResponseWriter, r *http.Request) error {
	sub, err := c.find(r)
	if err != nil {
		return err
	}
	return c.confirm(w, r, c.deletePage(r, sub), http.StatusOK, "")
}

// delete deletes a subscription with its pending events and delivery log, after
// confirmation.
func (c *integrationPages) delete(w http.ResponseWriter, r *http.Request) error {
	sub, err := c.find(r)
	if err != nil {
		return err
	}
	if err := c.sinks.DeleteSubscription(r.Context(), sessionFrom(r.Context()).P(), sub.ID); err != nil {
		return err
	}
	return c.redirect(w, r, "/integrations", c.t(r, "integrations.deleted", "Name", sub.Name))
}

// integrationEdit is the data of a subscription's edit form.
type integrationEdit struct {
	Subscription   subscriptionView
	EventTypes     []eventTypeChoice
	SASLMechanisms []string
}

// editView is the edit form of sub; its fields are filled in from form.
func (c *integrationPages) editView(r *http.Request, sub *events.Subscription, form url.Values) (*view, error) {
	v := c.newView(r, "integrations.edit.title")
	v.Title = v.T("integrations.edit.heading", "Name", sub.Name)
	p := integrationEdit{Subscription: viewSubscription(v.P, *sub), SASLMechanisms: saslMechanisms}
	var err error
	if p.EventTypes, err = c.eventTypeChoices(v); err != nil {
		return nil, err
	}
	v.Data = p
	v.Form = form
	return v, nil
}

// subscriptionForm is the edit form's fields as sub has them: the event types of the
// catalogue as checkboxes and the others (prefixes) as text, and the sink's settings
// without its secrets, which are never shown.
func subscriptionForm(sub *events.Subscription, known []eventTypeChoice) url.Values {
	f := url.Values{"name": {sub.Name}, "version": {strconv.FormatInt(sub.Version, 10)}, "sink_type": {sub.Sink.Type}}
	var other []string
	for _, t := range sub.EventTypes {
		if slices.ContainsFunc(known, func(c eventTypeChoice) bool { return c.Type == t }) {
			f.Add("event_types", t)
		} else {
			other = append(other, t)
		}
	}
	f.Set("event_types_other", strings.Join(other, ", "))
	k := sub.Sink
	switch k.Type {
	case events.SinkWebhook:
		f.Set("webhook_url", k.URL)
	case events.SinkNATS:
		f.Set("nats_servers", strings.Join(k.Servers, "\n"))
		f.Set("nats_subject", k.Subject)
		f.Set("nats_username", k.Username)
	case events.SinkKafka:
		f.Set("kafka_bootstrap_servers", strings.Join(k.BootstrapServers, "\n"))
		f.Set("kafka_topic", k.Topic)
		f.Set("kafka_sasl_mechanism", k.SASLMechanism)
		f.Set("kafka_username", k.Username)
		if k.Encrypted() {
			f.Set("kafka_tls", "1")
		}
	}
	return f
}

// editForm shows a subscription's name, event types and sink settings to change.
func (c *integrationPages) editForm(w http.ResponseWriter, r *http.Request) error {
	sub, err := c.find(r)
	if err != nil {
		return err
	}
	v, err := c.editView(r, sub, nil)
	if err != nil {
		return err
	}
	v.Form = subscriptionForm(sub, v.Data.(integrationEdit).EventTypes)
	c.render(w, r, http.StatusOK, "integrations_edit.html", v)
	return nil
}

// update changes a subscription through the service's update, as PATCH does: the
// sink keeps its type, and secrets left blank stay as they are.
func (c *integrationPages) update(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	sub, err := c.find(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	fields := url.Values{}
	for k, vs := range f {
		fields[k] = vs
	}
	fields.Set("sink_type", sub.Sink.Type) // the type cannot change
	checked := f["event_types"]
	types := append(slices.Clone(checked), splitList(f.Get("event_types_other"))...)
	name, sink := f.Get("name"), sinkOf(fields)
	version, _ := strconv.ParseInt(f.Get("version"), 10, 64)
	updated, err := c.sinks.UpdateSubscription(r.Context(), s.P(), sub.ID, events.SubscriptionPatch{Name: &name, EventTypes: &types, Sink: &sink}, version)
	if err != nil {
		v, verr := c.editView(r, sub, fields)
		if verr != nil {
			return verr
		}
		if !c.fieldErrors(v, err, events.SubscriptionInput{Name: name, EventTypes: types, Sink: sink}, len(checked)) {
			return err
		}
		c.render(w, r, statusOf(err), "integrations_edit.html", v)
		return nil
	}
	return c.redirect(w, r, c.back(r), c.t(r, "integrations.updated", "Name", updated.Name))
}
