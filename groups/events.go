package groups

import (
	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/events"
)

// The groups module's events, published in the transaction of each change. Data names
// the group and the people concerned; it never carries a post's attachments.

// GroupRef names a group in an event.
type GroupRef struct {
	ID           string       `json:"group_id"`
	Org          atrium.OrgID `json:"org_id"`
	Name         string       `json:"name"`
	MailNickname string       `json:"mail_nickname"`
	Visibility   Visibility   `json:"visibility"`
}

func refOf(g *Group) GroupRef {
	return GroupRef{ID: g.ID, Org: g.Org, Name: g.Name, MailNickname: g.MailNickname, Visibility: g.Visibility}
}

// GroupCreated: a group was created with its first owners.
type GroupCreated struct {
	GroupRef
	Description string          `json:"description"`
	Owners      []atrium.UserID `json:"owner_ids"`
}

// GroupUpdated: a group's name, description, nickname, visibility or classification
// changed; Changed lists the fields.
type GroupUpdated struct {
	GroupRef
	Changed []string `json:"changed"`
}

// GroupDeleted: a group was deleted; it can be restored for 30 days.
type GroupDeleted struct{ GroupRef }

// GroupRestored: a deleted group was restored with its members and conversations.
type GroupRestored struct{ GroupRef }

// GroupPurged: a deleted group was removed for good (internal: the world outside
// learnt of the deletion when it happened).
type GroupPurged struct{ GroupRef }

// MemberRef names a member of a group in an event.
type MemberRef struct {
	GroupID  string        `json:"group_id"`
	Org      atrium.OrgID  `json:"org_id"`
	UserID   atrium.UserID `json:"user_id"`
	Username string        `json:"username"`
}

// MemberAdded: a user became a member of a group.
type MemberAdded struct{ MemberRef }

// MemberRemoved: a member left or was removed from a group.
type MemberRemoved struct{ MemberRef }

// OwnerAdded: a member became an owner of a group.
type OwnerAdded struct{ MemberRef }

// OwnerRemoved: an owner of a group is no longer one (they stay a member, unless they
// were removed from the group, which MemberRemoved tells).
type OwnerRemoved struct{ MemberRef }

// PostCreated: a post was added to a group's conversation, starting a thread or
// replying in one. Data holds no text of the post: a private group's content leaves
// the group only to its members.
type PostCreated struct {
	GroupID  string        `json:"group_id"`
	Org      atrium.OrgID  `json:"org_id"`
	ThreadID string        `json:"thread_id"`
	PostID   string        `json:"post_id"`
	AuthorID atrium.UserID `json:"author_id,omitempty"`
	// Source names the integration that posted, for posts not written by a user.
	Source string `json:"source,omitempty"`
}

func (GroupCreated) EventType() events.Type  { return "group.created" }
func (GroupUpdated) EventType() events.Type  { return "group.updated" }
func (GroupDeleted) EventType() events.Type  { return "group.deleted" }
func (GroupRestored) EventType() events.Type { return "group.restored" }
func (GroupPurged) EventType() events.Type   { return "group.purged" }
func (MemberAdded) EventType() events.Type   { return "group.member_added" }
func (MemberRemoved) EventType() events.Type { return "group.member_removed" }
func (OwnerAdded) EventType() events.Type    { return "group.owner_added" }
func (OwnerRemoved) EventType() events.Type  { return "group.owner_removed" }
func (PostCreated) EventType() events.Type   { return "group.post_created" }

// declare declares the events event subscriptions may receive.
func declare(bus *events.Bus) {
	events.Declare[GroupCreated](bus, "A group was created.")
	events.Declare[GroupUpdated](bus, "A group's name, description, nickname, visibility or classification changed.")
	events.Declare[GroupDeleted](bus, "A group was deleted; it can be restored for 30 days.")
	events.Declare[GroupRestored](bus, "A deleted group was restored.")
	events.Declare[MemberAdded](bus, "A user became a member of a group.")
	events.Declare[MemberRemoved](bus, "A member left or was removed from a group.")
	events.Declare[OwnerAdded](bus, "A member became an owner of a group.")
	events.Declare[OwnerRemoved](bus, "An owner of a group is an owner no longer.")
	events.Declare[PostCreated](bus, "A post was added to a group's conversation.")
}
