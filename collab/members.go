package collab

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/store"
)

// Member is a member of one of an engagement's or a program's groups.
type Member struct {
	UserID      atrium.UserID `json:"user_id"`
	Username    string        `json:"username"`
	DisplayName string        `json:"display_name"`
	Email       string        `json:"email"`
	OrgID       atrium.OrgID  `json:"org_id"`
	OrgName     string        `json:"org_name"`
	Group       Group         `json:"group"`
	AddedAt     time.Time     `json:"added_at"`
	// LastAccessAt is when the member last used the engagement; nil before the first time.
	LastAccessAt *time.Time `json:"last_access_at"`
	// State is active or deactivated.
	State         string     `json:"state"`
	DeactivatedAt *time.Time `json:"deactivated_at,omitempty"`
	// DeactivationScheduledAt is when an active member loses their access for
	// inactivity, once the first notice has gone; nil otherwise.
	DeactivationScheduledAt *time.Time `json:"deactivation_scheduled_at,omitempty"`
}

// Membership states.
const (
	StateActive      = "active"
	StateDeactivated = "deactivated"
	// StateScheduled filters the active members whose deactivation is scheduled.
	StateScheduled = "scheduled"
	// stateDeparted is the membership of a deleted user, given back on restore; it is
	// never listed.
	stateDeparted = "departed"
)

// AddResult is what adding one user did: Status added, already (a member of the group
// already), or failed with Error saying why.
type AddResult struct {
	UserID   atrium.UserID `json:"user_id"`
	Username string        `json:"username,omitempty"`
	Status   string        `json:"status"`
	Error    string        `json:"error,omitempty"`
}

// The statuses of AddResult.
const (
	Added   = "added"
	Already = "already"
	Failed  = "failed"
)

// MaxBulk is the most users one add takes; a copy takes up to MaxCopy.
const (
	MaxBulk = 1000
	MaxCopy = 20000
)

// MemberSort is a member list's order.
type MemberSort string

// The member list orders, each on an index of its own.
const (
	SortName       MemberSort = "name"
	SortAdded      MemberSort = "added_at"
	SortLastAccess MemberSort = "last_access"
)

var memberKeysets = map[MemberSort]store.Keyset{
	SortName:       {Columns: []string{"m.sort_name", "m.user_id"}},
	SortAdded:      {Columns: []string{"m.added_at", "m.user_id"}},
	SortLastAccess: {Columns: []string{"m.last_access_at", "m.user_id"}},
}

// MemberQuery asks for a page of a group's members.
type MemberQuery struct {
	ListQuery
	Sort MemberSort
	Desc bool
	// State keeps members of one state: active, deactivated, scheduled (active, with
	// their deactivation for inactivity scheduled), or "" for all.
	State string
}

func parseGroup(v string, program bool) (Group, error) {
	g := Group(v)
	if g == "" {
		if program {
			return ProgramOwner, nil
		}
		return Participant, nil
	}
	if program && !slices.Contains(ProgramGroups, g) {
		return "", atrium.FieldErrorf("group", "err.one_of", "must be one of {{.Values}}", "Values", "program_owner, engagement_creator, package_publisher")
	}
	if !program && !slices.Contains(EngagementGroups, g) {
		return "", atrium.FieldErrorf("group", "err.one_of", "must be one of {{.Values}}", "Values", "participant, power_user, owner")
	}
	return g, nil
}

// ParseEngagementGroup returns the engagement group named v (participant when empty),
// or an invalid error on the field "group".
func ParseEngagementGroup(v string) (Group, error) { return parseGroup(v, false) }

// ParseProgramGroup returns the program group named v (program_owner when empty).
func ParseProgramGroup(v string) (Group, error) { return parseGroup(v, true) }

func memberNames(c directory.OrgCard, lang string) (sortName, search string) {
	return sortKey(lang, c.DisplayName), fold(c.DisplayName + "\n" + c.Username + "\n" + c.ContactEmail)
}

