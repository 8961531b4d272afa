// Package social is the Social Engagement app. So far it holds the per-user app data
// that licensing rules act on: custom settings, alerts, streams (owned or shared) and
// search topics. Every operation needs a license that gives the "social" app.
package social

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the social module's schema changes.
var Migrations = store.LoadMigrations("social", migrationFS, "migrations")

// App is the app name products give access to.
const App = "social"

// Licenses is what the module needs from licensing: the app gate.
type Licenses interface {
	RequireApp(ctx context.Context, p *access.Principal, app string) error
}

// Users checks that a user belongs to an organization (for sharing and reassigning).
type Users interface {
	UserExists(ctx context.Context, org atrium.OrgID, id atrium.UserID) (bool, error)
}

// Service is the social module.
type Service struct {
	db       *store.DB
	clock    atrium.Clock
	licenses Licenses
	users    Users
}

// New returns the social service and subscribes it to the events whose rules it keeps
// (license removal, user purge).
func New(db *store.DB, clock atrium.Clock, bus *events.Bus, licenses Licenses, users Users) *Service {
	s := &Service{db: db, clock: clock, licenses: licenses, users: users}
	s.subscribe(bus)
	return s
}

// Setting is a user's custom setting in the app.
type Setting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Alert notifies a user about matching posts.
type Alert struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Query     string    `json:"query"`
	CreatedAt time.Time `json:"created_at"`
}

// Stream is a saved view of posts, owned by one user and possibly shared with others.
type Stream struct {
	ID         string          `json:"id"`
	OwnerID    atrium.UserID   `json:"owner_id"`
	Name       string          `json:"name"`
	Query      string          `json:"query"`
	SharedWith []atrium.UserID `json:"shared_with"`
	CreatedAt  time.Time       `json:"created_at"`
}

// SearchTopic is an organization-wide listening topic. It outlives its owner's license:
// then it shows as owned by a removed user until an admin reassigns it.
type SearchTopic struct {
	ID           string        `json:"id"`
	OwnerID      atrium.UserID `json:"owner_id"`
	OwnerRemoved bool          `json:"owner_removed"`
	Name         string        `json:"name"`
	Keywords     string        `json:"keywords"`
	CreatedAt    time.Time     `json:"created_at"`
}

// The page sizes of the lists.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// ListQuery asks for one page of a list.
type ListQuery struct {
	// Cursor is "" for the first page, or the NextCursor of the page before.
	Cursor string
	// Limit is the page size, 1 to MaxLimit; DefaultLimit when out of that range.
	Limit int
}

// size is the page size q asks for.
func (q ListQuery) size() int {
	if q.Limit <= 0 || q.Limit > MaxLimit {
		return DefaultLimit
	}
	return q.Limit
}

// Page is one page of a list, in the list's order. NextCursor asks for the page after
// it; it is "" on the last page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// The orders of the lists, each a range scan of an index that starts with the list's
// equality filter: settings by the unique key (user_id, name); alerts by
// social_alerts_user (user_id, created_at, id); owned streams by social_streams_owner
// (owner_id, created_at, id) (Streams says how shared ones are read); search topics by
// social_search_topics_org (org_id, created_at, id). A user's settings are unique by
// name, so the name alone is a key.
var (
	byName    = store.Keyset{Columns: []string{"name"}}
	byCreated = store.Keyset{Columns: []string{"created_at", "id"}}
)

// scanner is a row to scan: *sql.Rows or *sql.Row.
type scanner interface {
	Scan(dest ...any) error
}

