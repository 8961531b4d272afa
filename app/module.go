package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/access/roledef"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/collab"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/groups"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/secrets"
	"github.com/atrium-admin/atrium/servicehealth"
	"github.com/atrium-admin/atrium/smtp"
	"github.com/atrium-admin/atrium/social"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/web"
)

// Module is everything the wiring needs of one module: its migrations, and Wire, which
// builds the module's service on the kernel and registers its jobs (on k.Queue), its
// event subscribers (on k.Events), its API routes (k.API), its console pages with their
// navigation entries and apps (k.Pages), and provides the service to the modules after
// it (Provide). Adding a module is one entry in Modules.
type Module struct {
	Name       string
	Migrations []store.Migration
	Wire       func(ctx context.Context, k *Kernel) error
}

// Modules lists Atrium's modules once, in dependency order: a module may Need the
// services of the modules before it. The migration order, the API, the console and
// the documentation are derived from this list.
func Modules() []Module {
	return []Module{
		{Name: "jobs", Migrations: jobs.Migrations},
		{Name: "events", Migrations: events.Migrations, Wire: wireEvents},
		{Name: "audit", Migrations: audit.Migrations, Wire: wireAudit},
		{Name: "mail", Migrations: mail.Migrations, Wire: wireMail},
		{Name: "directory", Migrations: directory.Migrations, Wire: wireDirectory},
		{Name: "access", Migrations: access.Migrations, Wire: wireAccess},
		{Name: "auth", Migrations: auth.Migrations, Wire: wireAuth},
		{Name: "licensing", Migrations: licensing.Migrations, Wire: wireLicensing},
		{Name: "social", Migrations: social.Migrations, Wire: wireSocial},
		{Name: "groups", Migrations: groups.Migrations, Wire: wireGroups},
		{Name: "collab", Migrations: collab.Migrations, Wire: wireCollab},
		{Name: "servicehealth", Migrations: servicehealth.Migrations, Wire: wireServiceHealth},
	}
}

// Migrations are every module's schema changes in the order they apply.
func Migrations() []store.Migration {
	var all []store.Migration
	for _, m := range Modules() {
		all = append(all, m.Migrations...)
	}
	return all
}

// Kernel is what modules are built on: the database, the clock, the durable job queue,
// the event bus and the mail outbox, plus the services modules provide each other and
// the routes and pages they contribute.
type Kernel struct {
	Config Config
	DB     *store.DB
	Clock  atrium.Clock
	Log    *slog.Logger
	Queue  *jobs.Queue
	Events *events.Bus
	Outbox *mail.Outbox
	// Secrets seals what modules must read back (webhook secrets, tokens); a module
	// that stores sealed values registers a resealer on it for atrium secrets rotate.
	Secrets *secrets.Keyring

	services []any
	api      []httpapi.Module
	pages    []web.Module
	loops    []loop
	// background runs while the node serves (Background).
	background []func(context.Context)
}

// loop is work every node does on its own, every interval, while it serves.
type loop struct {
	name     string
	interval time.Duration
	run      func(context.Context) error
}

// Loop makes every node run fn every interval while it serves (Main.Run): work that is
// per process rather than once for the cluster (jobs are once), such as reloading
// definitions other nodes changed. An error is logged and the loop goes on.
func (k *Kernel) Loop(name string, interval time.Duration, fn func(context.Context) error) {
	k.loops = append(k.loops, loop{name: name, interval: interval, run: fn})
}

// Background makes every node run fn while it serves: fn returns once ctx ends, after
// the work it started has stopped.
func (k *Kernel) Background(fn func(ctx context.Context)) {
	k.background = append(k.background, fn)
}

// runLoops runs every loop and background function until ctx ends and returns when all
// have stopped.
func (k *Kernel) runLoops(ctx context.Context) {
	var wg sync.WaitGroup
	for _, fn := range k.background {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(ctx)
		}()
	}
	for _, l := range k.loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(l.interval)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if err := l.run(ctx); err != nil && ctx.Err() == nil {
						k.Log.Error("loop failed", "loop", l.name, "err", err)
					}
				}
			}
		}()
	}
	wg.Wait()
}

// Provide makes svc available to the modules wired after this one.
func Provide(k *Kernel, svc any) { k.services = append(k.services, svc) }

// Need returns the first provided service that is a T (a concrete service type or an
// interface a module declares). A missing service is a wiring mistake, so it panics.
func Need[T any](k *Kernel) T {
	for _, s := range k.services {
		if v, ok := s.(T); ok {
			return v
		}
	}
	var zero T
	panic(fmt.Sprintf("app: no module provides %T", &zero))
}

// API adds a module's routes to the JSON API.
func (k *Kernel) API(m httpapi.Module) { k.api = append(k.api, m) }

// Pages adds a module's pages to the console.
func (k *Kernel) Pages(m web.Module) { k.pages = append(k.pages, m) }

