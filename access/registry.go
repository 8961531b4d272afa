package access

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/atrium-admin/atrium"
)

// ActionDef declares one action of a module.
type ActionDef struct {
	// Name is stable and starts with the module's name: "social.manage".
	Name string
	// Description says what the action allows, in words ("add users").
	Description string
	// Instance actions concern the instance rather than one organization's data; only
	// operator roles may hold them.
	Instance bool
	// Grant names the compiled roles that hold the action ("global_admin"): a module
	// places its actions in the permission table where it declares them.
	Grant []string
}

// RoleDef defines a role at run time, from data: a CRM security role, an app's own role.
// Such a role allows exactly its actions, ranks as a limited admin when held, and acts
// with user actions on non-admins only.
type RoleDef struct {
	// ID is the role's stable key, stored in role assignments.
	ID string
	// Org owns the role; a grant of it counts only for members of Org. Empty for a role
	// defined for every organization of the instance.
	Org         atrium.OrgID
	Name        string
	Description string
	// Actions are what the role allows. Instance actions are not allowed.
	Actions []Action
}

// Registry is the table the authorizer consults: every registered action and every
// role, compiled or defined from data. Reads (Can and the Role and Action methods) use an
// immutable snapshot behind an atomic pointer, so they take no lock and do not allocate;
// changes build and publish a new snapshot.
type Registry struct {
	mu      sync.Mutex // serializes changes
	actions []actionInfo
	roles   []roleInfo // indexed by Role; compiled roles first
	byID    map[string]Role
	cur     atomic.Pointer[snapshot]
}

type actionInfo struct {
	ActionDef
	module string
}

type roleInfo struct {
	key, title, desc string
	org              atrium.OrgID
	operator         bool
	sameOrgOnly      bool
	scope            ScopeKind
	rank, reach      Rank
	// live is false for a removed data-defined role: its index stays reserved, so a
	// principal built before the removal can never pick up another role's actions.
	live    bool
	actions []Action
}

// snapshot is one immutable state of a Registry. bits holds each role's actions as a
// bitset over the dense action index, words uint64s per role.
type snapshot struct {
	actions []actionInfo
	byName  map[string]Action
	roles   []roleInfo
	byKey   map[string]Role
	words   int
	bits    []uint64
}

// Default is the registry Can, Require and the Role and Action methods consult.
var Default = NewRegistry()

// NewRegistry returns a registry holding the compiled permission table (permissions.go).
func NewRegistry() *Registry {
	reg := &Registry{byID: map[string]Role{}}
	registerCompiled(reg)
	for i := range roleDefs {
		d := &roleDefs[i]
		reg.roles = append(reg.roles, roleInfo{key: d.Name, title: d.Title, desc: d.Description, operator: d.Operator,
			sameOrgOnly: d.SameOrgOnly, scope: d.Scope, rank: d.Rank, reach: d.Reach, live: true, actions: d.Actions})
	}
	reg.publish()
	return reg
}

// RegisterActions declares module's actions in Default and returns them, in order. A
// module calls it when its package initializes, naming new actions "<module>.<verb>".
// It panics on a module or action name that is empty or an action already registered.
func RegisterActions(module string, defs ...ActionDef) []Action {
	return Default.RegisterActions(module, defs...)
}

// RegisterActions declares module's actions in reg and returns their indexes, in order.
// It panics on a module or action name that is empty or an action already registered:
// actions are declared by code, so such a name is a programming error.
func (reg *Registry) RegisterActions(module string, defs ...ActionDef) []Action {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	out := make([]Action, 0, len(defs))
	for _, d := range defs {
		if module == "" || d.Name == "" {
			panic(fmt.Sprintf("access: action %q of module %q: both need a name", d.Name, module))
		}
		for _, a := range reg.actions {
			if a.Name == d.Name {
				panic(fmt.Sprintf("access: action %q registered twice", d.Name))
			}
		}
		if len(reg.actions) >= maxActions {
			panic("access: too many actions")
		}
		a := Action(len(reg.actions))
		for _, name := range d.Grant {
			r, ok := compiledRole(name)
			if !ok || int(r) >= len(reg.roles) {
				panic(fmt.Sprintf("access: action %q grants unknown role %q", d.Name, name))
			}
			if d.Instance != reg.roles[r].operator {
				panic(fmt.Sprintf("access: action %q: only operator roles hold instance actions, and only those (%s)", d.Name, name))
			}
			ri := &reg.roles[r]
			ri.actions = append(ri.actions[:len(ri.actions):len(ri.actions)], a)
		}
		out = append(out, a)
		reg.actions = append(reg.actions, actionInfo{ActionDef: d, module: module})
	}
	reg.publish()
	return out
}

// maxActions bounds the action index so that an Action always fits its type.
const maxActions = 1 << 16

