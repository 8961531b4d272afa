package collab

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/store"
)

// Group is one of the six membership groups of the seed: three of an engagement, three
// of a program. Each is a role of the permission table at its scope.
type Group string

// The groups.
const (
	Participant       Group = "participant"
	PowerUser         Group = "power_user"
	Owner             Group = "owner"
	ProgramOwner      Group = "program_owner"
	EngagementCreator Group = "engagement_creator"
	PackagePublisher  Group = "package_publisher"
)

// EngagementGroups and ProgramGroups are the groups of each scope, in display order.
var (
	EngagementGroups = []Group{Participant, PowerUser, Owner}
	ProgramGroups    = []Group{ProgramOwner, EngagementCreator, PackagePublisher}
)

// roleOf is the role a group gives at its scope.
var roleOf = map[Group]access.Role{
	Participant:       access.Participant,
	PowerUser:         access.PowerUser,
	Owner:             access.EngagementOwner,
	ProgramOwner:      access.ProgramOwner,
	EngagementCreator: access.EngagementCreator,
	PackagePublisher:  access.PackagePublisher,
}

func (g Group) program() bool {
	return g == ProgramOwner || g == EngagementCreator || g == PackagePublisher
}

// Program is a collaboration program of the operator.
type Program struct {
	ID          string        `json:"id"`
	Org         atrium.OrgID  `json:"org_id"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	CreatedBy   atrium.UserID `json:"created_by"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
	// Groups are the caller's program groups.
	Groups []Group `json:"groups"`
	// CanManage: the caller may change the program and its groups.
	CanManage bool `json:"can_manage"`
	// CanCreateEngagement: the caller may create engagements in it.
	CanCreateEngagement bool  `json:"can_create_engagement"`
	Version             int64 `json:"-"`
}

// ETag returns the program's entity tag for If-Match.
func (p *Program) ETag() string { return etag(p.Version) }

// ProgramInput is what creating a program takes.
type ProgramInput struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// ProgramPatch is a change to a program; nil fields stay as they are.
type ProgramPatch struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

var errProgramNotFound = atrium.Errorf(atrium.CodeNotFound, "program not found")

const programColumns = `p.id, p.org_id, p.name, p.description, p.created_by, p.created_at, p.updated_at, p.version, p.sort_name`

func scanProgram(r scanner) (*Program, string, error) {
	var p Program
	var created, updated int64
	var sortName string
	err := r.Scan(&p.ID, &p.Org, &p.Name, &p.Description, &p.CreatedBy, &created, &updated, &p.Version, &sortName)
	p.CreatedAt, p.UpdatedAt = store.Time(created), store.Time(updated)
	p.Groups = []Group{}
	return &p, sortName, err
}

func getProgram(ctx context.Context, q store.Querier, id string, lock bool) (*Program, error) {
	query := `SELECT ` + programColumns + ` FROM collab_programs p WHERE p.id = $1`
	if lock {
		query += forUpdate(q)
	}
	p, _, err := scanProgram(q.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errProgramNotFound
	}
	return p, err
}

func programScope(id string) access.Scope { return access.Scope{Kind: access.ScopeProgram, ID: id} }

func programResource(p *Program) access.Resource {
	return access.Resource{Org: p.Org, Scopes: []access.Scope{programScope(p.ID)}}
}

// groupsOf returns the active groups user holds at each of scopes.
func groupsOf(ctx context.Context, q store.Querier, user atrium.UserID, scopes ...string) (map[string][]Group, error) {
	out := map[string][]Group{}
	if user == "" {
		return out, nil
	}
	args, marks := store.In([]any{string(user)}, scopes)
	rows, err := q.QueryContext(ctx, `SELECT scope_id, grp FROM collab_members WHERE user_id = $1 AND state = 'active' AND scope_id IN (`+marks+`)`, args...)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var scope string
		var g Group
		if err := rows.Scan(&scope, &g); err != nil {
			return nil, err
		}
		out[scope] = append(out[scope], g)
	}
	return out, rows.Err()
}

// administers reports whether p manages every program (operator administrators).
func administers(p *access.Principal) bool { return access.Can(p, Administer, access.Resource{}) }

