package web

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// handoffs carry what a POST produced to the page its redirect shows, once: the
// sign-up's organization and username, a generated password. The page is reached by a
// random reference in a cookie of the browser that posted, not by re-posting the form
// or by query parameters anyone could forge, and a reload finds it gone. They live in
// the node's memory (a password is never written anywhere); a node that did not make
// the reference shows the page's fallback.
type handoffs struct {
	mu sync.Mutex
	m  map[string]handoff
}

type handoff struct {
	data    any
	expires time.Time
}

const (
	handoffCookie = "atrium_handoff"
	handoffTTL    = 10 * time.Minute
	maxHandoffs   = 10_000
)

// put keeps data until now+handoffTTL and returns its reference. Expired ones go first;
// beyond maxHandoffs the oldest-expiring goes.
func (h *handoffs) put(data any, now time.Time) string {
	var b [18]byte
	rand.Read(b[:])
	ref := base64.RawURLEncoding.EncodeToString(b[:])
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]handoff{}
	}
	if len(h.m) >= maxHandoffs {
		var oldest string
		for k, v := range h.m {
			if !v.expires.After(now) {
				delete(h.m, k)
			} else if oldest == "" || v.expires.Before(h.m[oldest].expires) {
				oldest = k
			}
		}
		if len(h.m) >= maxHandoffs {
			delete(h.m, oldest)
		}
	}
	h.m[ref] = handoff{data: data, expires: now.Add(handoffTTL)}
	return ref
}

// take returns the data of ref and forgets it.
func (h *handoffs) take(ref string, now time.Time) (any, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.m[ref]
	delete(h.m, ref)
	if !ok || !v.expires.After(now) {
		return nil, false
	}
	return v.data, true
}

// redirectWith redirects to target (303), handing data to the page there once.
func (c *console) redirectWith(w http.ResponseWriter, r *http.Request, target string, data any) error {
	ref := c.handoff.put(data, c.Clock.Now())
	http.SetCookie(w, &http.Cookie{Name: handoffCookie, Value: ref, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil, MaxAge: int(handoffTTL / time.Second)})
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// takeHandoff returns what the redirect to this page handed over, once, and clears
// its cookie. Pages are never cached, so Back does not show it again either.
func takeHandoff[T any](c *console, w http.ResponseWriter, r *http.Request) (T, bool) {
	var zero T
	ck, err := r.Cookie(handoffCookie)
	if err != nil {
		return zero, false
	}
	http.SetCookie(w, &http.Cookie{Name: handoffCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	v, ok := c.handoff.take(ck.Value, c.Clock.Now())
	if !ok {
		return zero, false
	}
	t, ok := v.(T)
	return t, ok
}
