// Package roledef defines roles from data: an organization's own roles (a CRM's
// security roles, an app's Manager) and roles an operator defines for every
// organization. Definitions are stored in the defined_roles table (access migrations)
// and loaded into an access.Registry, where access.Can weighs them like compiled roles.
package roledef

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/store"
)

// Role is a stored role definition.
type Role struct {
	ID string `json:"id"`
	// Org owns the role; empty for a role of every organization.
	Org         atrium.OrgID `json:"org_id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	// Actions are the names of the actions the role allows, sorted.
	Actions   []string  `json:"actions"`
	CreatedAt time.Time `json:"created_at"`
}

// Input defines a role.
type Input struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Actions     []string `json:"actions"`
	// Instance defines the role for every organization of the instance (operators only)
	// rather than for the caller's organization.
	Instance bool `json:"instance"`
}

// Filter selects one page of definitions.
type Filter struct {
	// Instance lists the roles of every organization instead of the caller's own.
	Instance bool
	Cursor   string
	Limit    int
}

// Page is one page of definitions, ordered by name.
type Page struct {
	Items      []Role `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Service stores role definitions and keeps a registry in step with them.
type Service struct {
	db    *store.DB
	clock atrium.Clock
	reg   *access.Registry

	// mu orders registry updates with the database: a change is published after its
	// transaction commits, and Load does not race a change into removing it.
	mu sync.Mutex
	// loaded are the IDs this service put into reg, so Load removes only its own roles
	// from a registry other services (other databases, in tests) also fill.
	loaded map[string]bool
}

// New returns a service over db that publishes definitions to reg (access.Default when
// nil). Call Load before serving, so stored definitions are in effect.
func New(db *store.DB, clock atrium.Clock, reg *access.Registry) *Service {
	if reg == nil {
		reg = access.Default
	}
	return &Service{db: db, clock: clock, reg: reg, loaded: map[string]bool{}}
}

const (
	maxName        = 64
	maxDescription = 256
)

// Define stores a new role definition and puts it into effect. An organization role
// belongs to p's organization and needs role.define there, and may allow only actions
// p may do there itself; an instance role needs instance.role.define. It returns
// invalid (per field) for a missing or long name, no actions, unknown or instance
// actions; conflict when the owner already has a role of that name; forbidden.
func (s *Service) Define(ctx context.Context, p *access.Principal, in Input) (*Role, error) {
	var owner atrium.OrgID
	if in.Instance {
		if err := access.Require(p, access.InstanceRoleDefine, access.Resource{}); err != nil {
			return nil, err
		}
	} else {
		if err := access.Require(p, access.RoleDefine, access.Resource{Org: p.Org}); err != nil {
			return nil, err
		}
		owner = p.Org
	}
	probs := atrium.Problems{}
	in.Name = strings.TrimSpace(in.Name)
	in.Description = strings.TrimSpace(in.Description)
	if n := utf8.RuneCountInString(in.Name); n == 0 || n > maxName {
		probs.Add("name", "is required, at most 64 characters")
	}
	if utf8.RuneCountInString(in.Description) > maxDescription {
		probs.Add("description", "must be at most 256 characters")
	}
	actions, ok := parseActions(probs, in.Actions)
	switch {
	case !ok:
	case len(actions) == 0:
		probs.Add("actions", "name at least one action")
	case owner != "":
		for _, a := range actions {
			if !access.Can(p, a, access.Resource{Org: owner}) {
				probs.Addf("actions", "err.access.role_action_not_held", "you can only give a role actions you may do yourself: {{.Action}}", "Action", a.String())
				break
			}
		}
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	r := &Role{ID: uuid.Must(uuid.NewV7()).String(), Org: owner, Name: in.Name, Description: in.Description, CreatedAt: now}
	for _, a := range actions {
		r.Actions = append(r.Actions, a.String())
	}
	slices.Sort(r.Actions)
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := insertRole(ctx, tx, r); err != nil {
			if atrium.ErrorCode(err) == atrium.CodeConflict {
				return atrium.FieldError("name", "a role of that name exists already")
			}
			return err
		}
		return audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "role.define", TargetType: "role", TargetID: r.ID, TargetName: r.Name,
			After: map[string]any{"org_id": r.Org, "actions": r.Actions, "description": r.Description}})
	})
	if err != nil {
		return nil, err
	}
	if err := s.publish(*r); err != nil {
		return nil, err
	}
	return r, nil
}

