package access

import (
	"fmt"
	"strings"

	"github.com/atrium-admin/atrium"
)

// This file is the permission table of Atrium: every role, every action, and which role
// may do what. docs/permissions.md is rendered from it (go run ./cmd/atrium docs).

// Action is something a principal may be allowed to do. Actions are registered with
// RegisterActions, each module declaring its own; an Action is the dense index the
// registration gave it.
type Action uint16

// Actions of the compiled table, in registration order (registerCompiled checks it).
// Append new ones at the end of a module's group; names are stable, indexes are not.
const (
	OrgRead Action = iota
	OrgUpdate
	UserRead
	UserCreate
	UserUpdate
	UserDelete
	UserRestore
	UserBlock
	UserResetPassword
	RoleRead
	RoleAssign
	RoleDefine
	TokenRead
	TokenManage
	AuditRead
	InstanceOrgRead
	InstanceOrgManage
	InstanceOrgDelete
	InstanceMailRead
	InstanceRoleDefine
	BillingRead
	BillingManage
	LicenseRead
	LicenseAssign
	CatalogManage
	InvoiceManage
	numActions
)

// registerCompiled declares the compiled table's actions in reg, module by module, as
// every module declares its actions.
func registerCompiled(reg *Registry) {
	reg.mustRegister(OrgRead, "directory",
		ActionDef{Name: "org.read", Description: "view the organization and its settings"},
		ActionDef{Name: "org.update", Description: "change the organization's settings"},
		ActionDef{Name: "user.read", Description: "view users"},
		ActionDef{Name: "user.create", Description: "add users"},
		ActionDef{Name: "user.update", Description: "edit users"},
		ActionDef{Name: "user.delete", Description: "delete users"},
		ActionDef{Name: "user.restore", Description: "restore deleted users"},
		ActionDef{Name: "user.block", Description: "block and unblock sign-in"},
		ActionDef{Name: "user.reset_password", Description: "reset passwords"})
	reg.mustRegister(RoleRead, "access",
		ActionDef{Name: "role.read", Description: "view admin roles and who holds them"},
		ActionDef{Name: "role.assign", Description: "assign and remove admin roles"},
		ActionDef{Name: "role.define", Description: "define and delete the organization's own roles"})
	reg.mustRegister(TokenRead, "auth",
		ActionDef{Name: "token.read", Description: "view API tokens"},
		ActionDef{Name: "token.manage", Description: "create and revoke API tokens"})
	reg.mustRegister(AuditRead, "audit",
		ActionDef{Name: "audit.read", Description: "read the audit log"})
	reg.mustRegister(InstanceOrgRead, "directory",
		ActionDef{Name: "instance.org.read", Description: "list all organizations", Instance: true},
		ActionDef{Name: "instance.org.manage", Description: "suspend and reactivate organizations", Instance: true},
		ActionDef{Name: "instance.org.delete", Description: "delete suspended organizations and restore deleted ones", Instance: true})
	reg.mustRegister(InstanceMailRead, "mail",
		ActionDef{Name: "instance.mail.read", Description: "read outgoing mail", Instance: true})
	reg.mustRegister(InstanceRoleDefine, "access",
		ActionDef{Name: "instance.role.define", Description: "define and delete roles for every organization", Instance: true})
	reg.mustRegister(BillingRead, "licensing",
		ActionDef{Name: "billing.read", Description: "view subscriptions, orders and bills"},
		ActionDef{Name: "billing.manage", Description: "buy, change quantities, cancel and name partners of record"},
		ActionDef{Name: "license.read", Description: "view license counts and users' licenses"},
		ActionDef{Name: "license.assign", Description: "assign and remove licenses"},
		ActionDef{Name: "catalog.manage", Description: "edit the product catalog", Instance: true},
		ActionDef{Name: "invoice.manage", Description: "mark invoices paid or void", Instance: true})
	if n := len(reg.actions); n != int(numActions) {
		panic(fmt.Sprintf("access: compiled table registered %d actions, want %d", n, numActions))
	}
}

// mustRegister registers defs and panics unless the first lands on first: the compiled
// constants must agree with the registration order.
func (reg *Registry) mustRegister(first Action, module string, defs ...ActionDef) {
	if got := reg.RegisterActions(module, defs...); got[0] != first {
		panic(fmt.Sprintf("access: action %s registered as %d, its constant is %d", defs[0].Name, got[0], first))
	}
}

