// Package store opens the SQLite or PostgreSQL database, applies migrations, runs
// transactions and translates driver errors into atrium errors. Modules own their tables
// and their SQL; this package owns only the mechanics they share.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/atrium-admin/atrium"
)

// Dialect names the database engine behind a DB.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Querier is what read helpers need: a *sql.DB, a *sql.Tx or a *Tx.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is an open database. On SQLite, writes go through a single connection (SQLite has
// one writer; queueing in Go beats spinning on SQLITE_BUSY) and reads through a pool.
// On PostgreSQL both are the same pool.
type DB struct {
	Dialect Dialect
	write   *sql.DB
	read    *sql.DB
	// schema is the PostgreSQL schema this DB is confined to ("" for the default).
	schema string
	// clock gives transactions their time (Tx.Now); the system clock when nil.
	clock atrium.Clock
}

// SetClock makes c the clock transactions read their time from (Tx.Now). Call it
// before the DB is used.
func (db *DB) SetClock(c atrium.Clock) { db.clock = c }

// Open opens the database named by dsn: "" or a file path or "file:…" for SQLite,
// "postgres://…" or "postgresql://…" for PostgreSQL.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn)
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	path = strings.TrimPrefix(path, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		path = "atrium.db"
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("store: create database directory: %w", err)
		}
	}
	pragmas := "_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_time_format=sqlite"
	write, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	// The read connections map the file (up to SQLite's 2 GB default cap) rather than
	// copy pages through pread into a 2 MB cache each: at a million users, 32 clients
	// searching got 40 % more requests through (docs/benchmarks.md §4).
	read, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)&_pragma=mmap_size(2147418112)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	n := max(4, runtime.NumCPU()*2)
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	db := &DB{Dialect: SQLite, write: write, read: read}
	if err := write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	return db, nil
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: parse database url: %w", err)
	}
	if cfg.RuntimeParams["timezone"] == "" {
		cfg.RuntimeParams["timezone"] = "UTC"
	}
	schema := ""
	if u, err := url.Parse(dsn); err == nil {
		schema = u.Query().Get("search_path")
		if i := strings.IndexByte(schema, ','); i >= 0 {
			schema = schema[:i]
		}
	}
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(32)
	pool.SetMaxIdleConns(32)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect to postgres: %w", err)
	}
	return &DB{Dialect: Postgres, write: pool, read: pool, schema: schema}, nil
}

// Close closes every connection.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Read returns the pool for queries outside a transaction.
func (db *DB) Read() Querier { return pool{db.read} }

// OneShot returns args for a query that must be planned for its actual arguments. On
// PostgreSQL the driver otherwise prepares and caches statements, and after five runs
// the server may switch to a generic plan, which ignores how selective a value is: for a
// substring search that turns milliseconds into seconds. An unnamed statement is planned
// at each execution with the values bound. Forcing custom plans for every query instead
// would re-plan each simple key lookup too, which costs a third of the throughput.
func (db *DB) OneShot(args ...any) []any {
	if db.Dialect != Postgres {
		return args
	}
	return append([]any{pgx.QueryExecModeExec}, args...)
}

// Write returns the writer for single statements outside a transaction.
func (db *DB) Write() Querier { return pool{db.write} }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// Tx is a write transaction. Functions registered with AfterCommit run once it commits.
type Tx struct {
	*sql.Tx
	Dialect     Dialect
	afterCommit []func()
	clock       atrium.Clock
	now         time.Time
}

// Now returns the transaction's time: read from the DB's clock once, at the first call,
// and the same for every module that writes in the transaction, so that one change
// carries one timestamp (its rows, audit entries and events).
func (tx *Tx) Now() time.Time {
	if tx.now.IsZero() {
		if tx.clock != nil {
			tx.now = tx.clock.Now()
		} else {
			tx.now = time.Now()
		}
	}
	return tx.now
}

// AfterCommit registers fn to run after the transaction commits (never if it rolls back).
func (tx *Tx) AfterCommit(fn func()) { tx.afterCommit = append(tx.afterCommit, fn) }

// Tx runs fn in a write transaction: committed when fn returns nil, rolled back
// otherwise (also when fn panics; the panic then continues). Driver errors returned by
// fn are translated (see Translate).
func (db *DB) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return Translate(fmt.Errorf("begin: %w", err))
	}
	tx := &Tx{Tx: sqlTx, Dialect: db.Dialect, clock: db.clock}
	// A panic in fn must not leave the transaction open: on SQLite it holds the only
	// write connection, and on PostgreSQL its locks, until the process exits.
	committed := false
	defer func() {
		if !committed {
			_ = sqlTx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return Translate(err)
	}
	committed = true
	if err := sqlTx.Commit(); err != nil {
		return Translate(fmt.Errorf("commit: %w", err))
	}
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}

// Translate turns driver errors into atrium errors: a unique or foreign-key violation
// becomes conflict, sql.ErrNoRows becomes not_found, anything else unexpected becomes
// internal. An *atrium.Error passes through unchanged.
func Translate(err error) error {
	if err == nil {
		return nil
	}
	var ae *atrium.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &atrium.Error{Code: atrium.CodeNotFound, Message: "not found", Cause: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &atrium.Error{Code: atrium.CodeUnavailable, Message: "request cancelled or timed out", Cause: err}
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return &atrium.Error{Code: atrium.CodeConflict, Message: "already exists", Cause: err}
		case "23503":
			return &atrium.Error{Code: atrium.CodeConflict, Message: "refers to something that does not exist or is still referenced", Cause: err}
		}
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &atrium.Error{Code: atrium.CodeConflict, Message: "already exists", Cause: err}
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return &atrium.Error{Code: atrium.CodeConflict, Message: "refers to something that does not exist or is still referenced", Cause: err}
		}
	}
	return atrium.Internal(err)
}

// IsUniqueViolation reports whether err (before translation) is a unique-key violation.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}
