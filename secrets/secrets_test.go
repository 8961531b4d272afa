package secrets_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium/secrets"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

const aad = "test.things.secret:row1"

func key(t *testing.T, id string) secrets.Key {
	t.Helper()
	k := secrets.NewKey()
	k.ID = id
	return k
}

func ring(t *testing.T, keys ...secrets.Key) *secrets.Keyring {
	t.Helper()
	kr, err := secrets.New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestSealOpenRoundTrip(t *testing.T) {
	kr := ring(t, key(t, "a"))
	for name, pt := range map[string][]byte{
		"empty":  {},
		"short":  []byte("s3cret"),
		"binary": {0, 1, 2, 0xff, '.', '\n'},
		"long":   bytes.Repeat([]byte("x"), 10000),
	} {
		t.Run(name, func(t *testing.T) {
			sealed, err := kr.Seal(pt, aad)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(sealed, "v1.a.") {
				t.Errorf("sealed %q: want the prefix v1.a.", sealed)
			}
			if len(pt) > 3 && strings.Contains(sealed, string(pt)) {
				t.Errorf("sealed %q contains the plaintext", sealed)
			}
			got, err := kr.Open(sealed, aad)
			if err != nil || !bytes.Equal(got, pt) {
				t.Errorf("Open = %q, %v; want %q", got, err, pt)
			}
		})
	}
	// Two seals of one secret differ (a fresh nonce each time).
	a, _ := kr.SealString("same", aad)
	b, _ := kr.SealString("same", aad)
	if a == b {
		t.Error("two seals of the same plaintext are equal")
	}
	if s, err := kr.OpenString(a, aad); err != nil || s != "same" {
		t.Errorf("OpenString = %q, %v", s, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	kr := ring(t, key(t, "a"))
	sealed, err := kr.SealString("hunter2", aad)
	if err != nil {
		t.Fatal(err)
	}
	id, body, _ := strings.Cut(strings.TrimPrefix(sealed, "v1."), ".")
	bin, _ := base64.RawURLEncoding.DecodeString(body)
	flip := func(i int) string {
		b := bytes.Clone(bin)
		b[i] ^= 1
		return "v1." + id + "." + base64.RawURLEncoding.EncodeToString(b)
	}
	other := ring(t, key(t, "b"))
	otherSealed, _ := other.SealString("hunter2", aad)
	sameIDOtherKey := ring(t, key(t, "a"))
	for _, tc := range []struct {
		name   string
		kr     *secrets.Keyring
		sealed string
		aad    string
		want   error
	}{
		{"wrong aad (another row)", kr, sealed, "test.things.secret:row2", secrets.ErrNotOpened},
		{"wrong aad (another column)", kr, sealed, "test.things.token:row1", secrets.ErrNotOpened},
		{"tampered nonce", kr, flip(0), aad, secrets.ErrNotOpened},
		{"tampered ciphertext", kr, flip(13), aad, secrets.ErrNotOpened},
		{"tampered tag", kr, flip(len(bin) - 1), aad, secrets.ErrNotOpened},
		{"truncated", kr, sealed[:len(sealed)-4], aad, secrets.ErrNotOpened},
		{"too short", kr, "v1.a.AAAA", aad, secrets.ErrMalformed},
		{"unknown key", kr, otherSealed, aad, secrets.ErrUnknownKey},
		{"same id, another key", sameIDOtherKey, sealed, aad, secrets.ErrNotOpened},
		{"plaintext", kr, "hunter2", aad, secrets.ErrMalformed},
		{"other version", kr, "v2" + strings.TrimPrefix(sealed, "v1"), aad, secrets.ErrMalformed},
		{"no body", kr, "v1.a.", aad, secrets.ErrMalformed},
		{"bad base64", kr, "v1.a.!!!!", aad, secrets.ErrMalformed},
		{"empty", kr, "", aad, secrets.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := tc.kr.Open(tc.sealed, tc.aad)
			if !errors.Is(err, tc.want) || pt != nil {
				t.Errorf("Open = %q, %v; want %v", pt, err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error %q shows the secret", err)
			}
		})
	}
	// The unknown key's error says which key is missing and which the ring has.
	_, err = kr.Open(otherSealed, aad)
	if msg := err.Error(); !strings.Contains(msg, `"b"`) || !strings.Contains(msg, "a") {
		t.Errorf("unknown key error %q: want the missing key b and the ring's a", msg)
	}
}

func TestTwoKeysOpenBothSealWithFirst(t *testing.T) {
	a, b := key(t, "a"), key(t, "b")
	underA, _ := ring(t, a).SealString("from a", aad)
	underB, _ := ring(t, b).SealString("from b", aad)
	kr := ring(t, b, a)
	if kr.Active() != "b" {
		t.Errorf("Active = %q, want b", kr.Active())
	}
	for sealed, want := range map[string]string{underA: "from a", underB: "from b"} {
		if got, err := kr.OpenString(sealed, aad); err != nil || got != want {
			t.Errorf("Open(%.8s…) = %q, %v; want %q", sealed, got, err, want)
		}
	}
	s, _ := kr.SealString("new", aad)
	if id, err := secrets.KeyID(s); err != nil || id != "b" {
		t.Errorf("sealed under %q, %v; want b", id, err)
	}
	// Reseal moves a value to the first key; one already there is left as it is.
	moved, err := kr.Reseal(underA, aad)
	if id, _ := secrets.KeyID(moved); err != nil || id != "b" {
		t.Errorf("Reseal = %q, %v; want under b", moved, err)
	}
	if got, _ := kr.OpenString(moved, aad); got != "from a" {
		t.Errorf("resealed opens to %q", got)
	}
	if same, err := kr.Reseal(underB, aad); err != nil || same != underB {
		t.Errorf("Reseal of a value under the first key = %q, %v; want it unchanged", same, err)
	}
	if _, err := kr.Reseal(underA, "elsewhere"); !errors.Is(err, secrets.ErrNotOpened) {
		t.Errorf("Reseal with the wrong aad: %v", err)
	}
}

func TestNewRejectsBadKeys(t *testing.T) {
	for name, keys := range map[string][]secrets.Key{
		"none":         nil,
		"dot in id":    {key(t, "a.b")},
		"empty id":     {key(t, "")},
		"repeated id":  {key(t, "a"), key(t, "a")},
		"space in id":  {key(t, "a b")},
		"too long id":  {key(t, strings.Repeat("k", 65))},
		"non-ascii id": {key(t, "clé")},
	} {
		if _, err := secrets.New(keys...); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// logBuffer returns a logger writing to a buffer.
func logBuffer() (*slog.Logger, *bytes.Buffer) {
	var b bytes.Buffer
	return slog.New(slog.NewTextHandler(&b, nil)), &b
}

func TestLoadFileCreatesKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "atrium.key")
	log, logs := logBuffer()
	kr, err := secrets.LoadFile(path, log)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "back it up") || !strings.Contains(logs.String(), path) {
		t.Errorf("log %q: want a warning naming the file and asking for a backup", logs.String())
	}
	sealed, _ := kr.SealString("kept", aad)

	// The next start loads the same key, and says nothing.
	log, logs = logBuffer()
	again, err := secrets.LoadFile(path, log)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.OpenString(sealed, aad); err != nil || got != "kept" {
		t.Errorf("after a restart: %q, %v", got, err)
	}
	if logs.Len() != 0 {
		t.Errorf("loading an existing key file logged %q", logs.String())
	}
	data, _ := os.ReadFile(path)
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], kr.Active()+" ") {
		t.Errorf("key file lines %q: want one, of key %s", lines, kr.Active())
	}
}

