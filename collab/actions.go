package collab

import "github.com/atrium-admin/atrium/access"

// The module's actions. The six collaboration roles of the seed (participant,
// power_user, engagement_owner at an engagement's scope; engagement_creator,
// package_publisher, program_owner at a program's) are never assigned: a principal holds
// them in one engagement or program, derived from collab_members (Service.as), and
// access.Can decides as for any role. A program owner's grant at the program's scope
// covers every engagement of the program, whose resource names both scopes.
var (
	actions = access.RegisterActions("collab",
		access.ActionDef{Name: "collab.program.create", Description: "create collaboration programs", Instance: true,
			Grant: []string{"operator_admin"}},
		access.ActionDef{Name: "collab.administer", Description: "manage every collaboration program and engagement", Instance: true,
			Grant: []string{"operator_admin"}},
		access.ActionDef{Name: "collab.program.read", Description: "view a program and its members",
			Grant: []string{"program_owner", "engagement_creator", "package_publisher"}},
		access.ActionDef{Name: "collab.program.manage", Description: "change a program and its owners, engagement creators and package publishers",
			Grant: []string{"program_owner"}},
		access.ActionDef{Name: "collab.engagement.create", Description: "create engagements in a program",
			Grant: []string{"program_owner", "engagement_creator"}},
		access.ActionDef{Name: "collab.engagement.read", Description: "view an engagement and its program's overview",
			Grant: []string{"participant", "power_user", "engagement_owner", "program_owner", "engagement_creator", "package_publisher"}},
		access.ActionDef{Name: "collab.engagement.manage", Description: "change an engagement, its owners and power users, and decide every access request",
			Grant: []string{"engagement_owner", "program_owner"}},
		access.ActionDef{Name: "collab.participants.manage", Description: "add and remove an engagement's participants and decide their access requests",
			Grant: []string{"power_user", "engagement_owner", "program_owner"}},
		access.ActionDef{Name: "collab.content.download", Description: "download an engagement's content",
			Grant: []string{"participant", "engagement_owner", "program_owner", "package_publisher"}},
		access.ActionDef{Name: "collab.package.publish", Description: "publish content packages to an engagement",
			Grant: []string{"package_publisher", "engagement_owner", "program_owner"}},
		access.ActionDef{Name: "collab.feedback.submit", Description: "submit, view and edit feedback on an engagement",
			Grant: []string{"participant", "engagement_owner", "program_owner"}},
		access.ActionDef{Name: "collab.feedback.manage", Description: "set the state of an engagement's feedback",
			Grant: []string{"engagement_owner", "program_owner"}},
	)
	// CreateProgram lets operator staff create programs (they own those they create).
	CreateProgram = actions[0]
	// Administer makes its holder a program owner of every program.
	Administer = actions[1]
	// ReadProgram shows a program and its members.
	ReadProgram = actions[2]
	// ManageProgram changes a program and its program-scope groups.
	ManageProgram = actions[3]
	// CreateEngagement creates engagements in a program.
	CreateEngagement = actions[4]
	// ReadEngagement shows an engagement, its program's overview and its content list.
	ReadEngagement = actions[5]
	// ManageEngagement changes an engagement, its owner and power-user groups, and
	// decides every access request.
	ManageEngagement = actions[6]
	// ManageParticipants adds and removes participants and decides access requests; a
	// power user only for users of their own organization (the role is SameOrgOnly).
	ManageParticipants = actions[7]
	// Download downloads content packages.
	Download = actions[8]
	// Publish publishes content packages.
	Publish = actions[9]
	// SubmitFeedback submits, views and edits feedback.
	SubmitFeedback = actions[10]
	// ManageFeedback sets feedback states.
	ManageFeedback = actions[11]
)
