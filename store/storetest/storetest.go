// Package storetest opens throwaway databases for tests: a SQLite file in a temporary
// directory, and, when ATRIUM_TEST_DATABASE_URL is set, a fresh schema on that PostgreSQL
// server. A set but unreachable URL fails the test rather than skipping it.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/atrium-admin/atrium/store"
)

// EnvPostgres names the variable that enables the PostgreSQL half of the suites.
const EnvPostgres = "ATRIUM_TEST_DATABASE_URL"

// Dialects returns the dialects to test: SQLite always, PostgreSQL when configured.
func Dialects() []store.Dialect {
	if os.Getenv(EnvPostgres) != "" {
		return []store.Dialect{store.SQLite, store.Postgres}
	}
	return []store.Dialect{store.SQLite}
}

// Each runs fn as a subtest per configured dialect, each with its own migrated database.
func Each(t *testing.T, migrations []store.Migration, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d, migrations))
		})
	}
}

// Open returns a new, migrated database of dialect d, removed when the test ends.
func Open(t testing.TB, d store.Dialect, migrations []store.Migration) *store.DB {
	t.Helper()
	dsn := DSN(t, d)
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx, migrations); err != nil {
		t.Fatalf("storetest: migrate %s: %v", d, err)
	}
	return db
}

// DSN returns a connection string for a new, empty database of dialect d that is
// dropped when the test ends. Tests that start the real binary use it.
func DSN(t testing.TB, d store.Dialect) string {
	t.Helper()
	if d == store.SQLite {
		return filepath.Join(t.TempDir(), "atrium.db")
	}
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skip("storetest: " + EnvPostgres + " not set")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("storetest: %s: %v", EnvPostgres, err)
	}
	defer admin.Close()
	ctx := context.Background()
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("storetest: %s is set but PostgreSQL is unreachable: %v", EnvPostgres, err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	// Extensions live in public, shared by every test schema; the lock keeps parallel
	// test binaries from racing on CREATE EXTENSION.
	tx, err := admin.BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7261002)`); err != nil {
		t.Fatalf("storetest: lock: %v", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public`); err != nil {
		t.Fatalf("storetest: create pg_trgm: %v", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("storetest: create schema: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.ExecContext(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storetest: parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}