// String returns the action's stable name, such as "user.create".
func (a Action) String() string {
	if s := Default.cur.Load(); int(a) < len(s.actions) {
		return s.actions[a].Name
	}
	return fmt.Sprintf("action(%d)", a)
}

// Description returns what the action allows, in words ("add users").
func (a Action) Description() string {
	if s := Default.cur.Load(); int(a) < len(s.actions) {
		return s.actions[a].Description
	}
	return "do that"
}

// Module returns the name of the module that registered the action.
func (a Action) Module() string {
	if s := Default.cur.Load(); int(a) < len(s.actions) {
		return s.actions[a].module
	}
	return ""
}

// Instance reports whether the action concerns the instance; only operator roles hold
// instance actions.
func (a Action) Instance() bool {
	s := Default.cur.Load()
	return int(a) < len(s.actions) && s.actions[a].Instance
}

// ParseAction returns the registered action named s.
func ParseAction(s string) (Action, bool) {
	a, ok := Default.cur.Load().byName[s]
	return a, ok
}

// Actions returns every registered action in registration order.
func Actions() []Action {
	out := make([]Action, len(Default.cur.Load().actions))
	for i := range out {
		out[i] = Action(i)
	}
	return out
}

// Rank orders admin roles by power, for rules such as "a User administrator may reset
// passwords, but not of higher admins".
type Rank uint8

// Ranks, lowest first.
const (
	RankNone       Rank = iota // no admin role
	RankLimited                // Helpdesk, User, License, Service support administrator, Global reader
	RankPrivileged             // Billing administrator and operator roles
	RankGlobal                 // Global and Operator administrator
)

// Role is a role: one of the compiled admin roles below, or a role defined from data
// (Registry.Define), whose values follow the compiled ones.
type Role uint32

// Compiled roles. Organization roles first, then operator roles; names are stable.
const (
	GlobalAdmin Role = iota
	BillingAdmin
	UserAdmin
	HelpdeskAdmin
	LicenseAdmin
	ServiceSupportAdmin
	GlobalReader
	OperatorAdmin
	SupportAgent
	ServiceHealthManager
	GroupsAdmin
	GroupOwner
	GroupMember
	GroupReader
	Participant
	PowerUser
	EngagementOwner
	EngagementCreator
	PackagePublisher
	ProgramOwner
	numRoles
)

type roleDef struct {
	Name        string
	Title       string
	Description string
	// Operator roles belong to staff of the operator organization and act instance-wide.
	Operator bool
	// Rank is how powerful a holder of the role is as a target.
	Rank Rank
	// Reach is the highest target rank the role may act on with user actions.
	Reach Rank
	// SameOrgOnly limits the role to targets of the principal's own organization.
	SameOrgOnly bool
	// Scope is the kind of scope the role is held at: the organization (the zero value)
	// for admin roles, which are assigned; a group for the roles a module derives from
	// its own data (a group's owners and members), which are never assigned and count
	// only at their own kind of scope.
	Scope   ScopeKind
	Actions []Action
}

var readAll = []Action{OrgRead, UserRead, RoleRead, TokenRead, AuditRead, BillingRead, LicenseRead}

