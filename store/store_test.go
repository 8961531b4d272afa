package store_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// testMigrations are deliberately not idempotent: applying any of them twice fails
// (CREATE TABLE without IF NOT EXISTS) or leaves a visible trace (the seed row).
func testMigrations() []store.Migration {
	same := func(module string, v int, name, sql string) store.Migration {
		return store.Migration{Module: module, Version: v, Name: name, SQL: map[store.Dialect]string{store.SQLite: sql, store.Postgres: sql}}
	}
	return []store.Migration{
		same("storetest", 1, "parents", `CREATE TABLE parents (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE)`),
		same("storetest", 2, "children", `CREATE TABLE children (id TEXT PRIMARY KEY, parent_id TEXT NOT NULL REFERENCES parents (id))`),
		{Module: "storetest", Version: 3, Name: "words", SQL: map[store.Dialect]string{
			store.SQLite:   `CREATE TABLE words (id INTEGER PRIMARY KEY AUTOINCREMENT, w TEXT NOT NULL)`,
			store.Postgres: `CREATE TABLE words (id BIGSERIAL PRIMARY KEY, w TEXT NOT NULL)`,
		}},
		same("storetest", 4, "seed", `INSERT INTO parents (id, name) VALUES ('seed', 'seeded by migration 4')`),
		same("other", 1, "things", `CREATE TABLE things (id TEXT PRIMARY KEY)`),
	}
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestMigrateAppliesOnce(t *testing.T) {
	ms := testMigrations()
	storetest.Each(t, ms, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// storetest.Each migrated once; a second and third run must be no-ops.
		for range 2 {
			if err := db.Migrate(ctx, ms); err != nil {
				t.Fatalf("Migrate again: %v", err)
			}
		}
		if n := count(t, db, `SELECT count(*) FROM schema_migrations`); n != len(ms) {
			t.Errorf("schema_migrations has %d rows, want %d", n, len(ms))
		}
		if n := count(t, db, `SELECT count(*) FROM parents WHERE id = 'seed'`); n != 1 {
			t.Errorf("seed migration ran %d times, want 1", n)
		}
		rows, err := db.Read().QueryContext(ctx, `SELECT module, version, name FROM schema_migrations ORDER BY module, version`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var module, name string
			var version int
			if err := rows.Scan(&module, &version, &name); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s/%d_%s", module, version, name))
		}
		want := []string{"other/1_things", "storetest/1_parents", "storetest/2_children", "storetest/3_words", "storetest/4_seed"}
		if !slices.Equal(got, want) {
			t.Errorf("schema_migrations = %v, want %v", got, want)
		}
	})
}

func TestMigrateFailureRollsBackThatMigration(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, d, nil)
			broken := []store.Migration{
				{Module: "m", Version: 1, Name: "ok", SQL: map[store.Dialect]string{d: `CREATE TABLE ok1 (id TEXT PRIMARY KEY)`}},
				{Module: "m", Version: 2, Name: "broken", SQL: map[store.Dialect]string{d: `CREATE TABLE half (id TEXT PRIMARY KEY); THIS IS NOT SQL`}},
			}
			if err := db.Migrate(ctx, broken); err == nil {
				t.Fatal("Migrate with a broken migration succeeded")
			}
			if n, err := db.Pending(ctx, broken); err != nil || n != 1 {
				t.Errorf("Pending = %d, %v; want 1 (the broken one)", n, err)
			}
			if n := count(t, db, `SELECT count(*) FROM ok1`); n != 0 {
				t.Errorf("ok1 has %d rows", n)
			}
			var n int
			if err := db.Read().QueryRowContext(ctx, `SELECT count(*) FROM half`).Scan(&n); err == nil {
				t.Error("table half of the failed migration exists")
			}
		})
	}
}

func TestMigrateConcurrently(t *testing.T) {
	ms := testMigrations()
	// Many small migrations widen the window in which processes overlap.
	for v := range 30 {
		sql := fmt.Sprintf(`CREATE TABLE extra%d (id TEXT PRIMARY KEY)`, v)
		ms = append(ms, store.Migration{Module: "extra", Version: v + 1, Name: "extra", SQL: map[store.Dialect]string{store.SQLite: sql, store.Postgres: sql}})
	}
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			// The race is narrow; several rounds on fresh databases make it likely to show.
			rounds := 20
			if d == store.Postgres {
				rounds = 3 // serialized by an advisory lock; each round costs a schema
			}
			for round := range rounds {
				t.Run(fmt.Sprint("round", round), func(t *testing.T) { migrateConcurrently(t, d, ms) })
			}
		})
	}
}

