package directory

import (
	"context"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/store"
)

// The directory's domain events. Each is published in the transaction of its change;
// other modules subscribe (events.Subscribe) to keep their own data in step. Data never
// carries secrets or password hashes.

// UserRef names a user in an event.
type UserRef struct {
	ID       atrium.UserID `json:"user_id"`
	Org      atrium.OrgID  `json:"org_id"`
	Username string        `json:"username"`
}

func refOf(u *User) UserRef { return UserRef{ID: u.ID, Org: u.Org, Username: u.Username} }

// UserCreated: a user was added (by an admin, at sign-up or by the seed).
type UserCreated struct {
	UserRef
	DisplayName   string `json:"display_name"`
	UsageLocation string `json:"usage_location,omitempty"`
}

// UserUpdated: a user's profile changed.
type UserUpdated struct {
	UserRef
	DisplayName string `json:"display_name"`
}

// UserDeleted: a user was soft-deleted; they can be restored within RestoreWindow.
type UserDeleted struct{ UserRef }

// UserRestored: a deleted user was restored. Subscribers give back what they took on
// deletion and say what they could not with Tx.Notice.
type UserRestored struct{ UserRef }

// UserPurged: a deleted user was removed for good. Every module that keeps data about
// the user removes or anonymises it in the same transaction.
type UserPurged struct {
	ID  atrium.UserID `json:"user_id"`
	Org atrium.OrgID  `json:"org_id"`
	// The names are for synchronous subscribers that must find them in their data;
	// they are never stored with the event.
	Username    string `json:"-"`
	DisplayName string `json:"-"`
	Email       string `json:"-"`
}

// UserBlocked: a user may no longer sign in.
type UserBlocked struct{ UserRef }

// UserUnblocked: a blocked user may sign in again.
type UserUnblocked struct{ UserRef }

// UserPasswordReset: an administrator set a new password that the user must change.
type UserPasswordReset struct{ UserRef }

// UserPasswordChanged: the user changed their own password.
type UserPasswordChanged struct{ UserRef }

// OrgCreated: an organization signed up (it is provisioning). Subscribers may refuse
// the sign-up by returning an error, such as an add-on that is not in the catalog.
type OrgCreated struct {
	Org    atrium.OrgID `json:"org_id"`
	Name   string       `json:"name"`
	Seats  int          `json:"seats_planned"`
	Addons []string     `json:"addons,omitempty"`
}

// OrgActivated: provisioning finished; Admin is its first Global administrator.
type OrgActivated struct {
	Org    atrium.OrgID `json:"org_id"`
	Name   string       `json:"name"`
	Seats  int          `json:"seats_planned"`
	Addons []string     `json:"addons,omitempty"`
	Admin  UserRef      `json:"admin"`
	// AdminUsageLocation lets licensing license the first admin at once.
	AdminUsageLocation string `json:"admin_usage_location,omitempty"`
}

// OrgSuspendedEvent: an operator suspended the organization.
type OrgSuspendedEvent struct {
	Org  atrium.OrgID `json:"org_id"`
	Name string       `json:"name"`
}

// OrgReactivatedEvent: a suspended organization is active again.
type OrgReactivatedEvent struct {
	Org  atrium.OrgID `json:"org_id"`
	Name string       `json:"name"`
}

// OrgDeletedEvent: an operator deleted a suspended organization; it can be restored until
// it is purged, RestoreWindow later.
type OrgDeletedEvent struct {
	Org  atrium.OrgID `json:"org_id"`
	Name string       `json:"name"`
}

// OrgRestoredEvent: a deleted organization is back, suspended.
type OrgRestoredEvent struct {
	Org  atrium.OrgID `json:"org_id"`
	Name string       `json:"name"`
}

// OrgPurged: a deleted organization is removed for good, with its users. Every module
// removes what it keeps about the organization in the same transaction (by org_id, not
// user by user: no user.purged events are published for its users), and what it keeps
// about it in other organizations' data (a partner of record, for example).
type OrgPurged struct {
	Org  atrium.OrgID `json:"org_id"`
	Name string       `json:"-"`
}

