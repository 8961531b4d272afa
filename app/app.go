// Package app wires Atrium's modules into one server. cmd/atrium and the end-to-end
// tests both build it with New, so tests run the real wiring.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/web"
)

// Main is a running Atrium: the database, the modules and the HTTP server.
type Main struct {
	Config    Config
	Clock     atrium.Clock
	Log       *slog.Logger
	DB        *store.DB
	Queue     *jobs.Queue
	Outbox    *mail.Outbox
	Directory *directory.Service
	Auth      *auth.Service
	Licensing *licensing.Service
	// Kernel has every module's service (Need) and the event bus.
	Kernel  *Kernel
	API     *httpapi.Server
	Handler http.Handler
	// Out receives the one-time bootstrap credentials.
	Out io.Writer

	listener net.Listener
	server   *http.Server
	// bootstrapPending: New left the bootstrap to Run (Options.BootstrapWhenListening).
	bootstrapPending bool
	closeMu          sync.Mutex
	closed           bool
}

// Options adjust New for tests and the CLI.
type Options struct {
	Clock atrium.Clock // default: the system clock
	Log   *slog.Logger // default: JSON to stderr at Config.LogLevel
	Out   io.Writer    // default: stdout
	// BootstrapWhenListening defers creating the operator organization with a
	// generated password until Run has bound its address, so the one-time password is
	// printed only by a server that is up (atrium serve).
	BootstrapWhenListening bool
}

// New opens the database, applies migrations, wires the modules, and bootstraps the
// operator organization on an empty database (and the demo organization with --demo).
func New(ctx context.Context, cfg Config, opt Options) (*Main, error) {
	m := &Main{Config: cfg, Clock: opt.Clock, Log: opt.Log, Out: opt.Out}
	if m.Clock == nil {
		m.Clock = atrium.SystemClock{}
	}
	if m.Log == nil {
		m.Log = NewLogger(os.Stderr, cfg.LogLevel)
	}
	if m.Out == nil {
		m.Out = os.Stdout
	}
	if m.Config.PublicURL == "" {
		m.Config.PublicURL = "http://" + cfg.Addr
	}
	m.Config.PublicURL = strings.TrimRight(m.Config.PublicURL, "/")
	if m.Config.SecretKeyFile == "" {
		m.Config.SecretKeyFile = DefaultSecretKeyFile(cfg.DatabaseURL)
	}
	proxies, err := httpapi.ParseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	m.DB = db
	if err := db.Migrate(ctx, Migrations()); err != nil {
		db.Close()
		return nil, err
	}
	k, err := NewModules(ctx, db, m.Config, m.Clock, m.Log)
	if err != nil {
		db.Close()
		return nil, err
	}
	m.Kernel, m.Queue, m.Outbox = k, k.Queue, k.Outbox
	m.Directory, m.Auth, m.Licensing = Need[*directory.Service](k), Need[*auth.Service](k), Need[*licensing.Service](k)
	m.API = httpapi.New(httpapi.Deps{DB: db, Clock: m.Clock, Log: m.Log, Directory: m.Directory, Auth: m.Auth, Licensing: m.Licensing, Outbox: m.Outbox,
		Queue: m.Queue, Migrations: Migrations(), SecureCookies: cfg.SecureCookies}, k.api...)
	console := web.New(web.Deps{API: m.API, Directory: m.Directory, Auth: m.Auth, Licensing: m.Licensing, Outbox: m.Outbox, DB: db, Clock: m.Clock, Log: m.Log}, k.pages...)
	root := http.NewServeMux()
	root.Handle("/api/", m.API)
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		root.Handle(p, m.API)
	}
	root.Handle("/", console)
	m.Handler = proxies.Handler(root)
	if opt.BootstrapWhenListening && cfg.AdminPassword == "" {
		m.bootstrapPending = true
	} else if err := m.bootstrap(ctx); err != nil {
		db.Close()
		return nil, err
	}
	// Bootstrap hashes a password with argon2id (19 MiB); give that memory back now
	// rather than whenever the runtime gets to it, so an idle server stays small.
	debug.FreeOSMemory()
	return m, nil
}

// NewLogger returns a JSON logger at level.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// Listen binds the configured address (Addr may end in :0 for a free port).
func (m *Main) Listen() error {
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.listener = ln
	return nil
}

// URL returns the base URL the server listens on, after Listen.
func (m *Main) URL() string { return "http://" + m.listener.Addr().String() }

// Run serves HTTP and runs jobs until ctx ends, then shuts down gracefully: it stops
// accepting, finishes requests in flight and jobs in flight, within ShutdownGrace.
func (m *Main) Run(ctx context.Context) error {
	if m.listener == nil {
		if err := m.Listen(); err != nil {
			return err
		}
	}
	if m.bootstrapPending {
		m.bootstrapPending = false
		if err := m.bootstrap(ctx); err != nil {
			m.listener.Close()
			return err
		}
		debug.FreeOSMemory()
	}
	m.server = &http.Server{Handler: m.Handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 5 * time.Minute,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	jobsDone := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.Kernel.runLoops(jobsCtx)
		}()
		m.Queue.Run(jobsCtx)
		wg.Wait()
		close(jobsDone)
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- m.server.Serve(m.listener) }()
	m.Log.Info("atrium serving", "url", m.URL(), "database", string(m.DB.Dialect), "public_url", m.Config.PublicURL)
	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	grace := m.Config.ShutdownGrace
	if grace <= 0 {
		grace = 20 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if serr := m.server.Shutdown(sctx); serr != nil {
		m.Log.Warn("shutdown: requests still in flight", "err", serr)
	}
	stopJobs()
	select {
	case <-jobsDone:
	case <-sctx.Done():
		m.Log.Warn("shutdown: jobs still in flight after grace period")
	}
	m.Log.Info("atrium stopped")
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close releases the database.
func (m *Main) Close() error {
	m.closeMu.Lock()
	defer m.closeMu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	return m.DB.Close()
}
