package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/atrium-admin/atrium/events"
)

// Events is the events module's pull API: an integration reads its organization's
// events in commit order from a cursor, rendered as webhook deliveries are, and so
// catches up after an outage without a webhook.
func Events(sinks *events.Sinks) Module {
	return func(s *Server) {
		s.handle(Route{Method: "GET", Path: "/api/v1/events",
			Summary: "The organization's events after a cursor, in commit order, as CloudEvents; next_cursor is always set: poll again with it",
			Tag:     "events", Query: []string{"after", "type", "limit"}, Response: List[events.CloudEvent]{}},
			func(w http.ResponseWriter, r *http.Request) error {
				limit, err := Limit(r)
				if err != nil {
					return err
				}
				q := r.URL.Query()
				var types []string
				for _, v := range q["type"] {
					for t := range strings.SplitSeq(v, ",") {
						types = append(types, strings.TrimSpace(t))
					}
				}
				items, next, err := sinks.Pull(r.Context(), principal(r), q.Get("after"), types, limit)
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, List[json.RawMessage]{Items: items, NextCursor: next})
			})
	}
}
