package groups

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/store"
)

// Visibility says who reads a group's content.
type Visibility string

// The visibilities. Everyone in the organization sees every group's name and
// description; a public group's members and conversations too, and they may join it;
// a private group's only its members (and the organization's group administrators).
const (
	Public  Visibility = "public"
	Private Visibility = "private"
)

// Membership is the caller's place in a group.
type Membership string

// The memberships.
const (
	NotMember Membership = ""
	AsMember  Membership = "member"
	AsOwner   Membership = "owner"
)

// Group is a group of an organization.
type Group struct {
	ID             string        `json:"id"`
	Org            atrium.OrgID  `json:"org_id"`
	Name           string        `json:"name"`
	Description    string        `json:"description"`
	MailNickname   string        `json:"mail_nickname"`
	Mail           string        `json:"mail"`
	Visibility     Visibility    `json:"visibility"`
	Classification string        `json:"classification"`
	CreatedBy      atrium.UserID `json:"created_by"`
	MemberCount    int           `json:"member_count"`
	OwnerCount     int           `json:"owner_count"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
	DeletedAt      *time.Time    `json:"deleted_at,omitempty"`
	PurgeAt        *time.Time    `json:"purge_at,omitempty"`
	// Membership is the caller's: owner, member or empty.
	Membership Membership `json:"membership"`
	// CanRead says whether the caller may read the group's members and conversations.
	CanRead bool `json:"can_read"`
	// CanManage says whether the caller may change the group.
	CanManage bool `json:"can_manage"`
}

// Input is what creating a group takes.
type Input struct {
	Name           string          `json:"name"`
	Description    string          `json:"description"`
	MailNickname   string          `json:"mail_nickname"`
	Visibility     Visibility      `json:"visibility"`
	Classification string          `json:"classification,omitempty"`
	OwnerIDs       []atrium.UserID `json:"owner_ids,omitempty"`
}

// Patch is a change to a group; nil fields stay as they are.
type Patch struct {
	Name           *string     `json:"name,omitempty"`
	Description    *string     `json:"description,omitempty"`
	MailNickname   *string     `json:"mail_nickname,omitempty"`
	Visibility     *Visibility `json:"visibility,omitempty"`
	Classification *string     `json:"classification,omitempty"`
}

// The page sizes of the lists.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// ListQuery asks for one page of a list.
type ListQuery struct {
	// Q is a fragment of the name, nickname or description (of the display name,
	// username or email for members); case and accents are ignored.
	Q string
	// Cursor is "" for the first page, or the NextCursor of the page before.
	Cursor string
	// Limit is the page size, 1 to MaxLimit; DefaultLimit when out of that range.
	Limit int
}

func (q ListQuery) size() int {
	if q.Limit <= 0 || q.Limit > MaxLimit {
		return DefaultLimit
	}
	return q.Limit
}

// Page is one page of a list. NextCursor asks for the page after it; "" on the last.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// Lists of groups are by sort_name, id: org_groups_org_name for the organization's,
// group_members_user then a sort for a user's own; deleted groups newest first.
var (
	byName    = store.Keyset{Columns: []string{"g.sort_name", "g.id"}}
	byDeleted = store.Keyset{Columns: []string{"g.deleted_at", "g.id"}, Desc: true}
)

type scanner interface {
	Scan(dest ...any) error
}

const groupColumns = `g.id, g.org_id, g.name, g.description, g.mail_nickname, g.visibility, g.classification, g.created_by,
	g.members, g.owners, g.created_at, g.updated_at, g.deleted_at, g.sort_name`

// row is a group as read, with its sort key for cursors.
type row struct {
	Group
	sortName string
}

func scanGroup(r scanner) (row, error) {
	var g row
	var created, updated int64
	var deleted sql.NullInt64
	err := r.Scan(&g.ID, &g.Org, &g.Name, &g.Description, &g.MailNickname, &g.Visibility, &g.Classification, &g.CreatedBy,
		&g.MemberCount, &g.OwnerCount, &created, &updated, &deleted, &g.sortName)
	g.CreatedAt, g.UpdatedAt = store.Time(created), store.Time(updated)
	if deleted.Valid {
		at := store.Time(deleted.Int64)
		purge := at.Add(RestoreWindow)
		g.DeletedAt, g.PurgeAt = &at, &purge
	}
	return g, err
}

var errNotFound = atrium.Errorf(atrium.CodeNotFound, "group not found")

// getGroup reads group id of org with q, deleted or not; not_found when org has none.
func getGroup(ctx context.Context, q store.Querier, org atrium.OrgID, id string) (*Group, error) {
	g, err := scanGroup(q.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM org_groups g WHERE g.id = $1 AND g.org_id = $2`, id, string(org)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	return &g.Group, nil
}

