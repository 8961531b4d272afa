package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
)

// ThrottlePolicy limits failed sign-ins. Failures are counted three ways within Window,
// and each count locks its key for Lockout once over its limit:
//
//   - per account and source address (PairFailures): someone guessing one account's
//     password from one place is stopped there, and only there, so nobody can lock a
//     user out by typing their username;
//   - per source address (AddressFailures): one place trying many accounts;
//   - per account (AccountFailures, from at least AccountAddresses distinct addresses):
//     a distributed attack on one account. The account is then locked only for
//     addresses that have not signed in to it in the last KnownFor: from those the
//     right password still gets through ("smart lockout").
//
// Accounts are usernames as typed, whether or not such an account exists, so a lockout
// reveals nothing about which usernames are real. IPv6 sources count per /64, the
// block one subscriber usually holds.
type ThrottlePolicy struct {
	PairFailures     int
	AddressFailures  int
	AccountFailures  int
	AccountAddresses int
	Window           time.Duration
	Lockout          time.Duration
	KnownFor         time.Duration
}

// DefaultThrottle locks an account and address pair after 5 failures in 15 minutes, an
// address after 30, and an account after 30 from at least 10 addresses, each for 15
// minutes. A successful sign-in makes its address known to the account for 90 days, so
// that people who sign in once a month or a quarter stay known.
var DefaultThrottle = ThrottlePolicy{PairFailures: 5, AddressFailures: 30, AccountFailures: 30, AccountAddresses: 10,
	Window: 15 * time.Minute, Lockout: 15 * time.Minute, KnownFor: 90 * 24 * time.Hour}

// throttleKeys are the signin_throttle rows one sign-in attempt counts against.
type throttleKeys struct {
	username string // the account: the username as typed, lower-cased
	source   string // the source address, IPv6 reduced to its /64
	pair     string
	address  string
	account  string
}

func keysFor(username, sourceIP string) throttleKeys {
	src := throttleSource(sourceIP)
	return throttleKeys{username: username, source: src,
		pair: "pair:" + src + " " + username, address: "addr:" + src, account: accountKey(username)}
}

func accountKey(username string) string { return "acct:" + username }

// throttleSource is the form of an address failures are counted under: IPv4 as it is,
// IPv6 as its /64, anything unparsable as given.
func throttleSource(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}

// knownKey is the stored form of "username signed in from source": a hash, so the table
// does not list where people sign in from.
func knownKey(username, source string) string {
	sum := sha256.Sum256([]byte("atrium known sign-in address v1\x00" + username + "\x00" + source))
	return hex.EncodeToString(sum[:])
}

// lockedError is the rate_limited error of a locked sign-in; it says when to try again.
type lockedError struct {
	err  *atrium.Error
	wait time.Duration
}

func (e *lockedError) Error() string { return e.err.Error() }
func (e *lockedError) Unwrap() error { return e.err }

// RetryAfter is how long the lock has left.
func (e *lockedError) RetryAfter() time.Duration { return e.wait }

func errLocked(wait time.Duration) error {
	n := int(math.Ceil(wait.Minutes()))
	when := fmt.Sprintf("%d minutes", n)
	if n <= 1 {
		when = "a minute"
	}
	return &lockedError{wait: wait, err: &atrium.Error{Code: atrium.CodeRateLimited,
		Message: "Too many failed sign-ins. Try again in " + when + ".",
		ID:      "err.auth.locked", Args: []any{"Count", max(1, n)}}}
}

