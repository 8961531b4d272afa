// Package auth signs people in and out: password sign-in with throttling and temporary
// lockout, server-side sessions (ending with the browser unless "Stay signed in"), CSRF
// tokens bound to the session, forced password changes, and API tokens.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the auth module's schema changes; they follow the directory's.
var Migrations = store.LoadMigrations("auth", migrationFS, "migrations")

// Session lifetimes.
const (
	// PersistentLifetime is how long a "Stay signed in" session lasts.
	PersistentLifetime = 30 * 24 * time.Hour
	// BrowserIdleTimeout ends a browser-session sign-in that has not been used for this long.
	BrowserIdleTimeout = 12 * time.Hour
	// touchEvery limits last-seen writes to one per session per minute.
	touchEvery = time.Minute
)

// Token prefixes tell session tokens and API tokens apart at a glance and in logs.
const (
	sessionPrefix = "ats_"
	apiPrefix     = "atk_"
)

// JobPurgeSessions removes expired sessions.
const JobPurgeSessions jobs.Kind = "auth.purge_sessions"

// Service is the auth module.
type Service struct {
	db    *store.DB
	clock atrium.Clock
	dir   *directory.Service
	// events publishes sign-ins, refused sign-ins and token changes.
	events *events.Bus
	// Throttle is the sign-in throttling policy; tests may tighten it.
	Throttle ThrottlePolicy
}

