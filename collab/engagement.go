package collab

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/store"
)

// JoinPolicy says how people become participants of an engagement.
type JoinPolicy string

// The join policies.
const (
	// Open: anyone it is visible to joins after accepting the terms of use.
	Open JoinPolicy = "open"
	// Request: an owner or a power user of the requester's organization approves.
	Request JoinPolicy = "request"
	// Invitation: not listed for discovery; owners and power users add people.
	Invitation JoinPolicy = "invitation"
)

// State is an engagement's state.
type State string

// The states. A closed engagement keeps its members and content but takes no one new.
const (
	Active State = "active"
	Closed State = "closed"
)

// Engagement is an engagement of a program.
type Engagement struct {
	ID              string         `json:"id"`
	ProgramID       string         `json:"program_id"`
	ProgramName     string         `json:"program_name"`
	Org             atrium.OrgID   `json:"org_id"`
	Name            string         `json:"name"`
	Description     string         `json:"description"`
	TermsOfUse      string         `json:"terms_of_use"`
	TermsVersion    int            `json:"terms_version"`
	JoinPolicy      JoinPolicy     `json:"join_policy"`
	VisibleToAll    bool           `json:"visible_to_all"`
	VisibleToOrgIDs []atrium.OrgID `json:"visible_to_org_ids"`
	FeedbackEnabled bool           `json:"feedback_enabled"`
	State           State          `json:"state"`
	CreatedBy       atrium.UserID  `json:"created_by"`
	CreatedAt       time.Time      `json:"created_at"`
	UpdatedAt       time.Time      `json:"updated_at"`
	// Participants counts the active participants (on a single engagement's read).
	Participants *int `json:"participants,omitempty"`
	// Groups are the caller's groups in the engagement.
	Groups []Group `json:"groups"`
	// PendingRequest is the caller's pending access request, if any.
	PendingRequest *AccessRequest `json:"pending_request,omitempty"`
	// What the caller may do.
	CanRead               bool  `json:"can_read"`
	CanManage             bool  `json:"can_manage"`
	CanManageParticipants bool  `json:"can_manage_participants"`
	CanDownload           bool  `json:"can_download"`
	CanPublish            bool  `json:"can_publish"`
	CanJoin               bool  `json:"can_join"`
	CanRequest            bool  `json:"can_request"`
	Version               int64 `json:"-"`
}

// ETag returns the engagement's entity tag for If-Match.
func (e *Engagement) ETag() string { return etag(e.Version) }

// EngagementInput is what creating an engagement takes. An empty VisibleToOrgIDs makes
// it visible to every organization.
type EngagementInput struct {
	ProgramID       string         `json:"program_id"`
	Name            string         `json:"name"`
	Description     string         `json:"description"`
	TermsOfUse      string         `json:"terms_of_use"`
	JoinPolicy      JoinPolicy     `json:"join_policy"`
	FeedbackEnabled bool           `json:"feedback_enabled"`
	VisibleToOrgIDs []atrium.OrgID `json:"visible_to_org_ids,omitempty"`
}

// EngagementPatch is a change to an engagement; nil fields stay as they are. A new
// TermsOfUse is a new version of the terms; VisibleToOrgIDs set to an empty list makes
// the engagement visible to every organization.
type EngagementPatch struct {
	Name            *string         `json:"name,omitempty"`
	Description     *string         `json:"description,omitempty"`
	TermsOfUse      *string         `json:"terms_of_use,omitempty"`
	JoinPolicy      *JoinPolicy     `json:"join_policy,omitempty"`
	FeedbackEnabled *bool           `json:"feedback_enabled,omitempty"`
	VisibleToOrgIDs *[]atrium.OrgID `json:"visible_to_org_ids,omitempty"`
	State           *State          `json:"state,omitempty"`
}

var errNotFound = atrium.Errorf(atrium.CodeNotFound, "engagement not found")

const engagementColumns = `e.id, e.program_id, p.name, e.org_id, e.name, e.description, e.terms, e.terms_version, e.join_policy, e.all_orgs,
	e.feedback_enabled, e.state, e.created_by, e.created_at, e.updated_at, e.version, e.sort_name`