// Define adds data-defined roles to reg, or replaces the definitions of roles already
// there under the same ID, and returns their Role values. A role keeps its value for the
// life of the registry, even across Remove. It returns an error, and changes nothing, if
// a definition has no ID or name, reuses a compiled role's name as ID, or names an
// unknown or instance action.
func (reg *Registry) Define(defs ...RoleDef) ([]Role, error) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	infos := make([]roleInfo, len(defs))
	for i, d := range defs {
		if d.ID == "" || d.Name == "" {
			return nil, fmt.Errorf("access: role %q %q: id and name are required", d.ID, d.Name)
		}
		if _, compiled := ParseRole(d.ID); compiled {
			return nil, fmt.Errorf("access: role id %q is a compiled role's name", d.ID)
		}
		for _, a := range d.Actions {
			if int(a) >= len(reg.actions) {
				return nil, fmt.Errorf("access: role %q names unknown action %d", d.Name, a)
			}
			if reg.actions[a].Instance {
				return nil, fmt.Errorf("access: role %q names instance action %s", d.Name, reg.actions[a].Name)
			}
		}
		infos[i] = roleInfo{key: d.ID, title: d.Name, desc: d.Description, org: d.Org, rank: RankLimited, reach: RankNone, live: true,
			actions: append([]Action(nil), d.Actions...)}
	}
	out := make([]Role, len(defs))
	for i, d := range defs {
		r, ok := reg.byID[d.ID]
		if !ok {
			r = Role(len(reg.roles))
			reg.byID[d.ID] = r
			reg.roles = append(reg.roles, roleInfo{})
		}
		reg.roles[r] = infos[i]
		out[i] = r
	}
	reg.publish()
	return out, nil
}

// Remove takes the data-defined roles with the given IDs out of reg; grants of them
// allow nothing from then on. Unknown IDs are ignored.
func (reg *Registry) Remove(ids ...string) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	for _, id := range ids {
		if r, ok := reg.byID[id]; ok {
			reg.roles[r] = roleInfo{key: id}
		}
	}
	reg.publish()
}

// publish builds a snapshot of reg's current state and makes it the one readers see.
// The caller holds reg.mu.
func (reg *Registry) publish() {
	s := &snapshot{
		actions: append([]actionInfo(nil), reg.actions...),
		byName:  make(map[string]Action, len(reg.actions)),
		roles:   append([]roleInfo(nil), reg.roles...),
		byKey:   make(map[string]Role, len(reg.roles)),
		words:   (len(reg.actions) + 63) / 64,
	}
	if s.words == 0 {
		s.words = 1
	}
	for i, a := range s.actions {
		s.byName[a.Name] = Action(i)
	}
	s.bits = make([]uint64, len(s.roles)*s.words)
	for i := range s.roles {
		ri := &s.roles[i]
		if !ri.live {
			continue
		}
		s.byKey[ri.key] = Role(i)
		row := s.bits[i*s.words : (i+1)*s.words]
		for _, a := range ri.actions {
			if int(a) < len(s.actions) {
				row[a>>6] |= 1 << (a & 63)
			}
		}
	}
	reg.cur.Store(s)
}

// Lookup returns the role whose key is key in reg: a compiled role's name or a live
// data-defined role's ID.
func (reg *Registry) Lookup(key string) (Role, bool) {
	r, ok := reg.cur.Load().byKey[key]
	return r, ok
}

// allows reports whether role allows a in s. Out-of-range values allow nothing.
func (s *snapshot) allows(role Role, a Action) bool {
	return int(role) < len(s.roles) && int(a) < len(s.actions) && s.bits[int(role)*s.words+int(a>>6)]&(1<<(a&63)) != 0
}

func (s *snapshot) role(r Role) *roleInfo {
	if int(r) < len(s.roles) && s.roles[r].live {
		return &s.roles[r]
	}
	return nil
}

// Can reports whether p may do a on r according to reg. See the package function Can.
func (reg *Registry) Can(p *Principal, a Action, r Resource) bool {
	if p == nil {
		return false
	}
	s := reg.cur.Load()
	if int(a) >= len(s.actions) {
		return false
	}
	word, bit := int(a>>6), uint64(1)<<(a&63)
	for i := range p.Grants {
		g := &p.Grants[i]
		if int(g.Role) >= len(s.roles) || s.bits[int(g.Role)*s.words+word]&bit == 0 {
			continue
		}
		def := &s.roles[g.Role]
		if def.org != "" && def.org != p.Org {
			continue // another organization's own role
		}
		if !covers(p, g, def, r) {
			continue
		}
		if r.TargetRank > def.reach {
			continue
		}
		if def.sameOrgOnly && r.TargetOrg != "" && r.TargetOrg != p.Org {
			continue
		}
		return true
	}
	return false
}

// covers reports whether grant g of p, of role def, applies to r. A role held at a
// narrower kind of scope (a group's) counts only at that kind. An organization-level
// resource (no Scopes) is covered only by a grant at that organization's scope held by
// one of its members; a narrower grant covers only resources inside its scope; operator
// roles cover the instance, but only when held at their holder's organization scope.
func covers(p *Principal, g *Grant, def *roleInfo, r Resource) bool {
	if def.scope != ScopeOrg && g.Scope.Kind != def.scope {
		return false // a group's role counts in a group only, never across the organization
	}
	if def.operator {
		return g.Scope.Kind == ScopeOrg && g.Scope.ID == string(p.Org) && p.Org != ""
	}
	if g.Scope.Kind == ScopeOrg {
		return r.Org != "" && g.Scope.ID == string(r.Org) && p.Org == r.Org
	}
	for _, s := range r.Scopes {
		if s == g.Scope {
			return true
		}
	}
	return false
}
