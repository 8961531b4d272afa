// Package servicehealth is the service health module: Atrium's own services and the
// incidents and advisories the operator publishes on them, each with a timeline of
// posts. An organization sees the issues that target it (every organization, in this
// version): the services with their current status, the active issues, and the history
// of the last HistoryDays days.
//
// A service's status is derived, never stored: the worst status of its active issues,
// operational when it has none.
package servicehealth

import (
	"embed"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the servicehealth module's schema changes.
var Migrations = store.LoadMigrations("servicehealth", migrationFS, "migrations")

// Service is the servicehealth module.
type Service struct {
	db    *store.DB
	clock atrium.Clock
	bus   *events.Bus
}

// New returns the servicehealth service and declares its events.
func New(db *store.DB, clock atrium.Clock, bus *events.Bus) *Service {
	declare(bus)
	return &Service{db: db, clock: clock, bus: bus}
}

// The page sizes of the history.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// ListQuery asks for one page of the history.
type ListQuery struct {
	// Q is a fragment of the title; case and accents are ignored.
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

func etag(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

func fold(s string) string { return i18n.Fold(strings.TrimSpace(s)) }

// forUpdate locks the row read on PostgreSQL (SQLite has one writer).
func forUpdate(q store.Querier) string {
	if tx, ok := q.(*store.Tx); ok && tx.Dialect == store.Postgres {
		return ` FOR UPDATE`
	}
	return ""
}