// grantsIn returns p with the roles its groups give at scope, and an operator
// administrator's program ownership at a program's scope.
func grantsIn(p *access.Principal, scope access.Scope, groups []Group) *access.Principal {
	grants := make([]access.Grant, 0, len(groups)+1)
	for _, g := range groups {
		grants = append(grants, access.Grant{Role: roleOf[g], Scope: scope})
	}
	if scope.Kind == access.ScopeProgram && administers(p) {
		grants = append(grants, access.Grant{Role: access.ProgramOwner, Scope: scope})
	}
	if len(grants) == 0 {
		return p
	}
	return p.With(grants...)
}

// loadProgram reads program id and p as its roles in it; not_found unless p may read it.
func (s *Service) loadProgram(ctx context.Context, q store.Querier, p *access.Principal, id string, lock bool) (*Program, *access.Principal, error) {
	prog, err := getProgram(ctx, q, id, lock)
	if err != nil {
		return nil, nil, err
	}
	gs, err := groupsOf(ctx, q, p.UserID, prog.ID)
	if err != nil {
		return nil, nil, err
	}
	pp := grantsIn(p, programScope(prog.ID), gs[prog.ID])
	prog.Groups = append(prog.Groups, gs[prog.ID]...)
	r := programResource(prog)
	prog.CanManage = access.Can(pp, ManageProgram, r)
	prog.CanCreateEngagement = access.Can(pp, CreateEngagement, r)
	if !access.Can(pp, ReadProgram, r) {
		return nil, nil, errProgramNotFound
	}
	return prog, pp, nil
}

func checkText(p atrium.Problems, field, v string, required bool, max int) {
	n := utf8.RuneCountInString(v)
	switch {
	case required && strings.TrimSpace(v) == "":
		p.Add(field, "is required")
	case n > max:
		p.Addf(field, "err.max_chars", "must be at most {{.Count}} characters", "Count", max)
	case !utf8.ValidString(v):
		p.Add(field, "must be valid UTF-8")
	case strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0:
		p.Add(field, "must not contain control characters")
	}
}

// CreateProgram creates a program of the caller's organization, owned by the caller.
// Only operator staff holding collab.program.create create programs.
func (s *Service) CreateProgram(ctx context.Context, p *access.Principal, in ProgramInput) (*Program, error) {
	if err := access.Require(p, CreateProgram, access.Resource{}); err != nil {
		return nil, err
	}
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	probs := atrium.Problems{}
	checkText(probs, "name", in.Name, true, 256)
	checkText(probs, "description", in.Description, false, 4000)
	if err := probs.Err(); err != nil {
		return nil, err
	}
	var prog *Program
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		facts, err := s.users.Facts(ctx, tx, p.Org)
		if err != nil {
			return err
		}
		prog = &Program{ID: newID(), Org: p.Org, Name: in.Name, Description: in.Description, CreatedBy: p.UserID, CreatedAt: now, UpdatedAt: now, Version: 1}
		if _, err := tx.ExecContext(ctx, `INSERT INTO collab_programs (id, org_id, name, sort_name, description, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, prog.ID, string(p.Org), prog.Name, sortKey(facts.Language, prog.Name), prog.Description,
			string(p.UserID), store.Micros(now)); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "program.create", TargetType: "program", TargetID: prog.ID,
			TargetName: prog.Name, After: map[string]any{"name": prog.Name}}); err != nil {
			return err
		}
		if _, err := s.bus.Publish(ctx, tx, p.Org, prog.ID, ProgramCreated{ProgramRef: programRef(prog)}); err != nil {
			return err
		}
		if p.UserID == "" {
			return nil
		}
		cards, err := s.users.CardsAnywhere(ctx, tx, []atrium.UserID{p.UserID})
		if err != nil || len(cards) == 0 {
			return err
		}
		_, err = s.insertMember(ctx, tx, prog.ID, ProgramOwner, cards[0], p.UserID, facts.Language, now, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	out, _, err := s.loadProgram(ctx, s.db.Read(), p, prog.ID, false)
	return out, err
}

// Program returns program id as the caller sees it.
func (s *Service) Program(ctx context.Context, p *access.Principal, id string) (*Program, error) {
	prog, _, err := s.loadProgram(ctx, s.db.Read(), p, id, false)
	return prog, err
}

// UpdateProgram changes a program's name or description; it needs collab.program.manage.
// ifMatch, when set, is the ETag the change was made against.
func (s *Service) UpdateProgram(ctx context.Context, p *access.Principal, id string, ifMatch int64, in ProgramPatch) (*Program, error) {
	probs := atrium.Problems{}
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
		checkText(probs, "name", *in.Name, true, 256)
	}
	if in.Description != nil {
		*in.Description = strings.TrimSpace(*in.Description)
		checkText(probs, "description", *in.Description, false, 4000)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		prog, pp, err := s.loadProgram(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if err := access.Require(pp, ManageProgram, programResource(prog)); err != nil {
			return err
		}
		if ifMatch != 0 && ifMatch != prog.Version {
			return errStale
		}
		before, after := map[string]any{}, map[string]any{}
		if in.Name != nil && *in.Name != prog.Name {
			before["name"], after["name"], prog.Name = prog.Name, *in.Name, *in.Name
		}
		if in.Description != nil && *in.Description != prog.Description {
			before["description"], after["description"], prog.Description = prog.Description, *in.Description, *in.Description
		}
		if len(after) == 0 {
			return nil
		}
		now := tx.Now()
		facts, err := s.users.Facts(ctx, tx, prog.Org)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE collab_programs SET name = $1, sort_name = $2, description = $3, updated_at = $4, version = version + 1 WHERE id = $5`,
			prog.Name, sortKey(facts.Language, prog.Name), prog.Description, store.Micros(now), prog.ID); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: prog.Org, Action: "program.update", TargetType: "program", TargetID: prog.ID,
			TargetName: prog.Name, Before: before, After: after}); err != nil {
			return err
		}
		_, err = s.bus.Publish(ctx, tx, prog.Org, prog.ID, ProgramUpdated{ProgramRef: programRef(prog), Changed: keys(after)})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Program(ctx, p, id)
}

