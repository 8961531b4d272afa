package groups

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/store"
)

// Member is a member of a group.
type Member struct {
	UserID      atrium.UserID `json:"user_id"`
	Username    string        `json:"username"`
	DisplayName string        `json:"display_name"`
	// Role is owner or member.
	Role      Membership `json:"role"`
	Following bool       `json:"following"`
	AddedAt   time.Time  `json:"added_at"`
}

// AddResult is what adding one user did: Status added, already (a member already, or an
// owner already for owners), or failed with Error saying why.
type AddResult struct {
	UserID   atrium.UserID `json:"user_id,omitempty"`
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

// MaxBulk is the most users one bulk add takes.
const MaxBulk = 1000

// byMember is the member lists' order: group_members_name (group_id, sort_name, user_id).
var byMember = store.Keyset{Columns: []string{"sort_name", "user_id"}}

// insertMember adds c to g (as an owner when owner is set) in tx. It returns whether a
// row was added; an existing member is made an owner when owner is set, and the
// counts follow.
func (s *Service) insertMember(ctx context.Context, tx *store.Tx, g *Group, c directory.Card, owner bool, lang string, now time.Time) (added bool, err error) {
	sortName, search := memberNames(c, lang)
	res, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, user_id, org_id, owner, username, display_name, sort_name, search, added_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (group_id, user_id) DO NOTHING`,
		g.ID, string(c.ID), string(g.Org), owner, c.Username, c.DisplayName, sortName, search, store.Micros(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	owners := 0
	if owner {
		owners = 1
	}
	if n == 1 {
		_, err = tx.ExecContext(ctx, `UPDATE org_groups SET members = members + 1, owners = owners + $1 WHERE id = $2`, owners, g.ID)
		return true, err
	}
	return false, nil
}

// Members returns a page of a group's members by name (owners only with owners set),
// filtered by a fragment of the display name, username or email. A private group's
// members are listed to its members and the organization's group administrators only.
func (s *Service) Members(ctx context.Context, p *access.Principal, id string, owners bool, q ListQuery) (Page[Member], error) {
	g, pp, err := s.load(ctx, s.db.Read(), p, id)
	if err != nil {
		return Page[Member]{}, err
	}
	if err := access.Require(pp, Read, resource(g)); err != nil {
		return Page[Member]{}, err
	}
	if g.DeletedAt != nil {
		return Page[Member]{}, errNotFound
	}
	return s.members(ctx, g.ID, owners, q)
}

func (s *Service) members(ctx context.Context, group string, owners bool, q ListQuery) (Page[Member], error) {
	args := []any{group}
	where := ""
	if owners {
		where = ` AND owner`
	}
	if f := i18n.Fold(strings.TrimSpace(q.Q)); f != "" {
		args = append(args, "%"+store.EscapeLike(f)+"%")
		where += ` AND search LIKE $2 ESCAPE '\'`
		// SQLite hands a LIKE to the FTS5 index only without ESCAPE: a fragment holding a
		// wildcard or the escape character walks.
		if s.db.Dialect == store.SQLite && utf8.RuneCountInString(f) >= 3 && !strings.ContainsAny(f, `%_\`) {
			pattern := "%" + f + "%"
			rare, err := s.rareFragment(ctx, pattern)
			if err != nil {
				return Page[Member]{}, err
			}
			if rare {
				// The candidates of the trigram index, not the name index's walk; the
				// unary + keeps SQLite from walking group_members_name for group_id.
				args = append(args, pattern)
				where += ` AND rowid IN (SELECT rowid FROM group_members_search WHERE search LIKE $3)`
				return s.memberPage(ctx, `+group_id = $1`+where, args, q)
			}
		}
	}
	return s.memberPage(ctx, `group_id = $1`+where, args, q)
}

// searchCandidateLimit bounds how many rows of the whole instance the SQLite trigram
// index may find for a fragment before the member list walks the group's name index
// instead: past it, matches are dense enough that the walk finds a page quickly.
const searchCandidateLimit = 2000

// rareFragment reports whether the SQLite trigram index finds at most
// searchCandidateLimit members (of any group) whose search text is like pattern.
func (s *Service) rareFragment(ctx context.Context, pattern string) (bool, error) {
	var n int
	err := s.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM (SELECT rowid FROM group_members_search WHERE search LIKE $1 LIMIT $2)`,
		pattern, searchCandidateLimit+1).Scan(&n)
	return n <= searchCandidateLimit, store.Translate(err)
}

// memberPage reads a page of the members that cond (on group $1) keeps.
func (s *Service) memberPage(ctx context.Context, cond string, args []any, q ListQuery) (Page[Member], error) {
	var name, user string
	pq, err := byMember.Page(args, q.Cursor, q.size(), &name, &user)
	if err != nil {
		return Page[Member]{}, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT user_id, username, display_name, owner, following, added_at, sort_name FROM group_members
		WHERE `+cond+` AND `+pq.Where+` `+pq.OrderLimit, s.db.OneShot(pq.Args...)...)
	if err != nil {
		return Page[Member]{}, store.Translate(err)
	}
	defer rows.Close()
	type keyed struct {
		Member
		sortName string
	}
	var items []keyed
	for rows.Next() {
		var m keyed
		var owner bool
		var added int64
		if err := rows.Scan(&m.UserID, &m.Username, &m.DisplayName, &owner, &m.Following, &added, &m.sortName); err != nil {
			return Page[Member]{}, store.Translate(err)
		}
		m.Role, m.AddedAt = AsMember, store.Time(added)
		if owner {
			m.Role = AsOwner
		}
		items = append(items, m)
	}
	if err := rows.Err(); err != nil {
		return Page[Member]{}, store.Translate(err)
	}
	items, next := store.NextPage(pq, items, func(m keyed) []any { return []any{m.sortName, string(m.UserID)} })
	out := Page[Member]{Items: make([]Member, len(items)), NextCursor: next}
	for i := range items {
		out.Items[i] = items[i].Member
	}
	return out, nil
}

// ExportMembers writes a group's members (owners only with owners set) as CSV to w, in
// the list's order, reading a page at a time: display name, username, role, following,
// added at. It needs what Members needs.
func (s *Service) ExportMembers(ctx context.Context, p *access.Principal, id string, owners bool, w io.Writer) error {
	g, pp, err := s.load(ctx, s.db.Read(), p, id)
	if err != nil {
		return err
	}
	if err := access.Require(pp, Read, resource(g)); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"display_name", "username", "role", "following", "added_at"}); err != nil {
		return err
	}
	q := ListQuery{Limit: MaxLimit}
	for {
		page, err := s.members(ctx, g.ID, owners, q)
		if err != nil {
			return err
		}
		for _, m := range page.Items {
			following := "false"
			if m.Following {
				following = "true"
			}
			if err := cw.Write([]string{csvSafe(m.DisplayName), csvSafe(m.Username), string(m.Role), following, m.AddedAt.Format(time.RFC3339)}); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
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

// AddMembers adds users of the organization to a group and says, user by user, what it
// did; an id that is not an active user of the organization fails alone. It needs
// groups.manage on the group.
func (s *Service) AddMembers(ctx context.Context, p *access.Principal, id string, users []atrium.UserID) ([]AddResult, error) {
	return s.add(ctx, p, id, users, nil, false)
}

// AddMembersByUsername adds users by username, as from a CSV of usernames.
func (s *Service) AddMembersByUsername(ctx context.Context, p *access.Principal, id string, usernames []string) ([]AddResult, error) {
	return s.add(ctx, p, id, nil, usernames, false)
}

// AddOwners makes users owners of a group, adding them as members first when they are
// not.
func (s *Service) AddOwners(ctx context.Context, p *access.Principal, id string, users []atrium.UserID) ([]AddResult, error) {
	return s.add(ctx, p, id, users, nil, true)
}

// ReadUsernames reads a CSV of usernames: the first column of each row, skipping a
// header row named username and blank rows.
func ReadUsernames(r io.Reader) ([]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	var out []string
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, atrium.FieldError("file", "is not a CSV file")
		}
		if len(rec) == 0 {
			continue
		}
		v := strings.TrimSpace(strings.TrimPrefix(rec[0], "\ufeff"))
		if v == "" || (line == 1 && strings.EqualFold(v, "username")) {
			continue
		}
		out = append(out, v)
		if len(out) > MaxBulk {
			return nil, atrium.FieldErrorf("file", "err.groups.bulk_max", "may name at most {{.Count}} users", "Count", MaxBulk)
		}
	}
}

func (s *Service) add(ctx context.Context, p *access.Principal, id string, users []atrium.UserID, usernames []string, owners bool) ([]AddResult, error) {
	if len(users)+len(usernames) == 0 {
		field := "user_ids"
		if usernames != nil {
			field = "usernames"
		}
		return nil, atrium.FieldError(field, "is required")
	}
	if len(users)+len(usernames) > MaxBulk {
		return nil, atrium.FieldErrorf("user_ids", "err.groups.bulk_max", "may name at most {{.Count}} users", "Count", MaxBulk)
	}
	var results []AddResult
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		results = results[:0]
		g, _, err := s.lockFor(ctx, tx, p, id, Manage)
		if err != nil {
			return err
		}
		if g.DeletedAt != nil {
			return errDeleted
		}
		facts, err := s.users.Facts(ctx, tx, p.Org)
		if err != nil {
			return err
		}
		var cards []directory.Card
		if usernames != nil {
			cards, err = s.users.CardsByUsername(ctx, tx, p.Org, usernames)
		} else {
			cards, err = s.users.Cards(ctx, tx, p.Org, users)
		}
		if err != nil {
			return err
		}
		byID := map[atrium.UserID]directory.Card{}
		byName := map[string]directory.Card{}
		for _, c := range cards {
			byID[c.ID], byName[strings.ToLower(c.Username)] = c, c
		}
		now := tx.Now()
		seen := map[atrium.UserID]bool{}
		var added, promoted []directory.Card
		do := func(c directory.Card, r AddResult) (AddResult, error) {
			if seen[c.ID] {
				r.Status = Already
				return r, nil
			}
			seen[c.ID] = true
			r.UserID, r.Username = c.ID, c.Username
			ok, err := s.insertMember(ctx, tx, g, c, owners, facts.Language, now)
			if err != nil {
				return r, err
			}
			switch {
			case ok:
				r.Status = Added
				added = append(added, c)
				if owners {
					promoted = append(promoted, c)
				}
			case owners:
				res, err := tx.ExecContext(ctx, `UPDATE group_members SET owner = TRUE WHERE group_id = $1 AND user_id = $2 AND NOT owner`, g.ID, string(c.ID))
				if err != nil {
					return r, err
				}
				if n, _ := res.RowsAffected(); n == 1 {
					if _, err := tx.ExecContext(ctx, `UPDATE org_groups SET owners = owners + 1 WHERE id = $1`, g.ID); err != nil {
						return r, err
					}
					r.Status = Added
					promoted = append(promoted, c)
				} else {
					r.Status = Already
				}
			default:
				r.Status = Already
			}
			return r, nil
		}
		for _, u := range users {
			c, ok := byID[u]
			if !ok {
				results = append(results, AddResult{UserID: u, Status: Failed, Error: "no active user of your organization has this id"})
				continue
			}
			r, err := do(c, AddResult{})
			if err != nil {
				return err
			}
			results = append(results, r)
		}
		for _, name := range usernames {
			c, ok := byName[strings.ToLower(strings.TrimSpace(name))]
			if !ok {
				results = append(results, AddResult{Username: name, Status: Failed, Error: "no active user of your organization has this username"})
				continue
			}
			r, err := do(c, AddResult{Username: name})
			if err != nil {
				return err
			}
			results = append(results, r)
		}
		for _, c := range added {
			if err := s.memberEvent(ctx, tx, g, c, "group.member.add", MemberAdded{}); err != nil {
				return err
			}
		}
		for _, c := range promoted {
			if err := s.memberEvent(ctx, tx, g, c, "group.owner.add", OwnerAdded{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// memberEvent audits a change of c's membership of g and publishes its event (ev, a
// zero value of MemberAdded, MemberRemoved, OwnerAdded or OwnerRemoved).
func (s *Service) memberEvent(ctx context.Context, tx *store.Tx, g *Group, c directory.Card, action string, ev any) error {
	if err := audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: g.Org, Action: action, TargetType: "group", TargetID: g.ID, TargetName: g.Name,
		After: map[string]any{"user_id": c.ID, "username": c.Username}}); err != nil {
		return err
	}
	ref := MemberRef{GroupID: g.ID, Org: g.Org, UserID: c.ID, Username: c.Username}
	var err error
	switch ev.(type) {
	case MemberAdded:
		_, err = s.bus.Publish(ctx, tx, g.Org, g.ID, MemberAdded{ref})
	case MemberRemoved:
		_, err = s.bus.Publish(ctx, tx, g.Org, g.ID, MemberRemoved{ref})
	case OwnerAdded:
		_, err = s.bus.Publish(ctx, tx, g.Org, g.ID, OwnerAdded{ref})
	case OwnerRemoved:
		_, err = s.bus.Publish(ctx, tx, g.Org, g.ID, OwnerRemoved{ref})
	}
	return err
}

var errLastOwner = atrium.Errorf(atrium.CodeConflict, "a group keeps at least one owner: make someone else an owner first")

// RemoveMember takes a user out of a group. Owners and group administrators remove
// anyone; members may leave. The last owner stays.
func (s *Service) RemoveMember(ctx context.Context, p *access.Principal, id string, user atrium.UserID) error {
	return s.remove(ctx, p, id, user, false)
}

// RemoveOwner makes an owner a plain member. The last owner stays.
func (s *Service) RemoveOwner(ctx context.Context, p *access.Principal, id string, user atrium.UserID) error {
	return s.remove(ctx, p, id, user, true)
}

func (s *Service) remove(ctx context.Context, p *access.Principal, id string, user atrium.UserID, ownerOnly bool) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		g, err := lockGroup(ctx, tx, p.Org, id)
		if err != nil {
			return err
		}
		m, err := membership(ctx, tx, g.ID, p.UserID)
		if err != nil {
			return err
		}
		leaving := user == p.UserID && !ownerOnly && m != NotMember
		if !leaving {
			if err := s.require(p, g, m, Manage); err != nil {
				return err
			}
		} else if err := s.require(p, g, m, Read); err != nil {
			return err
		}
		if g.DeletedAt != nil {
			return errDeleted
		}
		var c directory.Card
		var owner bool
		err = tx.QueryRowContext(ctx, `SELECT user_id, username, display_name, owner FROM group_members WHERE group_id = $1 AND user_id = $2`,
			g.ID, string(user)).Scan(&c.ID, &c.Username, &c.DisplayName, &owner)
		if errors.Is(err, sql.ErrNoRows) || (ownerOnly && err == nil && !owner) {
			if ownerOnly {
				return atrium.Errorf(atrium.CodeNotFound, "the user is not an owner of this group")
			}
			return atrium.Errorf(atrium.CodeNotFound, "the user is not a member of this group")
		}
		if err != nil {
			return err
		}
		if owner && g.OwnerCount <= 1 {
			return errLastOwner
		}
		owners := 0
		if owner {
			owners = 1
		}
		if ownerOnly {
			if _, err := tx.ExecContext(ctx, `UPDATE group_members SET owner = FALSE WHERE group_id = $1 AND user_id = $2`, g.ID, string(user)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE org_groups SET owners = owners - 1 WHERE id = $1`, g.ID); err != nil {
				return err
			}
			return s.memberEvent(ctx, tx, g, c, "group.owner.remove", OwnerRemoved{})
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM group_members WHERE group_id = $1 AND user_id = $2`, g.ID, string(user)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE org_groups SET members = members - 1, owners = owners - $1 WHERE id = $2`, owners, g.ID); err != nil {
			return err
		}
		if owner {
			if err := s.memberEvent(ctx, tx, g, c, "group.owner.remove", OwnerRemoved{}); err != nil {
				return err
			}
		}
		return s.memberEvent(ctx, tx, g, c, "group.member.remove", MemberRemoved{})
	})
}

