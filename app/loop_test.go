package app_test

import (
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/password"
	"github.com/atrium-admin/atrium/store/storetest"
)

// TestLoopsRunWhileServing: a module's per-node loop runs while the node serves, and
// not after Run returns.
func TestLoopsRunWhileServing(t *testing.T) {
	cfg := app.Defaults()
	cfg.DatabaseURL = storetest.DSN(t, "sqlite")
	cfg.Addr = "127.0.0.1:0"
	cfg.AdminPassword = "Operator-Passw0rd!"
	cfg.PasswordParams = password.TestParams
	m, err := app.New(context.Background(), cfg, app.Options{Out: io.Discard, Log: app.NewLogger(io.Discard, "error")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	var runs atomic.Int32
	three := make(chan struct{})
	m.Kernel.Loop("test.count", time.Millisecond, func(context.Context) error {
		if runs.Add(1) == 3 {
			close(three)
		}
		return nil
	})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	select {
	case <-three:
	case <-time.After(30 * time.Second):
		t.Fatal("the loop did not run three times")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	after := runs.Load()
	// Run has returned, so every loop has stopped: the count no longer moves.
	for range 100 {
		if runs.Load() != after {
			t.Fatal("the loop ran after Run returned")
		}
	}
}
