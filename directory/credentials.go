package directory

import (
	"context"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/password"
	"github.com/atrium-admin/atrium/store"
)

// Credentials is what sign-in needs to know about an account.
type Credentials struct {
	User               atrium.UserID
	Org                atrium.OrgID
	Username           string
	PasswordHash       string
	Blocked            bool
	Deleted            bool
	MustChangePassword bool
	OrgState           OrgState
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
	err := s.db.Read().QueryRowContext(ctx, `SELECT u.id, u.org_id, u.username, u.password_hash, u.blocked, u.deleted_at, u.must_change_password, o.state
		FROM users u JOIN organizations o ON o.id = u.org_id WHERE `+where, arg).
		Scan(&c.User, &c.Org, &c.Username, &c.PasswordHash, &c.Blocked, &deleted, &c.MustChangePassword, &c.OrgState)
	if err != nil {
		return nil, userNotFound(err)
	}
	c.Deleted = deleted != nil
	return &c, nil
}

// RecordSignIn stamps the user's last sign-in and activity.
func (s *Service) RecordSignIn(ctx context.Context, id atrium.UserID) error {
	now := store.Micros(s.clock.Now())
	_, err := s.db.Write().ExecContext(ctx, `UPDATE users SET last_sign_in_at = $1, last_activity_at = $1 WHERE id = $2`, now, string(id))
	return store.Translate(err)
}

// TouchActivity stamps the user's last activity.
func (s *Service) TouchActivity(ctx context.Context, id atrium.UserID) error {
	_, err := s.db.Write().ExecContext(ctx, `UPDATE users SET last_activity_at = $1 WHERE id = $2`, store.Micros(s.clock.Now()), string(id))
	return store.Translate(err)
}

// ChangePassword replaces the user's own password after checking the current one. It
// clears the must-change flag. It returns invalid naming current_password when that is
// wrong, or new_password when the new one breaks the rules or equals the old one. The
// auth module ends the user's other sessions, in the same transaction, via revoke.
func (s *Service) ChangePassword(ctx context.Context, id atrium.UserID, current, next string, revoke func(tx *store.Tx) error) error {
	c, err := s.CredentialsByID(ctx, id)
	if err != nil {
		return err
	}
	if !password.Verify(c.PasswordHash, current) {
		return atrium.FieldError("current_password", "is not your current password")
	}
	if err := password.Check("new_password", next); err != nil {
		return err
	}
	if current == next {
		return atrium.FieldError("new_password", "must differ from your current password")
	}
	hash, err := password.Hash(next)
	if err != nil {
		return atrium.Internal(err)
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		now := s.clock.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, must_change_password = FALSE, updated_at = $2, version = version + 1 WHERE id = $3`,
			hash, store.Micros(now), string(id)); err != nil {
			return err
		}
		if revoke != nil {
			if err := revoke(tx); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, now, audit.Entry{Org: c.Org, Action: "user.change_password", TargetType: "user", TargetID: string(id), TargetName: c.Username})
	})
}