// readPage runs pq's query and scans its rows with scan, then cuts them to the page
// size; key returns an item's sort key in stored form, for the next page's cursor.
func readPage[T any](ctx context.Context, db store.Querier, pq store.PageQuery, query string, scan func(scanner) (T, error), key func(T) []any) (Page[T], error) {
	rows, err := db.QueryContext(ctx, query, pq.Args...)
	if err != nil {
		return Page[T]{}, store.Translate(err)
	}
	defer rows.Close()
	items := []T{}
	for rows.Next() {
		it, err := scan(rows)
		if err != nil {
			return Page[T]{}, store.Translate(err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return Page[T]{}, store.Translate(err)
	}
	var page Page[T]
	page.Items, page.NextCursor = store.NextPage(pq, items, key)
	return page, nil
}

func createdKey(at time.Time, id string) []any { return []any{store.Micros(at), id} }

func (s *Service) gate(ctx context.Context, p *access.Principal) error {
	if p.UserID == "" {
		return atrium.Errorf(atrium.CodeForbidden, "social data belongs to users; sign in as one")
	}
	return s.licenses.RequireApp(ctx, p, App)
}

func checkName(p atrium.Problems, field, v string, max int) {
	if n := utf8.RuneCountInString(strings.TrimSpace(v)); n == 0 || n > max {
		p.Addf(field, "err.required_max_chars", "is required, at most {{.Count}} characters", "Count", max)
	}
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// PutSetting sets one of the caller's settings.
func (s *Service) PutSetting(ctx context.Context, p *access.Principal, in Setting) error {
	if err := s.gate(ctx, p); err != nil {
		return err
	}
	probs := atrium.Problems{}
	checkName(probs, "name", in.Name, 64)
	if utf8.RuneCountInString(in.Value) > 4000 {
		probs.Add("value", "must be at most 4000 characters")
	}
	if err := probs.Err(); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		_, err := tx.ExecContext(ctx, `INSERT INTO social_settings (id, org_id, user_id, name, value, created_at) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value`, newID(), string(p.Org), string(p.UserID), strings.TrimSpace(in.Name), in.Value, store.Micros(now))
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "social.setting.put", TargetType: "user", TargetID: string(p.UserID),
			TargetName: p.Name, After: map[string]any{"name": in.Name}})
	})
}

// Settings returns a page of the caller's settings, by name. It returns
// license_required without a license giving the app, and invalid on the field "cursor"
// for a cursor this list did not give out.
func (s *Service) Settings(ctx context.Context, p *access.Principal, q ListQuery) (Page[Setting], error) {
	if err := s.gate(ctx, p); err != nil {
		return Page[Setting]{}, err
	}
	var name string
	pq, err := byName.Page([]any{string(p.UserID), string(p.Org)}, q.Cursor, q.size(), &name)
	if err != nil {
		return Page[Setting]{}, err
	}
	return readPage(ctx, s.db.Read(), pq, `SELECT name, value FROM social_settings WHERE user_id = $1 AND org_id = $2 AND `+pq.Where+` `+pq.OrderLimit,
		func(r scanner) (Setting, error) {
			var st Setting
			err := r.Scan(&st.Name, &st.Value)
			return st, err
		},
		func(st Setting) []any { return []any{st.Name} })
}

// CreateAlert adds an alert for the caller.
func (s *Service) CreateAlert(ctx context.Context, p *access.Principal, in Alert) (*Alert, error) {
	if err := s.gate(ctx, p); err != nil {
		return nil, err
	}
	probs := atrium.Problems{}
	checkName(probs, "name", in.Name, 128)
	checkName(probs, "query", in.Query, 1000)
	if err := probs.Err(); err != nil {
		return nil, err
	}
	a := &Alert{ID: newID(), Name: strings.TrimSpace(in.Name), Query: strings.TrimSpace(in.Query), CreatedAt: s.clock.Now()}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO social_alerts (id, org_id, user_id, name, query, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			a.ID, string(p.Org), string(p.UserID), a.Name, a.Query, store.Micros(a.CreatedAt)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a.CreatedAt, audit.Entry{Org: p.Org, Action: "social.alert.create", TargetType: "social_alert", TargetID: a.ID, TargetName: a.Name})
	})
	return a, err
}

// Alerts returns a page of the caller's alerts, oldest first. It returns
// license_required without a license giving the app, and invalid on the field "cursor"
// for a cursor this list did not give out.
func (s *Service) Alerts(ctx context.Context, p *access.Principal, q ListQuery) (Page[Alert], error) {
	if err := s.gate(ctx, p); err != nil {
		return Page[Alert]{}, err
	}
	var at int64
	var id string
	pq, err := byCreated.Page([]any{string(p.UserID), string(p.Org)}, q.Cursor, q.size(), &at, &id)
	if err != nil {
		return Page[Alert]{}, err
	}
	return readPage(ctx, s.db.Read(), pq, `SELECT id, name, query, created_at FROM social_alerts WHERE user_id = $1 AND org_id = $2 AND `+pq.Where+` `+pq.OrderLimit,
		func(r scanner) (Alert, error) {
			var a Alert
			var created int64
			err := r.Scan(&a.ID, &a.Name, &a.Query, &created)
			a.CreatedAt = store.Time(created)
			return a, err
		},
		func(a Alert) []any { return createdKey(a.CreatedAt, a.ID) })
}