// lockGroup reads group id of org for a change in tx, locking its row on PostgreSQL
// (SQLite has one writer), so that member counts and the last-owner rule hold under
// concurrent changes.
func lockGroup(ctx context.Context, tx *store.Tx, org atrium.OrgID, id string) (*Group, error) {
	q := `SELECT ` + groupColumns + ` FROM org_groups g WHERE g.id = $1 AND g.org_id = $2`
	if tx.Dialect == store.Postgres {
		q += ` FOR UPDATE`
	}
	g, err := scanGroup(tx.QueryRowContext(ctx, q, id, string(org)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	return &g.Group, nil
}

// membership returns user's place in group id.
func membership(ctx context.Context, q store.Querier, id string, user atrium.UserID) (Membership, error) {
	if user == "" {
		return NotMember, nil
	}
	var owner bool
	err := q.QueryRowContext(ctx, `SELECT owner FROM group_members WHERE group_id = $1 AND user_id = $2`, id, string(user)).Scan(&owner)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return NotMember, nil
	case err != nil:
		return NotMember, err
	case owner:
		return AsOwner, nil
	}
	return AsMember, nil
}

// resource is g as access.Can sees it: inside its organization, at its own scope.
func resource(g *Group) access.Resource {
	return access.Resource{Org: g.Org, Scopes: []access.Scope{{Kind: access.ScopeGroup, ID: g.ID}}}
}

// as returns p with the roles its membership of g gives it there (and records the
// membership, and what p may do, on g): group_owner, group_member, or on a public group
// that is not deleted, group_reader for any user of the organization.
func as(p *access.Principal, g *Group, m Membership) *access.Principal {
	g.Membership = m
	scope := access.Scope{Kind: access.ScopeGroup, ID: g.ID}
	var q *access.Principal
	switch {
	case p.Org != g.Org:
		q = p
	case m == AsOwner:
		q = p.With(access.Grant{Role: access.GroupOwner, Scope: scope})
	case m == AsMember:
		q = p.With(access.Grant{Role: access.GroupMember, Scope: scope})
	case p.UserID != "" && g.Visibility == Public:
		q = p.With(access.Grant{Role: access.GroupReader, Scope: scope})
	default:
		q = p
	}
	r := resource(g)
	g.CanRead = access.Can(q, Read, r)
	g.CanManage = access.Can(q, Manage, r)
	if g.DeletedAt != nil {
		g.CanRead = false
	}
	return q
}

// load reads group id of p's organization and p as its roles in it. A deleted group is
// not_found unless p may manage it.
func (s *Service) load(ctx context.Context, q store.Querier, p *access.Principal, id string) (*Group, *access.Principal, error) {
	g, err := getGroup(ctx, q, p.Org, id)
	if err != nil {
		return nil, nil, err
	}
	m, err := membership(ctx, q, g.ID, p.UserID)
	if err != nil {
		return nil, nil, err
	}
	pp := as(p, g, m)
	if !sees(p) {
		return nil, nil, errNotFound
	}
	if g.DeletedAt != nil && !g.CanManage {
		return nil, nil, errNotFound
	}
	return g, pp, nil
}

// sees reports whether p sees the organization's groups by name and description: every
// user of the organization does; an API token needs groups.read.
func sees(p *access.Principal) bool {
	return p.UserID != "" || access.Can(p, Read, access.Resource{Org: p.Org})
}

// mailOf is the group's address at the organization's default domain.
func mailOf(nickname, domain string) string {
	if domain == "" {
		return nickname
	}
	return nickname + "@" + domain
}

// checkNickname reports what is wrong with a mail nickname, or "".
func checkNickname(v string) string {
	if v == "" {
		return "is required"
	}
	if len(v) > 64 {
		return "must be at most 64 characters"
	}
	for i, r := range v {
		ok := r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || (i > 0 && i < len(v)-1 && strings.ContainsRune("._-", r)))
		if !ok {
			return "may hold letters a–z, digits and . _ - (not first or last)"
		}
	}
	if strings.Contains(v, "..") {
		return "may hold letters a–z, digits and . _ - (not first or last)"
	}
	return ""
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

func checkVisibility(p atrium.Problems, v Visibility) {
	if v != Public && v != Private {
		p.Addf("visibility", "err.one_of", "must be one of {{.Values}}", "Values", "public, private")
	}
}

// searchText is what a group is found by: name, nickname and description, folded.
func searchText(name, nickname, description string) string {
	return i18n.Fold(name + "\n" + nickname + "\n" + description)
}

func sortKey(lang, name string) string {
	l, _ := i18n.Parse(lang)
	return i18n.SortKey(l, name)
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// mayCreate reports whether p may create a group in its organization: with
// groups.create, or as any user unless the organization restricts creation to the
// members of one group.
func (s *Service) mayCreate(ctx context.Context, q store.Querier, p *access.Principal) (bool, error) {
	if access.Can(p, Create, access.Resource{Org: p.Org}) {
		return true, nil
	}
	if p.UserID == "" {
		return false, nil
	}
	st, err := settingsOf(ctx, q, p.Org)
	if err != nil {
		return false, err
	}
	if st.CreatorsGroupID == "" {
		return true, nil
	}
	m, err := membership(ctx, q, st.CreatorsGroupID, p.UserID)
	return m != NotMember, err
}

// Create creates a group owned by in.OwnerIDs (by the caller when none are given) and
// returns it. It returns forbidden when the caller may not create groups, and invalid
// naming the field for bad input: a nickname another group of the organization has
// (case-insensitively), an owner who is not an active user of the organization.
func (s *Service) Create(ctx context.Context, p *access.Principal, in Input) (*Group, error) {
	ok, err := s.mayCreate(ctx, s.db.Read(), p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &atrium.Error{Code: atrium.CodeForbidden, Message: "your organization lets only some people create groups"}
	}
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	in.MailNickname, in.Classification = strings.TrimSpace(in.MailNickname), strings.TrimSpace(in.Classification)
	probs := atrium.Problems{}
	checkText(probs, "name", in.Name, true, 256)
	checkText(probs, "description", in.Description, false, 1024)
	if msg := checkNickname(in.MailNickname); msg != "" {
		probs.Add("mail_nickname", msg)
	}
	checkVisibility(probs, in.Visibility)
	owners := slices.Compact(slices.Sorted(slices.Values(in.OwnerIDs)))
	if len(owners) == 0 {
		if p.UserID == "" {
			probs.Add("owner_ids", "is required")
		}
		owners = []atrium.UserID{p.UserID}
	}
	if len(owners) > 100 {
		probs.Add("owner_ids", "name at most 100 owners")
	}
	if err := s.checkClassification(ctx, probs, p.Org, in.Classification); err != nil {
		return nil, err
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	var g *Group
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		cards, err := s.users.Cards(ctx, tx, p.Org, owners)
		if err != nil {
			return err
		}
		if len(cards) != len(owners) {
			return atrium.FieldError("owner_ids", "every owner must be an active user of your organization")
		}
		facts, err := s.users.Facts(ctx, tx, p.Org)
		if err != nil {
			return err
		}
		key := strings.ToLower(in.MailNickname)
		var taken bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM org_groups WHERE org_id = $1 AND nickname_key = $2)`, string(p.Org), key).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return atrium.FieldError("mail_nickname", "is taken")
		}
		g = &Group{ID: newID(), Org: p.Org, Name: in.Name, Description: in.Description, MailNickname: in.MailNickname,
			Mail: mailOf(in.MailNickname, facts.Domain), Visibility: in.Visibility, Classification: in.Classification,
			CreatedBy: p.UserID, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.ExecContext(ctx, `INSERT INTO org_groups (id, org_id, name, sort_name, description, mail_nickname, nickname_key, visibility,
			classification, search, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)`,
			g.ID, string(g.Org), g.Name, sortKey(facts.Language, g.Name), g.Description, g.MailNickname, key, string(g.Visibility),
			g.Classification, searchText(g.Name, g.MailNickname, g.Description), string(g.CreatedBy), store.Micros(now)); err != nil {
			if store.IsUniqueViolation(err) {
				return atrium.FieldError("mail_nickname", "is taken")
			}
			return err
		}
		for _, c := range cards {
			if _, err := s.insertMember(ctx, tx, g, c, true, facts.Language, now); err != nil {
				return err
			}
		}
		g.MemberCount, g.OwnerCount = len(cards), len(cards)
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "group.create", TargetType: "group", TargetID: g.ID, TargetName: g.Name,
			After: map[string]any{"mail_nickname": g.MailNickname, "visibility": g.Visibility, "owners": len(cards)}}); err != nil {
			return err
		}
		_, err = s.bus.Publish(ctx, tx, p.Org, g.ID, GroupCreated{GroupRef: refOf(g), Description: g.Description, Owners: owners})
		return err
	})
	if err != nil {
		return nil, err
	}
	m, err := membership(ctx, s.db.Read(), g.ID, p.UserID)
	if err != nil {
		return nil, err
	}
	as(p, g, m)
	return g, nil
}

// Get returns group id of the caller's organization as the caller sees it (Membership,
// CanRead, CanManage). A deleted group is not_found unless the caller may manage it.
func (s *Service) Get(ctx context.Context, p *access.Principal, id string) (*Group, error) {
	g, _, err := s.load(ctx, s.db.Read(), p, id)
	if err != nil {
		return nil, err
	}
	if err := s.fillMail(ctx, []*Group{g}); err != nil {
		return nil, err
	}
	return g, nil
}

func (s *Service) fillMail(ctx context.Context, gs []*Group) error {
	if len(gs) == 0 {
		return nil
	}
	facts, err := s.users.Facts(ctx, s.db.Read(), gs[0].Org)
	if err != nil {
		return err
	}
	for _, g := range gs {
		g.Mail = mailOf(g.MailNickname, facts.Domain)
	}
	return nil
}

// Update changes a group and returns it. It needs groups.manage on the group (an owner,
// or the organization's group administrators). A change of visibility is mailed to the
// group's owners.
func (s *Service) Update(ctx context.Context, p *access.Principal, id string, in Patch) (*Group, error) {
	probs := atrium.Problems{}
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
		checkText(probs, "name", *in.Name, true, 256)
	}
	if in.Description != nil {
		*in.Description = strings.TrimSpace(*in.Description)
		checkText(probs, "description", *in.Description, false, 1024)
	}
	if in.MailNickname != nil {
		*in.MailNickname = strings.TrimSpace(*in.MailNickname)
		if msg := checkNickname(*in.MailNickname); msg != "" {
			probs.Add("mail_nickname", msg)
		}
	}
	if in.Visibility != nil {
		checkVisibility(probs, *in.Visibility)
	}
	if in.Classification != nil {
		*in.Classification = strings.TrimSpace(*in.Classification)
		if err := s.checkClassification(ctx, probs, p.Org, *in.Classification); err != nil {
			return nil, err
		}
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	var out *Group
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		g, _, err := s.lockFor(ctx, tx, p, id, Manage)
		if err != nil {
			return err
		}
		if g.DeletedAt != nil {
			return errDeleted
		}
		before, after := map[string]any{}, map[string]any{}
		var changed []string
		set := func(field string, old *string, v *string) {
			if v != nil && *v != *old {
				before[field], after[field] = *old, *v
				*old = *v
				changed = append(changed, field)
			}
		}
		oldVisibility := g.Visibility
		set("name", &g.Name, in.Name)
		set("description", &g.Description, in.Description)
		set("mail_nickname", &g.MailNickname, in.MailNickname)
		set("classification", &g.Classification, in.Classification)
		if in.Visibility != nil && *in.Visibility != g.Visibility {
			before["visibility"], after["visibility"] = g.Visibility, *in.Visibility
			g.Visibility = *in.Visibility
			changed = append(changed, "visibility")
		}
		out = g
		if len(changed) == 0 {
			return nil
		}
		facts, err := s.users.Facts(ctx, tx, p.Org)
		if err != nil {
			return err
		}
		key := strings.ToLower(g.MailNickname)
		if slices.Contains(changed, "mail_nickname") {
			var taken bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM org_groups WHERE org_id = $1 AND nickname_key = $2 AND id <> $3)`,
				string(p.Org), key, g.ID).Scan(&taken); err != nil {
				return err
			}
			if taken {
				return atrium.FieldError("mail_nickname", "is taken")
			}
		}
		now := tx.Now()
		g.UpdatedAt = now
		if _, err := tx.ExecContext(ctx, `UPDATE org_groups SET name = $1, sort_name = $2, description = $3, mail_nickname = $4, nickname_key = $5,
			visibility = $6, classification = $7, search = $8, updated_at = $9 WHERE id = $10`,
			g.Name, sortKey(facts.Language, g.Name), g.Description, g.MailNickname, key, string(g.Visibility), g.Classification,
			searchText(g.Name, g.MailNickname, g.Description), store.Micros(now), g.ID); err != nil {
			if store.IsUniqueViolation(err) {
				return atrium.FieldError("mail_nickname", "is taken")
			}
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "group.update", TargetType: "group", TargetID: g.ID, TargetName: g.Name,
			Before: before, After: after}); err != nil {
			return err
		}
		if g.Visibility != oldVisibility {
			if err := s.mailOwners(ctx, tx, g, "group_visibility_changed", facts, map[string]any{"Visibility": string(g.Visibility)}); err != nil {
				return err
			}
		}
		_, err = s.bus.Publish(ctx, tx, p.Org, g.ID, GroupUpdated{GroupRef: refOf(g), Changed: changed})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, out.ID)
}

