package auth

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
)

// ThrottlePolicy limits failed sign-ins: after Failures failures within Window, the key
// is locked for Lockout. Accounts and source addresses are counted separately.
type ThrottlePolicy struct {
	AccountFailures int
	AddressFailures int
	Window          time.Duration
	Lockout         time.Duration
}

// DefaultThrottle locks an account after 5 failures in 15 minutes, and an address after
// 30, for 15 minutes.
var DefaultThrottle = ThrottlePolicy{AccountFailures: 5, AddressFailures: 30, Window: 15 * time.Minute, Lockout: 15 * time.Minute}

// Keys are per username as typed (lower-cased), whether or not such an account exists, so
// a lockout reveals nothing about which usernames are real.
func accountKey(username string) string { return "acct:" + username }
func addressKey(ip string) string       { return "addr:" + ip }

// checkLocked returns rate_limited if any of keys is locked now.
func (s *Service) checkLocked(ctx context.Context, keys ...string) error {
	now := s.clock.Now()
	for _, k := range keys {
		var until int64
		err := s.db.Read().QueryRowContext(ctx, `SELECT locked_until FROM signin_throttle WHERE key = $1`, k).Scan(&until)
		if err != nil {
			if atrium.ErrorCode(store.Translate(err)) == atrium.CodeNotFound {
				continue
			}
			return store.Translate(err)
		}
		if wait := store.Time(until).Sub(now); wait > 0 {
			return &atrium.Error{Code: atrium.CodeRateLimited,
				Message: fmt.Sprintf("too many failed sign-ins; try again in %d minutes", int(math.Ceil(wait.Minutes())))}
		}
	}
	return nil
}

// recordFailure counts a failed sign-in against key and locks it when over limit.
func (s *Service) recordFailure(ctx context.Context, key string, limit int) error {
	now := s.clock.Now()
	p := s.Throttle
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		var failures int
		var start int64
		err := tx.QueryRowContext(ctx, `SELECT failures, window_start FROM signin_throttle WHERE key = $1`, key).Scan(&failures, &start)
		if err != nil && atrium.ErrorCode(store.Translate(err)) != atrium.CodeNotFound {
			return err
		}
		if err != nil || now.Sub(store.Time(start)) > p.Window {
			failures, start = 0, store.Micros(now)
		}
		failures++
		var locked int64
		if failures >= limit {
			locked = store.Micros(now.Add(p.Lockout))
			failures, start = 0, store.Micros(now)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO signin_throttle (key, failures, window_start, locked_until) VALUES ($1, $2, $3, $4)
			ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start,
				locked_until = CASE WHEN excluded.locked_until > 0 THEN excluded.locked_until ELSE signin_throttle.locked_until END`,
			key, failures, start, locked)
		return err
	})
}

// clearFailures forgets the failures of key after a successful sign-in.
func (s *Service) clearFailures(ctx context.Context, key string) {
	s.db.Write().ExecContext(ctx, `DELETE FROM signin_throttle WHERE key = $1 AND locked_until < $2`, key, store.Micros(s.clock.Now()))
}