// Following reports whether the caller is a member of group id who gets its group
// mail (false for anyone else).
func (s *Service) Following(ctx context.Context, p *access.Principal, id string) (bool, error) {
	var following bool
	err := s.db.Read().QueryRowContext(ctx, `SELECT following FROM group_members WHERE group_id = $1 AND user_id = $2 AND org_id = $3`,
		id, string(p.UserID), string(p.Org)).Scan(&following)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return following, store.Translate(err)
}

// SetFollowing turns group mail on or off for the caller, a member of the group.
func (s *Service) SetFollowing(ctx context.Context, p *access.Principal, id string, following bool) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		g, err := getGroup(ctx, tx, p.Org, id)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE group_members SET following = $1 WHERE group_id = $2 AND user_id = $3`, following, g.ID, string(p.UserID))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return atrium.Errorf(atrium.CodeConflict, "only members follow a group")
		}
		return audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: p.Org, Action: "group.follow", TargetType: "group", TargetID: g.ID, TargetName: g.Name,
			After: map[string]any{"following": following}})
	})
}

// JoinRequest is a request to join a private group.
type JoinRequest struct {
	ID          string        `json:"id"`
	GroupID     string        `json:"group_id"`
	UserID      atrium.UserID `json:"user_id"`
	Username    string        `json:"username"`
	DisplayName string        `json:"display_name"`
	Message     string        `json:"message"`
	// State is pending, approved or denied.
	State     string     `json:"state"`
	CreatedAt time.Time  `json:"created_at"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	DecidedBy string     `json:"decided_by,omitempty"`
	Reply     string     `json:"reply,omitempty"`
}

