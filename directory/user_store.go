package directory

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/store"
)

const userColumns = `id, org_id, username, display_name, first_name, last_name, contact_email, job_title, department, usage_location,
	blocked, must_change_password, created_at, updated_at, last_sign_in_at, last_activity_at, deleted_at, version, language,
	COALESCE(home_user_id, ''), COALESCE(home_org_id, ''), COALESCE((SELECT name FROM organizations WHERE id = home_org_id), '')`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	var created, updated int64
	var signIn, activity, deleted *int64
	if err := row.Scan(&u.ID, &u.Org, &u.Username, &u.DisplayName, &u.FirstName, &u.LastName, &u.ContactEmail, &u.JobTitle,
		&u.Department, &u.UsageLocation, &u.Blocked, &u.MustChangePassword, &created, &updated, &signIn, &activity, &deleted, &u.Version, &u.Language,
		&u.HomeUser, &u.HomeOrg, &u.HomeOrgName); err != nil {
		return nil, err
	}
	u.Guest = u.HomeUser != ""
	u.CreatedAt, u.UpdatedAt = store.Time(created), store.Time(updated)
	u.LastSignInAt, u.LastActivityAt, u.DeletedAt = timePtr(signIn), timePtr(activity), timePtr(deleted)
	return &u, nil
}

func timePtr(us *int64) *time.Time {
	if us == nil {
		return nil
	}
	t := store.Time(*us)
	return &t
}

// insertUser inserts u (ID, timestamps and version are set here) with the password hash.
func (s *Service) insertUser(ctx context.Context, tx *store.Tx, u *User, hash string, mustChange bool) error {
	now := s.clock.Now()
	u.ID = atrium.UserID(uuid.Must(uuid.NewV7()).String())
	u.CreatedAt, u.UpdatedAt, u.Version, u.MustChangePassword = now, now, 1, mustChange
	lang, err := orgLanguage(ctx, tx, u.Org)
	if err != nil {
		return fmt.Errorf("directory: insert user: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO users (id, org_id, username, username_key, display_name, sort_name, first_name, last_name,
			contact_email, job_title, department, usage_location, search, password_hash, must_change_password, blocked, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)`,
		string(u.ID), string(u.Org), u.Username, strings.ToLower(u.Username), u.DisplayName, sortName(lang, u.DisplayName), u.FirstName, u.LastName,
		u.ContactEmail, u.JobTitle, u.Department, u.UsageLocation, searchText(u), hash, mustChange, u.Blocked, store.Micros(now))
	if err != nil {
		if store.IsUniqueViolation(err) {
			return &atrium.Error{Code: atrium.CodeConflict, Message: "a user with this username already exists", Cause: err,
				Fields: map[string]string{"username": "is taken"}}
		}
		return fmt.Errorf("directory: insert user: %w", err)
	}
	return nil
}

// getUser returns a user of org, deleted or not; not_found if org has no such user.
func getUser(ctx context.Context, q store.Querier, org atrium.OrgID, id atrium.UserID) (*User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 AND org_id = $2`, string(id), string(org)))
	if err != nil {
		return nil, userNotFound(err)
	}
	roles, err := access.OrgRolesOf(ctx, q, u.ID)
	if err != nil {
		return nil, err
	}
	u.Roles = roles
	return u, nil
}

func userNotFound(err error) error {
	err = store.Translate(err)
	if atrium.ErrorCode(err) == atrium.CodeNotFound {
		return &atrium.Error{Code: atrium.CodeNotFound, Message: "user not found", Cause: err}
	}
	return err
}

// SortField is a column the user list sorts by.
type SortField string

// Sort fields of the user list.
const (
	SortDisplayName SortField = "display_name"
	SortUsername    SortField = "username"
	SortCreated     SortField = "created_at"
)

// sortColumn maps a sort field to its indexed column; the column names come from this
// fixed table, never from input.
var sortColumn = map[SortField]string{
	SortDisplayName: "sort_name",
	SortUsername:    "username_key",
	SortCreated:     "created_at",
}