func migrateConcurrently(t *testing.T, d store.Dialect, ms []store.Migration) {
	t.Helper()
	ctx := context.Background()
	dsn := storetest.DSN(t, d)
	// Each *store.DB has its own connection pool, as separate processes would.
	const processes = 4
	dbs := make([]*store.DB, processes)
	for i := range dbs {
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	var wg sync.WaitGroup
	errs := make([]error, processes*2)
	start := make(chan struct{})
	for i := range errs {
		wg.Go(func() {
			<-start
			// Two goroutines per pool: same process and separate processes at once.
			errs[i] = dbs[i%processes].Migrate(ctx, ms)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate #%d: %v", i, err)
		}
	}
	db := dbs[0]
	if n := count(t, db, `SELECT count(*) FROM schema_migrations`); n != len(ms) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(ms))
	}
	if n := count(t, db, `SELECT count(*) FROM parents WHERE id = 'seed'`); n != 1 {
		t.Errorf("seed migration ran %d times, want 1", n)
	}
}

func TestPending(t *testing.T) {
	ms := testMigrations()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, storetest.DSN(t, d))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			steps := []struct {
				name    string
				migrate []store.Migration
				check   []store.Migration
				want    int
			}{
				{"fresh database", nil, ms, len(ms)},
				{"nothing to check", nil, nil, 0},
				{"first two applied", ms[:2], ms, len(ms) - 2},
				{"all applied", ms, ms, 0},
				{"new migration of a known module", ms, append(slices.Clone(ms),
					store.Migration{Module: "storetest", Version: 5, Name: "more", SQL: map[store.Dialect]string{d: `SELECT 1`}}), 1},
				{"new module", ms, append(slices.Clone(ms),
					store.Migration{Module: "new", Version: 1, Name: "x", SQL: map[store.Dialect]string{d: `SELECT 1`}}), 1},
			}
			for _, s := range steps {
				if s.migrate != nil {
					if err := db.Migrate(ctx, s.migrate); err != nil {
						t.Fatalf("%s: Migrate: %v", s.name, err)
					}
				}
				n, err := db.Pending(ctx, s.check)
				if err != nil {
					t.Fatalf("%s: Pending: %v", s.name, err)
				}
				if n != s.want {
					t.Errorf("%s: Pending = %d, want %d", s.name, n, s.want)
				}
			}
		})
	}
}

