package httpapi

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/atrium-admin/atrium"
)

// Limiter allows each key n events per window (a fixed window per key). It bounds
// sign-ups and sign-in attempts per source address in this process; the durable,
// cluster-wide account lockout lives in the auth module. Errors that say when to try
// again (RateLimited, auth's lockouts) carry the wait for Retry-After.
type Limiter struct {
	mu     sync.Mutex
	n      int
	window time.Duration
	seen   map[string]*bucket
	sweep  time.Time
}

type bucket struct {
	start time.Time
	count int
}

// NewLimiter allows n events per window per key.
func NewLimiter(n int, window time.Duration) *Limiter {
	return &Limiter{n: n, window: window, seen: map[string]*bucket{}}
}

// Allow records an event for key and reports whether it is within the limit.
func (l *Limiter) Allow(key string, now time.Time) bool {
	ok, _ := l.Take(key, now)
	return ok
}

// Take records an event for key and reports whether it is within the limit; when it is
// not, wait is how long until key's window ends and events are allowed again.
func (l *Limiter) Take(key string, now time.Time) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > l.window {
		for k, b := range l.seen {
			if now.Sub(b.start) > l.window {
				delete(l.seen, k)
			}
		}
		l.sweep = now
	}
	b := l.seen[key]
	if b == nil || now.Sub(b.start) > l.window {
		b = &bucket{start: now}
		l.seen[key] = b
	}
	b.count++
	if b.count <= l.n {
		return true, 0
	}
	return false, b.start.Add(l.window).Sub(now)
}

// RetryAfter returns how long the caller should wait before trying again after err,
// when err says so (a lockout or a rate limit that knows when it ends).
func RetryAfter(err error) (time.Duration, bool) {
	if e, ok := err.(*atrium.Error); ok && e.Cause == nil {
		return 0, false // says nothing of a wait and wraps nothing that could
	}
	var r interface{ RetryAfter() time.Duration }
	if !errors.As(err, &r) {
		return 0, false
	}
	return r.RetryAfter(), true
}

// SetRetryAfterOf sets the Retry-After header for err: the wait err carries when it
// carries one, else what SetRetryAfter sets for its code.
func SetRetryAfterOf(h http.Header, err error) {
	SetRetryAfter(h, atrium.ErrorCode(err))
	if d, ok := RetryAfter(err); ok {
		h.Set("Retry-After", retrySeconds(d))
	}
}

// retrySeconds is d in whole seconds, rounded up, at least one.
func retrySeconds(d time.Duration) string {
	return strconv.FormatInt(max(1, int64(math.Ceil(d.Seconds()))), 10)
}

// RateLimited returns a rate_limited error that may be retried after wait; its message
// is what, followed by when to try again: "Too many sign-ups from your address. Try
// again in 40 seconds."
func RateLimited(wait time.Duration, what string) error {
	e := &atrium.Error{Code: atrium.CodeRateLimited, Message: what + " Try again in " + WaitInWords(wait) + "."}
	if ids, ok := rateLimitedIDs[what]; ok {
		n, minutes := waitCount(wait)
		e.ID, e.Args = ids[0], []any{"Count", n}
		if minutes {
			e.ID = ids[1]
		}
	}
	return &retryLater{err: e, wait: wait}
}

// rateLimitedIDs name, for the whats RateLimited knows, the messages of the whole
// sentence, with the wait in seconds and in minutes. Any other what stays English in
// every language.
var rateLimitedIDs = map[string][2]string{
	"Too many sign-in attempts from your address.": {"err.httpapi.rate_limited_signin.seconds", "err.httpapi.rate_limited_signin.minutes"},
	"Too many sign-ups from your address.":         {"err.httpapi.rate_limited_signup.seconds", "err.httpapi.rate_limited_signup.minutes"},
}

// waitCount is the number WaitInWords says d as, and whether in minutes (else seconds).
func waitCount(d time.Duration) (int, bool) {
	if d <= time.Minute {
		n := max(1, int(math.Ceil(d.Seconds())))
		if n == 60 {
			return 1, true
		}
		return n, false
	}
	return int(math.Ceil(d.Minutes())), true
}

// WaitInWords says how long d is for a message: "40 seconds", "1 minute", "15 minutes"
// (rounded up).
func WaitInWords(d time.Duration) string {
	if d <= time.Minute {
		n := max(1, int(math.Ceil(d.Seconds())))
		if n == 60 {
			return "1 minute"
		}
		return plural(n, "second")
	}
	return plural(int(math.Ceil(d.Minutes())), "minute")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

type retryLater struct {
	err  *atrium.Error
	wait time.Duration
}

func (e *retryLater) Error() string             { return e.err.Error() }
func (e *retryLater) Unwrap() error             { return e.err }
func (e *retryLater) RetryAfter() time.Duration { return e.wait }
