// Package directory owns organizations, their domains and users: sign-up and
// provisioning, the user list and its search, user changes, soft delete with a 30-day
// restore window, admin password resets and role assignment on users.
package directory

import (
	"context"
	"embed"
	"slices"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/password"
	"github.com/atrium-admin/atrium/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the directory module's schema changes: its SQL files and the data
// migrations written in Go, in version order.
var Migrations = func() []store.Migration {
	ms := append(store.LoadMigrations("directory", migrationFS, "migrations"),
		store.Migration{Module: "directory", Version: 8, Name: "fold_search", Go: foldSearch},
		store.Migration{Module: "directory", Version: 10, Name: "sort_keys", Go: sortKeys})
	slices.SortFunc(ms, func(a, b store.Migration) int { return a.Version - b.Version })
	return ms
}()

// Job kinds of the directory module.
const (
	JobProvisionOrg jobs.Kind = "directory.provision_org"
	JobPurgeUsers   jobs.Kind = "directory.purge_users"
	JobPurgeOrgs    jobs.Kind = "directory.purge_orgs"
)

// RestoreWindow is how long a deleted user can be restored before the purge job
// removes them for good.
const RestoreWindow = 30 * 24 * time.Hour

// Mailer queues mail in the caller's transaction.
type Mailer interface {
	Enqueue(ctx context.Context, tx *store.Tx, m mail.Message) error
}

// Config is the directory's configuration.
type Config struct {
	// BaseDomain gives new organizations their initial domain <prefix>.<BaseDomain>.
	BaseDomain string
	// PublicURL is where people reach the console, for links in mail.
	PublicURL string
	// Passwords hashes and verifies passwords; nil means a shared hasher with
	// password.Default parameters.
	Passwords *password.Hasher
}

// Service is the directory module.
type Service struct {
	db     *store.DB
	clock  atrium.Clock
	queue  *jobs.Queue
	mailer Mailer
	events *events.Bus
	cfg    Config
}

// New returns the directory service and registers its jobs with queue. Its changes are
// published on bus (see events.go) for the modules that keep data about users and
// organizations.
func New(db *store.DB, clock atrium.Clock, queue *jobs.Queue, bus *events.Bus, mailer Mailer, cfg Config) *Service {
	s := &Service{db: db, clock: clock, queue: queue, events: bus, mailer: mailer, cfg: cfg}
	declareEvents(bus)
	queue.Register(JobProvisionOrg, s.provisionOrg, jobs.Options{})
	queue.Register(JobPurgeUsers, s.purgeUsers, jobs.Options{Timeout: 10 * time.Minute})
	queue.Every(JobPurgeUsers, time.Hour)
	queue.Register(JobPurgeOrgs, s.purgeOrgs, jobs.Options{Timeout: 30 * time.Minute})
	queue.Every(JobPurgeOrgs, time.Hour)
	return s
}

// BaseDomain returns the domain under which organizations get their initial domain.
func (s *Service) BaseDomain() string { return s.cfg.BaseDomain }

// lockOrg serializes changes to one organization's admins on PostgreSQL (SQLite has a
// single writer already), so two concurrent demotions cannot remove the last two
// Global administrators.
func lockOrg(ctx context.Context, tx *store.Tx, org atrium.OrgID) error {
	if tx.Dialect != store.Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT id FROM organizations WHERE id = $1 FOR UPDATE`, string(org))
	return err
}
