package servicehealth

import (
	"time"

	"github.com/atrium-admin/atrium/events"
)

// The servicehealth module's events, published in the transaction of each change, with
// the operator organization as their organization.

// IssueRef names an issue in an event.
type IssueRef struct {
	ID             string         `json:"issue_id"`
	Classification Classification `json:"classification"`
	Title          string         `json:"title"`
	Status         Status         `json:"status"`
	Services       []ServiceCode  `json:"services"`
	StartedAt      time.Time      `json:"started_at"`
}

func issueRef(i *Issue) IssueRef {
	return IssueRef{ID: i.ID, Classification: i.Classification, Title: i.Title, Status: i.Status,
		Services: append([]ServiceCode(nil), i.Services...), StartedAt: i.StartedAt}
}

// IssueCreated: an incident or advisory was opened.
type IssueCreated struct{ IssueRef }

// IssueUpdated: an issue's fields or status changed, or a post was added to its
// timeline; Changed lists the fields ("posts" for a post).
type IssueUpdated struct {
	IssueRef
	Changed []string `json:"changed"`
}

// IssueResolved: an issue was resolved at EndedAt.
type IssueResolved struct {
	IssueRef
	EndedAt time.Time `json:"ended_at"`
}

func (IssueCreated) EventType() events.Type  { return "servicehealth.issue_created" }
func (IssueUpdated) EventType() events.Type  { return "servicehealth.issue_updated" }
func (IssueResolved) EventType() events.Type { return "servicehealth.issue_resolved" }

// declare declares the events event subscriptions may receive.
func declare(bus *events.Bus) {
	events.Declare[IssueCreated](bus, "A service health incident or advisory was opened.")
	events.Declare[IssueUpdated](bus, "A service health issue changed or had an update posted.")
	events.Declare[IssueResolved](bus, "A service health issue was resolved.")
}
