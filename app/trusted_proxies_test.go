package app_test

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium/app"
)

// TestTrustedProxiesMustParse: a --trusted-proxies entry that is neither a CIDR range
// nor an address stops the server from starting, naming the entry, before it touches
// the database.
func TestTrustedProxiesMustParse(t *testing.T) {
	cfg := app.Defaults()
	cfg.DatabaseURL = filepath.Join(t.TempDir(), "atrium.db")
	cfg.TrustedProxies = "10.0.0.0/8, proxy.internal"
	m, err := app.New(context.Background(), cfg, app.Options{Out: io.Discard, Log: app.NewLogger(io.Discard, "error")})
	if err == nil {
		m.Close()
		t.Fatal("app.New accepted a host name as a trusted proxy")
	}
	if !strings.Contains(err.Error(), `"proxy.internal"`) {
		t.Errorf("error %q does not name the bad entry", err)
	}
}
