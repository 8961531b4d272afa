package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"

	"github.com/atrium-admin/atrium"
)

// RequestID returns the request's id: the X-Request-Id a proxy set, when it is a short
// token, else a new random one. Responses carry it back, and every log line of the
// request names it.
func RequestID(r *http.Request) string {
	if v := r.Header.Get("X-Request-Id"); v != "" && len(v) <= 64 {
		ok := true
		for _, c := range v {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				ok = false
				break
			}
		}
		if ok {
			return v
		}
	}
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// LogRequest writes the one line every request gets, at info level: method, route
// (the pattern, not the path with its ids), status, duration, organization and id.
func LogRequest(log *slog.Logger, r *http.Request, route string, status int, start time.Time, org atrium.OrgID, id string) {
	if status == 0 {
		status = http.StatusOK
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	log.LogAttrs(r.Context(), level, "request", slog.String("method", r.Method), slog.String("route", route), slog.Int("status", status),
		slog.Int64("duration_us", time.Since(start).Microseconds()), slog.String("org", string(org)), slog.String("request_id", id))
}