// New returns the auth service. It ends a user's sessions when the directory says the
// user was blocked, deleted, purged or given a new password.
func New(db *store.DB, clock atrium.Clock, dir *directory.Service, queue *jobs.Queue, bus *events.Bus) *Service {
	s := &Service{db: db, clock: clock, dir: dir, events: bus, Throttle: DefaultThrottle}
	events.Declare[SignedIn](bus, "A user signed in.")
	events.Declare[SignInFailed](bus, "A sign-in to an existing account was refused.")
	events.Declare[TokenCreated](bus, "An API token was created.")
	events.Declare[TokenRevoked](bus, "An API token was revoked.")
	revoke := func(ctx context.Context, tx *events.Tx, u directory.UserRef) error {
		return s.revokeUserSessions(ctx, tx.Tx, u.ID, "")
	}
	events.Subscribe(bus, "auth.user_blocked", func(ctx context.Context, tx *events.Tx, ev directory.UserBlocked) error {
		return revoke(ctx, tx, ev.UserRef)
	})
	events.Subscribe(bus, "auth.user_deleted", func(ctx context.Context, tx *events.Tx, ev directory.UserDeleted) error {
		return revoke(ctx, tx, ev.UserRef)
	})
	events.Subscribe(bus, "auth.user_password_reset", func(ctx context.Context, tx *events.Tx, ev directory.UserPasswordReset) error {
		return revoke(ctx, tx, ev.UserRef)
	})
	events.Subscribe(bus, "auth.user_password_changed", func(ctx context.Context, tx *events.Tx, ev directory.UserPasswordChanged) error {
		keep, _ := ctx.Value(keepSessionKey{}).(string)
		return s.revokeUserSessions(ctx, tx.Tx, ev.ID, keep)
	})
	events.Subscribe(bus, "auth.user_purged", func(ctx context.Context, tx *events.Tx, ev directory.UserPurged) error {
		if err := s.revokeUserSessions(ctx, tx.Tx, ev.ID, ""); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM signin_known_addresses WHERE user_id = $1`, string(ev.ID)); err != nil {
			return err
		}
		// The organization's tokens outlive the person who made them.
		_, err := tx.ExecContext(ctx, `UPDATE api_tokens SET created_by = $1 WHERE created_by = $2 OR created_by = $3`, audit.PurgedName, string(ev.ID), ev.Username)
		return err
	})
	events.Subscribe(bus, "auth.org_purged", func(ctx context.Context, tx *events.Tx, ev directory.OrgPurged) error {
		for _, q := range []string{`DELETE FROM sessions WHERE org_id = $1`, `DELETE FROM api_tokens WHERE org_id = $1`,
			`DELETE FROM signin_known_addresses WHERE org_id = $1`} {
			if _, err := tx.ExecContext(ctx, q, string(ev.Org)); err != nil {
				return err
			}
		}
		return nil
	})
	queue.Register(JobPurgeSessions, s.purgeSessions, jobs.Options{})
	queue.Every(JobPurgeSessions, time.Hour)
	return s
}

// Identity is an authenticated request's caller.
type Identity struct {
	Principal access.Principal
	// SessionID is set for session authentication, empty for API tokens.
	SessionID  string
	Persistent bool
	// MustChangePassword restricts the session to changing the password and signing out.
	MustChangePassword bool
	Username           string
	DisplayName        string
	// Language is the user's own display language and OrgLanguage their organization's
	// ("" when unset): the console and API errors speak the first one set.
	Language, OrgLanguage string
	// HomeUser and HomeOrg are the account the session signed in with. They equal the
	// principal's unless the session works with a guest account (Acting), when the
	// principal is the guest account in its host organization.
	HomeUser atrium.UserID
	HomeOrg  atrium.OrgID
	Acting   bool
	// HomeUsername is the username the person signed in with.
	HomeUsername string
}

func newToken(prefix string) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// hashToken returns the stored form of a token. Tokens carry 256 random bits, so a fast
// hash is enough: nobody can guess one to try against a stolen table.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CSRFToken returns the CSRF token bound to a session token. It is derived, not stored:
// only someone who holds the session cookie can compute it, and it changes with it.
func CSRFToken(sessionToken string) string {
	mac := hmac.New(sha256.New, []byte(sessionToken))
	mac.Write([]byte("atrium csrf v1"))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// CheckCSRF reports whether token is the CSRF token of sessionToken.
func CheckCSRF(sessionToken, token string) bool {
	return token != "" && hmac.Equal([]byte(CSRFToken(sessionToken)), []byte(token))
}

// IsSessionToken reports whether token looks like a session token.
func IsSessionToken(token string) bool { return strings.HasPrefix(token, sessionPrefix) }

// Authenticate resolves a bearer or cookie token to its identity. Expired, revoked or
// unknown tokens, blocked or deleted users and suspended organizations all get
// unauthenticated.
func (s *Service) Authenticate(ctx context.Context, token string) (*Identity, error) {
	switch {
	case strings.HasPrefix(token, sessionPrefix):
		return s.authenticateSession(ctx, token)
	case strings.HasPrefix(token, apiPrefix):
		return s.authenticateAPIToken(ctx, token)
	}
	return nil, errUnauthenticated
}

var errUnauthenticated = atrium.Errorf(atrium.CodeUnauthenticated, "sign in first: the session or token is missing, expired or revoked")

func (s *Service) authenticateSession(ctx context.Context, token string) (*Identity, error) {
	now := s.clock.Now()
	var id Identity
	var lastSeen, expires int64
	var acting *string
	err := s.db.Read().QueryRowContext(ctx, `SELECT id, user_id, org_id, persistent, last_seen_at, expires_at, acting_user_id FROM sessions WHERE token_hash = $1`, hashToken(token)).
		Scan(&id.SessionID, &id.Principal.UserID, &id.Principal.Org, &id.Persistent, &lastSeen, &expires, &acting)
	if err != nil {
		if atrium.ErrorCode(store.Translate(err)) == atrium.CodeNotFound {
			return nil, errUnauthenticated
		}
		return nil, store.Translate(err)
	}
	if store.Micros(now) >= expires {
		return nil, errUnauthenticated
	}
	// The account's state is the directory's: blocked, deleted, suspended all end the session.
	acct, err := s.dir.CredentialsByID(ctx, id.Principal.UserID)
	if atrium.ErrorCode(err) == atrium.CodeNotFound {
		return nil, errUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	if !acct.CanSignIn() || acct.Org != id.Principal.Org || acct.HomeUser != "" {
		return nil, errUnauthenticated
	}
	id.HomeUser, id.HomeOrg, id.HomeUsername = id.Principal.UserID, id.Principal.Org, acct.Username
	id.Username, id.DisplayName, id.MustChangePassword = acct.Username, acct.DisplayName, acct.MustChangePassword
	id.Language, id.OrgLanguage = acct.Language, acct.OrgLanguage
	if acting != nil && *acting != "" {
		// A guest account that can no longer be used (blocked, deleted, its host
		// suspended) leaves the session working at home.
		g, err := s.dir.CredentialsByID(ctx, atrium.UserID(*acting))
		if err != nil && atrium.ErrorCode(err) != atrium.CodeNotFound {
			return nil, err
		}
		if err == nil && g.HomeUser == id.HomeUser && g.CanSignIn() {
			id.Acting = true
			id.Principal.UserID, id.Principal.Org = g.User, g.Org
			id.Username, id.DisplayName = g.Username, g.DisplayName
			id.OrgLanguage = g.OrgLanguage
			if g.Language != "" {
				id.Language = g.Language
			}
		}
	}
	id.Principal.Name = id.Username
	grants, err := access.GrantsOf(ctx, s.db.Read(), id.Principal.UserID)
	if err != nil {
		return nil, store.Translate(err)
	}
	id.Principal.Grants = grants
	if now.Sub(store.Time(lastSeen)) >= touchEvery {
		newExpires := expires
		if !id.Persistent {
			newExpires = store.Micros(now.Add(BrowserIdleTimeout))
		}
		// Best effort: a lost touch only shortens an idle session a little.
		s.db.Write().ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3`, store.Micros(now), newExpires, id.SessionID)
		s.dir.TouchActivity(ctx, id.Principal.UserID)
	}
	return &id, nil
}

// revokeUserSessions ends every session of user but keep (when not empty) in tx. The
// sessions working with user as a guest account go back to their home account: the
// person's own sign-in is not the guest account's to end.
func (s *Service) revokeUserSessions(ctx context.Context, tx *store.Tx, user atrium.UserID, keep string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET acting_user_id = NULL WHERE acting_user_id = $1`, string(user)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, string(user), keep)
	return err
}

func (s *Service) purgeSessions(ctx context.Context, _ *jobs.Job) error {
	now := store.Micros(s.clock.Now())
	if _, err := s.db.Write().ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < $1`, now); err != nil {
		return err
	}
	return s.pruneThrottle(ctx)
}
