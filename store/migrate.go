package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one forward-only schema change of one module. SQL holds the statement
// text per dialect; a file named NNN_name.sql serves both dialects, while
// NNN_name.sqlite.sql and NNN_name.postgres.sql serve one each.
type Migration struct {
	Module  string
	Version int
	Name    string
	SQL     map[Dialect]string
	// Go, when set, is a data migration written in Go (one that SQL cannot express, such
	// as recomputing a column with Go code); it runs in the migration's transaction
	// instead of SQL.
	Go func(ctx context.Context, tx *sql.Tx, d Dialect) error
}

// LoadMigrations reads a module's migration files, the *.sql files in dir of fsys. It
// panics on a malformed name, on two files for one version and dialect, and on a
// version missing a dialect, since migrations are embedded at build time.
func LoadMigrations(module string, fsys fs.FS, dir string) []Migration {
	fsys, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(fmt.Sprintf("store: %s migrations: %v", module, err))
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		panic(fmt.Sprintf("store: read %s migrations: %v", module, err))
	}
	byVersion := map[int]*Migration{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) != ".sql" {
			continue
		}
		base := strings.TrimSuffix(name, ".sql")
		dialects := []Dialect{SQLite, Postgres}
		for _, d := range []Dialect{SQLite, Postgres} {
			if strings.HasSuffix(base, "."+string(d)) {
				base = strings.TrimSuffix(base, "."+string(d))
				dialects = []Dialect{d}
			}
		}
		num, label, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			panic(fmt.Sprintf("store: migration %s/%s: name must be NNN_name[.dialect].sql", module, name))
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			panic(fmt.Sprintf("store: read migration %s/%s: %v", module, name, err))
		}
		m := byVersion[v]
		if m == nil {
			m = &Migration{Module: module, Version: v, Name: label, SQL: map[Dialect]string{}}
			byVersion[v] = m
		}
		// Two files for one version would otherwise silently replace each other.
		if m.Name != label {
			panic(fmt.Sprintf("store: migrations %s/%03d_%s and %s/%s share a version", module, v, m.Name, module, name))
		}
		for _, d := range dialects {
			if _, dup := m.SQL[d]; dup {
				panic(fmt.Sprintf("store: migration %s/%s: %s/%03d already has a %s version", module, name, module, v, d))
			}
			m.SQL[d] = string(body)
		}
	}
	out := make([]Migration, 0, len(byVersion))
	for _, m := range byVersion {
		for _, d := range []Dialect{SQLite, Postgres} {
			if _, ok := m.SQL[d]; !ok {
				panic(fmt.Sprintf("store: migration %s/%03d has no %s version", module, m.Version, d))
			}
		}
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out
}

