// Package licensing sells and hands out seats: the product catalog with its service
// plans and add-ons, orders and subscriptions, per-product seat pools that are never
// oversold, and per-user license assignments.
package licensing

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"sort"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
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
	db     *store.DB
	clock  atrium.Clock
	dir    *directory.Service
	events *events.Bus
	mailer directory.Mailer
}

// New returns the licensing service, registers its jobs and subscribes it to the
// directory's events; mailer sends the low-seat warnings and the warnings before a
// subscription ends.
func New(db *store.DB, clock atrium.Clock, dir *directory.Service, queue *jobs.Queue, bus *events.Bus, mailer directory.Mailer) *Service {
	s := &Service{db: db, clock: clock, dir: dir, events: bus, mailer: mailer}
	s.subscribe(bus)
	events.Declare[LicenseAssigned](bus, "A user got a product license.")
	events.Declare[LicenseRemoved](bus, "A user lost a product license.")
	events.Declare[SubscriptionCreated](bus, "The organization ordered a product or started a trial.")
	events.Declare[SubscriptionChanged](bus, "A subscription's seats, trial, period, partner or state changed.")
	events.Declare[SubscriptionCancelled](bus, "A subscription was cancelled; it ends at the end of its period.")
	events.Declare[InvoiceIssued](bus, "An invoice was issued to the organization.")
	events.Declare[SeatsLow](bus, "An assignment left 10 % or fewer of a product's seats free.")
	queue.Register(JobExpireSubscriptions, s.expireSubscriptions, jobs.Options{Timeout: 10 * time.Minute})
	queue.Every(JobExpireSubscriptions, time.Hour)
	queue.Register(JobIssueInvoices, s.issueInvoices, jobs.Options{Timeout: 10 * time.Minute})
	queue.Every(JobIssueInvoices, time.Hour)
	queue.Register(JobWarnEnding, s.warnEnding, jobs.Options{Timeout: 10 * time.Minute})
	queue.Every(JobWarnEnding, time.Hour)
	return s
}

func (s *Service) now() time.Time { return s.clock.Now() }

// RequireApp returns license_required unless p's user holds a license to a product that
// gives access to app, with a service plan for the app enabled when the product has
// plans. API tokens act for the organization and pass when it has any seat of such a
// product. App modules call it at the top of every operation, so API and console are
// gated alike.
func (s *Service) RequireApp(ctx context.Context, p *access.Principal, app string) error {
	ok, err := s.HasApp(ctx, p, app)
	if err != nil {
		return err
	}
	if !ok {
		return &atrium.Error{Code: atrium.CodeLicenseRequired, Message: "you need a license that includes " + app + "; ask your administrator",
			ID: "err.licensing.license_required", Args: []any{"App", app}}
	}
	return nil
}

// HasApp reports whether p may use app (see RequireApp).
func (s *Service) HasApp(ctx context.Context, p *access.Principal, app string) (bool, error) {
	apps, err := s.Apps(ctx, p)
	if err != nil {
		return false, err
	}
	for _, a := range apps {
		if a == app {
			return true, nil
		}
	}
	return false, nil
}

// Apps returns the apps p is licensed for, sorted: for a user, those of their licenses;
// for an API token, those of every product the organization has seats of.
func (s *Service) Apps(ctx context.Context, p *access.Principal) ([]string, error) {
	var rows *sql.Rows
	var err error
	if p.UserID != "" {
		rows, err = s.db.Read().QueryContext(ctx, `SELECT pr.apps, la.disabled_plans, (SELECT count(*) FROM service_plans sp WHERE sp.product_id = pr.id)
			FROM license_assignments la JOIN products pr ON pr.id = la.product_id
			WHERE la.user_id = $1 AND la.org_id = $2`, string(p.UserID), string(p.Org))
	} else {
		rows, err = s.db.Read().QueryContext(ctx, `SELECT pr.apps, '[]', 0 FROM products pr
			WHERE EXISTS (SELECT 1 FROM seat_stripes ss WHERE ss.org_id = $1 AND ss.product_id = pr.id AND ss.capacity > 0)`, string(p.Org))
	}
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	set := map[string]bool{}
	for rows.Next() {
		var raw, disabledRaw string
		var plans int
		if err := rows.Scan(&raw, &disabledRaw, &plans); err != nil {
			return nil, store.Translate(err)
		}
		var list, disabled []string
		_ = json.Unmarshal([]byte(raw), &list)
		_ = json.Unmarshal([]byte(disabledRaw), &disabled)
		if plans > 0 && len(disabled) >= plans {
			continue // every service plan is turned off: the license gives no app
		}
		for _, a := range list {
			set[a] = true
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out, store.Translate(rows.Err())
}
