// Package directory owns organizations, their domains and users: sign-up and
// provisioning, the user list and its search, user changes, soft delete with a 30-day
// restore window, admin password resets and role assignment on users.
package directory

import (
	"context"
	"embed"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the directory module's schema changes.
var Migrations = store.LoadMigrations("directory", migrationFS, "migrations")

// Job kinds of the directory module.
const (
	JobProvisionOrg jobs.Kind = "directory.provision_org"
	JobPurgeUsers   jobs.Kind = "directory.purge_users"
)

// RestoreWindow is how long a deleted user can be restored before the purge job
// removes them for good.
const RestoreWindow = 30 * 24 * time.Hour

// Mailer queues mail in the caller's transaction.
type Mailer interface {
	Enqueue(ctx context.Context, tx *store.Tx, m mail.Message) error
}

// SessionRevoker ends a user's sessions in the caller's transaction; the auth module
// implements it. Password resets, blocks and deletes call it.
type SessionRevoker interface {
	RevokeUserSessions(ctx context.Context, tx *store.Tx, user atrium.UserID) error
}

// OrgHook lets another module take part in sign-up: licensing validates the chosen
// add-ons and starts the trial when the organization becomes active.
type OrgHook interface {
	// ValidateSignup checks the sign-up input beyond what the directory knows.
	ValidateSignup(ctx context.Context, in SignupInput) error
	// OrgActivated runs in the provisioning transaction, once, when org becomes active.
	OrgActivated(ctx context.Context, tx *store.Tx, org *Organization, admin *User, addons []string) error
}

// UserHook lets another module act when a user is deleted or restored, in the same
// transaction: licensing frees the user's seats and gives them back on restore.
type UserHook interface {
	UserDeleted(ctx context.Context, tx *store.Tx, u *User) error
	// UserRestored returns notices about what it could not give back.
	UserRestored(ctx context.Context, tx *store.Tx, u *User) ([]string, error)
}

// Config is the directory's configuration.
type Config struct {
	// BaseDomain gives new organizations their initial domain <prefix>.<BaseDomain>.
	BaseDomain string
	// PublicURL is where people reach the console, for links in mail.
	PublicURL string
}

// Service is the directory module.
type Service struct {
	db        *store.DB
	clock     atrium.Clock
	queue     *jobs.Queue
	mailer    Mailer
	sessions  SessionRevoker
	hooks     []OrgHook
	userHooks []UserHook
	cfg       Config
}

// New returns the directory service and registers its jobs with queue. sessions may be
// set later with SetSessionRevoker, since the auth module is built on top of this one.
func New(db *store.DB, clock atrium.Clock, queue *jobs.Queue, mailer Mailer, cfg Config) *Service {
	s := &Service{db: db, clock: clock, queue: queue, mailer: mailer, cfg: cfg}
	queue.Register(JobProvisionOrg, s.provisionOrg, jobs.Options{})
	queue.Register(JobPurgeUsers, s.purgeUsers, jobs.Options{Timeout: 10 * time.Minute})
	queue.Every(JobPurgeUsers, time.Hour)
	return s
}

// AddOrgHook registers h; call it while wiring, before serving.
func (s *Service) AddOrgHook(h OrgHook) { s.hooks = append(s.hooks, h) }

// AddUserHook registers h; call it while wiring, before serving.
func (s *Service) AddUserHook(h UserHook) { s.userHooks = append(s.userHooks, h) }

// SetSessionRevoker wires the auth module in.
func (s *Service) SetSessionRevoker(r SessionRevoker) { s.sessions = r }

// BaseDomain returns the domain under which organizations get their initial domain.
func (s *Service) BaseDomain() string { return s.cfg.BaseDomain }

func (s *Service) revokeSessions(ctx context.Context, tx *store.Tx, user atrium.UserID) error {
	if s.sessions == nil {
		return nil
	}
	return s.sessions.RevokeUserSessions(ctx, tx, user)
}

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
