package social

import "github.com/atrium-admin/atrium/access"

// Manage is the module's one action: reassigning the organization's search topics,
// which administrators do when a topic's owner lost their license. The admins who
// manage licenses hold it.
var Manage = access.RegisterActions("social", access.ActionDef{
	Name:        "social.manage",
	Description: "reassign the organization's Social Engagement search topics",
	Grant:       []string{"global_admin", "user_admin", "license_admin"},
})[0]
