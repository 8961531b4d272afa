package directory

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/password"
	"github.com/atrium-admin/atrium/store"
)

// Credentials is what sign-in needs to know about an account.
type Credentials struct {
	User               atrium.UserID
	Org                atrium.OrgID
	Username           string
	DisplayName        string
	PasswordHash       string
	Blocked            bool
	Deleted            bool
	MustChangePassword bool
	OrgState           OrgState
	// Language is the user's own display language, OrgLanguage their organization's.
	Language, OrgLanguage string
	// HomeUser is set for a guest account: the home account it belongs to. A guest
	// account has no password and is never signed in to directly.
	HomeUser atrium.UserID
}

// CanSignIn reports whether the account may sign in at all (its password aside).
func (c *Credentials) CanSignIn() bool {
	return !c.Blocked && !c.Deleted && c.OrgState == OrgActive
}

// CredentialsByUsername returns the credentials of the account named username
// (case-insensitively), or not_found.
func (s *Service) CredentialsByUsername(ctx context.Context, username string) (*Credentials, error) {
	return s.credentials(ctx, `u.username_key = $1`, strings.ToLower(strings.TrimSpace(username)))
}

// CredentialsByID returns the credentials of user id, or not_found.
func (s *Service) CredentialsByID(ctx context.Context, id atrium.UserID) (*Credentials, error) {
	return s.credentials(ctx, `u.id = $1`, string(id))
}

func (s *Service) credentials(ctx context.Context, where string, arg string) (*Credentials, error) {
	var c Credentials
	var deleted *int64
	err := s.db.Read().QueryRowContext(ctx, `SELECT u.id, u.org_id, u.username, u.display_name, u.password_hash, u.blocked, u.deleted_at, u.must_change_password, o.state, u.language, o.language, COALESCE(u.home_user_id, '')
		FROM users u JOIN organizations o ON o.id = u.org_id WHERE `+where, arg).
		Scan(&c.User, &c.Org, &c.Username, &c.DisplayName, &c.PasswordHash, &c.Blocked, &deleted, &c.MustChangePassword, &c.OrgState, &c.Language, &c.OrgLanguage, &c.HomeUser)
	if err != nil {
		return nil, userNotFound(err)
	}
	c.Deleted = deleted != nil
	return &c, nil
}

// RecordSignIn stamps the user's last sign-in and activity at now, in the sign-in's
// transaction.
func (s *Service) RecordSignIn(ctx context.Context, tx *store.Tx, id atrium.UserID, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE users SET last_sign_in_at = $1, last_activity_at = $1 WHERE id = $2`, store.Micros(now), string(id))
	return err
}

// TouchActivity stamps the user's last activity.
func (s *Service) TouchActivity(ctx context.Context, id atrium.UserID) error {
	_, err := s.db.Write().ExecContext(ctx, `UPDATE users SET last_activity_at = $1 WHERE id = $2`, store.Micros(s.clock.Now()), string(id))
	return store.Translate(err)
}

// ChangePassword replaces the user's own password after checking the current one. It
// clears the must-change flag. It returns invalid naming current_password when that is
// wrong, or new_password when the new one breaks the rules or equals the old one. It
// publishes UserPasswordChanged in the same transaction (auth ends the other sessions).
func (s *Service) ChangePassword(ctx context.Context, id atrium.UserID, current, next string) error {
	c, err := s.CredentialsByID(ctx, id)
	if err != nil {
		return err
	}
	// Every problem at once: the new password's, and whether the current one is right.
	probs := atrium.Problems{}
	if err := password.Check("new_password", next); err != nil {
		probs.AddFrom(err)
	} else if current == next {
		probs.Add("new_password", "must differ from your current password")
	}
	ok, err := s.Passwords().Verify(ctx, c.PasswordHash, current)
	if err != nil {
		return err
	}
	if !ok {
		probs.Add("current_password", "is not your current password")
	}
	if err := probs.Err(); err != nil {
		return err
	}
	hash, err := s.Passwords().Hash(ctx, next)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, must_change_password = FALSE, updated_at = $2, version = version + 1 WHERE id = $3`,
			hash, store.Micros(now), string(id)); err != nil {
			return err
		}
		if _, err := s.publish(ctx, tx, c.Org, string(id), UserPasswordChanged{UserRef: UserRef{ID: id, Org: c.Org, Username: c.Username}}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, audit.Entry{Org: c.Org, Action: "user.change_password", TargetType: "user", TargetID: string(id), TargetName: c.Username})
	})
}

// defaultPasswords is the hasher of services configured without one, shared so that its
// limit on concurrent hashing holds across them.
var defaultPasswords = sync.OnceValue(func() *password.Hasher { return password.NewHasher(password.Default, 0) })

// Passwords returns the hasher the directory hashes and verifies passwords with; the
// auth module verifies sign-ins with it too.
func (s *Service) Passwords() *password.Hasher {
	if s.cfg.Passwords != nil {
		return s.cfg.Passwords
	}
	return defaultPasswords()
}

// SetLanguage sets the signed-in user's own display language ("" follows the
// organization's), audited as a change of their profile.
func (s *Service) SetLanguage(ctx context.Context, p *access.Principal, language string) (*User, error) {
	language = strings.TrimSpace(language)
	probs := atrium.Problems{}
	if language != "" {
		checkLanguage(probs, "language", language)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	var out *User
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := getUser(ctx, tx, p.Org, p.UserID)
		if err != nil {
			return err
		}
		if u.Language == language {
			out = u
			return nil
		}
		before := u.Language
		if _, err := tx.ExecContext(ctx, `UPDATE users SET language = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND org_id = $4`,
			language, store.Micros(tx.Now()), string(u.ID), string(u.Org)); err != nil {
			return err
		}
		u.Language, u.Version = language, u.Version+1
		out = u
		return audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: u.Org, Action: "user.language", TargetType: "user", TargetID: string(u.ID),
			TargetName: u.Username, Before: map[string]any{"language": before}, After: map[string]any{"language": language}})
	})
	return out, err
}