// NewModules builds every module's service on db without HTTP: the wiring production
// uses, and what module tests use, so both wire modules alike. Migrations must have
// been applied. The secret keys come from cfg.SecretKeyFile (created when absent);
// without one, from a key only in memory, which module tests use.
func NewModules(ctx context.Context, db *store.DB, cfg Config, clock atrium.Clock, log *slog.Logger) (*Kernel, error) {
	if clock == nil {
		clock = atrium.SystemClock{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db.SetClock(clock)
	k := &Kernel{Config: cfg, DB: db, Clock: clock, Log: log}
	if cfg.SecretKeyFile == "" {
		log.Warn("secrets: no key file; secrets stored now cannot be read after this process ends")
		k.Secrets = secrets.Ephemeral()
	} else {
		kr, err := secrets.LoadFile(cfg.SecretKeyFile, log)
		if err != nil {
			return nil, err
		}
		k.Secrets = kr
		// A key file another process rotated is in use here within the interval.
		k.Loop("secrets.reload_keys", 30*time.Second, func(context.Context) error { return kr.Reload() })
	}
	k.Queue = jobs.New(db, clock, log)
	if cfg.JobPoll > 0 {
		k.Queue.SetPoll(cfg.JobPoll)
	}
	var sender mail.Sender
	if cfg.SMTPURL != "" {
		s, err := smtp.Parse(cfg.SMTPURL)
		if err != nil {
			return nil, err
		}
		sender = s
	}
	k.Events = events.New(db, k.Queue, clock)
	k.Events.SetRetention(cfg.EventRetention)
	k.Outbox = mail.NewOutbox(db, k.Queue, clock, sender, cfg.MailFrom)
	k.Outbox.SetLog(log)
	Provide(k, k.Outbox)
	for _, m := range Modules() {
		if m.Wire == nil {
			continue
		}
		if err := m.Wire(ctx, k); err != nil {
			return nil, fmt.Errorf("app: wire %s: %w", m.Name, err)
		}
	}
	for _, w := range testWires() {
		if err := w(ctx, k); err != nil {
			return nil, fmt.Errorf("app: wire for a test: %w", err)
		}
	}
	return k, nil
}

// testWire is wiring tests add after the modules' (export_test.go), such as a
// resealer of a test table; nil outside tests.
var testWire struct {
	sync.Mutex
	fns []func(context.Context, *Kernel) error
}

func testWires() []func(context.Context, *Kernel) error {
	testWire.Lock()
	defer testWire.Unlock()
	return append([]func(context.Context, *Kernel) error(nil), testWire.fns...)
}

// The kernel modules' wiring. Each is what a module's entry in Modules does.

func wireEvents(_ context.Context, k *Kernel) error {
	// Events about a purged user go with them, but for the purge itself.
	events.Subscribe(k.Events, "events.forget_user", func(ctx context.Context, tx *events.Tx, ev directory.UserPurged) error {
		return events.Forget(ctx, tx, string(ev.ID))
	})
	events.Subscribe(k.Events, "events.forget_org", func(ctx context.Context, tx *events.Tx, ev directory.OrgPurged) error {
		if err := events.ForgetOrgSubscriptions(ctx, tx, ev.Org); err != nil {
			return err
		}
		return events.ForgetOrg(ctx, tx, ev.Org)
	})
	// Subscriptions deliver the organizations' events to their webhooks.
	sinks := events.NewSinks(k.DB, k.Events, k.Queue, k.Clock, k.Secrets, k.Log)
	sinks.AllowPrivate = k.Config.AllowPrivateSinks
	if k.Config.EventPushLease > 0 {
		sinks.Lease = k.Config.EventPushLease
	}
	sinks.Render = func(e *events.Event) ([]byte, error) { return json.Marshal(events.ToCloudEvent(e, k.Config.PublicURL)) }
	k.Secrets.Register("events.subscriptions", sinks.Reseal)
	// A serving node pushes a subscription as soon as its events commit.
	k.Background(func(ctx context.Context) {
		sinks.Start(ctx)
		<-ctx.Done()
		sinks.Wait()
	})
	Provide(k, sinks)
	k.Pages(web.Integrations(sinks, k.Events))
	k.API(httpapi.EventSubscriptions(sinks))
	k.API(httpapi.Events(sinks))
	k.API(httpapi.EventTypes(k.Events))
	return nil
}

func wireAudit(_ context.Context, k *Kernel) error {
	// The audit trail keeps what happened, but not the names of a purged user.
	events.Subscribe(k.Events, "audit.anonymise_user", func(ctx context.Context, tx *events.Tx, ev directory.UserPurged) error {
		return audit.Anonymise(ctx, tx.Tx, string(ev.Org), string(ev.ID), ev.Username, ev.Email)
	})
	events.Subscribe(k.Events, "audit.forget_org", func(ctx context.Context, tx *events.Tx, ev directory.OrgPurged) error {
		return audit.ForgetOrg(ctx, tx.Tx, string(ev.Org))
	})
	return nil
}

func wireMail(_ context.Context, k *Kernel) error {
	// Mail to a purged organization's people goes with it.
	events.Subscribe(k.Events, "mail.forget_org", func(ctx context.Context, tx *events.Tx, ev directory.OrgPurged) error {
		return mail.ForgetOrg(ctx, tx.Tx, ev.Org)
	})
	// And mail to a purged user (their welcome, their password resets) with them.
	events.Subscribe(k.Events, "mail.forget_user", func(ctx context.Context, tx *events.Tx, ev directory.UserPurged) error {
		return mail.ForgetRecipient(ctx, tx.Tx, ev.Org, ev.Email, ev.Username)
	})
	return nil
}

func wireAccess(ctx context.Context, k *Kernel) error {
	// Roles defined from data decide from the start.
	roles := roledef.New(k.DB, k.Clock, nil)
	if err := roles.Load(ctx); err != nil {
		return err
	}
	Provide(k, roles)
	// Roles another node defined or deleted take effect here within the interval.
	k.Loop("access.reload_roles", 30*time.Second, roles.Load)
	events.Subscribe(k.Events, "access.forget_org", func(ctx context.Context, tx *events.Tx, ev directory.OrgPurged) error {
		if err := access.UnassignOrg(ctx, tx.Tx, ev.Org); err != nil {
			return err
		}
		return roles.ForgetOrg(ctx, tx.Tx, ev.Org)
	})
	// An event subscription Atrium disabled is mailed to the organization's Global
	// administrators, in their language.
	dir := Need[*directory.Service](k)
	events.Subscribe(k.Events, "events.mail_sink_disabled", func(ctx context.Context, tx *events.Tx, ev events.SinkDisabled) error {
		admins, err := access.Holders(ctx, tx.Tx, ev.Org, access.GlobalAdmin)
		if err != nil {
			return err
		}
		cards, err := dir.Cards(ctx, tx.Tx, ev.Org, admins)
		if err != nil {
			return err
		}
		for _, c := range cards {
			if c.ContactEmail == "" {
				continue
			}
			if err := k.Outbox.Enqueue(ctx, tx.Tx, mail.Message{Org: ev.Org, To: c.ContactEmail, Template: "sink_disabled", Lang: c.Language,
				Data: map[string]any{"DisplayName": c.DisplayName, "Subscription": ev.Name, "Target": ev.Sink.Target(),
					"Link": strings.TrimSuffix(k.Config.PublicURL, "/") + "/integrations/" + ev.ID}}); err != nil {
				return err
			}
		}
		return nil
	})
	return nil
}

func wireDirectory(ctx context.Context, k *Kernel) error {
	if err := directory.EnsureSearchIndexes(ctx, k.DB); err != nil {
		return err
	}
	Provide(k, directory.New(k.DB, k.Clock, k.Queue, k.Events, k.Outbox,
		directory.Config{BaseDomain: k.Config.BaseDomain, PublicURL: k.Config.PublicURL, Passwords: k.Config.passwords()}))
	k.API(httpapi.UserExport())
	return nil
}

func wireAuth(_ context.Context, k *Kernel) error {
	Provide(k, auth.New(k.DB, k.Clock, Need[*directory.Service](k), k.Queue, k.Events))
	return nil
}

func wireLicensing(ctx context.Context, k *Kernel) error {
	lic := licensing.New(k.DB, k.Clock, Need[*directory.Service](k), k.Queue, k.Events, k.Outbox)
	Provide(k, lic)
	return lic.LoadBuiltinCatalog(ctx)
}

func wireGroups(_ context.Context, k *Kernel) error {
	var maxMB int64 = groups.DefaultMaxAttachment >> 20
	if v := k.Config.GroupAttachmentMB; v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > 100 {
			return fmt.Errorf("--group-attachment-mb: %q is not a whole number from 1 to 100", v)
		}
		maxMB = n
	}
	svc := groups.New(k.DB, k.Clock, k.Queue, k.Events, Need[*directory.Service](k), k.Outbox,
		groups.Config{PublicURL: k.Config.PublicURL, MaxAttachment: maxMB << 20})
	Provide(k, svc)
	k.API(httpapi.Groups(svc))
	k.API(httpapi.GroupConversations(svc))
	k.Pages(web.Groups(svc))
	return nil
}

func wireCollab(_ context.Context, k *Kernel) error {
	var fileMB int64 = collab.DefaultMaxFile >> 20
	if v := k.Config.CollabFileMB; v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > 2048 {
			return fmt.Errorf("--collab-file-mb: %q is not a whole number from 1 to 2048", v)
		}
		fileMB = n
	}
	svc := collab.New(k.DB, k.Clock, k.Queue, k.Events, Need[*directory.Service](k), k.Outbox,
		collab.Config{PublicURL: k.Config.PublicURL, MaxFile: fileMB << 20})
	Provide(k, svc)
	k.API(httpapi.Collab(svc))
	k.Pages(web.Collab(svc))
	return nil
}

func wireServiceHealth(_ context.Context, k *Kernel) error {
	svc := servicehealth.New(k.DB, k.Clock, k.Events)
	Provide(k, svc)
	k.API(httpapi.ServiceHealth(svc))
	return nil
}

func wireSocial(_ context.Context, k *Kernel) error {
	svc := social.New(k.DB, k.Clock, k.Events, Need[social.Licenses](k), Need[social.Users](k))
	Provide(k, svc)
	k.API(httpapi.Social(svc))
	k.Pages(web.Social(svc))
	return nil
}