// The states of a join request.
const (
	RequestPending  = "pending"
	RequestApproved = "approved"
	RequestDenied   = "denied"
)

// JoinResult is what asking to join did: joined (a public group), or requested with the
// request (a private one).
type JoinResult struct {
	Joined  bool         `json:"joined"`
	Request *JoinRequest `json:"request,omitempty"`
}

// Join makes the caller a member of a public group at once, or asks the owners of a
// private group, who are mailed and approve or deny. A second request while one is
// pending is refused.
func (s *Service) Join(ctx context.Context, p *access.Principal, id, message string) (*JoinResult, error) {
	if p.UserID == "" {
		return nil, atrium.Errorf(atrium.CodeForbidden, "groups have users as members; sign in as one")
	}
	message = strings.TrimSpace(message)
	if utf8.RuneCountInString(message) > 1000 {
		return nil, atrium.FieldErrorf("message", "err.max_chars", "must be at most {{.Count}} characters", "Count", 1000)
	}
	var out JoinResult
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		g, err := lockGroup(ctx, tx, p.Org, id)
		if err != nil {
			return err
		}
		if g.DeletedAt != nil {
			return errNotFound
		}
		m, err := membership(ctx, tx, g.ID, p.UserID)
		if err != nil {
			return err
		}
		if m != NotMember {
			return atrium.Errorf(atrium.CodeConflict, "you are a member of this group already")
		}
		cards, err := s.users.Cards(ctx, tx, p.Org, []atrium.UserID{p.UserID})
		if err != nil {
			return err
		}
		if len(cards) != 1 {
			return atrium.Errorf(atrium.CodeForbidden, "groups have users as members; sign in as one")
		}
		c := cards[0]
		facts, err := s.users.Facts(ctx, tx, p.Org)
		if err != nil {
			return err
		}
		now := tx.Now()
		if access.Can(as(p, g, m), Join, resource(g)) {
			if _, err := s.insertMember(ctx, tx, g, c, false, facts.Language, now); err != nil {
				return err
			}
			out.Joined = true
			return s.memberEvent(ctx, tx, g, c, "group.join", MemberAdded{})
		}
		var pending bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM group_join_requests WHERE group_id = $1 AND user_id = $2 AND state = 'pending')`,
			g.ID, string(p.UserID)).Scan(&pending); err != nil {
			return err
		}
		if pending {
			return atrium.Errorf(atrium.CodeConflict, "you asked to join this group already; its owners have not answered yet")
		}
		r := &JoinRequest{ID: newID(), GroupID: g.ID, UserID: c.ID, Username: c.Username, DisplayName: c.DisplayName, Message: message,
			State: RequestPending, CreatedAt: now}
		if _, err := tx.ExecContext(ctx, `INSERT INTO group_join_requests (id, group_id, org_id, user_id, username, display_name, message, state, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, r.ID, g.ID, string(g.Org), string(c.ID), c.Username, c.DisplayName, message, r.State, store.Micros(now)); err != nil {
			if store.IsUniqueViolation(err) {
				return atrium.Errorf(atrium.CodeConflict, "you asked to join this group already; its owners have not answered yet")
			}
			return err
		}
		out.Request = r
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: g.Org, Action: "group.join_request", TargetType: "group", TargetID: g.ID, TargetName: g.Name,
			After: map[string]any{"request_id": r.ID}}); err != nil {
			return err
		}
		return s.mailOwners(ctx, tx, g, "group_join_request", facts, map[string]any{"Requester": c.DisplayName, "Message": message,
			"Link": s.link("/groups/" + g.ID + "/requests")})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// byRequest is the join requests' order: oldest first, by group_join_requests_group.