// errDeleted refuses a change to a deleted group.
var errDeleted = atrium.Errorf(atrium.CodeConflict, "the group is deleted; restore it first")

// lockFor locks group id of p's organization in tx for a change that needs a, and
// returns it with p's membership; forbidden or not found when p may not.
func (s *Service) lockFor(ctx context.Context, tx *store.Tx, p *access.Principal, id string, a access.Action) (*Group, Membership, error) {
	g, err := lockGroup(ctx, tx, p.Org, id)
	if err != nil {
		return nil, NotMember, err
	}
	m, err := membership(ctx, tx, g.ID, p.UserID)
	if err != nil {
		return nil, NotMember, err
	}
	return g, m, s.require(p, g, m, a)
}

// require returns forbidden unless p, with its membership m of g, may do a on g.
func (s *Service) require(p *access.Principal, g *Group, m Membership, a access.Action) error {
	q := as(p, g, m)
	if p.Org != g.Org {
		return errNotFound
	}
	return access.Require(q, a, resource(g))
}

// Delete deletes a group: it disappears from the lists with its members and
// conversations, and can be restored for RestoreWindow.
func (s *Service) Delete(ctx context.Context, p *access.Principal, id string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		g, _, err := s.lockFor(ctx, tx, p, id, Manage)
		if err != nil {
			return err
		}
		if g.DeletedAt != nil {
			return atrium.Errorf(atrium.CodeConflict, "the group is already deleted")
		}
		now := tx.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE org_groups SET deleted_at = $1, updated_at = $1 WHERE id = $2`, store.Micros(now), g.ID); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "group.delete", TargetType: "group", TargetID: g.ID, TargetName: g.Name,
			After: map[string]any{"purge_at": now.Add(RestoreWindow)}}); err != nil {
			return err
		}
		_, err = s.bus.Publish(ctx, tx, p.Org, g.ID, GroupDeleted{GroupRef: refOf(g)})
		return err
	})
}

// Restore gives back a deleted group with its members and conversations and returns it.
func (s *Service) Restore(ctx context.Context, p *access.Principal, id string) (*Group, error) {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		g, _, err := s.lockFor(ctx, tx, p, id, Manage)
		if err != nil {
			return err
		}
		if g.DeletedAt == nil {
			return atrium.Errorf(atrium.CodeConflict, "the group is not deleted")
		}
		now := tx.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE org_groups SET deleted_at = NULL, updated_at = $1 WHERE id = $2`, store.Micros(now), g.ID); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "group.restore", TargetType: "group", TargetID: g.ID, TargetName: g.Name}); err != nil {
			return err
		}
		_, err = s.bus.Publish(ctx, tx, p.Org, g.ID, GroupRestored{GroupRef: refOf(g)})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// readGroups runs a page query of groups and cuts the page.