// acceptance is the terms a participant accepted on joining.
type acceptance struct {
	version int
	at      time.Time
}

// insertMember adds c to group g of scope in tx (giving back a deactivated membership)
// and reports whether it did. A person's first membership starts their activity clock,
// as does a new one after their access was deactivated.
func (s *Service) insertMember(ctx context.Context, tx *store.Tx, scope string, g Group, c directory.OrgCard, by atrium.UserID, lang string, now time.Time, acc *acceptance) (bool, error) {
	sortName, search := memberNames(c, lang)
	var version, accepted any
	if acc != nil {
		version, accepted = acc.version, store.Micros(acc.at)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO collab_members (scope_id, grp, user_id, org_id, org_name, username, display_name, email, sort_name, search,
		added_at, added_by, terms_version, accepted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (scope_id, grp, user_id) DO UPDATE SET state = 'active', deactivated_at = NULL, added_at = excluded.added_at, added_by = excluded.added_by
		WHERE collab_members.state = 'deactivated'`,
		scope, string(g), string(c.ID), string(c.Org), c.OrgName, c.Username, c.DisplayName, c.ContactEmail, sortName, search,
		store.Micros(now), string(by), version, accepted)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO collab_people (user_id, org_id, last_access_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET last_access_at = excluded.last_access_at, notice = 0, deactivated_at = NULL
		WHERE collab_people.deactivated_at IS NOT NULL`, string(c.ID), string(c.Org), store.Micros(now))
	return true, err
}

// memberScope is the engagement or program whose members a call lists or changes, and
// what the caller may do there.
type memberScope struct {
	id   string
	org  atrium.OrgID // the operator organization
	name string
	eng  *Engagement // nil for a program
	prog *Program    // nil for an engagement
	pp   *access.Principal
	// onlyOrg is set when the caller may act on users of their own organization only
	// (a Power User who is not an owner).
	onlyOrg atrium.OrgID
}

// engagementMembers loads engagement id for a member operation on group g: reading
// (write false) or changing it. Participants are managed by power users (their own
// organization's), owners and program owners; the power-user and owner groups by
// owners and program owners only.
func (s *Service) engagementMembers(ctx context.Context, q store.Querier, p *access.Principal, id string, g Group, write bool) (*memberScope, error) {
	e, pp, err := s.load(ctx, q, p, id, false)
	if err != nil {
		return nil, err
	}
	ms := &memberScope{id: e.ID, org: e.Org, name: e.Name, eng: e, pp: pp}
	if e.CanManage {
		return ms, nil
	}
	if g == Participant && e.CanManageParticipants {
		ms.onlyOrg = p.Org
		return ms, nil
	}
	if !write && g == PowerUser && e.CanManageParticipants {
		// A power user sees their organization's power users, never changes them.
		ms.onlyOrg = p.Org
		return ms, nil
	}
	if !e.CanRead {
		return nil, errNotFound
	}
	if write && g == Participant {
		return nil, access.Require(pp, ManageParticipants, on(e, p.Org))
	}
	return nil, access.Require(pp, ManageEngagement, resource(e))
}

func (s *Service) programMembers(ctx context.Context, q store.Querier, p *access.Principal, id string, write bool) (*memberScope, error) {
	prog, pp, err := s.loadProgram(ctx, q, p, id, false)
	if err != nil {
		return nil, err
	}
	if write {
		if err := access.Require(pp, ManageProgram, programResource(prog)); err != nil {
			return nil, err
		}
	}
	return &memberScope{id: prog.ID, org: prog.Org, name: prog.Name, prog: prog, pp: pp}, nil
}

// Members returns a page of the members of group g of engagement id, filtered by a
// fragment of the display name, username or email. A power user sees their own
// organization's members only.
func (s *Service) Members(ctx context.Context, p *access.Principal, id string, g Group, q MemberQuery) (Page[Member], error) {
	ms, err := s.engagementMembers(ctx, s.db.Read(), p, id, g, false)
	if err != nil {
		return Page[Member]{}, err
	}
	return s.memberPage(ctx, ms.id, g, ms.onlyOrg, q)
}

// ProgramMembers returns a page of the members of program group g.
func (s *Service) ProgramMembers(ctx context.Context, p *access.Principal, id string, g Group, q MemberQuery) (Page[Member], error) {
	ms, err := s.programMembers(ctx, s.db.Read(), p, id, false)
	if err != nil {
		return Page[Member]{}, err
	}
	return s.memberPage(ctx, ms.id, g, "", q)
}

// searchCandidateLimit bounds how many rows of the whole instance the SQLite trigram
// index may find for a fragment before the list walks the group's name index instead.
const searchCandidateLimit = 2000

// trigramCandidates returns the rowids (as text) of up to searchCandidateLimit+1 rows of
// the instance whose search text the trigram index finds for pattern.
func trigramCandidates(ctx context.Context, q store.Querier, pattern string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT rowid FROM collab_members_search WHERE search LIKE $1 LIMIT $2`, pattern, searchCandidateLimit+1)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, store.Translate(err)
		}
		out = append(out, strconv.FormatInt(id, 10))
	}
	return out, store.Translate(rows.Err())
}

const memberColumns = `m.user_id, m.username, m.display_name, m.email, m.org_id, m.org_name, m.grp, m.added_at, m.last_access_at, m.state, m.deactivated_at, m.sort_name`

// memberPage reads a page of group g of scope (of org's users only, when set).
func (s *Service) memberPage(ctx context.Context, scope string, g Group, org atrium.OrgID, q MemberQuery) (Page[Member], error) {
	if q.Sort == "" {
		q.Sort = SortName
	}
	ks, ok := memberKeysets[q.Sort]
	if !ok {
		return Page[Member]{}, atrium.FieldErrorf("sort", "err.one_of", "must be one of {{.Values}}", "Values", "name, added_at, last_access")
	}
	ks.Desc = q.Desc
	args := []any{scope, string(g)}
	cond := `m.scope_id = $1 AND m.grp = $2`
	switch q.State {
	case "":
		cond += ` AND m.state <> 'departed'`
	case StateActive, StateDeactivated:
		args = append(args, q.State)
		cond += ` AND m.state = $3`
	case StateScheduled:
		cond += ` AND m.state = 'active' AND m.user_id IN (SELECT user_id FROM collab_people WHERE notice > 0 AND deactivated_at IS NULL)`
	default:
		return Page[Member]{}, atrium.FieldErrorf("state", "err.one_of", "must be one of {{.Values}}", "Values", "active, deactivated, scheduled")
	}
	if org != "" {
		args = append(args, string(org))
		cond += ` AND m.org_id = $` + itoa(len(args))
	}
	cond, args, f, err := matchFragment("m.search", q.Q, cond, args)
	if err != nil {
		return Page[Member]{}, err
	}
	if f != "" {
		if org == "" && s.db.Dialect == store.SQLite && utf8.RuneCountInString(f) >= 3 && !strings.ContainsAny(f, `%_\`) {
			// The trigram index is asked once: its candidates, when few enough, go to the
			// list query as a JSON array rather than a second index search.
			rowids, err := trigramCandidates(ctx, s.db.Read(), "%"+f+"%")
			if err != nil {
				return Page[Member]{}, err
			}
			if len(rowids) <= searchCandidateLimit {
				// The trigram index's candidates, not the name index's walk; the unary +
				// keeps SQLite from walking collab_members_name for the scope.
				args = append(args, "["+strings.Join(rowids, ",")+"]")
				cond = strings.Replace(cond, `m.scope_id = $1`, `+m.scope_id = $1`, 1) +
					` AND m.rowid IN (SELECT value FROM json_each($` + itoa(len(args)) + `))`
			}
		}
	}
	var sortName string
	var at int64
	var user string
	var pq store.PageQuery
	if q.Sort == SortName {
		pq, err = ks.Page(args, q.Cursor, q.size(), &sortName, &user)
	} else {
		pq, err = ks.Page(args, q.Cursor, q.size(), &at, &user)
	}
	if err != nil {
		return Page[Member]{}, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+memberColumns+` FROM collab_members m WHERE `+cond+` AND `+pq.Where+` `+pq.OrderLimit,
		s.db.OneShot(pq.Args...)...)
	if err != nil {
		return Page[Member]{}, store.Translate(err)
	}
	defer rows.Close()
	type keyed struct {
		Member
		sortName string
		added    int64
		access   int64
	}
	var items []keyed
	for rows.Next() {
		var k keyed
		if err := scanMember(rows, &k.Member, &k.sortName, &k.added, &k.access); err != nil {
			return Page[Member]{}, store.Translate(err)
		}
		items = append(items, k)
	}
	if err := rows.Err(); err != nil {
		return Page[Member]{}, store.Translate(err)
	}
	items, next := store.NextPage(pq, items, func(k keyed) []any {
		switch q.Sort {
		case SortAdded:
			return []any{k.added, string(k.UserID)}
		case SortLastAccess:
			return []any{k.access, string(k.UserID)}
		}
		return []any{k.sortName, string(k.UserID)}
	})
	out := Page[Member]{Items: make([]Member, len(items)), NextCursor: next}
	var active []atrium.UserID
	for i := range items {
		out.Items[i] = items[i].Member
		if items[i].State == StateActive {
			active = append(active, items[i].UserID)
		}
	}
	due, err := s.scheduled(ctx, s.db.Read(), active)
	if err != nil {
		return Page[Member]{}, err
	}
	for i := range out.Items {
		if at, ok := due[out.Items[i].UserID]; ok && out.Items[i].State == StateActive {
			out.Items[i].DeactivationScheduledAt = &at
		}
	}
	return out, nil
}

func scanMember(r scanner, m *Member, sortName *string, added, last *int64) error {
	var deactivated *int64
	if err := r.Scan(&m.UserID, &m.Username, &m.DisplayName, &m.Email, &m.OrgID, &m.OrgName, &m.Group, added, last, &m.State, &deactivated, sortName); err != nil {
		return err
	}
	m.AddedAt = store.Time(*added)
	if *last > 0 {
		t := store.Time(*last)
		m.LastAccessAt = &t
	}
	if deactivated != nil {
		t := store.Time(*deactivated)
		m.DeactivatedAt = &t
	}
	return nil
}

// ExportMembers writes the members of group g of engagement id as CSV to w, by name, as
// one streamed query: display name, username, email, organization, group, added, last
// access, state. A power user exports their own organization's members only.
func (s *Service) ExportMembers(ctx context.Context, p *access.Principal, id string, g Group, w io.Writer) error {
	ms, err := s.engagementMembers(ctx, s.db.Read(), p, id, g, false)
	if err != nil {
		return err
	}
	args := []any{ms.id, string(g)}
	cond := ""
	if ms.onlyOrg != "" {
		args = append(args, string(ms.onlyOrg))
		cond = ` AND m.org_id = $3`
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+memberColumns+` FROM collab_members m WHERE m.scope_id = $1 AND m.grp = $2 AND m.state <> 'departed'`+cond+
		` ORDER BY m.sort_name, m.user_id`, args...)
	if err != nil {
		return store.Translate(err)
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"display_name", "username", "email", "organization", "group", "added_at", "last_access_at", "state"}); err != nil {
		return err
	}
	var m Member
	var sortName string
	var added, last int64
	rec := make([]string, 8)
	for rows.Next() {
		if err := scanMember(rows, &m, &sortName, &added, &last); err != nil {
			return store.Translate(err)
		}
		lastAccess := ""
		if m.LastAccessAt != nil {
			lastAccess = m.LastAccessAt.UTC().Format(time.RFC3339)
		}
		rec[0], rec[1], rec[2], rec[3] = csvSafe(m.DisplayName), csvSafe(m.Username), csvSafe(m.Email), csvSafe(m.OrgName)
		rec[4], rec[5], rec[6], rec[7] = string(m.Group), m.AddedAt.UTC().Format(time.RFC3339), lastAccess, m.State
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return store.Translate(err)
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a value as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// AddMembers adds users to group g of engagement id and says, user by user, what it
// did; with invite, each added user is mailed a link to the engagement. Only active
// users of organizations that may see the engagement can be added; owners must be
// operator staff; a power user adds users of their own organization only.
func (s *Service) AddMembers(ctx context.Context, p *access.Principal, id string, g Group, users []atrium.UserID, invite bool) ([]AddResult, error) {
	users = slices.Compact(slices.Sorted(slices.Values(users)))
	if err := checkBulk(users, MaxBulk); err != nil {
		return nil, err
	}
	var out []AddResult
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		ms, err := s.engagementMembers(ctx, tx, p, id, g, true)
		if err != nil {
			return err
		}
		if ms.eng.State != Active && g == Participant {
			return atrium.Errorf(atrium.CodeConflict, "the engagement is closed; it takes no new participants")
		}
		out, err = s.add(ctx, tx, p, ms, g, users, invite)
		return err
	})
	return out, err
}

// AddProgramMembers adds operator staff to program group g.
func (s *Service) AddProgramMembers(ctx context.Context, p *access.Principal, id string, g Group, users []atrium.UserID) ([]AddResult, error) {
	users = slices.Compact(slices.Sorted(slices.Values(users)))
	if err := checkBulk(users, MaxBulk); err != nil {
		return nil, err
	}
	var out []AddResult
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		ms, err := s.programMembers(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		out, err = s.add(ctx, tx, p, ms, g, users, false)
		return err
	})
	return out, err
}

func checkBulk(users []atrium.UserID, max int) error {
	if len(users) == 0 {
		return atrium.FieldError("user_ids", "is required")
	}
	if len(users) > max {
		return atrium.FieldErrorf("user_ids", "err.collab.too_many", "name at most {{.Count}} users", "Count", max)
	}
	return nil
}

// add adds users to group g of ms in tx, each checked against the group's rules.
func (s *Service) add(ctx context.Context, tx *store.Tx, p *access.Principal, ms *memberScope, g Group, users []atrium.UserID, invite bool) ([]AddResult, error) {
	cards, err := s.users.CardsAnywhere(ctx, tx, users)
	if err != nil {
		return nil, err
	}
	byID := make(map[atrium.UserID]directory.OrgCard, len(cards))
	for _, c := range cards {
		byID[c.ID] = c
	}
	facts, err := s.users.Facts(ctx, tx, ms.org)
	if err != nil {
		return nil, err
	}
	now := tx.Now()
	out := make([]AddResult, 0, len(users))
	var invited []mail.Recipient
	for _, u := range users {
		c, ok := byID[u]
		if !ok {
			out = append(out, AddResult{UserID: u, Status: Failed, Error: "is not an active user"})
			continue
		}
		if why := ms.refuse(g, c.Org); why != "" {
			out = append(out, AddResult{UserID: u, Username: c.Username, Status: Failed, Error: why})
			continue
		}
		added, err := s.insertMember(ctx, tx, ms.id, g, c, p.UserID, facts.Language, now, nil)
		if err != nil {
			return nil, err
		}
		if !added {
			out = append(out, AddResult{UserID: u, Username: c.Username, Status: Already})
			continue
		}
		out = append(out, AddResult{UserID: u, Username: c.Username, Status: Added})
		if err := s.memberEvent(ctx, tx, ms, g, c, true, now); err != nil {
			return nil, err
		}
		if invite && c.ContactEmail != "" {
			invited = append(invited, mail.Recipient{To: c.ContactEmail, Name: c.DisplayName, Lang: c.Language})
		}
	}
	if len(invited) > 0 && ms.eng != nil {
		data := map[string]any{"Engagement": ms.eng.Name, "Program": ms.eng.ProgramName, "Inviter": p.Name, "Link": s.link("/collab/engagements/" + ms.id)}
		if err := s.mail.EnqueueEach(ctx, tx, ms.org, "collab_invitation", data, invited); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// refuse says why a user of org may not be added to group g of ms, or "".
func (ms *memberScope) refuse(g Group, org atrium.OrgID) string {
	if g == Owner || g.program() {
		if org != ms.org {
			return "must be a member of the operator's staff"
		}
		return ""
	}
	if ms.onlyOrg != "" && org != ms.onlyOrg {
		return "is not a user of your organization"
	}
	if ms.eng != nil && !ms.eng.visibleTo(org) {
		return "belongs to an organization that may not see this engagement"
	}
	if g == Participant && ms.eng != nil && !access.Can(ms.pp, ManageParticipants, on(ms.eng, org)) {
		return "is not a user of your organization"
	}
	return ""
}

// memberEvent records that c was added to (or removed from) group g of ms: an audit
// entry and an event.
func (s *Service) memberEvent(ctx context.Context, tx *store.Tx, ms *memberScope, g Group, c directory.OrgCard, added bool, now time.Time) error {
	action, target := "engagement.member_add", "engagement"
	if !added {
		action = "engagement.member_remove"
	}
	if ms.prog != nil {
		action, target = strings.Replace(action, "engagement.", "program.", 1), "program"
	}
	if err := audit.Record(ctx, tx, now, audit.Entry{Org: ms.org, Action: action, TargetType: target, TargetID: ms.id, TargetName: ms.name,
		After: map[string]any{"user": c.Username, "organization": c.OrgName, "group": g}}); err != nil {
		return err
	}
	ref := MemberRef{ScopeID: ms.id, Group: g, UserID: c.ID, Username: c.Username, UserOrg: c.Org}
	var ev events.Payload
	switch {
	case ms.prog != nil && added:
		ev = ProgramMemberAdded{ref}
	case ms.prog != nil:
		ev = ProgramMemberRemoved{ref}
	case added:
		ev = EngagementMemberAdded{ref}
	default:
		ev = EngagementMemberRemoved{ref}
	}
	_, err := s.bus.Publish(ctx, tx, ms.org, ms.id, ev)
	return err
}

// RemoveMember takes user out of group g of engagement id; the user's account and
// other memberships are untouched. A power user removes participants of their own
// organization only.
func (s *Service) RemoveMember(ctx context.Context, p *access.Principal, id string, g Group, user atrium.UserID) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		ms, err := s.engagementMembers(ctx, tx, p, id, g, true)
		if err != nil {
			return err
		}
		return s.remove(ctx, tx, ms, g, user)
	})
}

// RemoveProgramMember takes user out of program group g.
func (s *Service) RemoveProgramMember(ctx context.Context, p *access.Principal, id string, g Group, user atrium.UserID) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		ms, err := s.programMembers(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		return s.remove(ctx, tx, ms, g, user)
	})
}

var errNoMember = atrium.Errorf(atrium.CodeNotFound, "the user is not a member of that group")

func (s *Service) remove(ctx context.Context, tx *store.Tx, ms *memberScope, g Group, user atrium.UserID) error {
	var c directory.OrgCard
	err := tx.QueryRowContext(ctx, `SELECT user_id, username, display_name, org_id, org_name FROM collab_members WHERE scope_id = $1 AND grp = $2 AND user_id = $3 AND state <> 'departed'`+forUpdate(tx),
		ms.id, string(g), string(user)).Scan(&c.ID, &c.Username, &c.DisplayName, &c.Org, &c.OrgName)
	if errors.Is(err, sql.ErrNoRows) {
		return errNoMember
	}
	if err != nil {
		return err
	}
	if ms.onlyOrg != "" && c.Org != ms.onlyOrg {
		return errNoMember // another organization's member is not there for a power user
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM collab_members WHERE scope_id = $1 AND grp = $2 AND user_id = $3`, ms.id, string(g), string(user)); err != nil {
		return err
	}
	return s.memberEvent(ctx, tx, ms, g, c, false, tx.Now())
}