var roleDefs = [numRoles]roleDef{
	GlobalAdmin: {
		Name: "global_admin", Title: "Global administrator",
		Description: "Everything in the organization.",
		Rank:        RankGlobal, Reach: RankGlobal,
		Actions: []Action{OrgRead, OrgUpdate, UserRead, UserCreate, UserUpdate, UserDelete, UserRestore, UserBlock,
			UserResetPassword, RoleRead, RoleAssign, RoleDefine, TokenRead, TokenManage, AuditRead, BillingRead, BillingManage, LicenseRead, LicenseAssign},
	},
	BillingAdmin: {
		Name: "billing_admin", Title: "Billing administrator",
		Description: "Purchases, subscriptions and bills.",
		Rank:        RankPrivileged, Reach: RankNone,
		Actions: []Action{OrgRead, UserRead, BillingRead, BillingManage, LicenseRead},
	},
	UserAdmin: {
		Name: "user_admin", Title: "User administrator",
		Description: "Users and password resets, but not of higher admins.",
		Rank:        RankLimited, Reach: RankLimited,
		Actions: []Action{OrgRead, UserRead, UserCreate, UserUpdate, UserDelete, UserRestore, UserBlock, UserResetPassword, RoleRead,
			LicenseRead, LicenseAssign},
	},
	HelpdeskAdmin: {
		Name: "helpdesk_admin", Title: "Helpdesk administrator",
		Description: "Password resets and sign-in blocks of non-admins.",
		Rank:        RankLimited, Reach: RankNone,
		Actions: []Action{OrgRead, UserRead, UserBlock, UserResetPassword},
	},
	LicenseAdmin: {
		Name: "license_admin", Title: "License administrator",
		Description: "Assign and remove licenses.",
		Rank:        RankLimited, Reach: RankGlobal,
		Actions: []Action{OrgRead, UserRead, LicenseRead, LicenseAssign},
	},
	ServiceSupportAdmin: {
		Name: "service_support_admin", Title: "Service support administrator",
		Description: "Service health and support requests.",
		Rank:        RankLimited, Reach: RankNone,
		Actions: []Action{OrgRead},
	},
	GlobalReader: {
		Name: "global_reader", Title: "Global reader",
		Description: "Read everything in the organization, change nothing.",
		Rank:        RankLimited, Reach: RankGlobal,
		Actions: readAll,
	},
	OperatorAdmin: {
		Name: "operator_admin", Title: "Operator administrator", Operator: true,
		Description: "Runs the instance: all organizations, outgoing mail.",
		Rank:        RankGlobal, Reach: RankGlobal,
		Actions: []Action{InstanceOrgRead, InstanceOrgManage, InstanceOrgDelete, InstanceMailRead, InstanceRoleDefine, CatalogManage, InvoiceManage},
	},
	SupportAgent: {
		Name: "support_agent", Title: "Support agent", Operator: true,
		Description: "Answers support requests; sees organizations and outgoing mail.",
		Rank:        RankPrivileged, Reach: RankNone,
		Actions: []Action{InstanceOrgRead, InstanceMailRead},
	},
	ServiceHealthManager: {
		Name: "service_health_manager", Title: "Service health manager", Operator: true,
		Description: "Publishes service health and the message center.",
		Rank:        RankPrivileged, Reach: RankNone,
		Actions: []Action{InstanceOrgRead},
	},
	GroupsAdmin: {
		Name: "groups_admin", Title: "Groups administrator",
		Description: "Every group of the organization: create, change, delete and restore them, their members and conversations.",
		Rank:        RankLimited, Reach: RankNone,
		Actions: []Action{OrgRead, UserRead},
	},
	GroupOwner: {
		Name: "group_owner", Title: "Group owner", Scope: ScopeGroup,
		Description: "Held in one group by its owners: its settings, members and conversations.",
	},
	GroupMember: {
		Name: "group_member", Title: "Group member", Scope: ScopeGroup,
		Description: "Held in one group by its members: read and post in its conversations.",
	},
	GroupReader: {
		Name: "group_reader", Title: "Group reader", Scope: ScopeGroup,
		Description: "Held in a public group by everyone else in the organization: read it and join it.",
	},
	Participant: {
		Name: "participant", Title: "Participant", Scope: ScopeEngagement,
		Description: "Held in one engagement: see it and its program, download content, view, edit and submit feedback.",
	},
	PowerUser: {
		Name: "power_user", Title: "Power User", Scope: ScopeEngagement, SameOrgOnly: true,
		Description: "Held in one engagement for one organization: add and remove that organization's participants.",
	},
	EngagementOwner: {
		Name: "engagement_owner", Title: "Engagement Owner", Scope: ScopeEngagement,
		Description: "Held in one engagement by operator staff: every aspect of the engagement.",
	},
	EngagementCreator: {
		Name: "engagement_creator", Title: "Engagement Creator", Scope: ScopeProgram,
		Description: "Held in one program by operator staff: create engagements in it.",
	},
	PackagePublisher: {
		Name: "package_publisher", Title: "Package Publisher", Scope: ScopeProgram,
		Description: "Held in one program by operator staff: publish content packages to its engagements.",
	},
	ProgramOwner: {
		Name: "program_owner", Title: "Program Owner", Scope: ScopeProgram,
		Description: "Held in one program by operator staff: every aspect of the program and all its engagements.",
	},
}

