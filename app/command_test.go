package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var passwordRE = regexp.MustCompile(`password: (\S+)`)

const operator = "admin@operator.atrium.localhost"

// signIn signs in to the database at dsn and returns the identity.
func signIn(t *testing.T, dsn, username, pw string) (*auth.Identity, error) {
	t.Helper()
	cfg := app.Defaults()
	cfg.DatabaseURL = dsn
	cfg.SecretKeyFile = filepath.Join(t.TempDir(), "atrium.key")
	cfg.LogLevel = "error"
	m, err := app.New(context.Background(), cfg, app.Options{Out: io.Discard, Log: app.NewLogger(io.Discard, "error")})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	id, _, err := m.Auth.SignIn(context.Background(), auth.SignInInput{Username: username, Password: pw, SourceIP: "192.0.2.9"})
	return id, err
}

// TestOperatorPasswordIsOneTime: a generated operator password is printed only by a
// server that is listening, must be changed at the first sign-in, and can be replaced
// from the machine; bootstrap on an existing database says it did nothing.
func TestOperatorPasswordIsOneTime(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dsn := storetest.DSN(t, d)
			ctx := context.Background()
			args := []string{"--database-url", dsn, "--secret-key-file", filepath.Join(t.TempDir(), "atrium.key"), "--log-level", "error"}

			// A port that is taken: serve fails before it bootstraps, printing nothing.
			busy, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer busy.Close()
			var out lockedBuffer
			err = app.Command(ctx, append([]string{"serve", "--addr", busy.Addr().String()}, args...), &out, io.Discard)
			if err == nil || strings.Contains(out.String(), "password") {
				t.Fatalf("serve on a busy port: %v, printed %q", err, out.String())
			}

			// The next start, listening, prints it once.
			sctx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() {
				done <- app.Command(sctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), &out, io.Discard)
			}()
			deadline := time.Now().Add(30 * time.Second)
			for !passwordRE.MatchString(out.String()) {
				if time.Now().After(deadline) {
					t.Fatalf("serve printed no password: %q", out.String())
				}
				select {
				case err := <-done:
					t.Fatalf("serve stopped: %v", err)
				case <-time.After(10 * time.Millisecond):
				}
			}
			stop()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			first := passwordRE.FindStringSubmatch(out.String())[1]
			id, err := signIn(t, dsn, operator, first)
			if err != nil || !id.MustChangePassword {
				t.Fatalf("sign-in with the generated password: %+v, %v; want a forced change", id, err)
			}

			// Bootstrap again: nothing to do, and why.
			out = lockedBuffer{}
			if err := app.Command(ctx, append([]string{"bootstrap"}, args...), &out, io.Discard); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "Nothing to do") || !strings.Contains(out.String(), "reset-password") {
				t.Errorf("bootstrap on an existing database printed %q", out.String())
			}

			// Lost it: a new one-time password from the machine.
			out = lockedBuffer{}
			if err := app.Command(ctx, append([]string{"admin", "reset-password", "--username", strings.ToUpper(operator)}, args...), &out, io.Discard); err != nil {
				t.Fatal(err)
			}
			m := regexp.MustCompile(`\n  (\S+)\n`).FindStringSubmatch(out.String())
			if m == nil {
				t.Fatalf("reset-password printed %q", out.String())
			}
			if _, err := signIn(t, dsn, operator, first); err == nil {
				t.Error("the old password still signs in")
			}
			if id, err := signIn(t, dsn, operator, m[1]); err != nil || !id.MustChangePassword {
				t.Errorf("sign-in with the new password: %+v, %v; want a forced change", id, err)
			}
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var actor string
			err = db.Read().QueryRowContext(ctx, `SELECT actor_name FROM audit_log WHERE action = 'user.reset_password' AND target_name = $1`, operator).Scan(&actor)
			if err != nil || !strings.Contains(actor, "reset-password") {
				t.Errorf("audit of the reset: %q, %v", actor, err)
			}
			err = app.Command(ctx, append([]string{"admin", "reset-password", "--username", "nobody@operator.atrium.localhost"}, args...), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "no user") {
				t.Errorf("unknown username: %v", err)
			}
			if errors.Is(err, sql.ErrNoRows) {
				t.Error("a raw driver error")
			}
		})
	}
}

// TestHelpExitsZero: asking for a command's flags is not an error.
func TestHelpExitsZero(t *testing.T) {
	for _, cmd := range [][]string{{"serve", "--help"}, {"migrate", "-h"}, {"bootstrap", "--help"}, {"secrets", "rotate", "--help"}, {"help"}} {
		if err := app.Command(context.Background(), cmd, io.Discard, io.Discard); err != nil {
			t.Errorf("atrium %s: %v", strings.Join(cmd, " "), err)
		}
	}
}