// UserQuery selects a page of users.
type UserQuery struct {
	Q       string    // case-insensitive substring of display name, username or contact email
	Sort    SortField // default display_name
	Desc    bool
	Limit   int // 1..200, default 50
	Cursor  string
	Deleted bool // list deleted users instead of active ones
	// Filter narrows the list: "" (everyone) or one of UserFilters.
	Filter string
}

// User list filters.
const (
	FilterBlocked = "blocked" // users who may not sign in
	FilterAdmins  = "admins"  // users holding an organization admin role
	FilterGuests  = "guests"  // guest accounts of people of other organizations
	FilterMembers = "members" // the organization's own people (not guests)
)

// userFilters maps each list filter to its condition on users of the organization in $1.
// Modules that keep data about users add theirs with RegisterUserFilter.
var userFilters = map[string]string{
	FilterBlocked: "blocked = TRUE",
	FilterAdmins:  "id IN (SELECT user_id FROM role_assignments WHERE org_id = $1 AND scope_kind = 'org' AND scope_id = $1)",
	FilterGuests:  "home_user_id IS NOT NULL",
	FilterMembers: "home_user_id IS NULL",
}

// RegisterUserFilter adds a user list filter named name, at init: condition is SQL on the
// users table for the organization in $1, owned by the module that registers it (which
// alone knows its own tables), for example "id IN (SELECT user_id FROM … WHERE org_id = $1)".
func RegisterUserFilter(name, condition string) {
	if _, dup := userFilters[name]; dup {
		panic("directory: user filter " + name + " registered twice")
	}
	userFilters[name] = condition
}

