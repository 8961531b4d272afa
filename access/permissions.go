package access

import (
	"fmt"
	"strings"
)

// This file is the permission table of Atrium: every role, every action, and which role
// may do what. docs/permissions.md is rendered from it (go run ./cmd/atrium docs).

// Action is something a principal may be allowed to do.
type Action uint8

// Actions. Append new ones at the end of a group; names are stable.
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
	TokenRead
	TokenManage
	AuditRead
	InstanceOrgRead
	InstanceOrgManage
	InstanceMailRead
	BillingRead
	BillingManage
	LicenseRead
	LicenseAssign
	CatalogManage
	InvoiceManage
	numActions
)

var actionDefs = [numActions]struct{ name, desc string }{
	OrgRead:           {"org.read", "view the organization and its settings"},
	OrgUpdate:         {"org.update", "change the organization's settings"},
	UserRead:          {"user.read", "view users"},
	UserCreate:        {"user.create", "add users"},
	UserUpdate:        {"user.update", "edit users"},
	UserDelete:        {"user.delete", "delete users"},
	UserRestore:       {"user.restore", "restore deleted users"},
	UserBlock:         {"user.block", "block and unblock sign-in"},
	UserResetPassword: {"user.reset_password", "reset passwords"},
	RoleRead:          {"role.read", "view admin roles and who holds them"},
	RoleAssign:        {"role.assign", "assign and remove admin roles"},
	TokenRead:         {"token.read", "view API tokens"},
	TokenManage:       {"token.manage", "create and revoke API tokens"},
	AuditRead:         {"audit.read", "read the audit log"},
	InstanceOrgRead:   {"instance.org.read", "list all organizations"},
	InstanceOrgManage: {"instance.org.manage", "suspend and reactivate organizations"},
	InstanceMailRead:  {"instance.mail.read", "read outgoing mail"},
	BillingRead:       {"billing.read", "view subscriptions, orders and bills"},
	BillingManage:     {"billing.manage", "buy, change quantities, cancel and name partners of record"},
	LicenseRead:       {"license.read", "view license counts and users' licenses"},
	LicenseAssign:     {"license.assign", "assign and remove licenses"},
	CatalogManage:     {"catalog.manage", "edit the product catalog"},
	InvoiceManage:     {"invoice.manage", "mark invoices paid or void"},
}

// String returns the action's stable name, such as "user.create".
func (a Action) String() string {
	if a < numActions {
		return actionDefs[a].name
	}
	return fmt.Sprintf("action(%d)", a)
}

// Description returns what the action allows, in words ("add users").
func (a Action) Description() string {
	if a < numActions {
		return actionDefs[a].desc
	}
	return "do that"
}

// Actions returns every action in table order.
func Actions() []Action {
	out := make([]Action, numActions)
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

// Role is an admin role.
type Role uint8

// Roles. Organization roles first, then operator roles; names are stable.
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
	Actions     []Action
}

var readAll = []Action{OrgRead, UserRead, RoleRead, TokenRead, AuditRead, BillingRead, LicenseRead}

var roleDefs = [numRoles]roleDef{
	GlobalAdmin: {
		Name: "global_admin", Title: "Global administrator",
		Description: "Everything in the organization.",
		Rank:        RankGlobal, Reach: RankGlobal,
		Actions: []Action{OrgRead, OrgUpdate, UserRead, UserCreate, UserUpdate, UserDelete, UserRestore, UserBlock,
			UserResetPassword, RoleRead, RoleAssign, TokenRead, TokenManage, AuditRead, BillingRead, BillingManage, LicenseRead, LicenseAssign},
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
		Actions: []Action{InstanceOrgRead, InstanceOrgManage, InstanceMailRead, CatalogManage, InvoiceManage},
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
}

// allowed is roleDefs flattened for a branch-free lookup in Can.
var allowed [numRoles][numActions]bool

func init() {
	for r := range roleDefs {
		for _, a := range roleDefs[r].Actions {
			allowed[r][a] = true
		}
	}
}

// String returns the role's stable name, such as "global_admin".
func (r Role) String() string {
	if r < numRoles {
		return roleDefs[r].Name
	}
	return fmt.Sprintf("role(%d)", r)
}

// Title returns the role's display name.
func (r Role) Title() string {
	if r < numRoles {
		return roleDefs[r].Title
	}
	return r.String()
}

// Description says what the role is for.
func (r Role) Description() string {
	if r < numRoles {
		return roleDefs[r].Description
	}
	return ""
}

// Operator reports whether r is an operator role.
func (r Role) Operator() bool { return r < numRoles && roleDefs[r].Operator }

// Rank returns the role's rank as a target.
func (r Role) Rank() Rank {
	if r < numRoles {
		return roleDefs[r].Rank
	}
	return RankNone
}

// Allows reports whether the role grants action a (at whatever scope it is held).
func (r Role) Allows(a Action) bool { return r < numRoles && a < numActions && allowed[r][a] }

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

// ParseRole returns the role named s.
func ParseRole(s string) (Role, bool) {
	for i := range roleDefs {
		if roleDefs[i].Name == s {
			return Role(i), true
		}
	}
	return 0, false
}

// Roles returns every role in table order.
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
	b.WriteString("# Permissions\n\nGenerated from `access/permissions.go` by `atrium docs`; do not edit by hand.\n\n")
	b.WriteString("## Roles\n\n| role | name | kind | may act on users up to | description |\n|---|---|---|---|---|\n")
	rankNames := []string{"non-admins", "limited admins", "privileged admins", "global admins"}
	for _, r := range Roles() {
		d := roleDefs[r]
		kind := "organization"
		if d.Operator {
			kind = "operator"
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
			if allowed[r][a] {
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
