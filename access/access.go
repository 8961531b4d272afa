// Package access decides who may do what: roles, scoped role assignments and the one
// authorizer, Can, that every API call and console page goes through. The permission
// table is in permissions.go and nowhere else.
package access

import (
	"github.com/atrium-admin/atrium"
)

// ScopeKind says what a role assignment is scoped to.
type ScopeKind uint8

// Scope kinds. Only ScopeOrg is assigned by the foundation; later modules assign roles
// at program, engagement, group, profile and CRM-instance scope.
const (
	ScopeOrg ScopeKind = iota
	ScopeProgram
	ScopeEngagement
	ScopeGroup
	ScopeProfile
	ScopeCRMInstance
)

var scopeNames = [...]string{"org", "program", "engagement", "group", "profile", "crm_instance"}

func (k ScopeKind) String() string {
	if int(k) < len(scopeNames) {
		return scopeNames[k]
	}
	return "unknown"
}

// ParseScopeKind returns the kind named s.
func ParseScopeKind(s string) (ScopeKind, bool) {
	for i, n := range scopeNames {
		if n == s {
			return ScopeKind(i), true
		}
	}
	return 0, false
}

// Scope is the object a role assignment applies to, such as one organization or one
// engagement.
type Scope struct {
	Kind ScopeKind
	ID   string
}

// OrgScope returns the scope of a whole organization.
func OrgScope(org atrium.OrgID) Scope { return Scope{Kind: ScopeOrg, ID: string(org)} }

// Grant is one role a principal holds at one scope.
type Grant struct {
	Role  Role
	Scope Scope
}

// Principal is who is asking: a signed-in user or an API token acting for an
// organization. Build it once per request; Can does not allocate.
type Principal struct {
	UserID atrium.UserID // empty for API tokens
	Org    atrium.OrgID
	Name   string // for audit entries
	Grants []Grant
	// TokenID is set when the principal is an API token.
	TokenID string
}

// Resource is what an action applies to.
type Resource struct {
	// Org owns the resource. Empty for instance-wide resources (the list of organizations).
	Org atrium.OrgID
	// Scopes is the resource's chain of containing scopes below the organization,
	// narrowest first (an engagement, then its program). A grant at any of them covers
	// the resource: that is how a Program Owner owns every engagement of the program.
	Scopes []Scope
	// TargetRank is, for actions on a user, the highest admin rank that user holds.
	TargetRank Rank
	// TargetOrg is, for actions on a user, the user's organization. Roles constrained to
	// their own organization (a Power User in a cross-organization engagement) may act
	// only where it equals the principal's.
	TargetOrg atrium.OrgID
}

// Can reports whether p may do a on r. It is the only authorization decision in Atrium.
// A grant counts when its role allows a, its scope covers r (an organization-level
// resource needs a grant at that organization's scope; a program or engagement grant
// covers only resources inside it; operator roles act on the instance), the target is
// within the role's reach, and, for a data-defined role, p belongs to the role's
// organization. Can consults Default, takes no lock and does not allocate.
func Can(p *Principal, a Action, r Resource) bool { return Default.Can(p, a, r) }

// CanDelegate reports whether p may hand role out at r, to an API token say: nobody may
// hand out more than they hold, so p must be allowed every action of the role at r, on
// targets as high as the role reaches. Operator roles, a group's roles, unknown roles
// and roles of another organization are never delegated.
func CanDelegate(p *Principal, role Role, r Resource) bool {
	s := Default.cur.Load()
	ri := s.role(role)
	if ri == nil || ri.operator || ri.scope != ScopeOrg || (ri.org != "" && ri.org != r.Org) {
		return false
	}
	r.TargetRank = ri.reach
	for _, a := range ri.actions {
		if !Default.Can(p, a, r) {
			return false
		}
	}
	return true
}

// HasRole reports whether p holds role at any scope. It is for display; decisions go
// through Can, which also weighs the scope.
func (p *Principal) HasRole(role Role) bool {
	for _, g := range p.Grants {
		if g.Role == role {
			return true
		}
	}
	return false
}

// IsOperator reports whether p holds any operator role.
func (p *Principal) IsOperator() bool {
	for _, g := range p.Grants {
		if g.Role.Operator() {
			return true
		}
	}
	return false
}

// Require returns a forbidden error unless Can(p, a, r).
func Require(p *Principal, a Action, r Resource) error {
	if Can(p, a, r) {
		return nil
	}
	return &atrium.Error{Code: atrium.CodeForbidden, Message: "you do not have permission to " + a.Description(),
		ID: "err.access.forbidden", Args: []any{"Action", a.String()}}
}

// RankOf returns the highest rank among roles.
func RankOf(roles []Role) Rank {
	var r Rank
	for _, role := range roles {
		if k := role.Rank(); k > r {
			r = k
		}
	}
	return r
}

// With returns a copy of p that also holds grants: the roles a module derives from its
// own data for one decision (a group's owners and members), which are never stored as
// role assignments. p is not changed.
func (p *Principal) With(grants ...Grant) *Principal {
	q := *p
	q.Grants = append(append(make([]Grant, 0, len(p.Grants)+len(grants)), p.Grants...), grants...)
	return &q
}