// CreateStream adds a stream owned by the caller, shared with users of the same
// organization.
func (s *Service) CreateStream(ctx context.Context, p *access.Principal, in Stream) (*Stream, error) {
	if err := s.gate(ctx, p); err != nil {
		return nil, err
	}
	probs := atrium.Problems{}
	checkName(probs, "name", in.Name, 128)
	checkName(probs, "query", in.Query, 1000)
	if len(in.SharedWith) > 500 {
		probs.Add("shared_with", "share with at most 500 users")
	}
	for _, u := range in.SharedWith {
		ok, err := s.users.UserExists(ctx, p.Org, u)
		if err != nil {
			return nil, err
		}
		if !ok {
			probs.Add("shared_with", "every id must be a user of your organization")
		}
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	st := &Stream{ID: newID(), OwnerID: p.UserID, Name: strings.TrimSpace(in.Name), Query: strings.TrimSpace(in.Query),
		SharedWith: []atrium.UserID{}, CreatedAt: s.clock.Now()}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO social_streams (id, org_id, owner_id, name, query, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			st.ID, string(p.Org), string(p.UserID), st.Name, st.Query, store.Micros(st.CreatedAt)); err != nil {
			return err
		}
		seen := map[atrium.UserID]bool{}
		for _, u := range in.SharedWith {
			if seen[u] || u == p.UserID {
				continue
			}
			seen[u] = true
			if _, err := tx.ExecContext(ctx, `INSERT INTO social_stream_shares (stream_id, user_id) VALUES ($1, $2)`, st.ID, string(u)); err != nil {
				return err
			}
			st.SharedWith = append(st.SharedWith, u)
		}
		return audit.Record(ctx, tx, st.CreatedAt, audit.Entry{Org: p.Org, Action: "social.stream.create", TargetType: "social_stream", TargetID: st.ID,
			TargetName: st.Name, After: map[string]any{"shared_with": len(st.SharedWith)}})
	})
	return st, err
}

// Streams returns a page of the streams the caller owns or that are shared with them,
// oldest first, each with the users it is shared with. It returns license_required
// without a license giving the app, and invalid on the field "cursor" for a cursor this
// list did not give out.
func (s *Service) Streams(ctx context.Context, p *access.Principal, q ListQuery) (Page[Stream], error) {
	if err := s.gate(ctx, p); err != nil {
		return Page[Stream]{}, err
	}
	var at int64
	var id string
	pq, err := byCreated.Page([]any{string(p.Org), string(p.UserID)}, q.Cursor, q.size(), &at, &id)
	if err != nil {
		return Page[Stream]{}, err
	}
	// Owned and shared streams are read apart, each up to a page after the cursor, and
	// merged: one condition owner_id = $2 OR id IN (shares) is a bound on no index, so
	// PostgreSQL would scan every stream of the organization for each page. The owned
	// half is a range scan of social_streams_owner; the shared half reads the user's
	// shares by social_stream_shares_user and sorts them (streams are never shared with
	// their owner, and the owner_id condition keeps the halves apart regardless).
	const columns = `id, owner_id, name, query, created_at`
	page, err := readPage(ctx, s.db.Read(), pq, `SELECT `+columns+` FROM (SELECT `+columns+` FROM social_streams
			WHERE owner_id = $2 AND org_id = $1 AND `+pq.Where+` `+pq.OrderLimit+`) AS owned
		UNION ALL
		SELECT `+columns+` FROM (SELECT `+columns+` FROM social_streams
			WHERE id IN (SELECT stream_id FROM social_stream_shares WHERE user_id = $2) AND owner_id <> $2 AND org_id = $1 AND `+pq.Where+` `+pq.OrderLimit+`) AS shared
		`+pq.OrderLimit,
		func(r scanner) (Stream, error) {
			st := Stream{SharedWith: []atrium.UserID{}}
			var created int64
			err := r.Scan(&st.ID, &st.OwnerID, &st.Name, &st.Query, &created)
			st.CreatedAt = store.Time(created)
			return st, err
		},
		func(st Stream) []any { return createdKey(st.CreatedAt, st.ID) })
	if err != nil {
		return Page[Stream]{}, err
	}
	if err := s.readShares(ctx, page.Items); err != nil {
		return Page[Stream]{}, err
	}
	return page, nil
}

