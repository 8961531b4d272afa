package auth

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/password"
	"github.com/atrium-admin/atrium/store"
)

// Session is a signed-in browser or API client.
type Session struct {
	ID         string    `json:"id"`
	Persistent bool      `json:"persistent"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	UserAgent  string    `json:"user_agent"`
	SourceIP   string    `json:"source_ip"`
	// Via is where it was opened: "console" (the sign-in page) or "api".
	Via     string `json:"via"`
	Current bool   `json:"current"`
}

// SignInInput is a sign-in attempt.
type SignInInput struct {
	Username     string `json:"username"`
	Password     string `json:"password"`
	StaySignedIn bool   `json:"stay_signed_in"`
	SourceIP     string `json:"-"`
	UserAgent    string `json:"-"`
	// Via is where the session is opened: SessionConsole (default) or SessionAPI.
	Via string `json:"-"`
}

// Where sessions are opened.
const (
	SessionConsole = "console"
	SessionAPI     = "api"
)

var errBadCredentials = &atrium.Error{Code: atrium.CodeUnauthenticated, Message: "The username or password is incorrect."}

// SignIn checks a username and password and opens a session, returning its secret token
// (for the cookie or a bearer header). Wrong credentials get one message whether or not
// the username exists; repeated failures get rate_limited for a while (see
// ThrottlePolicy), with the time left for Retry-After. When too many sign-ins are being
// checked at once it returns unavailable.
func (s *Service) SignIn(ctx context.Context, in SignInInput) (*Identity, string, error) {
	username := strings.ToLower(strings.TrimSpace(in.Username))
	p := atrium.Problems{}
	if username == "" {
		p.Add("username", "is required")
	} else if len(username) > 320 {
		p.Add("username", "must be at most 320 characters")
	}
	if in.Password == "" {
		p.Add("password", "is required")
	} else if len(in.Password) > 4*password.MaxLength {
		p.Add("password", "is too long")
	}
	if err := p.Err(); err != nil {
		return nil, "", err
	}
	keys := keysFor(username, in.SourceIP)
	if err := s.checkLocked(ctx, keys); err != nil {
		return nil, "", err
	}
	// fail counts a failure and, when the account exists (c), publishes it.
	fail := func(c *directory.Credentials, reason string) (*Identity, string, error) {
		var ev *SignInFailed
		if c != nil {
			ev = &SignInFailed{User: c.User, Org: c.Org, Username: c.Username, Reason: reason, SourceIP: in.SourceIP}
		}
		if err := s.recordFailure(ctx, keys, ev); err != nil {
			return nil, "", err
		}
		return nil, "", errBadCredentials
	}
	c, err := s.dir.CredentialsByUsername(ctx, username)
	if err != nil {
		if atrium.ErrorCode(err) != atrium.CodeNotFound {
			return nil, "", err
		}
		// A busy hasher is not a failed attempt: it counts against nobody.
		if err := s.dir.Passwords().VerifyDummy(ctx, in.Password); err != nil {
			return nil, "", err
		}
		return fail(nil, "")
	}
	ok, err := s.dir.Passwords().Verify(ctx, c.PasswordHash, in.Password)
	if err != nil {
		return nil, "", err
	}
	switch {
	case !ok || c.HomeUser != "":
		// A guest account has no password; the person signs in at home.
		return fail(c, failWrongPassword)
	case c.Deleted:
		return fail(c, failDeleted)
	}
	if c.Blocked {
		if err := s.refused(ctx, c, failBlocked, in.SourceIP); err != nil {
			return nil, "", err
		}
		return nil, "", &atrium.Error{Code: atrium.CodeForbidden, Message: "sign-in is blocked for this account; contact your administrator"}
	}
	if !c.CanSignIn() {
		if err := s.refused(ctx, c, failOrgInactive, in.SourceIP); err != nil {
			return nil, "", err
		}
		return nil, "", &atrium.Error{Code: atrium.CodeForbidden, Message: "your organization is " + string(c.OrgState) + "; sign-in is not possible",
			ID: "err.auth.org_state", Args: []any{"State", string(c.OrgState)}}
	}
	now := s.clock.Now()
	token := newToken(sessionPrefix)
	expires := now.Add(BrowserIdleTimeout)
	if in.StaySignedIn {
		expires = now.Add(PersistentLifetime)
	}
	id := uuid.Must(uuid.NewV7()).String()
	ua := in.UserAgent
	if len(ua) > 512 {
		ua = ua[:512]
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		via := in.Via
		if via != SessionAPI {
			via = SessionConsole
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, token_hash, user_id, org_id, persistent, created_at, last_seen_at, expires_at, user_agent, source_ip, via)
			VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10)`,
			id, hashToken(token), string(c.User), string(c.Org), in.StaySignedIn, store.Micros(now), store.Micros(expires), ua, in.SourceIP, via); err != nil {
			return err
		}
		if err := s.dir.RecordSignIn(ctx, tx, c.User, now); err != nil {
			return err
		}
		if err := s.signedIn(ctx, tx, keys, c.User, c.Org); err != nil {
			return err
		}
		ctx := audit.WithActor(ctx, audit.Actor{ID: string(c.User), Name: c.Username, SourceIP: in.SourceIP})
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: c.Org, Action: "session.create", TargetType: "user", TargetID: string(c.User),
			TargetName: c.Username, After: map[string]any{"stay_signed_in": in.StaySignedIn}}); err != nil {
			return err
		}
		_, err := s.events.Publish(ctx, tx, c.Org, string(c.User), SignedIn{User: c.User, Org: c.Org, Username: c.Username, Via: via,
			SourceIP: in.SourceIP, SessionID: id})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	ident, err := s.Authenticate(ctx, token)
	if err != nil {
		return nil, "", err
	}
	return ident, token, nil
}

