package servicehealth

import "github.com/atrium-admin/atrium/access"

// The module's actions. Reading service health needs no action in this version: every
// signed-in user of an organization an issue targets reads it.
var (
	actions = access.RegisterActions("servicehealth",
		access.ActionDef{Name: "servicehealth.manage", Description: "publish and change service health incidents and advisories", Instance: true,
			Grant: []string{"operator_admin"}},
	)
	// Manage lets operator staff open incidents and advisories, change them, post
	// updates to their timelines and resolve them.
	Manage = actions[0]
)