var byRequest = store.Keyset{Columns: []string{"created_at", "id"}}

// JoinRequests returns a page of a group's join requests, oldest first: pending ones
// only with pending set. It needs groups.manage on the group.
func (s *Service) JoinRequests(ctx context.Context, p *access.Principal, id string, pending bool, q ListQuery) (Page[JoinRequest], error) {
	g, pp, err := s.load(ctx, s.db.Read(), p, id)
	if err != nil {
		return Page[JoinRequest]{}, err
	}
	if err := access.Require(pp, Manage, resource(g)); err != nil {
		return Page[JoinRequest]{}, err
	}
	where := ""
	if pending {
		where = ` AND state = 'pending'`
	}
	var at int64
	var rid string
	pq, err := byRequest.Page([]any{g.ID}, q.Cursor, q.size(), &at, &rid)
	if err != nil {
		return Page[JoinRequest]{}, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+requestColumns+` FROM group_join_requests WHERE group_id = $1`+where+` AND `+pq.Where+` `+pq.OrderLimit, pq.Args...)
	if err != nil {
		return Page[JoinRequest]{}, store.Translate(err)
	}
	defer rows.Close()
	var items []JoinRequest
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return Page[JoinRequest]{}, store.Translate(err)
		}
		items = append(items, r)
	}
	if err := rows.Err(); err != nil {
		return Page[JoinRequest]{}, store.Translate(err)
	}
	items, next := store.NextPage(pq, items, func(r JoinRequest) []any { return []any{store.Micros(r.CreatedAt), r.ID} })
	if items == nil {
		items = []JoinRequest{}
	}
	return Page[JoinRequest]{Items: items, NextCursor: next}, nil
}