// readShares fills in the users each of streams is shared with, in one query for all of
// them (a page holds at most MaxLimit streams, well under either database's limit on
// parameters).
func (s *Service) readShares(ctx context.Context, streams []Stream) error {
	if len(streams) == 0 {
		return nil
	}
	index := make(map[string]int, len(streams))
	ids := make([]string, len(streams))
	for i, st := range streams {
		index[st.ID], ids[i] = i, st.ID
	}
	args, marks := store.In(nil, ids)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT stream_id, user_id FROM social_stream_shares WHERE stream_id IN (`+marks+`)
		ORDER BY stream_id, user_id`, args...)
	if err != nil {
		return store.Translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var stream, user string
		if err := rows.Scan(&stream, &user); err != nil {
			return store.Translate(err)
		}
		if i, ok := index[stream]; ok {
			streams[i].SharedWith = append(streams[i].SharedWith, atrium.UserID(user))
		}
	}
	return store.Translate(rows.Err())
}

// CreateTopic adds an organization-wide search topic owned by the caller.
func (s *Service) CreateTopic(ctx context.Context, p *access.Principal, in SearchTopic) (*SearchTopic, error) {
	if err := s.gate(ctx, p); err != nil {
		return nil, err
	}
	probs := atrium.Problems{}
	checkName(probs, "name", in.Name, 128)
	checkName(probs, "keywords", in.Keywords, 1000)
	if err := probs.Err(); err != nil {
		return nil, err
	}
	t := &SearchTopic{ID: newID(), OwnerID: p.UserID, Name: strings.TrimSpace(in.Name), Keywords: strings.TrimSpace(in.Keywords), CreatedAt: s.clock.Now()}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO social_search_topics (id, org_id, owner_id, name, keywords, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			t.ID, string(p.Org), string(p.UserID), t.Name, t.Keywords, store.Micros(t.CreatedAt)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, t.CreatedAt, audit.Entry{Org: p.Org, Action: "social.topic.create", TargetType: "social_topic", TargetID: t.ID, TargetName: t.Name})
	})
	return t, err
}

// Topics returns a page of the organization's search topics, oldest first. It returns
// license_required without a license giving the app, and invalid on the field "cursor"
// for a cursor this list did not give out.
func (s *Service) Topics(ctx context.Context, p *access.Principal, q ListQuery) (Page[SearchTopic], error) {
	if err := s.gate(ctx, p); err != nil {
		return Page[SearchTopic]{}, err
	}
	return s.topics(ctx, p.Org, q)
}

const topicColumns = `id, owner_id, owner_removed, name, keywords, created_at`

func scanTopic(r scanner) (SearchTopic, error) {
	var t SearchTopic
	var created int64
	err := r.Scan(&t.ID, &t.OwnerID, &t.OwnerRemoved, &t.Name, &t.Keywords, &created)
	t.CreatedAt = store.Time(created)
	return t, err
}

func (s *Service) topics(ctx context.Context, org atrium.OrgID, q ListQuery) (Page[SearchTopic], error) {
	var at int64
	var id string
	pq, err := byCreated.Page([]any{string(org)}, q.Cursor, q.size(), &at, &id)
	if err != nil {
		return Page[SearchTopic]{}, err
	}
	return readPage(ctx, s.db.Read(), pq, `SELECT `+topicColumns+` FROM social_search_topics WHERE org_id = $1 AND `+pq.Where+` `+pq.OrderLimit,
		scanTopic, func(t SearchTopic) []any { return createdKey(t.CreatedAt, t.ID) })
}

// topic reads the search topic id of org with q; not_found when org has no such topic.
func topic(ctx context.Context, q store.Querier, org atrium.OrgID, id string) (*SearchTopic, error) {
	t, err := scanTopic(q.QueryRowContext(ctx, `SELECT `+topicColumns+` FROM social_search_topics WHERE id = $1 AND org_id = $2`, id, string(org)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, atrium.Errorf(atrium.CodeNotFound, "search topic not found")
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// ReassignTopic gives a search topic to another user of the organization and returns it
// as changed; administrators use it for topics whose owner lost their license. It
// returns forbidden without social.manage, invalid on the field "owner_id" when owner
// is not a user of the organization, and not_found for a topic the organization does
// not have.
func (s *Service) ReassignTopic(ctx context.Context, p *access.Principal, id string, owner atrium.UserID) (*SearchTopic, error) {
	if err := access.Require(p, Manage, access.Resource{Org: p.Org}); err != nil {
		return nil, err
	}
	ok, err := s.users.UserExists(ctx, p.Org, owner)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, atrium.FieldError("owner_id", "must be a user of your organization")
	}
	var t *SearchTopic
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE social_search_topics SET owner_id = $1, owner_removed = FALSE WHERE id = $2 AND org_id = $3`,
			string(owner), id, string(p.Org))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return atrium.Errorf(atrium.CodeNotFound, "search topic not found")
		}
		// Read the changed row itself, not a list that a page could cut short.
		if t, err = topic(ctx, tx, p.Org, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: p.Org, Action: "social.topic.reassign", TargetType: "social_topic", TargetID: id,
			After: map[string]any{"owner_id": owner}})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}