func TestLoadFile(t *testing.T) {
	a := secrets.NewKey()
	line := func(k secrets.Key) string { return k.ID + " " + base64.StdEncoding.EncodeToString(k.Secret[:]) + "\n" }
	for _, tc := range []struct {
		name, content string
		mode          os.FileMode
		wantErr       string
		wantWarn      bool
	}{
		{name: "comments and blank lines", content: "# keys\n\n" + line(a) + "\n", mode: 0o600},
		{name: "world readable warns", content: line(a), mode: 0o644, wantWarn: true},
		{name: "short key", content: "k1 " + base64.StdEncoding.EncodeToString([]byte("short")) + "\n", mode: 0o600, wantErr: "line 1"},
		{name: "not base64", content: "k1 not-base64!\n", mode: 0o600, wantErr: "line 1"},
		{name: "three fields", content: line(a)[:len(line(a))-1] + " extra\n", mode: 0o600, wantErr: "line 1"},
		{name: "no keys", content: "# nothing\n", mode: 0o600, wantErr: "no keys"},
		{name: "repeated id", content: line(a) + line(a), mode: 0o600, wantErr: "twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "atrium.key")
			if err := os.WriteFile(path, []byte(tc.content), tc.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(path, tc.mode) // past the umask
			log, logs := logBuffer()
			kr, err := secrets.LoadFile(path, log)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("LoadFile: %v; want an error naming the file and %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if kr.Active() != a.ID {
				t.Errorf("Active = %q, want %q", kr.Active(), a.ID)
			}
			if warned := strings.Contains(logs.String(), "chmod 600"); warned != tc.wantWarn {
				t.Errorf("warned %v, want %v: %q", warned, tc.wantWarn, logs.String())
			}
		})
	}
}

func TestRotateKeepsOldKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "atrium.key")
	kr, err := secrets.LoadFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	old := kr.Active()
	sealed, _ := kr.SealString("before", aad)
	// A server started before the rotation.
	running, err := secrets.LoadFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := kr.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if id == old || kr.Active() != id {
		t.Fatalf("Rotate = %q, Active %q, old %q", id, kr.Active(), old)
	}
	if got, err := kr.OpenString(sealed, aad); err != nil || got != "before" {
		t.Errorf("a value under the old key: %q, %v", got, err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("rotated key file mode %v", fi.Mode().Perm())
	}
	reloaded, err := secrets.LoadFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ids := reloaded.IDs(); len(ids) != 2 || ids[0] != id || ids[1] != old {
		t.Errorf("key file ids %v, want [%s %s]", ids, id, old)
	}
	// No temporary file is left beside it.
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("directory holds %d files", len(entries))
	}
	// The running server picks the new key up on Reload.
	newer, _ := kr.SealString("after", aad)
	if _, err := running.OpenString(newer, aad); !errors.Is(err, secrets.ErrUnknownKey) {
		t.Errorf("before reload: %v", err)
	}
	if err := running.Reload(); err != nil {
		t.Fatal(err)
	}
	if got, err := running.OpenString(newer, aad); err != nil || got != "after" || running.Active() != id {
		t.Errorf("after reload: %q, %v, active %s", got, err, running.Active())
	}
	// A ring in memory rotates in memory.
	mem := secrets.Ephemeral()
	before, _ := mem.SealString("x", aad)
	if _, err := mem.Rotate(); err != nil || len(mem.IDs()) != 2 {
		t.Fatalf("in-memory rotate: %v, %v", err, mem.IDs())
	}
	if got, err := mem.OpenString(before, aad); err != nil || got != "x" {
		t.Errorf("in memory, after rotate: %q, %v", got, err)
	}
}

// things is a module's table of sealed values, made by the test on the real database.
const thingsDDL = `CREATE TABLE test_things (id TEXT PRIMARY KEY, secret TEXT NOT NULL)`

