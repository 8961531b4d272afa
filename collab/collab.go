// Package collab is the collaboration module: the operator's programs and their
// engagements, in which people of many organizations take part. It keeps who is in
// which of the six groups of an engagement or program (collab_members), the terms of
// use and their acceptance, joining and access requests, membership management
// (add, remove, export, copy), and each person's last access.
//
// The groups are roles of the one permission table (access), held at an engagement's
// or a program's scope: Service.as adds the caller's to the principal for one decision
// and access.Can decides. A program's grant covers its engagements, because an
// engagement's resource names both scopes; a Power User acts only on users of their own
// organization, because the role is SameOrgOnly and every decision on a user names the
// user's organization as its target.
package collab

import (
	"context"
	"embed"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the collab module's schema changes.
var Migrations = store.LoadMigrations("collab", migrationFS, "migrations")

// Users is what the module needs from the directory: the cards of users of any
// organization (an engagement spans them), searches for the add dialog, and an
// organization's facts.
type Users interface {
	CardsAnywhere(ctx context.Context, q store.Querier, ids []atrium.UserID) ([]directory.OrgCard, error)
	FindCards(ctx context.Context, org atrium.OrgID, fragment string, limit int) ([]directory.OrgCard, error)
	FindCardsAnywhere(ctx context.Context, fragment string, limit int) ([]directory.OrgCard, error)
	Facts(ctx context.Context, q store.Querier, org atrium.OrgID) (directory.OrgFacts, error)
}

// Mailer queues mail in the transaction of the change that sends it.
type Mailer interface {
	Enqueue(ctx context.Context, tx *store.Tx, m mail.Message) error
	EnqueueEach(ctx context.Context, tx *store.Tx, org atrium.OrgID, template string, data map[string]any, to []mail.Recipient) error
}

// Config is the module's configuration.
type Config struct {
	// PublicURL is the console's base URL, for links in mail.
	PublicURL string
	// MaxFile is the size limit of one file of a content package, in bytes;
	// DefaultMaxFile when 0.
	MaxFile int64
}

// RequestLifetime is how long an access request waits for a decision before it expires.
const RequestLifetime = 30 * 24 * time.Hour

// AccessInterval is how often a membership's last access is written at most.
const AccessInterval = time.Hour

// JobExpireRequests expires access requests pending for longer than RequestLifetime.
const JobExpireRequests jobs.Kind = "collab.expire_requests"

// Service is the collab module.
type Service struct {
	db    *store.DB
	clock atrium.Clock
	queue *jobs.Queue
	bus   *events.Bus
	users Users
	mail  Mailer
	cfg   Config
}

// New returns the collab service, registers its jobs and subscribes it to the events
// whose rules it keeps (user changes and purges, organization purges).
func New(db *store.DB, clock atrium.Clock, queue *jobs.Queue, bus *events.Bus, users Users, mailer Mailer, cfg Config) *Service {
	s := &Service{db: db, clock: clock, queue: queue, bus: bus, users: users, mail: mailer, cfg: cfg}
	queue.Register(JobExpireRequests, s.expireRequests, jobs.Options{Timeout: 10 * time.Minute})
	queue.Every(JobExpireRequests, time.Hour)
	queue.Register(JobSweepInactive, s.sweepJob, jobs.Options{Timeout: 30 * time.Minute})
	queue.Every(JobSweepInactive, day)
	declare(bus)
	s.subscribe(bus)
	declareFeedback(bus)
	s.subscribeFeedback(bus)
	return s
}

// The page sizes of the lists.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// ListQuery asks for one page of a list.
type ListQuery struct {
	// Q is a fragment of the name or description (of the display name, username or
	// email for members); case and accents are ignored.
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

type scanner interface {
	Scan(dest ...any) error
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func sortKey(lang, name string) string {
	l, _ := i18n.Parse(lang)
	return i18n.SortKey(l, name)
}

// link is the console address of path.
func (s *Service) link(path string) string { return strings.TrimSuffix(s.cfg.PublicURL, "/") + path }

func etag(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

var errStale = atrium.Errorf(atrium.CodePreconditionFailed, "it was changed by someone else; reload it and try again")

// forUpdate locks the row read on PostgreSQL (SQLite has one writer).
func forUpdate(q store.Querier) string {
	if tx, ok := q.(*store.Tx); ok && tx.Dialect == store.Postgres {
		return ` FOR UPDATE`
	}
	return ""
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func fold(s string) string { return i18n.Fold(strings.TrimSpace(s)) }

// matchFragment adds to cond and args the match of q, case and accents folded, as a
// fragment of column (a folded search column), and returns the folded fragment ("" for
// none). A fragment longer than 256 characters is invalid, naming q.
func matchFragment(column, q, cond string, args []any) (string, []any, string, error) {
	f := fold(q)
	if f == "" {
		return cond, args, "", nil
	}
	if utf8.RuneCountInString(f) > 256 {
		return cond, args, "", atrium.FieldError("q", "must be at most 256 characters")
	}
	args = append(args, "%"+store.EscapeLike(f)+"%")
	return cond + ` AND ` + column + ` LIKE $` + itoa(len(args)) + ` ESCAPE '\'`, args, f, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
