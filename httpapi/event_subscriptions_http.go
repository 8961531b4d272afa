package httpapi

import (
	"net/http"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/events"
)

// redeliverRequest names what to deliver again: one event, or every event since a time.
type redeliverRequest struct {
	EventID string     `json:"event_id,omitempty"`
	Since   *time.Time `json:"since,omitempty"`
}

type redelivered struct {
	Queued int `json:"queued"`
}

func writeEventSubscription(w http.ResponseWriter, status int, sub *events.Subscription) error {
	w.Header().Set("ETag", sub.ETag())
	return writeJSON(w, status, sub)
}

// EventSubscriptions is the events module's subscription API: webhooks an
// organization's events are delivered to, their delivery logs, tests and redeliveries.
func EventSubscriptions(sinks *events.Sinks) Module {
	return func(s *Server) {
		s.handle(Route{Method: "GET", Path: "/api/v1/event-subscriptions", Summary: "The organization's event subscriptions, oldest first", Tag: "events",
			Query: []string{"limit", "cursor"}, Response: List[events.Subscription]{}},
			func(w http.ResponseWriter, r *http.Request) error {
				limit, err := Limit(r)
				if err != nil {
					return err
				}
				list, next, err := sinks.Subscriptions(r.Context(), principal(r), limit, r.URL.Query().Get("cursor"))
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, List[events.Subscription]{Items: list, NextCursor: next})
			})
		s.handle(Route{Method: "POST", Path: "/api/v1/event-subscriptions",
			Summary: "Subscribe event types (exact, or prefixes such as user.*) to a webhook; the answer holds the signing secret, shown only here", Tag: "events",
			Request: events.SubscriptionInput{}, Response: events.Subscription{}, Status: http.StatusCreated, ETag: true},
			func(w http.ResponseWriter, r *http.Request) error {
				var in events.SubscriptionInput
				if err := decode(w, r, &in); err != nil {
					return err
				}
				sub, err := sinks.CreateSubscription(r.Context(), principal(r), in)
				if err != nil {
					return err
				}
				return writeEventSubscription(w, http.StatusCreated, sub)
			})
		s.handle(Route{Method: "GET", Path: "/api/v1/event-subscriptions/{id}", Summary: "One event subscription", Tag: "events",
			Response: events.Subscription{}, ETag: true},
			func(w http.ResponseWriter, r *http.Request) error {
				sub, err := sinks.Subscription(r.Context(), principal(r), r.PathValue("id"))
				if err != nil {
					return err
				}
				return writeEventSubscription(w, http.StatusOK, sub)
			})
		s.handle(Route{Method: "PATCH", Path: "/api/v1/event-subscriptions/{id}",
			Summary: "Change an event subscription's name, event types or URL, or pause (state paused) and resume it (state active)", Tag: "events",
			Request: events.SubscriptionPatch{}, Response: events.Subscription{}, ETag: true},
			func(w http.ResponseWriter, r *http.Request) error {
				version, err := ifMatch(r)
				if err != nil {
					return err
				}
				var in events.SubscriptionPatch
				if err := decode(w, r, &in); err != nil {
					return err
				}
				sub, err := sinks.UpdateSubscription(r.Context(), principal(r), r.PathValue("id"), in, version)
				if err != nil {
					return err
				}
				return writeEventSubscription(w, http.StatusOK, sub)
			})
		s.handle(Route{Method: "DELETE", Path: "/api/v1/event-subscriptions/{id}", Summary: "Delete an event subscription, its pending events and its delivery log",
			Tag: "events", Status: http.StatusNoContent},
			func(w http.ResponseWriter, r *http.Request) error {
				if err := sinks.DeleteSubscription(r.Context(), principal(r), r.PathValue("id")); err != nil {
					return err
				}
				w.WriteHeader(http.StatusNoContent)
				return nil
			})
		s.handle(Route{Method: "POST", Path: "/api/v1/event-subscriptions/{id}/test", Summary: "Send a test event to the subscription's sink now and return the attempt",
			Tag: "events", Response: events.Attempt{}},
			func(w http.ResponseWriter, r *http.Request) error {
				att, err := sinks.TestTarget(r.Context(), principal(r), r.PathValue("id"))
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, att)
			})
		s.handle(Route{Method: "POST", Path: "/api/v1/event-subscriptions/{id}/rotate-secret",
			Summary: "Give the subscription a new signing secret, shown only here; the old one also signs for 24 hours", Tag: "events",
			Response: events.Subscription{}, ETag: true},
			func(w http.ResponseWriter, r *http.Request) error {
				sub, err := sinks.RotateSecret(r.Context(), principal(r), r.PathValue("id"))
				if err != nil {
					return err
				}
				return writeEventSubscription(w, http.StatusOK, sub)
			})
		s.handle(Route{Method: "GET", Path: "/api/v1/event-subscriptions/{id}/deliveries",
			Summary: "The subscription's delivery log, newest first: every attempt with its time, result, status, latency and the start of the answer", Tag: "events",
			Query: []string{"limit", "cursor"}, Response: List[events.Attempt]{}},
			func(w http.ResponseWriter, r *http.Request) error {
				limit, err := Limit(r)
				if err != nil {
					return err
				}
				list, next, err := sinks.Deliveries(r.Context(), principal(r), r.PathValue("id"), limit, r.URL.Query().Get("cursor"))
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, List[events.Attempt]{Items: list, NextCursor: next})
			})
		s.handle(Route{Method: "POST", Path: "/api/v1/event-subscriptions/{id}/redeliver",
			Summary: "Deliver again one event (event_id) or every event since a time (since) that the subscription takes and the outbox still keeps", Tag: "events",
			Request: redeliverRequest{}, Response: redelivered{}, Status: http.StatusAccepted},
			func(w http.ResponseWriter, r *http.Request) error {
				var in redeliverRequest
				if err := decode(w, r, &in); err != nil {
					return err
				}
				var since time.Time
				if in.Since != nil {
					since = *in.Since
				}
				if in.EventID != "" && in.Since != nil {
					return atrium.FieldError("since", "give an event_id or a time, not both")
				}
				n, err := sinks.Redeliver(r.Context(), principal(r), r.PathValue("id"), in.EventID, since)
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusAccepted, redelivered{Queued: n})
			})
	}
}