// resealThings is how a module re-seals its own table.
func resealThings(ctx context.Context, db *store.DB, reseal func(sealed, aad string) (string, error)) (int, error) {
	n := 0
	err := db.Tx(ctx, func(tx *store.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, secret FROM test_things ORDER BY id`)
		if err != nil {
			return err
		}
		type row struct{ id, secret string }
		var all []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.secret); err != nil {
				rows.Close()
				return err
			}
			all = append(all, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range all {
			v, err := reseal(r.secret, "test_things.secret:"+r.id)
			if err != nil {
				return err
			}
			if v == r.secret {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE test_things SET secret = $1 WHERE id = $2`, v, r.id); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

func TestRotationReseals(t *testing.T) {
	storetest.Each(t, nil, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Write().ExecContext(ctx, thingsDDL); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "atrium.key")
		kr, err := secrets.LoadFile(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		keyA := kr.Active()
		kr.Register("test.things", resealThings)
		want := map[string]string{}
		for i := range 5 {
			id := fmt.Sprintf("t%d", i)
			want[id] = fmt.Sprintf("plain-secret-%d", i)
			v, err := kr.SealString(want[id], "test_things.secret:"+id)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Write().ExecContext(ctx, `INSERT INTO test_things (id, secret) VALUES ($1, $2)`, id, v); err != nil {
				t.Fatal(err)
			}
		}
		// A value copied into another row does not open there.
		if _, err := db.Write().ExecContext(ctx, `UPDATE test_things SET secret = (SELECT secret FROM test_things WHERE id = 't1') WHERE id = 't0'`); err != nil {
			t.Fatal(err)
		}
		var copied string
		db.Read().QueryRowContext(ctx, `SELECT secret FROM test_things WHERE id = 't0'`).Scan(&copied)
		if _, err := kr.Open(copied, "test_things.secret:t0"); !errors.Is(err, secrets.ErrNotOpened) {
			t.Errorf("a value copied to another row: %v", err)
		}
		v, _ := kr.SealString(want["t0"], "test_things.secret:t0")
		db.Write().ExecContext(ctx, `UPDATE test_things SET secret = $1 WHERE id = 't0'`, v)

		keyB, err := kr.Rotate()
		if err != nil {
			t.Fatal(err)
		}
		done, err := kr.ResealAll(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(done) != 1 || done[0] != (secrets.Resealed{Name: "test.things", N: 5}) {
			t.Errorf("ResealAll = %+v, want test.things: 5", done)
		}
		// A fresh process with the rotated file, as a restarted server.
		fresh, err := secrets.LoadFile(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.Read().QueryContext(ctx, `SELECT id, secret FROM test_things ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var id, raw string
			if err := rows.Scan(&id, &raw); err != nil {
				t.Fatal(err)
			}
			n++
			if strings.Contains(raw, "plain-secret") {
				t.Errorf("%s: the column holds the plaintext: %q", id, raw)
			}
			if k, _ := secrets.KeyID(raw); k != keyB || k == keyA {
				t.Errorf("%s: under key %q, want the new %q", id, k, keyB)
			}
			if got, err := fresh.OpenString(raw, "test_things.secret:"+id); err != nil || got != want[id] {
				t.Errorf("%s opens to %q, %v; want %q", id, got, err, want[id])
			}
		}
		if n != 5 {
			t.Errorf("%d rows", n)
		}
		// Again: nothing left to move.
		if done, err := kr.ResealAll(ctx, db); err != nil || done[0].N != 0 {
			t.Errorf("second ResealAll = %+v, %v; want 0", done, err)
		}
	})
}

func TestResealAllStopsAtError(t *testing.T) {
	kr := secrets.Ephemeral()
	boom := errors.New("boom")
	kr.Register("first", func(context.Context, *store.DB, func(string, string) (string, error)) (int, error) { return 2, nil })
	kr.Register("second", func(context.Context, *store.DB, func(string, string) (string, error)) (int, error) { return 0, boom })
	kr.Register("third", func(context.Context, *store.DB, func(string, string) (string, error)) (int, error) {
		t.Error("ran after an error")
		return 0, nil
	})
	done, err := kr.ResealAll(context.Background(), nil)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "second") || len(done) != 1 || done[0].N != 2 {
		t.Errorf("ResealAll = %+v, %v", done, err)
	}
}

var sink string

func BenchmarkSeal64(b *testing.B) {
	kr := secrets.Ephemeral()
	pt := bytes.Repeat([]byte("s"), 64)
	b.ReportAllocs()
	for b.Loop() {
		s, err := kr.Seal(pt, aad)
		if err != nil {
			b.Fatal(err)
		}
		sink = s
	}
}

func BenchmarkOpen64(b *testing.B) {
	kr := secrets.Ephemeral()
	sealed, _ := kr.Seal(bytes.Repeat([]byte("s"), 64), aad)
	b.ReportAllocs()
	for b.Loop() {
		pt, err := kr.Open(sealed, aad)
		if err != nil || len(pt) != 64 {
			b.Fatal(err)
		}
	}
}
