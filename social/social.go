// Package social is the Social Engagement app. So far it holds the per-user app data
// that licensing rules act on: custom settings, alerts, streams (owned or shared) and
// search topics. Every operation needs a license that gives the "social" app.
package social

import (
	"context"
	"embed"
	"strconv"
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

func (s *Service) gate(ctx context.Context, p *access.Principal) error {
	if p.UserID == "" {
		return atrium.Errorf(atrium.CodeForbidden, "social data belongs to users; sign in as one")
	}
	return s.licenses.RequireApp(ctx, p, App)
}

func checkName(p atrium.Problems, field, v string, max int) {
	if n := utf8.RuneCountInString(strings.TrimSpace(v)); n == 0 || n > max {
		p.Add(field, "is required, at most "+strconv.Itoa(max)+" characters")
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
		now := s.clock.Now()
		_, err := tx.ExecContext(ctx, `INSERT INTO social_settings (id, org_id, user_id, name, value, created_at) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value`, newID(), string(p.Org), string(p.UserID), strings.TrimSpace(in.Name), in.Value, store.Micros(now))
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, audit.Entry{Org: p.Org, Action: "social.setting.put", TargetType: "user", TargetID: string(p.UserID),
			TargetName: p.Name, After: map[string]any{"name": in.Name}})
	})
}

// Settings lists the caller's settings.
func (s *Service) Settings(ctx context.Context, p *access.Principal) ([]Setting, error) {
	if err := s.gate(ctx, p); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT name, value FROM social_settings WHERE user_id = $1 AND org_id = $2 ORDER BY name LIMIT 500`,
		string(p.UserID), string(p.Org))
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	out := []Setting{}
	for rows.Next() {
		var st Setting
		if err := rows.Scan(&st.Name, &st.Value); err != nil {
			return nil, store.Translate(err)
		}
		out = append(out, st)
	}
	return out, store.Translate(rows.Err())
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

// Alerts lists the caller's alerts.
func (s *Service) Alerts(ctx context.Context, p *access.Principal) ([]Alert, error) {
	if err := s.gate(ctx, p); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, name, query, created_at FROM social_alerts WHERE user_id = $1 AND org_id = $2
		ORDER BY created_at, id LIMIT 500`, string(p.UserID), string(p.Org))
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	out := []Alert{}
	for rows.Next() {
		var a Alert
		var created int64
		if err := rows.Scan(&a.ID, &a.Name, &a.Query, &created); err != nil {
			return nil, store.Translate(err)
		}
		a.CreatedAt = store.Time(created)
		out = append(out, a)
	}
	return out, store.Translate(rows.Err())
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

// Streams lists the streams the caller owns or that are shared with them.
func (s *Service) Streams(ctx context.Context, p *access.Principal) ([]Stream, error) {
	if err := s.gate(ctx, p); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, owner_id, name, query, created_at FROM social_streams
		WHERE org_id = $1 AND (owner_id = $2 OR id IN (SELECT stream_id FROM social_stream_shares WHERE user_id = $2))
		ORDER BY created_at, id LIMIT 500`, string(p.Org), string(p.UserID))
	if err != nil {
		return nil, store.Translate(err)
	}
	var out []Stream
	for rows.Next() {
		var st Stream
		var created int64
		if err := rows.Scan(&st.ID, &st.OwnerID, &st.Name, &st.Query, &created); err != nil {
			rows.Close()
			return nil, store.Translate(err)
		}
		st.CreatedAt = store.Time(created)
		out = append(out, st)
	}
	rows.Close()
	for i := range out {
		out[i].SharedWith = []atrium.UserID{}
		srows, err := s.db.Read().QueryContext(ctx, `SELECT user_id FROM social_stream_shares WHERE stream_id = $1 ORDER BY user_id`, out[i].ID)
		if err != nil {
			return nil, store.Translate(err)
		}
		for srows.Next() {
			var u string
			srows.Scan(&u)
			out[i].SharedWith = append(out[i].SharedWith, atrium.UserID(u))
		}
		srows.Close()
	}
	if out == nil {
		out = []Stream{}
	}
	return out, nil
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

// Topics lists the organization's search topics.
func (s *Service) Topics(ctx context.Context, p *access.Principal) ([]SearchTopic, error) {
	if err := s.gate(ctx, p); err != nil {
		return nil, err
	}
	return s.topics(ctx, p.Org)
}

func (s *Service) topics(ctx context.Context, org atrium.OrgID) ([]SearchTopic, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, owner_id, owner_removed, name, keywords, created_at FROM social_search_topics
		WHERE org_id = $1 ORDER BY created_at, id LIMIT 500`, string(org))
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	out := []SearchTopic{}
	for rows.Next() {
		var t SearchTopic
		var created int64
		if err := rows.Scan(&t.ID, &t.OwnerID, &t.OwnerRemoved, &t.Name, &t.Keywords, &created); err != nil {
			return nil, store.Translate(err)
		}
		t.CreatedAt = store.Time(created)
		out = append(out, t)
	}
	return out, store.Translate(rows.Err())
}

// ReassignTopic gives a search topic to another user of the organization; administrators
// use it for topics whose owner lost their license.
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
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE social_search_topics SET owner_id = $1, owner_removed = FALSE WHERE id = $2 AND org_id = $3`,
			string(owner), id, string(p.Org))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return atrium.Errorf(atrium.CodeNotFound, "search topic not found")
		}
		return audit.Record(ctx, tx, s.clock.Now(), audit.Entry{Org: p.Org, Action: "social.topic.reassign", TargetType: "social_topic", TargetID: id,
			After: map[string]any{"owner_id": owner}})
	})
	if err != nil {
		return nil, err
	}
	list, err := s.topics(ctx, p.Org)
	if err != nil {
		return nil, err
	}
	for _, t := range list {
		if t.ID == id {
			return &t, nil
		}
	}
	return nil, atrium.Errorf(atrium.CodeNotFound, "search topic not found")
}