const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	module TEXT NOT NULL,
	version INTEGER NOT NULL,
	name TEXT NOT NULL,
	applied_at BIGINT NOT NULL,
	PRIMARY KEY (module, version)
)`

// migrateLockKey is the PostgreSQL advisory lock that serializes migrations across
// processes starting at once.
const migrateLockKey = 7261_0001

// Migrate applies, in order, every migration not applied yet; each in its own
// transaction with its bookkeeping row. Several processes may call it at once.
func (db *DB) Migrate(ctx context.Context, migrations []Migration) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Close()
	if db.Dialect == Postgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
			return fmt.Errorf("store: migrate lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLockKey)
	}
	if _, err := conn.ExecContext(ctx, migrationsTable); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	applied, err := appliedMigrations(ctx, conn)
	if err != nil {
		return err
	}
	for _, m := range migrations {
		if applied[m.Module+"/"+strconv.Itoa(m.Version)] {
			continue
		}
		// A SQLite table rebuild (the only way to drop a constraint there) needs foreign
		// keys off, which SQLite allows only outside a transaction; the rebuild checks
		// them itself before it commits.
		rebuild := db.Dialect == SQLite && strings.HasPrefix(m.SQL[SQLite], SQLiteRebuild)
		if rebuild {
			if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
				return fmt.Errorf("store: migrate %s/%03d: %w", m.Module, m.Version, err)
			}
		}
		err := db.applyMigration(ctx, conn, m, rebuild)
		if rebuild {
			// Back on whether or not it applied: the connection returns to the pool.
			if _, onErr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`); onErr != nil {
				conn.Raw(func(any) error { return driver.ErrBadConn }) // never reuse it with keys off
				err = errors.Join(err, fmt.Errorf("store: migrate %s/%03d: %w", m.Module, m.Version, onErr))
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// SQLiteRebuild starts a SQLite migration that rebuilds a table: it runs with foreign
// keys off and fails unless PRAGMA foreign_key_check finds nothing afterwards.
const SQLiteRebuild = "-- atrium: rebuild (foreign keys off)"

// applyMigration applies m in one transaction on conn, with its bookkeeping row.
func (db *DB) applyMigration(ctx context.Context, conn *sql.Conn, m Migration, checkKeys bool) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate %s/%03d: %w", m.Module, m.Version, err)
	}
	// Another process may have applied it since we looked. On SQLite the write
	// transaction (BEGIN IMMEDIATE) serializes this check with that process; on
	// PostgreSQL the advisory lock already does.
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE module = $1 AND version = $2`,
		m.Module, m.Version).Scan(&done); err != nil {
		tx.Rollback()
		return fmt.Errorf("store: migrate %s/%03d: %w", m.Module, m.Version, err)
	}
	if done > 0 {
		tx.Rollback()
		return nil
	}
	if m.Go != nil {
		if err := m.Go(ctx, tx, db.Dialect); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migrate %s/%03d_%s: %w", m.Module, m.Version, m.Name, err)
		}
	} else if _, err := tx.ExecContext(ctx, m.SQL[db.Dialect]); err != nil {
		tx.Rollback()
		return fmt.Errorf("store: migrate %s/%03d_%s: %w", m.Module, m.Version, m.Name, err)
	}
	if checkKeys {
		rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
		if err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migrate %s/%03d_%s: foreign key check: %w", m.Module, m.Version, m.Name, err)
		}
		bad := rows.Next()
		rows.Close()
		if bad {
			tx.Rollback()
			return fmt.Errorf("store: migrate %s/%03d_%s: the rebuild broke foreign keys", m.Module, m.Version, m.Name)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (module, version, name, applied_at) VALUES ($1, $2, $3, $4)`,
		m.Module, m.Version, m.Name, time.Now().UnixMicro()); err != nil {
		tx.Rollback()
		return fmt.Errorf("store: record migration %s/%03d: %w", m.Module, m.Version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit migration %s/%03d: %w", m.Module, m.Version, err)
	}
	return nil
}

// Pending returns how many of migrations are not applied yet; /readyz uses it.
func (db *DB) Pending(ctx context.Context, migrations []Migration) (int, error) {
	var exists int
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if db.Dialect == Postgres {
		q = `SELECT count(*) FROM pg_tables WHERE tablename = 'schema_migrations' AND schemaname = current_schema()`
	}
	if err := db.read.QueryRowContext(ctx, q).Scan(&exists); err != nil {
		return 0, fmt.Errorf("store: pending migrations: %w", err)
	}
	if exists == 0 {
		return len(migrations), nil
	}
	applied, err := appliedMigrations(ctx, db.read)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range migrations {
		if !applied[m.Module+"/"+strconv.Itoa(m.Version)] {
			n++
		}
	}
	return n, nil
}

func appliedMigrations(ctx context.Context, q Querier) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT module, version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("store: read schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := map[string]bool{}
	for rows.Next() {
		var module string
		var version int
		if err := rows.Scan(&module, &version); err != nil {
			return nil, err
		}
		applied[module+"/"+strconv.Itoa(version)] = true
	}
	return applied, rows.Err()
}