// String returns the role's stable key: a compiled role's name, such as
// "global_admin", or a data-defined role's ID.
func (r Role) String() string {
	if ri := Default.cur.Load().role(r); ri != nil {
		return ri.key
	}
	return fmt.Sprintf("role(%d)", r)
}

// Title returns the role's display name.
func (r Role) Title() string {
	if ri := Default.cur.Load().role(r); ri != nil {
		return ri.title
	}
	return r.String()
}

// Description says what the role is for.
func (r Role) Description() string {
	if ri := Default.cur.Load().role(r); ri != nil {
		return ri.desc
	}
	return ""
}

// Org returns the organization a data-defined role belongs to; empty for compiled roles
// and for roles defined for the whole instance.
func (r Role) Org() atrium.OrgID {
	if ri := Default.cur.Load().role(r); ri != nil {
		return ri.org
	}
	return ""
}

// Scope returns the kind of scope r is held at: ScopeOrg for the roles an administrator
// assigns, ScopeGroup for a group's owner, member and reader roles.
func (r Role) Scope() ScopeKind {
	if ri := Default.cur.Load().role(r); ri != nil {
		return ri.scope
	}
	return ScopeOrg
}

// Operator reports whether r is an operator role.
func (r Role) Operator() bool {
	ri := Default.cur.Load().role(r)
	return ri != nil && ri.operator
}

// Rank returns the role's rank as a target.
func (r Role) Rank() Rank {
	if ri := Default.cur.Load().role(r); ri != nil {
		return ri.rank
	}
	return RankNone
}

// Allows reports whether the role grants action a (at whatever scope it is held).
func (r Role) Allows(a Action) bool { return Default.cur.Load().allows(r, a) }

// MarshalText encodes the role as its name.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText decodes a role name.
func (r *Role) UnmarshalText(b []byte) error {
	v, ok := ParseRole(string(b))
	if !ok {
		return fmt.Errorf("unknown role %q", b)
	}
	*r = v
	return nil
}

// ParseRole returns the compiled role named s. Data-defined roles are found with
// LookupRole.
func ParseRole(s string) (Role, bool) { return compiledRole(s) }

func compiledRole(s string) (Role, bool) {
	for i := range roleDefs {
		if roleDefs[i].Name == s {
			return Role(i), true
		}
	}
	return 0, false
}

// LookupRole returns the role whose key is s: a compiled role's name or a live
// data-defined role's ID.
func LookupRole(s string) (Role, bool) { return Default.Lookup(s) }

// Roles returns every compiled role in table order.
func Roles() []Role {
	out := make([]Role, numRoles)
	for i := range out {
		out[i] = Role(i)
	}
	return out
}

// Markdown renders the permission table for docs/permissions.md.
func Markdown() string {
	var b strings.Builder
	b.WriteString("# Permissions\n\nGenerated from `access/permissions.go` and the actions each module declares, by `atrium docs`; do not edit by hand.\n\n")
	b.WriteString("## Roles\n\n| role | name | kind | may act on users up to | description |\n|---|---|---|---|---|\n")
	rankNames := []string{"non-admins", "limited admins", "privileged admins", "global admins"}
	for _, r := range Roles() {
		d := roleDefs[r]
		kind := "organization"
		if d.Operator {
			kind = "operator"
		} else if d.Scope != ScopeOrg {
			kind = d.Scope.String()
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", d.Title, d.Name, kind, rankNames[d.Reach], d.Description)
	}
	b.WriteString("\n## Actions\n\n| action |")
	for _, r := range Roles() {
		fmt.Fprintf(&b, " %s |", r.Title())
	}
	b.WriteString("\n|---|")
	for range Roles() {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, a := range Actions() {
		fmt.Fprintf(&b, "| `%s` %s |", a, a.Description())
		for _, r := range Roles() {
			if r.Allows(a) {
				b.WriteString(" yes |")
			} else {
				b.WriteString(" |")
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\nOrganization roles act only inside their own organization; operator roles act on the instance.\n" +
		"A grant at a narrower scope (program, engagement, group, profile, CRM instance) covers resources inside it,\n" +
		"and a grant at a program covers every engagement of that program.\n")
	return b.String()
}