func (s *Service) readGroups(ctx context.Context, pq store.PageQuery, query string, key func(row) []any) ([]row, string, error) {
	rows, err := s.db.Read().QueryContext(ctx, query, pq.Args...)
	if err != nil {
		return nil, "", store.Translate(err)
	}
	defer rows.Close()
	var items []row
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, "", store.Translate(err)
		}
		items = append(items, g)
	}
	if err := rows.Err(); err != nil {
		return nil, "", store.Translate(err)
	}
	items, next := store.NextPage(pq, items, key)
	return items, next, nil
}

func nameKey(g row) []any { return []any{g.sortName, g.ID} }

// finish fills in the caller's membership and rights and the addresses of a page.
func (s *Service) finish(ctx context.Context, p *access.Principal, rows []row) ([]Group, error) {
	out := make([]Group, len(rows))
	ids := make([]string, len(rows))
	for i := range rows {
		out[i], ids[i] = rows[i].Group, rows[i].ID
	}
	ms := map[string]Membership{}
	if p.UserID != "" && len(ids) > 0 {
		args, marks := store.In([]any{string(p.UserID)}, ids)
		rs, err := s.db.Read().QueryContext(ctx, `SELECT group_id, owner FROM group_members WHERE user_id = $1 AND group_id IN (`+marks+`)`, args...)
		if err != nil {
			return nil, store.Translate(err)
		}
		for rs.Next() {
			var id string
			var owner bool
			if err := rs.Scan(&id, &owner); err != nil {
				rs.Close()
				return nil, store.Translate(err)
			}
			ms[id] = AsMember
			if owner {
				ms[id] = AsOwner
			}
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, store.Translate(err)
		}
	}
	ptrs := make([]*Group, len(out))
	for i := range out {
		as(p, &out[i], ms[out[i].ID])
		ptrs[i] = &out[i]
	}
	if err := s.fillMail(ctx, ptrs); err != nil {
		return nil, err
	}
	return out, nil
}