// Candidate is a user the add dialog found, with whether they are in the group already
// and, when they cannot be added, why.
type Candidate struct {
	UserID      atrium.UserID `json:"user_id"`
	Username    string        `json:"username"`
	DisplayName string        `json:"display_name"`
	Email       string        `json:"email"`
	OrgID       atrium.OrgID  `json:"org_id"`
	OrgName     string        `json:"org_name"`
	Member      bool          `json:"member"`
	Refused     string        `json:"refused,omitempty"`
}

// CandidateQuery is the add dialog's search.
type CandidateQuery struct {
	// Q is a fragment of a name, username or email.
	Q string
	// Org, when set, searches one organization's users (a power user always searches
	// their own).
	Org atrium.OrgID
	// Limit is the most users returned, up to MaxBulk ("Select all").
	Limit int
}

// CandidateResult is what the add dialog found. Scope says where it searched: "org"
// (one organization: OrgName) or "all" (every organization that may see the
// engagement), so that an empty result can say why a user is missing.
type CandidateResult struct {
	Items   []Candidate  `json:"items"`
	Scope   string       `json:"scope"`
	OrgID   atrium.OrgID `json:"org_id,omitempty"`
	OrgName string       `json:"org_name,omitempty"`
}

// Candidates searches the users the caller may add to group g of engagement id: a power
// user finds only users of their own organization; owners find users of every
// organization that may see the engagement (or of one, with q.Org), and only operator
// staff for the owner group.
func (s *Service) Candidates(ctx context.Context, p *access.Principal, id string, g Group, q CandidateQuery) (*CandidateResult, error) {
	ms, err := s.engagementMembers(ctx, s.db.Read(), p, id, g, true)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(q.Q) == "" {
		return nil, atrium.FieldError("q", "is required")
	}
	limit := min(max(q.Limit, 1), MaxBulk)
	if q.Limit <= 0 {
		limit = DefaultLimit
	}
	org := q.Org
	switch {
	case ms.onlyOrg != "":
		org = ms.onlyOrg
	case g == Owner:
		org = ms.org
	}
	res := &CandidateResult{Items: []Candidate{}, Scope: "all"}
	var cards []directory.OrgCard
	if org != "" {
		res.Scope, res.OrgID = "org", org
		f, err := s.users.Facts(ctx, s.db.Read(), org)
		if err != nil {
			return nil, err
		}
		res.OrgName = f.Name
		cards, err = s.users.FindCards(ctx, org, q.Q, limit)
		if err != nil {
			return nil, err
		}
	} else if cards, err = s.users.FindCardsAnywhere(ctx, q.Q, limit); err != nil {
		return nil, err
	}
	ids := make([]atrium.UserID, len(cards))
	for i, c := range cards {
		ids[i] = c.ID
	}
	members, err := memberSet(ctx, s.db.Read(), ms.id, g, ids)
	if err != nil {
		return nil, err
	}
	for _, c := range cards {
		res.Items = append(res.Items, Candidate{UserID: c.ID, Username: c.Username, DisplayName: c.DisplayName, Email: c.ContactEmail,
			OrgID: c.Org, OrgName: c.OrgName, Member: members[c.ID], Refused: ms.refuse(g, c.Org)})
	}
	return res, nil
}

// memberSet returns which of ids are active members of group g of scope.
func memberSet(ctx context.Context, q store.Querier, scope string, g Group, ids []atrium.UserID) (map[atrium.UserID]bool, error) {
	out := map[atrium.UserID]bool{}
	for len(ids) > 0 {
		n := min(500, len(ids))
		args, marks := store.In([]any{scope, string(g)}, ids[:n])
		ids = ids[n:]
		rows, err := q.QueryContext(ctx, `SELECT user_id FROM collab_members WHERE scope_id = $1 AND grp = $2 AND state = 'active' AND user_id IN (`+marks+`)`, args...)
		if err != nil {
			return nil, store.Translate(err)
		}
		for rows.Next() {
			var id atrium.UserID
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