// List returns one page of the role definitions of p's organization (role.read), or of
// the instance (role.read in one's own organization, or instance.role.define). It
// returns invalid for a bad cursor or limit, forbidden.
func (s *Service) List(ctx context.Context, p *access.Principal, f Filter) (*Page, error) {
	owner := p.Org
	if f.Instance {
		owner = ""
		if !access.Can(p, access.RoleRead, access.Resource{Org: p.Org}) {
			if err := access.Require(p, access.InstanceRoleDefine, access.Resource{}); err != nil {
				return nil, err
			}
		}
	} else if err := access.Require(p, access.RoleRead, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	if f.Limit < 1 || f.Limit > 500 {
		return nil, atrium.FieldError("limit", "must be between 1 and 500")
	}
	var after string
	if f.Cursor != "" && !store.DecodeCursor(f.Cursor, &after) {
		return nil, atrium.FieldError("cursor", "is not a cursor of this list")
	}
	items, err := listRoles(ctx, s.db.Read(), owner, after, f.Limit+1)
	if err != nil {
		return nil, err
	}
	page := &Page{Items: items}
	if len(items) > f.Limit {
		page.Items = items[:f.Limit]
		page.NextCursor = store.EncodeCursor(page.Items[f.Limit-1].Name)
	}
	return page, nil
}

// Delete removes a role definition and every assignment of the role. Deleting an
// organization role needs role.define in it (a role of another organization is
// not_found); an instance role needs instance.role.define. It returns not_found,
// forbidden.
func (s *Service) Delete(ctx context.Context, p *access.Principal, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		r, err := roleByID(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case r.Org == "":
			if err := access.Require(p, access.InstanceRoleDefine, access.Resource{}); err != nil {
				return err
			}
		case r.Org != p.Org:
			return atrium.Errorf(atrium.CodeNotFound, "role not found")
		default:
			if err := access.Require(p, access.RoleDefine, access.Resource{Org: p.Org}); err != nil {
				return err
			}
		}
		n, err := access.UnassignRole(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		if err := deleteRole(ctx, tx, r.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock.Now(), audit.Entry{Org: p.Org, Action: "role.delete", TargetType: "role", TargetID: r.ID, TargetName: r.Name,
			Before: map[string]any{"org_id": r.Org, "actions": r.Actions, "assignments": n}})
	})
	if err != nil {
		return err
	}
	s.reg.Remove(id)
	delete(s.loaded, id)
	return nil
}

// Load puts every stored definition into effect and withdraws the ones this service
// loaded before that are no longer stored (deleted by another process). Call it on
// start, and again to pick up other processes' changes.
func (s *Service) Load(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	all, err := allRoles(ctx, s.db.Read())
	if err != nil {
		return err
	}
	defs := make([]access.RoleDef, 0, len(all))
	present := make(map[string]bool, len(all))
	for _, r := range all {
		defs = append(defs, definition(r))
		present[r.ID] = true
	}
	if _, err := s.reg.Define(defs...); err != nil {
		return err
	}
	for id := range s.loaded {
		if !present[id] {
			s.reg.Remove(id)
		}
	}
	s.loaded = present
	return nil
}

// publish puts r into effect. The caller holds s.mu.
func (s *Service) publish(r Role) error {
	if _, err := s.reg.Define(definition(r)); err != nil {
		return err
	}
	s.loaded[r.ID] = true
	return nil
}

// definition is r as the registry takes it. Actions this binary no longer registers
// are left out: they allow nothing.
func definition(r Role) access.RoleDef {
	d := access.RoleDef{ID: r.ID, Org: r.Org, Name: r.Name, Description: r.Description}
	for _, name := range r.Actions {
		if a, ok := access.ParseAction(name); ok && !a.Instance() {
			d.Actions = append(d.Actions, a)
		}
	}
	return d
}

// parseActions resolves action names, or reports false when one is not an action a
// defined role may hold, having added to probs what is wrong with it.
func parseActions(probs atrium.Problems, names []string) (out []access.Action, ok bool) {
	for _, n := range names {
		a, known := access.ParseAction(strings.TrimSpace(n))
		if !known {
			probs.Addf("actions", "err.access.unknown_action", "unknown action {{.Action}}", "Action", n)
			return nil, false
		}
		if a.Instance() {
			probs.Addf("actions", "err.access.instance_action", "instance actions belong to operator roles: {{.Action}}", "Action", n)
			return nil, false
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, true
}

// ForgetOrg deletes the roles a purged organization defined, in tx, and withdraws them
// from the registry once tx commits. Their assignments go with the organization's
// (access.UnassignOrg).
func (s *Service) ForgetOrg(ctx context.Context, tx *store.Tx, org atrium.OrgID) error {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM defined_roles WHERE org_id = $1`, string(org))
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM defined_roles WHERE org_id = $1`, string(org)); err != nil {
		return err
	}
	tx.AfterCommit(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.reg.Remove(ids...)
		for _, id := range ids {
			delete(s.loaded, id)
		}
	})
	return nil
}