// List returns a page of the organization's groups by name, public and private: every
// user of the organization sees each group's name and description. q.Q filters by a
// fragment of the name, nickname or description.
func (s *Service) List(ctx context.Context, p *access.Principal, q ListQuery) (Page[Group], error) {
	if !sees(p) {
		return Page[Group]{}, access.Require(p, Read, access.Resource{Org: p.Org})
	}
	var name, id string
	args := []any{string(p.Org)}
	where := ""
	if f := i18n.Fold(strings.TrimSpace(q.Q)); f != "" {
		args = append(args, "%"+store.EscapeLike(f)+"%")
		where = ` AND g.search LIKE $2 ESCAPE '\'`
	}
	pq, err := byName.Page(args, q.Cursor, q.size(), &name, &id)
	if err != nil {
		return Page[Group]{}, err
	}
	rows, next, err := s.readGroups(ctx, pq, `SELECT `+groupColumns+` FROM org_groups g WHERE g.org_id = $1 AND g.deleted_at IS NULL`+where+` AND `+pq.Where+` `+pq.OrderLimit, nameKey)
	if err != nil {
		return Page[Group]{}, err
	}
	items, err := s.finish(ctx, p, rows)
	return Page[Group]{Items: items, NextCursor: next}, err
}

// Mine returns a page of the groups the caller is a member (or owner) of, by name.
func (s *Service) Mine(ctx context.Context, p *access.Principal, q ListQuery) (Page[Group], error) {
	if p.UserID == "" {
		return Page[Group]{}, atrium.Errorf(atrium.CodeForbidden, "groups have users as members; sign in as one")
	}
	var name, id string
	pq, err := byName.Page([]any{string(p.UserID), string(p.Org)}, q.Cursor, q.size(), &name, &id)
	if err != nil {
		return Page[Group]{}, err
	}
	rows, next, err := s.readGroups(ctx, pq, `SELECT `+groupColumns+` FROM group_members m JOIN org_groups g ON g.id = m.group_id
		WHERE m.user_id = $1 AND g.org_id = $2 AND g.deleted_at IS NULL AND `+pq.Where+` `+pq.OrderLimit, nameKey)
	if err != nil {
		return Page[Group]{}, err
	}
	items, err := s.finish(ctx, p, rows)
	return Page[Group]{Items: items, NextCursor: next}, err
}

