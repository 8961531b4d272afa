package httpapi

import (
	"net/http"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/events"
)

// EventTypes is the event type catalogue: the types event subscriptions may receive,
// each with the JSON Schema of its data, the dataschema a CloudEvent names.
func EventTypes(bus *events.Bus) Module {
	return func(s *Server) {
		s.handle(Route{Method: "GET", Path: "/api/v1/event-types", Summary: "The event types subscriptions may receive, with the JSON Schema of each type's data",
			Tag: "events", Public: true, Response: List[events.TypeInfo]{}},
			func(w http.ResponseWriter, r *http.Request) error {
				list, err := bus.EventTypes()
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, List[events.TypeInfo]{Items: list})
			})
		s.handle(Route{Method: "GET", Path: "/api/v1/event-types/{type}/schema", Summary: "The JSON Schema of one event type's data (a CloudEvent's dataschema)",
			Tag: "events", Public: true, Response: map[string]any{}},
			func(w http.ResponseWriter, r *http.Request) error {
				info, err := bus.EventType(events.Type(r.PathValue("type")))
				if err != nil {
					return err
				}
				if info == nil {
					return atrium.Errorf(atrium.CodeNotFound, "event type not found")
				}
				w.Header().Set("Content-Type", "application/schema+json")
				_, err = w.Write(info.Schema)
				return err
			})
	}
}
