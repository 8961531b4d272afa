// Package groups is the groups module: public and private groups of an organization,
// their owners and members, requests to join, conversations and group mail.
//
// A group's members are the module's own data (group_members). The roles they give —
// group_owner, group_member and, for everyone in the organization on a public group,
// group_reader — are rows of the one permission table (access) held at the group's
// scope: Service.as adds them to the principal for one decision, and access.Can decides.
package groups

import (
	"context"
	"embed"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the groups module's schema changes.
var Migrations = store.LoadMigrations("groups", migrationFS, "migrations")

// Users is what the module needs from the directory: the cards of the users it adds,
// by id or username, and the organization's language and default domain.
type Users interface {
	Cards(ctx context.Context, q store.Querier, org atrium.OrgID, ids []atrium.UserID) ([]directory.Card, error)
	CardsByUsername(ctx context.Context, q store.Querier, org atrium.OrgID, usernames []string) ([]directory.Card, error)
	Facts(ctx context.Context, q store.Querier, org atrium.OrgID) (directory.OrgFacts, error)
}

// Mailer queues mail in the transaction of the change that sends it: one message, or
// one to each of many recipients (a post's followers).
type Mailer interface {
	Enqueue(ctx context.Context, tx *store.Tx, m mail.Message) error
	EnqueueEach(ctx context.Context, tx *store.Tx, org atrium.OrgID, template string, data map[string]any, to []mail.Recipient) error
}

// Config is the module's configuration.
type Config struct {
	// PublicURL is the console's base URL, for links in mail.
	PublicURL string
	// MaxAttachment is the largest attachment a post may carry, in bytes.
	MaxAttachment int64
}

// DefaultMaxAttachment is Config.MaxAttachment when it is not set: 10 MiB.
const DefaultMaxAttachment = 10 << 20

// RestoreWindow is how long a deleted group can be restored, with its members and
// conversations, before the purge job removes it.
const RestoreWindow = 30 * 24 * time.Hour

// JobPurge removes groups deleted more than RestoreWindow ago.
const JobPurge jobs.Kind = "groups.purge"

// Service is the groups module.
type Service struct {
	db    *store.DB
	clock atrium.Clock
	queue *jobs.Queue
	bus   *events.Bus
	users Users
	mail  Mailer
	cfg   Config
}

// New returns the groups service, registers its jobs and subscribes it to the events
// whose rules it keeps (user changes and purges, organization purges).
func New(db *store.DB, clock atrium.Clock, queue *jobs.Queue, bus *events.Bus, users Users, mailer Mailer, cfg Config) *Service {
	if cfg.MaxAttachment <= 0 {
		cfg.MaxAttachment = DefaultMaxAttachment
	}
	s := &Service{db: db, clock: clock, queue: queue, bus: bus, users: users, mail: mailer, cfg: cfg}
	queue.Register(JobPurge, s.purge, jobs.Options{Timeout: 10 * time.Minute})
	queue.Every(JobPurge, time.Hour)
	s.registerConversations()
	declare(bus)
	s.subscribe(bus)
	return s
}
