package httpapi

import (
	"sync"
	"time"
)

// Limiter allows each key n events per window (a fixed window per key). It bounds
// sign-ups and sign-in attempts per source address in this process; the durable,
// cluster-wide account lockout lives in the auth module.
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
	return b.count <= l.n
}