const engagementFrom = ` FROM collab_engagements e JOIN collab_programs p ON p.id = e.program_id`

func scanEngagement(r scanner) (*Engagement, string, error) {
	var e Engagement
	var created, updated int64
	var sortName string
	err := r.Scan(&e.ID, &e.ProgramID, &e.ProgramName, &e.Org, &e.Name, &e.Description, &e.TermsOfUse, &e.TermsVersion, &e.JoinPolicy,
		&e.VisibleToAll, &e.FeedbackEnabled, &e.State, &e.CreatedBy, &created, &updated, &e.Version, &sortName)
	e.CreatedAt, e.UpdatedAt = store.Time(created), store.Time(updated)
	e.Groups, e.VisibleToOrgIDs = []Group{}, []atrium.OrgID{}
	return &e, sortName, err
}

func getEngagement(ctx context.Context, q store.Querier, id string, lock bool) (*Engagement, error) {
	query := `SELECT ` + engagementColumns + engagementFrom + ` WHERE e.id = $1`
	if lock {
		if tx, ok := q.(*store.Tx); ok && tx.Dialect == store.Postgres {
			query += ` FOR UPDATE OF e`
		}
	}
	e, _, err := scanEngagement(q.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	if !e.VisibleToAll {
		if e.VisibleToOrgIDs, err = visibleOrgs(ctx, q, e.ID); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func visibleOrgs(ctx context.Context, q store.Querier, id string) ([]atrium.OrgID, error) {
	rows, err := q.QueryContext(ctx, `SELECT org_id FROM collab_engagement_orgs WHERE engagement_id = $1 ORDER BY org_id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []atrium.OrgID{}
	for rows.Next() {
		var o atrium.OrgID
		if err := rows.Scan(&o); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func engagementScope(id string) access.Scope {
	return access.Scope{Kind: access.ScopeEngagement, ID: id}
}

// resource is e as access.Can sees it: inside its engagement, inside its program.
func resource(e *Engagement) access.Resource {
	return access.Resource{Org: e.Org, Scopes: []access.Scope{engagementScope(e.ID), programScope(e.ProgramID)}}
}

// on is e's resource with a user of org as the target, for decisions on that user.
func on(e *Engagement, org atrium.OrgID) access.Resource {
	r := resource(e)
	r.TargetOrg = org
	return r
}

// visibleTo reports whether org may see e (discover it, or have its users added).
func (e *Engagement) visibleTo(org atrium.OrgID) bool {
	return e.VisibleToAll || org == e.Org || slices.Contains(e.VisibleToOrgIDs, org)
}

// as returns p with the roles its groups give in e and its program, and records on e
// the caller's groups and what the caller may do.
func (s *Service) as(ctx context.Context, q store.Querier, p *access.Principal, e *Engagement) (*access.Principal, error) {
	gs, err := groupsOf(ctx, q, p.UserID, e.ID, e.ProgramID)
	if err != nil {
		return nil, err
	}
	pp := grantsIn(p, programScope(e.ProgramID), gs[e.ProgramID])
	pp = grantsIn(pp, engagementScope(e.ID), gs[e.ID])
	e.Groups = append(e.Groups[:0], gs[e.ID]...)
	r := resource(e)
	e.CanRead = access.Can(pp, ReadEngagement, r)
	e.CanManage = access.Can(pp, ManageEngagement, r)
	e.CanManageParticipants = access.Can(pp, ManageParticipants, on(e, p.Org))
	e.CanDownload = access.Can(pp, Download, r)
	e.CanPublish = access.Can(pp, Publish, r)
	participant := slices.Contains(e.Groups, Participant)
	open := e.State == Active && p.UserID != "" && !participant && e.visibleTo(p.Org)
	e.CanJoin = open && e.JoinPolicy == Open
	e.CanRequest = open && e.JoinPolicy == Request
	return pp, nil
}

// discoverable reports whether a caller who is not a member may see e's description
// and terms, to join it or ask for access.
func (e *Engagement) discoverable() bool { return e.CanJoin || e.CanRequest }

// load reads engagement id and p as its roles in it. It is not_found unless the caller
// may read it or may join it or ask for access.
func (s *Service) load(ctx context.Context, q store.Querier, p *access.Principal, id string, lock bool) (*Engagement, *access.Principal, error) {
	e, err := getEngagement(ctx, q, id, lock)
	if err != nil {
		return nil, nil, err
	}
	pp, err := s.as(ctx, q, p, e)
	if err != nil {
		return nil, nil, err
	}
	if !e.CanRead && !e.discoverable() {
		return nil, nil, errNotFound
	}
	return e, pp, nil
}

func checkEngagement(probs atrium.Problems, name, description, terms *string, policy *JoinPolicy, state *State) {
	if name != nil {
		*name = strings.TrimSpace(*name)
		checkText(probs, "name", *name, true, 256)
	}
	if description != nil {
		*description = strings.TrimSpace(*description)
		checkText(probs, "description", *description, false, 4000)
	}
	if terms != nil {
		*terms = strings.TrimSpace(*terms)
		checkText(probs, "terms_of_use", *terms, true, 20000)
	}
	if policy != nil && *policy != Open && *policy != Request && *policy != Invitation {
		probs.Addf("join_policy", "err.one_of", "must be one of {{.Values}}", "Values", "open, request, invitation")
	}
	if state != nil && *state != Active && *state != Closed {
		probs.Addf("state", "err.one_of", "must be one of {{.Values}}", "Values", "active, closed")
	}
}

// checkOrgs refuses a visibility list of unknown organizations or longer than 1,000.
func (s *Service) checkOrgs(ctx context.Context, q store.Querier, ids []atrium.OrgID) ([]atrium.OrgID, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) > 1000 {
		return nil, atrium.FieldError("visible_to_org_ids", "name at most 1,000 organizations")
	}
	for _, id := range ids {
		if _, err := s.users.Facts(ctx, q, id); err != nil {
			if atrium.ErrorCode(err) == atrium.CodeNotFound {
				return nil, atrium.FieldError("visible_to_org_ids", "names an organization that does not exist")
			}
			return nil, err
		}
	}
	return ids, nil
}

func (s *Service) writeOrgs(ctx context.Context, tx *store.Tx, id string, orgs []atrium.OrgID) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM collab_engagement_orgs WHERE engagement_id = $1`, id); err != nil {
		return err
	}
	for _, o := range orgs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO collab_engagement_orgs (engagement_id, org_id) VALUES ($1, $2)`, id, string(o)); err != nil {
			return err
		}
	}
	return nil
}

// CreateEngagement creates an engagement in a program; it needs collab.engagement.create
// there (engagement creators and program owners). The creator becomes its first owner.
func (s *Service) CreateEngagement(ctx context.Context, p *access.Principal, in EngagementInput) (*Engagement, error) {
	probs := atrium.Problems{}
	checkEngagement(probs, &in.Name, &in.Description, &in.TermsOfUse, &in.JoinPolicy, nil)
	if strings.TrimSpace(in.ProgramID) == "" {
		probs.Add("program_id", "is required")
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	var id string
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		prog, pp, err := s.loadProgram(ctx, tx, p, in.ProgramID, false)
		if err != nil {
			if atrium.ErrorCode(err) == atrium.CodeNotFound {
				return atrium.FieldError("program_id", "is not a program you can see")
			}
			return err
		}
		if err := access.Require(pp, CreateEngagement, programResource(prog)); err != nil {
			return err
		}
		orgs, err := s.checkOrgs(ctx, tx, in.VisibleToOrgIDs)
		if err != nil {
			return err
		}
		facts, err := s.users.Facts(ctx, tx, prog.Org)
		if err != nil {
			return err
		}
		now := tx.Now()
		id = newID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO collab_engagements (id, program_id, org_id, name, sort_name, description, search, terms, terms_version,
			join_policy, all_orgs, feedback_enabled, state, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $11, 'active', $12, $13, $13)`,
			id, prog.ID, string(prog.Org), in.Name, sortKey(facts.Language, in.Name), in.Description, fold(in.Name+"\n"+in.Description),
			in.TermsOfUse, string(in.JoinPolicy), len(orgs) == 0, in.FeedbackEnabled, string(p.UserID), store.Micros(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO collab_terms (engagement_id, version, text, created_at) VALUES ($1, 1, $2, $3)`,
			id, in.TermsOfUse, store.Micros(now)); err != nil {
			return err
		}
		if err := s.writeOrgs(ctx, tx, id, orgs); err != nil {
			return err
		}
		e := &Engagement{ID: id, ProgramID: prog.ID, Org: prog.Org, Name: in.Name, JoinPolicy: in.JoinPolicy}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: prog.Org, Action: "engagement.create", TargetType: "engagement", TargetID: id,
			TargetName: in.Name, After: map[string]any{"program": prog.Name, "join_policy": in.JoinPolicy, "feedback_enabled": in.FeedbackEnabled,
				"visible_to_orgs": len(orgs)}}); err != nil {
			return err
		}
		if _, err := s.bus.Publish(ctx, tx, prog.Org, id, EngagementCreated{EngagementRef: engagementRef(e)}); err != nil {
			return err
		}
		if p.UserID == "" {
			return nil
		}
		cards, err := s.users.CardsAnywhere(ctx, tx, []atrium.UserID{p.UserID})
		if err != nil || len(cards) == 0 {
			return err
		}
		_, err = s.insertMember(ctx, tx, id, Owner, cards[0], p.UserID, facts.Language, now, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Engagement(ctx, p, id)
}

// Engagement returns engagement id as the caller sees it: to its members and the owners
// of its program in full, to a person who may join it or ask for access its
// description and terms. Opening it counts as the caller's access (written at most once
// an hour).
func (s *Service) Engagement(ctx context.Context, p *access.Principal, id string) (*Engagement, error) {
	e, _, err := s.load(ctx, s.db.Read(), p, id, false)
	if err != nil {
		return nil, err
	}
	if e.CanRead {
		var n int
		if err := s.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM collab_members WHERE scope_id = $1 AND grp = 'participant' AND state = 'active'`, e.ID).Scan(&n); err != nil {
			return nil, err
		}
		e.Participants = &n
	}
	if p.UserID != "" && !slices.Contains(e.Groups, Participant) {
		r, err := pendingRequest(ctx, s.db.Read(), e.ID, p.UserID)
		if err != nil {
			return nil, err
		}
		e.PendingRequest = r
		if r != nil {
			e.CanRequest = false
		}
	}
	if err := s.touch(ctx, p, e); err != nil {
		return nil, err
	}
	return e, nil
}

// UpdateEngagement changes an engagement; it needs collab.engagement.manage (its owners
// and its program's owners). ifMatch, when set, is the ETag the change was made against.
func (s *Service) UpdateEngagement(ctx context.Context, p *access.Principal, id string, ifMatch int64, in EngagementPatch) (*Engagement, error) {
	probs := atrium.Problems{}
	checkEngagement(probs, in.Name, in.Description, in.TermsOfUse, in.JoinPolicy, in.State)
	if err := probs.Err(); err != nil {
		return nil, err
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		e, pp, err := s.load(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		if err := access.Require(pp, ManageEngagement, resource(e)); err != nil {
			return err
		}
		if ifMatch != 0 && ifMatch != e.Version {
			return errStale
		}
		now := tx.Now()
		before, after := map[string]any{}, map[string]any{}
		set := func(field string, old *string, v *string) {
			if v != nil && *v != *old {
				before[field], after[field] = *old, *v
				*old = *v
			}
		}
		set("name", &e.Name, in.Name)
		set("description", &e.Description, in.Description)
		if in.TermsOfUse != nil && *in.TermsOfUse != e.TermsOfUse {
			e.TermsOfUse = *in.TermsOfUse
			e.TermsVersion++
			before["terms_version"], after["terms_version"] = e.TermsVersion-1, e.TermsVersion
			if _, err := tx.ExecContext(ctx, `INSERT INTO collab_terms (engagement_id, version, text, created_at) VALUES ($1, $2, $3, $4)`,
				e.ID, e.TermsVersion, e.TermsOfUse, store.Micros(now)); err != nil {
				return err
			}
		}
		if in.JoinPolicy != nil && *in.JoinPolicy != e.JoinPolicy {
			before["join_policy"], after["join_policy"], e.JoinPolicy = e.JoinPolicy, *in.JoinPolicy, *in.JoinPolicy
		}
		if in.State != nil && *in.State != e.State {
			before["state"], after["state"], e.State = e.State, *in.State, *in.State
		}
		if in.FeedbackEnabled != nil && *in.FeedbackEnabled != e.FeedbackEnabled {
			before["feedback_enabled"], after["feedback_enabled"], e.FeedbackEnabled = e.FeedbackEnabled, *in.FeedbackEnabled, *in.FeedbackEnabled
		}
		if in.VisibleToOrgIDs != nil {
			orgs, err := s.checkOrgs(ctx, tx, *in.VisibleToOrgIDs)
			if err != nil {
				return err
			}
			if !slices.Equal(orgs, e.VisibleToOrgIDs) || e.VisibleToAll != (len(orgs) == 0) {
				before["visible_to_orgs"], after["visible_to_orgs"] = len(e.VisibleToOrgIDs), len(orgs)
				e.VisibleToOrgIDs, e.VisibleToAll = orgs, len(orgs) == 0
				if err := s.writeOrgs(ctx, tx, e.ID, orgs); err != nil {
					return err
				}
			}
		}
		if len(after) == 0 {
			return nil
		}
		facts, err := s.users.Facts(ctx, tx, e.Org)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE collab_engagements SET name = $1, sort_name = $2, description = $3, search = $4, terms = $5,
			terms_version = $6, join_policy = $7, all_orgs = $8, feedback_enabled = $9, state = $10, updated_at = $11, version = version + 1 WHERE id = $12`,
			e.Name, sortKey(facts.Language, e.Name), e.Description, fold(e.Name+"\n"+e.Description), e.TermsOfUse, e.TermsVersion,
			string(e.JoinPolicy), e.VisibleToAll, e.FeedbackEnabled, string(e.State), store.Micros(now), e.ID); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: e.Org, Action: "engagement.update", TargetType: "engagement", TargetID: e.ID,
			TargetName: e.Name, Before: before, After: after}); err != nil {
			return err
		}
		_, err = s.bus.Publish(ctx, tx, e.Org, e.ID, EngagementUpdated{EngagementRef: engagementRef(e), Changed: keys(after)})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Engagement(ctx, p, id)
}

// byEngagementName is the engagement lists' order: collab_engagements_name.
var byEngagementName = store.Keyset{Columns: []string{"e.sort_name", "e.id"}}

// EngagementQuery asks for a page of engagements.
type EngagementQuery struct {
	ListQuery
	// Available lists the engagements the caller may join or ask for access to (active,
	// open or by request, visible to the caller's organization, not joined yet) instead
	// of the caller's own.
	Available bool
	// ProgramID keeps the engagements of one program.
	ProgramID string
}

// Engagements returns a page of engagements by name: the caller's own (those they hold
// a group in, and every engagement of the programs they hold a program group in; every
// engagement for operator administrators), or, with Available, those they may join.
func (s *Service) Engagements(ctx context.Context, p *access.Principal, q EngagementQuery) (Page[Engagement], error) {
	if p.UserID == "" && !administers(p) {
		return Page[Engagement]{Items: []Engagement{}}, nil
	}
	args := []any{}
	var cond string
	switch {
	case q.Available:
		args = append(args, string(p.UserID), string(p.Org))
		cond = `e.state = 'active' AND e.join_policy IN ('open', 'request')
			AND (e.all_orgs OR e.org_id = $2 OR e.id IN (SELECT engagement_id FROM collab_engagement_orgs WHERE org_id = $2))
			AND e.id NOT IN (SELECT scope_id FROM collab_members WHERE user_id = $1 AND grp = 'participant')`
	case administers(p):
		cond = "TRUE"
	default:
		args = append(args, string(p.UserID))
		cond = `(e.id IN (SELECT scope_id FROM collab_members WHERE user_id = $1 AND state = 'active')
			OR e.program_id IN (SELECT scope_id FROM collab_members WHERE user_id = $1 AND state = 'active'))`
	}
	if q.ProgramID != "" {
		args = append(args, q.ProgramID)
		cond += ` AND e.program_id = $` + itoa(len(args))
	}
	cond, args, _, err := matchFragment("e.search", q.Q, cond, args)
	if err != nil {
		return Page[Engagement]{}, err
	}
	var name, id string
	pq, err := byEngagementName.Page(args, q.Cursor, q.size(), &name, &id)
	if err != nil {
		return Page[Engagement]{}, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+engagementColumns+engagementFrom+` WHERE `+cond+` AND `+pq.Where+` `+pq.OrderLimit, pq.Args...)
	if err != nil {
		return Page[Engagement]{}, store.Translate(err)
	}
	type keyed struct {
		*Engagement
		sortName string
	}
	var items []keyed
	for rows.Next() {
		e, sortName, err := scanEngagement(rows)
		if err != nil {
			rows.Close()
			return Page[Engagement]{}, err
		}
		items = append(items, keyed{e, sortName})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Page[Engagement]{}, err
	}
	items, next := store.NextPage(pq, items, func(k keyed) []any { return []any{k.sortName, k.ID} })
	out := Page[Engagement]{Items: make([]Engagement, len(items)), NextCursor: next}
	if len(items) == 0 {
		return out, nil
	}
	scopes := make([]string, 0, 2*len(items))
	ids := make([]string, 0, len(items))
	for _, k := range items {
		scopes = append(scopes, k.ID, k.ProgramID)
		ids = append(ids, k.ID)
	}
	gs, err := groupsOf(ctx, s.db.Read(), p.UserID, scopes...)
	if err != nil {
		return Page[Engagement]{}, err
	}
	pending := map[string]*AccessRequest{}
	if q.Available && p.UserID != "" {
		if pending, err = pendingRequests(ctx, s.db.Read(), p.UserID, ids); err != nil {
			return Page[Engagement]{}, err
		}
	}
	for i, k := range items {
		e := k.Engagement
		pp := grantsIn(p, programScope(e.ProgramID), gs[e.ProgramID])
		pp = grantsIn(pp, engagementScope(e.ID), gs[e.ID])
		e.Groups = append(e.Groups[:0], gs[e.ID]...)
		r := resource(e)
		e.CanRead = access.Can(pp, ReadEngagement, r)
		e.CanManage = access.Can(pp, ManageEngagement, r)
		e.CanManageParticipants = access.Can(pp, ManageParticipants, on(e, p.Org))
		e.CanDownload = access.Can(pp, Download, r)
		e.CanPublish = access.Can(pp, Publish, r)
		if q.Available {
			e.CanJoin = e.JoinPolicy == Open
			e.CanRequest = e.JoinPolicy == Request
			if r := pending[e.ID]; r != nil {
				e.PendingRequest, e.CanRequest = r, false
			}
		}
		out.Items[i] = *e
	}
	return out, nil
}

// touch records that p used e now, if p is a member whose last access is older than
// AccessInterval: on the memberships and on the person (for automatic deactivation).
// Reading pages stays read-only in practice: one write an hour per member.
func (s *Service) touch(ctx context.Context, p *access.Principal, e *Engagement) error {
	if p.UserID == "" || len(e.Groups) == 0 {
		return nil
	}
	now := s.clock.Now()
	cut := store.Micros(now.Add(-AccessInterval))
	var stale bool
	err := s.db.Read().QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM collab_members WHERE user_id = $1 AND scope_id = $2 AND state = 'active' AND last_access_at < $3)`,
		string(p.UserID), e.ID, cut).Scan(&stale)
	if err != nil || !stale {
		return err
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		at := store.Micros(tx.Now())
		if _, err := tx.ExecContext(ctx, `UPDATE collab_members SET last_access_at = $1 WHERE user_id = $2 AND scope_id = $3 AND state = 'active' AND last_access_at < $4`,
			at, string(p.UserID), e.ID, cut); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE collab_people SET last_access_at = $1, notice = 0 WHERE user_id = $2 AND deactivated_at IS NULL AND last_access_at < $1`,
			at, string(p.UserID))
		return err
	})
}
