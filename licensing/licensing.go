// Package licensing sells and hands out seats: the product catalog with its service
// plans and add-ons, orders and subscriptions, per-product seat pools that are never
// oversold, and per-user license assignments.
package licensing

import (
	"context"
	"embed"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the licensing module's schema changes; they follow the directory's.
var Migrations = store.LoadMigrations("licensing", migrationFS, "migrations")

//go:embed catalog.json
var builtinCatalog []byte

// JobExpireSubscriptions ends subscriptions whose period is over and that were cancelled
// or were trials.
const JobExpireSubscriptions jobs.Kind = "licensing.expire_subscriptions"

// Service is the licensing module.
type Service struct {
	db    *store.DB
	clock atrium.Clock
	dir   *directory.Service
}

// New returns the licensing service and registers its jobs.
func New(db *store.DB, clock atrium.Clock, dir *directory.Service, queue *jobs.Queue) *Service {
	s := &Service{db: db, clock: clock, dir: dir}
	queue.Register(JobExpireSubscriptions, s.expireSubscriptions, jobs.Options{Timeout: 10 * time.Minute})
	queue.Every(JobExpireSubscriptions, time.Hour)
	return s
}

func (s *Service) now() time.Time { return s.clock.Now() }

// orgExists is the check behind every organization-scoped operation here.
func (s *Service) org(ctx context.Context, id atrium.OrgID) (*directory.Organization, error) {
	return s.dir.Org(ctx, id)
}