// Deleted returns a page of the deleted groups the caller may restore, most recently
// deleted first: every deleted group for the organization's group administrators, the
// ones they own for others.
func (s *Service) Deleted(ctx context.Context, p *access.Principal, q ListQuery) (Page[Group], error) {
	var at int64
	var id string
	all := access.Can(p, Manage, access.Resource{Org: p.Org})
	if !all && p.UserID == "" {
		return Page[Group]{}, access.Require(p, Manage, access.Resource{Org: p.Org})
	}
	args := []any{string(p.Org)}
	query := `SELECT ` + groupColumns + ` FROM org_groups g WHERE g.org_id = $1 AND g.deleted_at IS NOT NULL AND `
	if !all {
		args = append(args, string(p.UserID))
		query = `SELECT ` + groupColumns + ` FROM group_members m JOIN org_groups g ON g.id = m.group_id
			WHERE g.org_id = $1 AND m.user_id = $2 AND m.owner AND g.deleted_at IS NOT NULL AND `
	}
	pq, err := byDeleted.Page(args, q.Cursor, q.size(), &at, &id)
	if err != nil {
		return Page[Group]{}, err
	}
	rows, next, err := s.readGroups(ctx, pq, query+pq.Where+` `+pq.OrderLimit, func(g row) []any { return []any{store.Micros(*g.DeletedAt), g.ID} })
	if err != nil {
		return Page[Group]{}, err
	}
	items, err := s.finish(ctx, p, rows)
	return Page[Group]{Items: items, NextCursor: next}, err
}

