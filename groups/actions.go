package groups

import "github.com/atrium-admin/atrium/access"

// The module's actions. The group roles (group_owner, group_member, group_reader) are
// never assigned: a principal holds them in one group, derived from that group's
// members and visibility (Service.as), and access.Can decides as for any role.
var (
	actions = access.RegisterActions("groups",
		access.ActionDef{Name: "groups.create", Description: "create groups",
			Grant: []string{"global_admin", "user_admin", "groups_admin"}},
		access.ActionDef{Name: "groups.read", Description: "view groups, their members and conversations",
			Grant: []string{"global_admin", "user_admin", "groups_admin", "global_reader", "group_owner", "group_member", "group_reader"}},
		access.ActionDef{Name: "groups.manage", Description: "change groups' settings, members and owners, delete and restore groups, and moderate their conversations",
			Grant: []string{"global_admin", "user_admin", "groups_admin", "group_owner"}},
		access.ActionDef{Name: "groups.post", Description: "start and reply to conversations in groups",
			Grant: []string{"group_owner", "group_member"}},
		access.ActionDef{Name: "groups.join", Description: "join public groups",
			Grant: []string{"group_reader"}},
	)
	// Create lets its holder create groups whatever the organization's setting says.
	Create = actions[0]
	// Read shows a group's members and conversations (its name and description are
	// shown to everyone in the organization).
	Read = actions[1]
	// Manage changes a group: settings, members, owners, posts, deletion.
	Manage = actions[2]
	// Contribute starts threads and replies.
	Contribute = actions[3]
	// Join makes the holder a member at once; others ask to join.
	Join = actions[4]
)
