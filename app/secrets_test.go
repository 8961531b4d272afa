package app_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/secrets"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// TestSecretsRotateCommand: atrium secrets rotate puts a new key first in the key file,
// keeps the old one, and every registered resealer moves its values to the new key.
func TestSecretsRotateCommand(t *testing.T) {
	// A module's own table of sealed values, re-sealed by its resealer.
	app.AddWire(t, func(_ context.Context, k *app.Kernel) error {
		k.Secrets.Register("test.vault", func(ctx context.Context, db *store.DB, reseal func(sealed, aad string) (string, error)) (int, error) {
			rows, err := db.Read().QueryContext(ctx, `SELECT id, secret FROM test_vault ORDER BY id`)
			if err != nil {
				return 0, err
			}
			got := map[string]string{}
			for rows.Next() {
				var id, s string
				if err := rows.Scan(&id, &s); err != nil {
					rows.Close()
					return 0, err
				}
				got[id] = s
			}
			rows.Close()
			n := 0
			for id, s := range got {
				v, err := reseal(s, "test_vault.secret:"+id)
				if err != nil {
					return n, err
				}
				if v != s {
					if _, err := db.Write().ExecContext(ctx, `UPDATE test_vault SET secret = $1 WHERE id = $2`, v, id); err != nil {
						return n, err
					}
					n++
				}
			}
			return n, nil
		})
		return nil
	})
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.DSN(t, d)
			keyFile := filepath.Join(t.TempDir(), "keys", "atrium.key")
			args := []string{"--database-url", dsn, "--secret-key-file", keyFile, "--log-level", "error"}
			if err := app.Command(ctx, append([]string{"migrate"}, args...), io.Discard, io.Discard); err != nil {
				t.Fatal(err)
			}
			// No key file yet: rotate refuses, and creates none.
			err := app.Command(ctx, append([]string{"secrets", "rotate"}, args...), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "--secret-key-file") {
				t.Errorf("rotate without a key file: %v", err)
			}
			if _, err := os.Stat(keyFile); err == nil {
				t.Error("rotate created a key file")
			}
			// The first start generates the key file; values are sealed under it.
			cfg := app.Defaults()
			cfg.DatabaseURL, cfg.SecretKeyFile, cfg.LogLevel = dsn, keyFile, "error"
			m, err := app.New(ctx, cfg, app.Options{Out: io.Discard, Log: app.NewLogger(io.Discard, "error")})
			if err != nil {
				t.Fatal(err)
			}
			keyA := m.Kernel.Secrets.Active()
			if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("key file: %v, %v; want mode 0600", fi, err)
			}
			if _, err := m.DB.Write().ExecContext(ctx, `CREATE TABLE test_vault (id TEXT PRIMARY KEY, secret TEXT NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				id := fmt.Sprint("v", i)
				v, err := m.Kernel.Secrets.SealString("plain-"+id, "test_vault.secret:"+id)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := m.DB.Write().ExecContext(ctx, `INSERT INTO test_vault (id, secret) VALUES ($1, $2)`, id, v); err != nil {
					t.Fatal(err)
				}
			}
			m.Close()

			var out strings.Builder
			if err := app.Command(ctx, append([]string{"secrets", "rotate"}, args...), &out, io.Discard); err != nil {
				t.Fatalf("secrets rotate: %v\n%s", err, out.String())
			}
			kr, err := secrets.LoadFile(keyFile, nil)
			if err != nil {
				t.Fatal(err)
			}
			ids := kr.IDs()
			if len(ids) != 2 || ids[1] != keyA {
				t.Fatalf("key file after rotate: %v; want a new key, then %s", ids, keyA)
			}
			keyB := ids[0]
			for _, want := range []string{"New key " + keyB, "test.vault: 3 values re-sealed", "Back up " + keyFile} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("rotate printed %q; want %q", out.String(), want)
				}
			}
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			rows, err := db.Read().QueryContext(ctx, `SELECT id, secret FROM test_vault ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id, raw string
				if err := rows.Scan(&id, &raw); err != nil {
					t.Fatal(err)
				}
				if strings.Contains(raw, "plain-") {
					t.Errorf("%s: raw column holds the plaintext", id)
				}
				if k, _ := secrets.KeyID(raw); k != keyB {
					t.Errorf("%s: under key %q, want %q", id, k, keyB)
				}
				if pt, err := kr.OpenString(raw, "test_vault.secret:"+id); err != nil || pt != "plain-"+id {
					t.Errorf("%s opens to %q, %v", id, pt, err)
				}
			}

			// Again: a third key, and the values move to it.
			out.Reset()
			if err := app.Command(ctx, append([]string{"secrets", "rotate"}, args...), &out, io.Discard); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "test.vault: 3 values re-sealed") {
				t.Errorf("second rotate printed %q", out.String())
			}
			if err := app.Command(ctx, append([]string{"secrets", "nonsense"}, args...), io.Discard, io.Discard); err == nil {
				t.Error("secrets nonsense: no error")
			}
		})
	}
}

// TestSecretKeyFileDefault: the key file lives beside the SQLite database unless
// --secret-key-file names one, and New generates it there.
func TestSecretKeyFileDefault(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"/var/lib/atrium/atrium.db", "/var/lib/atrium/atrium.key"},
		{"file:/data/x.db?_pragma=foo", "/data/atrium.key"},
		{"atrium.db", "atrium.key"},
		{"", "atrium.key"},
		{"postgres://u@h/db", "atrium.key"}, // the working directory
	} {
		if got := app.DefaultSecretKeyFile(tc.url); got != tc.want {
			t.Errorf("DefaultSecretKeyFile(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}

	dir := t.TempDir()
	cfg := app.Defaults()
	cfg.DatabaseURL, cfg.LogLevel = filepath.Join(dir, "atrium.db"), "error"
	var logs strings.Builder
	m, err := app.New(context.Background(), cfg, app.Options{Out: io.Discard, Log: app.NewLogger(&logs, "warn")})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	path := filepath.Join(dir, "atrium.key")
	if m.Kernel.Secrets.Path() != path {
		t.Errorf("key file %q, want %q", m.Kernel.Secrets.Path(), path)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, %v", fi, err)
	}
	if !strings.Contains(logs.String(), `"level":"WARN"`) || !strings.Contains(logs.String(), "back it up") {
		t.Errorf("no warning to back the new key file up: %s", logs.String())
	}
}