// Settings are an organization's group settings.
type Settings struct {
	// CreatorsGroupID, when set, restricts creating groups to the members of that group
	// (and the holders of groups.create).
	CreatorsGroupID string `json:"creators_group_id"`
	// Classifications are the labels a group may carry.
	Classifications []string `json:"classifications"`
}

func settingsOf(ctx context.Context, q store.Querier, org atrium.OrgID) (Settings, error) {
	st := Settings{Classifications: []string{}}
	var labels string
	err := q.QueryRowContext(ctx, `SELECT creators_group_id, classifications FROM group_settings WHERE org_id = $1`, string(org)).Scan(&st.CreatorsGroupID, &labels)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal([]byte(labels), &st.Classifications); err != nil {
		return st, err
	}
	return st, nil
}

// Settings returns the organization's group settings; every user of the organization
// may read them (the console's create form offers the labels).
func (s *Service) Settings(ctx context.Context, p *access.Principal) (Settings, error) {
	if !sees(p) {
		return Settings{}, access.Require(p, Read, access.Resource{Org: p.Org})
	}
	return settingsOf(ctx, s.db.Read(), p.Org)
}

// PutSettings replaces the organization's group settings; it needs org.update (a Global
// administrator).
func (s *Service) PutSettings(ctx context.Context, p *access.Principal, in Settings) (Settings, error) {
	if err := access.Require(p, access.OrgUpdate, access.Resource{Org: p.Org}); err != nil {
		return Settings{}, err
	}
	probs := atrium.Problems{}
	labels := []string{}
	seen := map[string]bool{}
	for _, l := range in.Classifications {
		l = strings.TrimSpace(l)
		checkText(probs, "classifications", l, true, 64)
		if seen[strings.ToLower(l)] {
			probs.Add("classifications", "is listed twice")
		}
		seen[strings.ToLower(l)] = true
		labels = append(labels, l)
	}
	if len(labels) > 50 {
		probs.Add("classifications", "name at most 50 labels")
	}
	if err := probs.Err(); err != nil {
		return Settings{}, err
	}
	in.Classifications = labels
	in.CreatorsGroupID = strings.TrimSpace(in.CreatorsGroupID)
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if in.CreatorsGroupID != "" {
			g, err := getGroup(ctx, tx, p.Org, in.CreatorsGroupID)
			if err != nil || g.DeletedAt != nil {
				return atrium.FieldError("creators_group_id", "must be a group of your organization")
			}
		}
		before, err := settingsOf(ctx, tx, p.Org)
		if err != nil {
			return err
		}
		raw, _ := json.Marshal(in.Classifications)
		now := tx.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO group_settings (org_id, creators_group_id, classifications, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (org_id) DO UPDATE SET creators_group_id = excluded.creators_group_id, classifications = excluded.classifications, updated_at = excluded.updated_at`,
			string(p.Org), in.CreatorsGroupID, string(raw), store.Micros(now)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "group.settings.update", TargetType: "organization", TargetID: string(p.Org),
			Before: map[string]any{"creators_group_id": before.CreatorsGroupID, "classifications": before.Classifications},
			After:  map[string]any{"creators_group_id": in.CreatorsGroupID, "classifications": in.Classifications}})
	})
	if err != nil {
		return Settings{}, err
	}
	return in, nil
}

// checkClassification adds a problem when label is neither empty nor one of the
// organization's labels.
func (s *Service) checkClassification(ctx context.Context, probs atrium.Problems, org atrium.OrgID, label string) error {
	if label == "" {
		return nil
	}
	st, err := settingsOf(ctx, s.db.Read(), org)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(st.Classifications, func(l string) bool { return strings.EqualFold(l, label) }) {
		probs.Add("classification", "must be one of your organization's classification labels")
	}
	return nil
}

// cardOf is a member's copy of a user's card.
func memberNames(c directory.Card, lang string) (sortName, search string) {
	return sortKey(lang, c.DisplayName), i18n.Fold(c.DisplayName + "\n" + c.Username + "\n" + c.ContactEmail)
}
