package collab

import (
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/events"
)

// The collab module's events, published in the transaction of each change, with the
// operator organization as their organization.

// ProgramRef names a program in an event.
type ProgramRef struct {
	ID   string       `json:"program_id"`
	Org  atrium.OrgID `json:"org_id"`
	Name string       `json:"name"`
}

func programRef(p *Program) ProgramRef { return ProgramRef{ID: p.ID, Org: p.Org, Name: p.Name} }

// EngagementRef names an engagement in an event.
type EngagementRef struct {
	ID         string       `json:"engagement_id"`
	ProgramID  string       `json:"program_id"`
	Org        atrium.OrgID `json:"org_id"`
	Name       string       `json:"name"`
	JoinPolicy JoinPolicy   `json:"join_policy"`
}

func engagementRef(e *Engagement) EngagementRef {
	return EngagementRef{ID: e.ID, ProgramID: e.ProgramID, Org: e.Org, Name: e.Name, JoinPolicy: e.JoinPolicy}
}

// MemberRef names a member of an engagement's or a program's group in an event.
type MemberRef struct {
	// ScopeID is the engagement's or the program's id.
	ScopeID  string        `json:"scope_id"`
	Group    Group         `json:"group"`
	UserID   atrium.UserID `json:"user_id"`
	Username string        `json:"username"`
	UserOrg  atrium.OrgID  `json:"user_org_id"`
}

// RequestRef names an access request in an event.
type RequestRef struct {
	ID           string        `json:"request_id"`
	EngagementID string        `json:"engagement_id"`
	UserID       atrium.UserID `json:"user_id"`
	Username     string        `json:"username"`
	UserOrg      atrium.OrgID  `json:"user_org_id"`
}

func requestRef(r *AccessRequest) RequestRef {
	return RequestRef{ID: r.ID, EngagementID: r.EngagementID, UserID: r.UserID, Username: r.Username, UserOrg: r.OrgID}
}

// ProgramCreated: a program was created.
type ProgramCreated struct{ ProgramRef }

// ProgramUpdated: a program's name or description changed; Changed lists the fields.
type ProgramUpdated struct {
	ProgramRef
	Changed []string `json:"changed"`
}

// ProgramMemberAdded: a user joined one of a program's groups.
type ProgramMemberAdded struct{ MemberRef }

// ProgramMemberRemoved: a user left one of a program's groups.
type ProgramMemberRemoved struct{ MemberRef }

// EngagementCreated: an engagement was created.
type EngagementCreated struct{ EngagementRef }

// EngagementUpdated: an engagement's settings changed; Changed lists the fields.
type EngagementUpdated struct {
	EngagementRef
	Changed []string `json:"changed"`
}

// EngagementMemberAdded: a user joined one of an engagement's groups (by joining,
// an approved request, being added or copied).
type EngagementMemberAdded struct{ MemberRef }

// EngagementMemberRemoved: a user was removed from one of an engagement's groups.
type EngagementMemberRemoved struct{ MemberRef }

// AccessRequested: a user asked for access to an engagement.
type AccessRequested struct{ RequestRef }

// AccessDecided: an access request was approved, denied or expired (State).
type AccessDecided struct {
	RequestRef
	State string `json:"state"`
}

// DeactivatedMembership is one membership that automatic deactivation ended.
type DeactivatedMembership struct {
	ScopeID string `json:"scope_id"`
	Group   Group  `json:"group"`
}

// AccessDeactivated: a person unused for InactiveDays lost their memberships (kept,
// marked deactivated).
type AccessDeactivated struct {
	UserID       atrium.UserID           `json:"user_id"`
	Username     string                  `json:"username"`
	UserOrg      atrium.OrgID            `json:"user_org_id"`
	InactiveDays int                     `json:"inactive_days"`
	Memberships  []DeactivatedMembership `json:"memberships"`
}

// PackageRef names a content package in an event.
type PackageRef struct {
	ID           string `json:"package_id"`
	EngagementID string `json:"engagement_id"`
	Name         string `json:"name"`
}

func packageRef(p *Package) PackageRef {
	return PackageRef{ID: p.ID, EngagementID: p.EngagementID, Name: p.Name}
}

// PackagePublished: a content package was published to an engagement (participants see
// it from PublishAt).
type PackagePublished struct {
	PackageRef
	Files     int       `json:"files"`
	PublishAt time.Time `json:"publish_at"`
}

func (PackagePublished) EventType() events.Type { return "engagement.package_published" }

func (AccessDeactivated) EventType() events.Type { return "engagement.access_deactivated" }

func (ProgramCreated) EventType() events.Type          { return "program.created" }
func (ProgramUpdated) EventType() events.Type          { return "program.updated" }
func (ProgramMemberAdded) EventType() events.Type      { return "program.member_added" }
func (ProgramMemberRemoved) EventType() events.Type    { return "program.member_removed" }
func (EngagementCreated) EventType() events.Type       { return "engagement.created" }
func (EngagementUpdated) EventType() events.Type       { return "engagement.updated" }
func (EngagementMemberAdded) EventType() events.Type   { return "engagement.member_added" }
func (EngagementMemberRemoved) EventType() events.Type { return "engagement.member_removed" }
func (AccessRequested) EventType() events.Type         { return "engagement.access_requested" }
func (AccessDecided) EventType() events.Type           { return "engagement.access_decided" }

// declare declares the events event subscriptions may receive.
func declare(bus *events.Bus) {
	events.Declare[ProgramCreated](bus, "A collaboration program was created.")
	events.Declare[ProgramUpdated](bus, "A collaboration program's name or description changed.")
	events.Declare[ProgramMemberAdded](bus, "A user joined a program's owners, engagement creators or package publishers.")
	events.Declare[ProgramMemberRemoved](bus, "A user left a program's owners, engagement creators or package publishers.")
	events.Declare[EngagementCreated](bus, "An engagement was created.")
	events.Declare[EngagementUpdated](bus, "An engagement's settings changed.")
	events.Declare[EngagementMemberAdded](bus, "A user joined an engagement's participants, power users or owners.")
	events.Declare[EngagementMemberRemoved](bus, "A user was removed from an engagement's participants, power users or owners.")
	events.Declare[AccessRequested](bus, "A user asked for access to an engagement.")
	events.Declare[AccessDecided](bus, "An access request was approved, denied or expired.")
	events.Declare[PackagePublished](bus, "A content package was published to an engagement.")
	events.Declare[AccessDeactivated](bus, "A person who had not used the collaboration area for the set days lost their program and engagement access.")
}