func TestLoadMigrations(t *testing.T) {
	fsys := fstest.MapFS{
		"m/002_users.sqlite.sql":   {Data: []byte("CREATE TABLE users (id INTEGER)")},
		"m/002_users.postgres.sql": {Data: []byte("CREATE TABLE users (id BIGINT)")},
		"m/001_init.sql":           {Data: []byte("CREATE TABLE init (id TEXT)")},
		"m/010_later.sql":          {Data: []byte("SELECT 10")},
		"m/README.md":              {Data: []byte("not a migration")},
		"m/sub/003_nested.sql":     {Data: []byte("ignored: only the directory itself is read")},
	}
	got := store.LoadMigrations("mod", fsys, "m")
	want := []store.Migration{
		{Module: "mod", Version: 1, Name: "init", SQL: map[store.Dialect]string{store.SQLite: "CREATE TABLE init (id TEXT)", store.Postgres: "CREATE TABLE init (id TEXT)"}},
		{Module: "mod", Version: 2, Name: "users", SQL: map[store.Dialect]string{store.SQLite: "CREATE TABLE users (id INTEGER)", store.Postgres: "CREATE TABLE users (id BIGINT)"}},
		{Module: "mod", Version: 10, Name: "later", SQL: map[store.Dialect]string{store.SQLite: "SELECT 10", store.Postgres: "SELECT 10"}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d migrations %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Module != w.Module || g.Version != w.Version || g.Name != w.Name || len(g.SQL) != 2 ||
			g.SQL[store.SQLite] != w.SQL[store.SQLite] || g.SQL[store.Postgres] != w.SQL[store.Postgres] {
			t.Errorf("migration %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestLoadMigrationsPanics(t *testing.T) {
	cases := []struct {
		name  string
		files []string
	}{
		{"no number", []string{"init.sql"}},
		{"number is not numeric", []string{"abc_init.sql"}},
		{"version zero", []string{"000_init.sql"}},
		{"negative version", []string{"-01_init.sql"}},
		{"no underscore", []string{"001init.sql"}},
		{"sqlite only", []string{"001_init.sqlite.sql"}},
		{"postgres only", []string{"001_init.sql", "002_users.postgres.sql"}},
		{"duplicate version", []string{"001_init.sql", "001_other.sql"}},
		{"duplicate version for one dialect", []string{"001_init.sql", "001_init.sqlite.sql"}},
		{"dialect versions named differently", []string{"001_a.sqlite.sql", "001_b.postgres.sql"}},
		{"missing directory", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range c.files {
				fsys["m/"+f] = &fstest.MapFile{Data: []byte("SELECT 1")}
			}
			defer func() {
				if recover() == nil {
					t.Errorf("LoadMigrations(%v) did not panic", c.files)
				}
			}()
			store.LoadMigrations("mod", fsys, "m")
		})
	}
}

func TestTranslate(t *testing.T) {
	storetest.Each(t, testMigrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO parents (id, name) VALUES ('p1', 'one'), ('p2', 'two')`)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO children (id, parent_id) VALUES ('c1', 'p1')`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		exec := func(query string) func() error {
			return func() error {
				_, err := db.Write().ExecContext(ctx, query)
				return err
			}
		}
		cases := []struct {
			name   string
			do     func() error
			code   atrium.Code
			unique bool
		}{
			{"unique violation", exec(`INSERT INTO parents (id, name) VALUES ('p3', 'one')`), atrium.CodeConflict, true},
			{"primary key violation", exec(`INSERT INTO parents (id, name) VALUES ('p1', 'three')`), atrium.CodeConflict, true},
			{"foreign key violation on insert", exec(`INSERT INTO children (id, parent_id) VALUES ('c2', 'nobody')`), atrium.CodeConflict, false},
			{"foreign key violation on delete", exec(`DELETE FROM parents WHERE id = 'p1'`), atrium.CodeConflict, false},
			{"no rows", func() error {
				var name string
				return db.Read().QueryRowContext(ctx, `SELECT name FROM parents WHERE id = 'nobody'`).Scan(&name)
			}, atrium.CodeNotFound, false},
			{"not null violation", exec(`INSERT INTO parents (id) VALUES ('p4')`), atrium.CodeInternal, false},
			{"syntax error", exec(`SELEKT 1`), atrium.CodeInternal, false},
			{"cancelled", func() error {
				cctx, cancel := context.WithCancel(ctx)
				cancel()
				_, err := db.Write().ExecContext(cctx, `SELECT 1`)
				return err
			}, atrium.CodeUnavailable, false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				raw := c.do()
				if raw == nil {
					t.Fatal("statement succeeded")
				}
				if got := store.IsUniqueViolation(raw); got != c.unique {
					t.Errorf("IsUniqueViolation(%v) = %v, want %v", raw, got, c.unique)
				}
				err := store.Translate(raw)
				if got := atrium.ErrorCode(err); got != c.code {
					t.Errorf("Translate(%v) code = %q, want %q", raw, got, c.code)
				}
				if !errors.Is(err, raw) {
					t.Errorf("Translate(%v) lost its cause: %v", raw, err)
				}
				// The same error surfaces, translated, from a transaction.
				txErr := db.Tx(ctx, func(tx *store.Tx) error { return raw })
				if got := atrium.ErrorCode(txErr); got != c.code {
					t.Errorf("Tx returning %v: code = %q, want %q", raw, got, c.code)
				}
			})
		}
		// Nothing above changed the data.
		if n := count(t, db, `SELECT count(*) FROM parents`); n != 3 { // p1, p2, seed
			t.Errorf("parents has %d rows, want 3", n)
		}
	})
}

func TestTranslatePassesThrough(t *testing.T) {
	ae := atrium.Errorf(atrium.CodeForbidden, "no")
	cases := []struct {
		name string
		in   error
		want error
		code atrium.Code
	}{
		{"nil", nil, nil, ""},
		{"atrium error", ae, ae, atrium.CodeForbidden},
		{"wrapped atrium error", fmt.Errorf("ctx: %w", ae), nil, atrium.CodeForbidden},
		{"wrapped no rows", fmt.Errorf("get: %w", sql.ErrNoRows), nil, atrium.CodeNotFound},
		{"deadline", context.DeadlineExceeded, nil, atrium.CodeUnavailable},
		{"plain error", errors.New("disk on fire"), nil, atrium.CodeInternal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := store.Translate(c.in)
			if c.want != nil && got != c.want {
				t.Errorf("Translate(%v) = %v, want it unchanged", c.in, got)
			}
			if atrium.ErrorCode(got) != c.code {
				t.Errorf("Translate(%v) code = %q, want %q", c.in, atrium.ErrorCode(got), c.code)
			}
		})
	}
}

