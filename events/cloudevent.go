package events

import (
	"encoding/json"
	"time"
)

// CloudEvent is an event as it leaves Atrium: CloudEvents 1.0 in structured JSON mode.
// Type is the internal type under the io.atrium. prefix; Source names the instance and
// the organization; OrgID is an extension attribute.
type CloudEvent struct {
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	SpecVersion     string          `json:"specversion"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	DataSchema      string          `json:"dataschema"`
	OrgID           string          `json:"orgid"`
	Data            json.RawMessage `json:"data"`
}

// TypePrefix is the reverse-DNS prefix of every external event type.
const TypePrefix = "io.atrium."

// ToCloudEvent returns e as a CloudEvent of the instance at publicURL (its base URL,
// without a trailing slash). Data is the event's stored data, which never holds a field
// tagged json:"-".
func ToCloudEvent(e *Event, publicURL string) CloudEvent {
	return CloudEvent{ID: e.ID, Source: publicURL + "/orgs/" + string(e.Org), SpecVersion: "1.0", Type: TypePrefix + string(e.Type),
		Subject: e.Subject, Time: e.Time.UTC(), DataContentType: "application/json",
		DataSchema: publicURL + "/api/v1/event-types/" + string(e.Type) + "/schema", OrgID: string(e.Org), Data: e.Data}
}