const requestColumns = `id, group_id, user_id, username, display_name, message, state, created_at, decided_at, decided_by, reply`

func scanRequest(r scanner) (JoinRequest, error) {
	var jr JoinRequest
	var created int64
	var decided sql.NullInt64
	err := r.Scan(&jr.ID, &jr.GroupID, &jr.UserID, &jr.Username, &jr.DisplayName, &jr.Message, &jr.State, &created, &decided, &jr.DecidedBy, &jr.Reply)
	jr.CreatedAt = store.Time(created)
	if decided.Valid {
		t := store.Time(decided.Int64)
		jr.DecidedAt = &t
	}
	return jr, err
}

// Decide approves (the requester becomes a member) or denies a pending join request,
// with an optional reply; the requester is mailed either way. A request decided already
// is a conflict, so approving twice gives one membership.
func (s *Service) Decide(ctx context.Context, p *access.Principal, id, request string, approve bool, reply string) (*JoinRequest, error) {
	reply = strings.TrimSpace(reply)
	if utf8.RuneCountInString(reply) > 1000 {
		return nil, atrium.FieldErrorf("reply", "err.max_chars", "must be at most {{.Count}} characters", "Count", 1000)
	}
	var out JoinRequest
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		g, _, err := s.lockFor(ctx, tx, p, id, Manage)
		if err != nil {
			return err
		}
		if g.DeletedAt != nil {
			return errDeleted
		}
		r, err := scanRequest(tx.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM group_join_requests WHERE id = $1 AND group_id = $2`, request, g.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return atrium.Errorf(atrium.CodeNotFound, "join request not found")
		}
		if err != nil {
			return err
		}
		state := RequestDenied
		if approve {
			state = RequestApproved
		}
		now := tx.Now()
		res, err := tx.ExecContext(ctx, `UPDATE group_join_requests SET state = $1, decided_at = $2, decided_by = $3, reply = $4 WHERE id = $5 AND state = 'pending'`,
			state, store.Micros(now), p.Name, reply, r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return atrium.Errorf(atrium.CodeConflict, "the request was answered already")
		}
		r.State, r.DecidedAt, r.DecidedBy, r.Reply = state, &now, p.Name, reply
		out = r
		cards, err := s.users.Cards(ctx, tx, p.Org, []atrium.UserID{r.UserID})
		if err != nil {
			return err
		}
		facts, err := s.users.Facts(ctx, tx, p.Org)
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: g.Org, Action: "group.join_request." + map[bool]string{true: "approve", false: "deny"}[approve],
			TargetType: "group", TargetID: g.ID, TargetName: g.Name, After: map[string]any{"request_id": r.ID, "user_id": r.UserID}}); err != nil {
			return err
		}
		if len(cards) == 0 {
			return nil // the requester was deleted meanwhile
		}
		c := cards[0]
		if approve {
			added, err := s.insertMember(ctx, tx, g, c, false, facts.Language, now)
			if err != nil {
				return err
			}
			if added {
				if err := s.memberEvent(ctx, tx, g, c, "group.member.add", MemberAdded{}); err != nil {
					return err
				}
			}
		}
		if c.ContactEmail == "" {
			return nil
		}
		return s.mail.Enqueue(ctx, tx, mail.Message{Org: g.Org, To: c.ContactEmail, Template: "group_join_decided", Lang: c.Language,
			Data: map[string]any{"DisplayName": c.DisplayName, "Group": g.Name, "Approved": approve, "Reply": reply, "Link": s.link("/groups/" + g.ID)}})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// mailOwners mails template to g's owners in their languages, with the group's name and
// a link to it added to data.
func (s *Service) mailOwners(ctx context.Context, tx *store.Tx, g *Group, template string, _ directory.OrgFacts, data map[string]any) error {
	rows, err := tx.QueryContext(ctx, `SELECT user_id FROM group_members WHERE group_id = $1 AND owner`, g.ID)
	if err != nil {
		return err
	}
	var ids []atrium.UserID
	for rows.Next() {
		var id atrium.UserID
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
	cards, err := s.users.Cards(ctx, tx, g.Org, ids)
	if err != nil {
		return err
	}
	for _, c := range cards {
		if c.ContactEmail == "" {
			continue
		}
		d := map[string]any{"DisplayName": c.DisplayName, "Group": g.Name}
		if _, ok := data["Link"]; !ok {
			d["Link"] = s.link("/groups/" + g.ID)
		}
		for k, v := range data {
			d[k] = v
		}
		if err := s.mail.Enqueue(ctx, tx, mail.Message{Org: g.Org, To: c.ContactEmail, Template: template, Lang: c.Language, Data: d}); err != nil {
			return err
		}
	}
	return nil
}

// link is the console address of path.
func (s *Service) link(path string) string { return strings.TrimSuffix(s.cfg.PublicURL, "/") + path }
