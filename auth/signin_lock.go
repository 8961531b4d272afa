package auth

import (
	"context"
	"strings"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/store"
)

// SignInLock is how failed sign-ins lock a user out now.
type SignInLock struct {
	Locked bool `json:"locked"`
	// LockedUntil is when the last of the locks ends.
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	// Account is set when the account is locked for every address it has not signed in
	// from before (a distributed attack); otherwise only Addresses addresses are locked
	// out of it.
	Account   bool `json:"account"`
	Addresses int  `json:"addresses"`
	// Failures are the failed sign-ins that led to the lock.
	Failures int `json:"failures"`
}

// SignInLock returns how failed sign-ins lock user id of p's organization out. It
// returns not_found for users p cannot see or deleted users, forbidden unless p may
// read users.
func (s *Service) SignInLock(ctx context.Context, p *access.Principal, id atrium.UserID) (*SignInLock, error) {
	u, err := s.activeUser(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return signInLock(ctx, s.db.Read(), s.clock.Now(), accountOf(u))
}

// Unlock ends every lock failed sign-ins put on user id of p's organization: the
// account's and each address's, and forgets their failures, recording user.unlock in
// the audit trail when there was a lock. It returns the lock it ended, not_found for
// users p cannot see or deleted users, forbidden unless p may block the user.
func (s *Service) Unlock(ctx context.Context, p *access.Principal, id atrium.UserID) (*SignInLock, error) {
	u, err := s.activeUser(ctx, p, id)
	if err != nil {
		return nil, err
	}
	// Unlocking is part of blocking and unblocking sign-in: it needs the same permission.
	if err := access.Require(p, access.UserBlock, access.Resource{Org: u.Org, TargetRank: access.RankOf(u.Roles), TargetOrg: u.Org}); err != nil {
		return nil, err
	}
	var was *SignInLock
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		account := accountOf(u)
		l, err := signInLock(ctx, tx, now, account)
		if err != nil {
			return err
		}
		was = l
		if _, err := tx.ExecContext(ctx, `DELETE FROM signin_throttle WHERE account = $1`, account); err != nil {
			return err
		}
		if !was.Locked {
			return nil
		}
		return audit.Record(ctx, tx, now, audit.Entry{Org: u.Org, Action: "user.unlock", TargetType: "user", TargetID: string(u.ID), TargetName: u.Username,
			Before: map[string]any{"locked_until": was.LockedUntil, "failures": was.Failures, "account": was.Account, "addresses": was.Addresses}})
	})
	if err != nil {
		return nil, store.Translate(err)
	}
	return was, nil
}

// activeUser loads user id of p's organization, refusing deleted users as not found.
func (s *Service) activeUser(ctx context.Context, p *access.Principal, id atrium.UserID) (*directory.User, error) {
	u, err := s.dir.GetUser(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if u.DeletedAt != nil {
		return nil, atrium.Errorf(atrium.CodeNotFound, "There is no such user.")
	}
	return u, nil
}

// accountOf is the account throttling counts u's failures under: the username as it is
// typed to sign in.
func accountOf(u *directory.User) string { return strings.ToLower(strings.TrimSpace(u.Username)) }

// signInLock reads the locks on account at now: its own and its pairs'.
func signInLock(ctx context.Context, q store.Querier, now time.Time, account string) (*SignInLock, error) {
	rows, err := q.QueryContext(ctx, `SELECT key, failures, locked_until FROM signin_throttle WHERE account = $1 AND locked_until > $2`,
		account, store.Micros(now))
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	l := &SignInLock{}
	var until int64
	pairFailures, accountFailures := 0, 0
	for rows.Next() {
		var key string
		var failures int
		var lockedUntil int64
		if err := rows.Scan(&key, &failures, &lockedUntil); err != nil {
			return nil, store.Translate(err)
		}
		l.Locked = true
		until = max(until, lockedUntil)
		if key == accountKey(account) {
			l.Account, accountFailures = true, failures
		} else {
			l.Addresses++
			pairFailures += failures
		}
	}
	if err := rows.Err(); err != nil {
		return nil, store.Translate(err)
	}
	if l.Locked {
		t := store.Time(until)
		l.LockedUntil = &t
		l.Failures = max(accountFailures, pairFailures)
	}
	return l, nil
}