func TestTxRollsBack(t *testing.T) {
	storetest.Each(t, testMigrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		errBoom := errors.New("boom")
		ae := atrium.Errorf(atrium.CodeInvalid, "bad")
		cases := []struct {
			name  string
			fail  func() error
			check func(t *testing.T, err error)
		}{
			{"plain error", func() error { return errBoom }, func(t *testing.T, err error) {
				if !errors.Is(err, errBoom) || atrium.ErrorCode(err) != atrium.CodeInternal {
					t.Errorf("Tx = %v, want internal wrapping boom", err)
				}
			}},
			{"atrium error", func() error { return ae }, func(t *testing.T, err error) {
				if err != ae {
					t.Errorf("Tx = %v, want the atrium error unchanged", err)
				}
			}},
			{"statement error after writes", nil, func(t *testing.T, err error) {
				if atrium.ErrorCode(err) != atrium.CodeConflict {
					t.Errorf("Tx = %v, want conflict", err)
				}
			}},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ranAfterCommit := false
				err := db.Tx(ctx, func(tx *store.Tx) error {
					tx.AfterCommit(func() { ranAfterCommit = true })
					id := fmt.Sprintf("rb%d", i)
					if _, err := tx.ExecContext(ctx, `INSERT INTO parents (id, name) VALUES ($1, $2)`, id, id); err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, `INSERT INTO children (id, parent_id) VALUES ($1, $2)`, id, id); err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, `INSERT INTO words (w) VALUES ('rolled back')`); err != nil {
						return err
					}
					if c.fail == nil {
						_, err := tx.ExecContext(ctx, `INSERT INTO parents (id, name) VALUES ('seed', 'dup')`)
						return err
					}
					return c.fail()
				})
				c.check(t, err)
				if ranAfterCommit {
					t.Error("AfterCommit ran for a rolled-back transaction")
				}
				for _, q := range []string{`SELECT count(*) FROM parents WHERE id LIKE 'rb%'`, `SELECT count(*) FROM children`, `SELECT count(*) FROM words`} {
					if n := count(t, db, q); n != 0 {
						t.Errorf("%s = %d after rollback, want 0", q, n)
					}
				}
			})
		}
	})
}

func TestTxCommitsAndRunsAfterCommit(t *testing.T) {
	storetest.Each(t, testMigrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var order []string
		visible := -1
		err := db.Tx(ctx, func(tx *store.Tx) error {
			tx.AfterCommit(func() {
				order = append(order, "first")
				// Runs after the commit: other connections see the row.
				visible = count(t, db, `SELECT count(*) FROM parents WHERE id = 'c'`)
			})
			tx.AfterCommit(func() { order = append(order, "second") })
			if len(order) != 0 {
				t.Error("AfterCommit ran before the transaction ended")
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO parents (id, name) VALUES ('c', 'committed')`)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(order, []string{"first", "second"}) {
			t.Errorf("AfterCommit ran %v, want [first second]", order)
		}
		if visible != 1 {
			t.Errorf("row visible to another connection in AfterCommit: %d, want 1", visible)
		}
	})
}

// A panic inside a transaction must not leave it open: on SQLite the transaction holds
// the only write connection, and every later write would wait for it forever.
func TestTxPanicRollsBack(t *testing.T) {
	storetest.Each(t, testMigrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Errorf("recovered %v, want the original panic", r)
				}
			}()
			db.Tx(ctx, func(tx *store.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO parents (id, name) VALUES ('panic', 'panic')`); err != nil {
					return err
				}
				panic("boom")
			})
		}()
		tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := db.Tx(tctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(tctx, `INSERT INTO parents (id, name) VALUES ('after', 'after')`)
			return err
		}); err != nil {
			t.Fatalf("write after a panicked transaction: %v", err)
		}
		if n := count(t, db, `SELECT count(*) FROM parents WHERE id = 'panic'`); n != 0 {
			t.Errorf("the panicked transaction's row is visible")
		}
	})
}

func TestCursorRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		at   int64
		id   string
	}{
		{"typical", time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC).UnixMicro(), "0190f5c2-7a3e-7c1e-9b1a-3f9d2c4e5a6b"},
		{"zero", 0, ""},
		{"negative", -1, "x"},
		{"beyond float precision", 1<<62 + 1, "id"},
		{"unicode and quotes", 42, `Zoë "the" <admin>\`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cur := store.EncodeCursor(c.at, c.id)
			if strings.ContainsAny(cur, "+/=") {
				t.Errorf("cursor %q is not URL-safe", cur)
			}
			var at int64
			var id string
			if !store.DecodeCursor(cur, &at, &id) {
				t.Fatalf("DecodeCursor(%q) = false", cur)
			}
			if at != c.at || id != c.id {
				t.Errorf("round trip = (%d, %q), want (%d, %q)", at, id, c.at, c.id)
			}
		})
	}
}

func TestCursorRejectsGarbage(t *testing.T) {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		name   string
		cursor string
	}{
		{"empty", ""},
		{"not base64", "!!!not a cursor!!!"},
		{"padded standard base64", base64.StdEncoding.EncodeToString([]byte(`[1,"a"]`))},
		{"not json", b64("hello")},
		{"json object", b64(`{"at":1,"id":"a"}`)},
		{"too few values", b64(`[1]`)},
		{"too many values", b64(`[1,"a","b"]`)},
		{"wrong types", b64(`["a",1]`)},
		{"fraction for an integer", b64(`[1.5,"a"]`)},
		{"null values", b64(`[null,null]`)},
		{"truncated", store.EncodeCursor(int64(1), "abc")[:5]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var at int64
			var id string
			if store.DecodeCursor(c.cursor, &at, &id) {
				t.Errorf("DecodeCursor(%q) accepted garbage: (%d, %q)", c.cursor, at, id)
			}
		})
	}
}

func TestEscapeLike(t *testing.T) {
	storetest.Each(t, testMigrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		words := []string{`100%`, `1000`, `100 percent`, `a_b`, `axb`, `ab`, `back\slash`, `back/slash`, `backslash`, `50%_off\`, `\\`}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			for _, w := range words {
				if _, err := tx.ExecContext(ctx, `INSERT INTO words (w) VALUES ($1)`, w); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name    string
			pattern string
			want    []string
		}{
			{"percent anywhere", "%" + store.EscapeLike("%") + "%", []string{`100%`, `50%_off\`}},
			{"underscore anywhere", "%" + store.EscapeLike("_") + "%", []string{`50%_off\`, `a_b`}},
			{"backslash anywhere", "%" + store.EscapeLike(`\`) + "%", []string{`50%_off\`, `\\`, `back\slash`}},
			{"two backslashes", "%" + store.EscapeLike(`\\`) + "%", []string{`\\`}},
			{"exact with percent", store.EscapeLike("100%"), []string{`100%`}},
			{"exact with underscore", store.EscapeLike("a_b"), []string{`a_b`}},
			{"prefix with backslash", store.EscapeLike(`back\`) + "%", []string{`back\slash`}},
			{"all three", "%" + store.EscapeLike(`%_off\`) + "%", []string{`50%_off\`}},
			{"no wildcards", "%" + store.EscapeLike("slash") + "%", []string{`back/slash`, `back\slash`, `backslash`}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				rows, err := db.Read().QueryContext(ctx, `SELECT w FROM words WHERE w LIKE $1 ESCAPE '\' ORDER BY w`, c.pattern)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				var got []string
				for rows.Next() {
					var w string
					if err := rows.Scan(&w); err != nil {
						t.Fatal(err)
					}
					got = append(got, w)
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				slices.Sort(got) // the databases collate differently
				want := slices.Clone(c.want)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("LIKE %q matched %q, want %q", c.pattern, got, want)
				}
			})
		}
	})
}

func TestTimeRoundTrip(t *testing.T) {
	local := time.FixedZone("UTC+2", 2*60*60)
	cases := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"utc", time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)},
		{"other zone becomes utc", time.Date(2026, 1, 2, 5, 4, 5, 0, local), time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"nanoseconds truncated", time.Date(2026, 1, 2, 3, 4, 5, 6789, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := store.Time(store.Micros(c.in))
			if !got.Equal(c.want) || got.Location() != time.UTC {
				t.Errorf("Time(Micros(%v)) = %v, want %v", c.in, got, c.want)
			}
			us := store.NullMicros(c.in).(int64)
			if got := store.NullTime(&us); !got.Equal(c.want) {
				t.Errorf("NullTime(NullMicros(%v)) = %v, want %v", c.in, got, c.want)
			}
		})
	}
	if store.NullMicros(time.Time{}) != nil {
		t.Error("NullMicros(zero) is not nil")
	}
	if !store.NullTime(nil).IsZero() {
		t.Error("NullTime(nil) is not zero")
	}
}

