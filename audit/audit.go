// Package audit records who did what, when, to what, with a before/after summary and the
// source address, in the same transaction as the change itself.
package audit

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the audit module's schema changes.
var Migrations = store.LoadMigrations("audit", migrationFS, "migrations")

// Actor is who caused a change: a user, an API token, or the system itself.
type Actor struct {
	ID       string
	Name     string
	SourceIP string
}

// System is the actor of changes made by jobs and the CLI.
var System = Actor{ID: "system", Name: "system"}

type actorKey struct{}

// WithActor returns ctx carrying the actor that Record attributes entries to.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor carried by ctx, or System.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return System
}

// Entry is one audited change.
type Entry struct {
	ID         string         `json:"id"`
	Org        atrium.OrgID   `json:"org_id"`
	At         time.Time      `json:"at"`
	ActorID    string         `json:"actor_id"`
	ActorName  string         `json:"actor_name"`
	Action     string         `json:"action"`
	TargetType string         `json:"target_type"`
	TargetID   string         `json:"target_id"`
	TargetName string         `json:"target_name"`
	Before     map[string]any `json:"before,omitempty"`
	After      map[string]any `json:"after,omitempty"`
	SourceIP   string         `json:"source_ip"`
}

// Record writes e in tx, filling the actor and source address from ctx and the time
// from now when unset.
func Record(ctx context.Context, tx *store.Tx, now time.Time, e Entry) error {
	a := ActorFrom(ctx)
	if e.ActorID == "" {
		e.ActorID, e.ActorName = a.ID, a.Name
	}
	if e.SourceIP == "" {
		e.SourceIP = a.SourceIP
	}
	if e.At.IsZero() {
		e.At = now
	}
	before, err := marshal(e.Before)
	if err != nil {
		return err
	}
	after, err := marshal(e.After)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (id, org_id, at, actor_id, actor_name, action, target_type, target_id, target_name, before_json, after_json, source_ip)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		uuid.Must(uuid.NewV7()).String(), string(e.Org), store.Micros(e.At), e.ActorID, e.ActorName, e.Action,
		e.TargetType, e.TargetID, e.TargetName, before, after, e.SourceIP)
	if err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

func marshal(m map[string]any) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("audit: encode summary: %w", err)
	}
	return string(b), nil
}