// checkLocked returns a locked error when k may not try now: its account and source
// pair is locked, or its source or account is and the source is not one the account
// signed in from before.
func (s *Service) checkLocked(ctx context.Context, k throttleKeys) error {
	now := store.Micros(s.clock.Now())
	rows, err := s.db.Read().QueryContext(ctx, `SELECT key, locked_until FROM signin_throttle WHERE key IN ($1, $2, $3) AND locked_until > $4`,
		k.pair, k.address, k.account, now)
	if err != nil {
		return store.Translate(err)
	}
	defer rows.Close()
	var pair, other int64
	for rows.Next() {
		var key string
		var until int64
		if err := rows.Scan(&key, &until); err != nil {
			return store.Translate(err)
		}
		if key == k.pair {
			pair = until
		} else {
			other = max(other, until)
		}
	}
	if err := rows.Err(); err != nil {
		return store.Translate(err)
	}
	if pair > 0 {
		return errLocked(store.Time(pair).Sub(store.Time(now)))
	}
	if other == 0 {
		return nil
	}
	var known int
	err = s.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM signin_known_addresses WHERE key_hash = $1 AND expires_at > $2`,
		knownKey(k.username, k.source), now).Scan(&known)
	if err != nil {
		return store.Translate(err)
	}
	if known > 0 {
		return nil
	}
	return errLocked(store.Time(other).Sub(store.Time(now)))
}

// recordFailure counts a failed sign-in against k's pair, source and account, and locks
// each that went over its limit; ev, when not nil, is published in the same transaction.
func (s *Service) recordFailure(ctx context.Context, k throttleKeys, ev *SignInFailed) error {
	p := s.Throttle
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		if ev != nil {
			if _, err := s.events.Publish(ctx, tx, ev.Org, string(ev.User), *ev); err != nil {
				return err
			}
		}
		if _, _, err := countFailure(ctx, tx, now, p, k.pair, k.username, p.PairFailures); err != nil {
			return err
		}
		if _, _, err := countFailure(ctx, tx, now, p, k.address, "", p.AddressFailures); err != nil {
			return err
		}
		failures, locked, err := countFailure(ctx, tx, now, p, k.account, k.username, 0)
		if err != nil || locked || failures < p.AccountFailures {
			return err
		}
		// Many failures: lock the account only if they come from many places.
		var sources int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM signin_throttle WHERE account = $1 AND key <> $2 AND (window_start >= $3 OR locked_until > $4)`,
			k.username, k.account, store.Micros(now.Add(-p.Window)), store.Micros(now)).Scan(&sources); err != nil {
			return err
		}
		if sources < p.AccountAddresses {
			return nil
		}
		return lock(ctx, tx, now, p, k.account)
	})
}

// countFailure adds a failure to key's window, starting a new window when the last one
// is over (its time passed and it is not locked), and returns the failures in the
// window and whether key is locked. It locks key when they reach limit (0: never).
func countFailure(ctx context.Context, tx *store.Tx, now time.Time, p ThrottlePolicy, key, account string, limit int) (failures int, locked bool, err error) {
	var lockedUntil int64
	err = tx.QueryRowContext(ctx, `INSERT INTO signin_throttle (key, account, failures, window_start, locked_until) VALUES ($1, $2, 1, $3, 0)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN signin_throttle.locked_until <= $3 AND (signin_throttle.locked_until > 0 OR signin_throttle.window_start < $4)
				THEN 1 ELSE signin_throttle.failures + 1 END,
			window_start = CASE WHEN signin_throttle.locked_until <= $3 AND (signin_throttle.locked_until > 0 OR signin_throttle.window_start < $4)
				THEN $3 ELSE signin_throttle.window_start END,
			locked_until = CASE WHEN signin_throttle.locked_until <= $3 THEN 0 ELSE signin_throttle.locked_until END
		RETURNING failures, locked_until`,
		key, account, store.Micros(now), store.Micros(now.Add(-p.Window))).Scan(&failures, &lockedUntil)
	if err != nil {
		return 0, false, err
	}
	if limit > 0 && failures >= limit && lockedUntil == 0 {
		return failures, true, lock(ctx, tx, now, p, key)
	}
	return failures, lockedUntil > 0, nil
}

func lock(ctx context.Context, tx *store.Tx, now time.Time, p ThrottlePolicy, key string) error {
	_, err := tx.ExecContext(ctx, `UPDATE signin_throttle SET locked_until = $1 WHERE key = $2`, store.Micros(now.Add(p.Lockout)), key)
	return err
}

// signedIn records, in the sign-in's transaction, that user signed in as k: the pair's
// failures are forgotten and the source becomes known to the account for KnownFor. The
// source's and the account's counts stay: one success does not excuse an attack.
func (s *Service) signedIn(ctx context.Context, tx *store.Tx, k throttleKeys, user atrium.UserID, org atrium.OrgID) error {
	now := tx.Now()
	if _, err := tx.ExecContext(ctx, `DELETE FROM signin_throttle WHERE key = $1 AND locked_until <= $2`, k.pair, store.Micros(now)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO signin_known_addresses (key_hash, user_id, org_id, expires_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key_hash) DO UPDATE SET user_id = excluded.user_id, org_id = excluded.org_id, expires_at = excluded.expires_at`,
		knownKey(k.username, k.source), string(user), string(org), store.Micros(now.Add(s.Throttle.KnownFor)))
	return err
}

// pruneThrottle deletes counters a day past their window and expired known addresses.
func (s *Service) pruneThrottle(ctx context.Context) error {
	now := s.clock.Now()
	if _, err := s.db.Write().ExecContext(ctx, `DELETE FROM signin_throttle WHERE locked_until < $1 AND window_start < $2`,
		store.Micros(now), store.Micros(now.Add(-24*time.Hour))); err != nil {
		return err
	}
	_, err := s.db.Write().ExecContext(ctx, `DELETE FROM signin_known_addresses WHERE expires_at <= $1`, store.Micros(now))
	return err
}