// tickingClock moves a microsecond forward on every reading, so two readings in one
// transaction would differ.
type tickingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *tickingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Microsecond)
	return c.t
}

// TestTxHasOneTime: every module writing in one transaction reads the same time from
// it; the next transaction reads a later one.
func TestTxHasOneTime(t *testing.T) {
	storetest.Each(t, testMigrations(), func(t *testing.T, db *store.DB) {
		db.SetClock(&tickingClock{t: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)})
		var first time.Time
		for range 2 {
			err := db.Tx(t.Context(), func(tx *store.Tx) error {
				a, b := tx.Now(), tx.Now()
				if !a.Equal(b) {
					t.Errorf("one transaction read %v and %v", a, b)
				}
				if !first.IsZero() && !a.After(first) {
					t.Errorf("second transaction read %v, not after %v", a, first)
				}
				first = a
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestSQLiteRebuildKeepsForeignKeys: a SQLite migration that rebuilds a parent table
// (to drop a UNIQUE constraint) runs with foreign keys off, keeps the children's rows
// pointing at it, refuses a rebuild that would orphan them, and leaves foreign keys on.
func TestSQLiteRebuildKeepsForeignKeys(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite, testMigrations())
	if _, err := db.Write().ExecContext(ctx, `INSERT INTO parents (id, name) VALUES ('p1', 'one'); INSERT INTO children (id, parent_id) VALUES ('c1', 'p1')`); err != nil {
		t.Fatal(err)
	}
	rebuild := func(v int, keep string) store.Migration {
		sql := store.SQLiteRebuild + `
CREATE TABLE parents_new (id TEXT PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO parents_new SELECT id, name FROM parents WHERE ` + keep + `;
DROP TABLE parents;
ALTER TABLE parents_new RENAME TO parents;`
		return store.Migration{Module: "rebuild", Version: v, Name: "parents", SQL: map[store.Dialect]string{store.SQLite: sql, store.Postgres: sql}}
	}
	// Dropping p1 would orphan c1: refused, nothing changes.
	if err := db.Migrate(ctx, []store.Migration{rebuild(1, "id <> 'p1'")}); err == nil || !strings.Contains(err.Error(), "foreign keys") {
		t.Fatalf("orphaning rebuild: %v", err)
	}
	if n := count(t, db, `SELECT count(*) FROM parents WHERE id = 'p1'`); n != 1 {
		t.Fatal("the refused rebuild changed the table")
	}
	if err := db.Migrate(ctx, []store.Migration{rebuild(1, "TRUE")}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write().ExecContext(ctx, `INSERT INTO parents (id, name) VALUES ('p2', 'one')`); err != nil {
		t.Errorf("the rebuilt table still refuses a duplicate name: %v", err)
	}
	if _, err := db.Write().ExecContext(ctx, `INSERT INTO children (id, parent_id) VALUES ('c2', 'nobody')`); err == nil {
		t.Error("foreign keys are off after the rebuild")
	}
}

// TestIn: In numbers its placeholders after the arguments already there, and a query
// with them finds exactly the values given.
func TestIn(t *testing.T) {
	args, marks := store.In([]any{"x"}, []string{"a", "b", "c"})
	if marks != "$2, $3, $4" || len(args) != 4 || args[3] != "c" {
		t.Fatalf("In = %v, %q", args, marks)
	}
	if _, marks := store.In(nil, []string{}); marks != "" {
		t.Fatalf("In of nothing = %q", marks)
	}
	storetest.Each(t, testMigrations(), func(t *testing.T, db *store.DB) {
		for _, id := range []string{"p1", "p2", "p3"} {
			if _, err := db.Write().ExecContext(context.Background(), `INSERT INTO parents (id, name) VALUES ($1, $1)`, id); err != nil {
				t.Fatal(err)
			}
		}
		args, marks := store.In([]any{"p3"}, []string{"p1", "p2", "zz"})
		if n := count(t, db, `SELECT count(*) FROM parents WHERE id <> $1 AND id IN (`+marks+`)`, args...); n != 2 {
			t.Errorf("IN (%s) found %d rows, want 2", marks, n)
		}
	})
}
