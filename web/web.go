// Package web is the server-rendered console.
package web

import (
	"log/slog"
	"net/http"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/store"
)

// Deps are what the console needs.
type Deps struct {
	API       *httpapi.Server
	Directory *directory.Service
	Auth      *auth.Service
	Outbox    *mail.Outbox
	DB        *store.DB
	Clock     atrium.Clock
	Log       *slog.Logger
}

// New returns the console handler.
func New(d Deps) http.Handler {
	mux := http.NewServeMux()
	return mux
}