// byProgramName is the program list's order: collab_programs_name.
var byProgramName = store.Keyset{Columns: []string{"p.sort_name", "p.id"}}

// Programs returns a page of the programs the caller holds a program group in (every
// program for operator administrators), by name.
func (s *Service) Programs(ctx context.Context, p *access.Principal, q ListQuery) (Page[Program], error) {
	args := []any{}
	cond := "TRUE"
	if !administers(p) {
		if p.UserID == "" {
			return Page[Program]{Items: []Program{}}, nil
		}
		args = append(args, string(p.UserID))
		cond = `p.id IN (SELECT scope_id FROM collab_members WHERE user_id = $1 AND state = 'active' AND grp IN ('program_owner', 'engagement_creator', 'package_publisher'))`
	}
	if f := fold(q.Q); f != "" {
		args = append(args, "%"+store.EscapeLike(f)+"%")
		cond += ` AND lower(p.name) LIKE $` + itoa(len(args)) + ` ESCAPE '\'`
	}
	var name, id string
	pq, err := byProgramName.Page(args, q.Cursor, q.size(), &name, &id)
	if err != nil {
		return Page[Program]{}, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+programColumns+` FROM collab_programs p WHERE `+cond+` AND `+pq.Where+` `+pq.OrderLimit, pq.Args...)
	if err != nil {
		return Page[Program]{}, store.Translate(err)
	}
	type keyed struct {
		Program
		sortName string
	}
	var items []keyed
	for rows.Next() {
		prog, sortName, err := scanProgram(rows)
		if err != nil {
			rows.Close()
			return Page[Program]{}, err
		}
		items = append(items, keyed{*prog, sortName})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Page[Program]{}, err
	}
	items, next := store.NextPage(pq, items, func(k keyed) []any { return []any{k.sortName, k.ID} })
	out := Page[Program]{Items: make([]Program, len(items)), NextCursor: next}
	ids := make([]string, len(items))
	for i := range items {
		out.Items[i] = items[i].Program
		ids[i] = items[i].ID
	}
	if len(ids) > 0 {
		gs, err := groupsOf(ctx, s.db.Read(), p.UserID, ids...)
		if err != nil {
			return Page[Program]{}, err
		}
		for i := range out.Items {
			prog := &out.Items[i]
			prog.Groups = append(prog.Groups, gs[prog.ID]...)
			pp := grantsIn(p, programScope(prog.ID), gs[prog.ID])
			prog.CanManage = access.Can(pp, ManageProgram, programResource(prog))
			prog.CanCreateEngagement = access.Can(pp, CreateEngagement, programResource(prog))
		}
	}
	return out, nil
}