// RoleAssigned: a user got an organization-scope admin role.
type RoleAssigned struct {
	UserRef
	Role string `json:"role"`
}

// RoleRemoved: a user lost an organization-scope admin role.
type RoleRemoved struct {
	UserRef
	Role string `json:"role"`
}

func (UserCreated) EventType() events.Type         { return "user.created" }
func (UserUpdated) EventType() events.Type         { return "user.updated" }
func (UserDeleted) EventType() events.Type         { return "user.deleted" }
func (UserRestored) EventType() events.Type        { return "user.restored" }
func (UserPurged) EventType() events.Type          { return "user.purged" }
func (UserBlocked) EventType() events.Type         { return "user.blocked" }
func (UserUnblocked) EventType() events.Type       { return "user.unblocked" }
func (UserPasswordReset) EventType() events.Type   { return "user.password_reset" }
func (UserPasswordChanged) EventType() events.Type { return "user.password_changed" }
func (OrgCreated) EventType() events.Type          { return "org.created" }
func (OrgActivated) EventType() events.Type        { return "org.activated" }
func (OrgSuspendedEvent) EventType() events.Type   { return "org.suspended" }
func (OrgReactivatedEvent) EventType() events.Type { return "org.reactivated" }
func (OrgUpdated) EventType() events.Type          { return "org.updated" }
func (OrgDeletedEvent) EventType() events.Type     { return "org.deleted" }
func (OrgRestoredEvent) EventType() events.Type    { return "org.restored" }
func (OrgPurged) EventType() events.Type           { return "org.purged" }
func (RoleAssigned) EventType() events.Type        { return "role.assigned" }
func (RoleRemoved) EventType() events.Type         { return "role.removed" }

// publish publishes p about subject in org, in tx.
func (s *Service) publish(ctx context.Context, tx *store.Tx, org atrium.OrgID, subject string, p events.Payload) (*events.Report, error) {
	return s.events.Publish(ctx, tx, org, subject, p)
}

// publishUser publishes a user event and drops the report.
func (s *Service) publishUser(ctx context.Context, tx *store.Tx, u *User, p events.Payload) error {
	_, err := s.publish(ctx, tx, u.Org, string(u.ID), p)
	return err
}

// declareEvents declares the directory's events that event subscriptions may receive.
// The purges stay internal: they carry what other modules must delete, and the world
// outside learnt of the deletion when it happened.
func declareEvents(bus *events.Bus) {
	events.Declare[UserCreated](bus, "A user was added to the organization.")
	events.Declare[UserUpdated](bus, "A user's profile, usage location or language changed.")
	events.Declare[UserDeleted](bus, "A user was deleted; they can be restored for 30 days.")
	events.Declare[UserRestored](bus, "A deleted user was restored.")
	events.Declare[UserBlocked](bus, "A user was blocked from signing in.")
	events.Declare[UserUnblocked](bus, "A blocked user may sign in again.")
	events.Declare[UserPasswordReset](bus, "An administrator reset a user's password.")
	events.Declare[UserPasswordChanged](bus, "A user changed their own password.")
	events.Declare[OrgCreated](bus, "The organization signed up.")
	events.Declare[OrgActivated](bus, "The organization was provisioned and is active.")
	events.Declare[OrgSuspendedEvent](bus, "The operator suspended the organization.")
	events.Declare[OrgReactivatedEvent](bus, "The operator reactivated the organization.")
	events.Declare[OrgUpdated](bus, "The organization's profile or settings changed.")
	events.Declare[OrgDeletedEvent](bus, "The organization was deleted; it can be restored until it is purged.")
	events.Declare[OrgRestoredEvent](bus, "A deleted organization was restored.")
	events.Declare[RoleAssigned](bus, "A user was given an administrator role.")
	events.Declare[RoleRemoved](bus, "A user lost an administrator role.")
	declareGuestEvents(bus)
}