// refused publishes that c's right password was refused for reason.
func (s *Service) refused(ctx context.Context, c *directory.Credentials, reason, sourceIP string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := s.events.Publish(ctx, tx, c.Org, string(c.User), SignInFailed{User: c.User, Org: c.Org, Username: c.Username, Reason: reason, SourceIP: sourceIP})
		return err
	})
}

// SignOut ends the identity's session.
func (s *Service) SignOut(ctx context.Context, id *Identity) error {
	if id.SessionID == "" {
		return atrium.Errorf(atrium.CodeInvalid, "API tokens are revoked, not signed out")
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, id.SessionID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: id.HomeOrg, Action: "session.end", TargetType: "user",
			TargetID: string(id.HomeUser), TargetName: id.Username})
	})
}

// Sessions lists the signed-in user's own sessions, newest first.
func (s *Service) Sessions(ctx context.Context, id *Identity) ([]Session, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, persistent, created_at, last_seen_at, expires_at, user_agent, source_ip, via
		FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC LIMIT 200`, string(id.HomeUser), store.Micros(s.clock.Now()))
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	out := []Session{}
	for rows.Next() {
		var ss Session
		var c, l, e int64
		if err := rows.Scan(&ss.ID, &ss.Persistent, &c, &l, &e, &ss.UserAgent, &ss.SourceIP, &ss.Via); err != nil {
			return nil, store.Translate(err)
		}
		ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt = store.Time(c), store.Time(l), store.Time(e)
		ss.Current = ss.ID == id.SessionID
		out = append(out, ss)
	}
	return out, store.Translate(rows.Err())
}

// RevokeSession ends one of the signed-in user's own sessions; not_found for any other.
func (s *Service) RevokeSession(ctx context.Context, id *Identity, sessionID string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1 AND user_id = $2`, sessionID, string(id.HomeUser))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return atrium.Errorf(atrium.CodeNotFound, "session not found")
		}
		return audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: id.HomeOrg, Action: "session.revoke", TargetType: "session",
			TargetID: sessionID, TargetName: id.Username})
	})
}

// ChangePassword changes the signed-in user's password and ends their other sessions.
func (s *Service) ChangePassword(ctx context.Context, id *Identity, current, next string) error {
	if id.SessionID == "" {
		return atrium.Errorf(atrium.CodeForbidden, "API tokens cannot change passwords")
	}
	return s.dir.ChangePassword(context.WithValue(ctx, keepSessionKey{}, id.SessionID), id.HomeUser, current, next)
}

// keepSessionKey carries, through a password change, the session that stays signed in.
type keepSessionKey struct{}