// UserFilters returns the names of the user list filters, sorted.
func UserFilters() []string {
	names := make([]string, 0, len(userFilters))
	for n := range userFilters {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// filterSQL returns the condition of filter on users of the organization in $1.
func filterSQL(filter string) (string, error) {
	if filter == "" {
		return "", nil
	}
	if cond, ok := userFilters[filter]; ok {
		return " AND " + cond, nil
	}
	names := UserFilters()
	return "", atrium.FieldErrorf("filter", "err.one_of", "must be one of {{.Values}}", "Values", strings.Join(names, ", "))
}

// UserPage is one page of users.
type UserPage struct {
	Items      []User `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// MaxQueryLength bounds the search text.
const MaxQueryLength = 256

// listUsers runs the keyset-paginated list query for org. A search (uq.Q) is planned in
// user_search.go: the trigram index narrows rare fragments, the sort index serves common
// ones; either way the result is that of searchCondition (a word start for one or two
// letters, search LIKE '%q%' otherwise).
func listUsers(ctx context.Context, db *store.DB, org atrium.OrgID, uq UserQuery) (UserPage, error) {
	return listUsersBounded(ctx, db, org, uq, searchCandidateLimit)
}

// listUsersBounded is listUsers with the candidate bound as a parameter, so tests can
// drive both search plans with a few thousand users.
func listUsersBounded(ctx context.Context, db *store.DB, org atrium.OrgID, uq UserQuery, bound int) (UserPage, error) {
	if uq.Sort == "" {
		uq.Sort = SortDisplayName
		if uq.Deleted {
			uq.Sort = "deleted_at"
		}
	}
	col, ok := sortColumn[uq.Sort]
	if uq.Sort == "deleted_at" {
		col, ok = "deleted_at", true
	}
	if !ok {
		return UserPage{}, atrium.FieldError("sort", "must be one of display_name, username, created_at")
	}
	if len(uq.Q) > MaxQueryLength {
		return UserPage{}, atrium.FieldError("q", "must be at most 256 characters")
	}
	limit := clampLimit(uq.Limit)
	args := []any{string(org)}
	orgCond := "org_id = $1"
	where := " AND deleted_at IS NULL"
	if uq.Deleted {
		where = " AND deleted_at IS NOT NULL"
	}
	filter, err := filterSQL(uq.Filter)
	if err != nil {
		return UserPage{}, err
	}
	where += filter
	if uq.Cursor != "" {
		var id string
		var key any
		if col == "created_at" || col == "deleted_at" {
			var n int64
			if !store.DecodeCursor(uq.Cursor, &n, &id) {
				return UserPage{}, atrium.FieldError("cursor", "is not a cursor this list gave out")
			}
			key = n
		} else {
			var s string
			if !store.DecodeCursor(uq.Cursor, &s, &id) {
				return UserPage{}, atrium.FieldError("cursor", "is not a cursor this list gave out")
			}
			key = s
		}
		cmp := ">"
		if uq.Desc {
			cmp = "<"
		}
		args = append(args, key, id)
		where += fmt.Sprintf(" AND (%s, id) %s ($%d, $%d)", col, cmp, len(args)-1, len(args))
	}
	dir := "ASC"
	if uq.Desc {
		dir = "DESC"
	}
	order := fmt.Sprintf(`ORDER BY %s %s, id %s`, col, dir, dir)
	var idQuery string // the query of the page's IDs
	q := SearchFragment(uq.Q)
	switch {
	case q != "" && isPrefixFragment(q) && col == "sort_name" && !uq.Deleted:
		if idQuery, args, err = nameStartIDs(ctx, db, org, q, where, args, order, limit+1, bound); err != nil {
			return UserPage{}, err
		}
	default:
		if q != "" {
			cond, condArgs := searchCondition(db.Dialect, org, q, len(args)+1)
			args = append(args, condArgs...)
			where += " AND " + cond
			if useTrigramCandidates(db.Dialect, q) {
				rowids, n, complete, err := searchCandidates(ctx, db, searchMatchQuery(string(org), q), bound)
				if err != nil {
					return UserPage{}, err
				}
				if complete {
					if n == 0 {
						return UserPage{Items: []User{}}, nil
					}
					args = append(args, rowids)
					// The unary + keeps SQLite from walking the organization's sort index
					// and testing each row against the candidates; it looks the
					// candidates up by rowid and sorts them instead.
					orgCond = "+org_id = $1"
					where += fmt.Sprintf(" AND rowid IN (SELECT value FROM json_each($%d))", len(args))
				}
			}
		}
		args = append(args, limit+1)
		idQuery = `SELECT id FROM users WHERE ` + orgCond + where + ` ` + order + fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	// The page's keys come first, from the index alone where it covers the filter (see
	// users_org_name_search); only the page's rows are read from the table.
	query := `SELECT ` + userColumns + `, ` + col + ` FROM users WHERE id IN (` + idQuery + `) ` + order
	rows, err := db.Read().QueryContext(ctx, query, db.OneShot(args...)...)
	if err != nil {
		return UserPage{}, store.Translate(err)
	}
	defer rows.Close()
	page := UserPage{Items: make([]User, 0, limit+1)}
	keys := make([]any, 0, limit+1)
	for rows.Next() {
		var u User
		var created, updated int64
		var signIn, activity, deleted *int64
		var key any
		if err := rows.Scan(&u.ID, &u.Org, &u.Username, &u.DisplayName, &u.FirstName, &u.LastName, &u.ContactEmail, &u.JobTitle,
			&u.Department, &u.UsageLocation, &u.Blocked, &u.MustChangePassword, &created, &updated, &signIn, &activity, &deleted, &u.Version, &u.Language,
			&u.HomeUser, &u.HomeOrg, &u.HomeOrgName, &key); err != nil {
			return UserPage{}, store.Translate(err)
		}
		u.Guest = u.HomeUser != ""
		u.CreatedAt, u.UpdatedAt = store.Time(created), store.Time(updated)
		u.LastSignInAt, u.LastActivityAt, u.DeletedAt = timePtr(signIn), timePtr(activity), timePtr(deleted)
		if b, ok := key.([]byte); ok {
			key = string(b)
		}
		keys = append(keys, key)
		page.Items = append(page.Items, u)
	}
	if err := rows.Err(); err != nil {
		return UserPage{}, store.Translate(err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = store.EncodeCursor(keys[limit-1], string(page.Items[limit-1].ID))
	}
	// The page's admin roles, in one query.
	ids := make([]atrium.UserID, len(page.Items))
	for i := range page.Items {
		ids[i] = page.Items[i].ID
	}
	roles, err := access.OrgRolesOfUsers(ctx, db.Read(), org, ids)
	if err != nil {
		return UserPage{}, store.Translate(err)
	}
	for i := range page.Items {
		page.Items[i].Roles = roles[page.Items[i].ID]
	}
	return page, nil
}
