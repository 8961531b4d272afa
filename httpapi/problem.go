package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/i18n"
)

// statusOf is the one map from error code to HTTP status.
var statusOf = map[atrium.Code]int{
	atrium.CodeInvalid:            http.StatusBadRequest,
	atrium.CodeNotFound:           http.StatusNotFound,
	atrium.CodeConflict:           http.StatusConflict,
	atrium.CodeForbidden:          http.StatusForbidden,
	atrium.CodeUnauthenticated:    http.StatusUnauthorized,
	atrium.CodePreconditionFailed: http.StatusPreconditionFailed,
	atrium.CodeRateLimited:        http.StatusTooManyRequests,
	atrium.CodeLicenseRequired:    http.StatusForbidden,
	atrium.CodeNoSeatsAvailable:   http.StatusConflict,
	atrium.CodePasswordChange:     http.StatusForbidden,
	atrium.CodeTooLarge:           http.StatusRequestEntityTooLarge,
	atrium.CodeUnavailable:        http.StatusServiceUnavailable,
	atrium.CodeInternal:           http.StatusInternalServerError,
}

// retryAfterOf says, in seconds, when a client may try again after an error with the
// code that carries no wait of its own (RateLimited and sign-in lockouts carry theirs,
// which WriteError sends instead).
var retryAfterOf = map[atrium.Code]string{
	atrium.CodeRateLimited: "60",
	atrium.CodeUnavailable: "2",
}

// SetRetryAfter sets the Retry-After header for errors with code that are worth retrying
// (rate_limited, unavailable) and leaves h alone for the others.
func SetRetryAfter(h http.Header, code atrium.Code) {
	if s, ok := retryAfterOf[code]; ok {
		h.Set("Retry-After", s)
	}
}

// Status returns the HTTP status for err's code.
func Status(err error) int {
	if s, ok := statusOf[atrium.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Problem is an RFC 9457 problem details object with Atrium's stable code and
// per-field messages.
type Problem struct {
	Type   string            `json:"type"`
	Title  string            `json:"title"`
	Status int               `json:"status"`
	Detail string            `json:"detail"`
	Code   atrium.Code       `json:"code"`
	Errors map[string]string `json:"errors,omitempty"`
}

// ProblemOf converts err to a problem in English. Internal errors say only "internal
// error".
func ProblemOf(err error) Problem { return ProblemIn(err, i18n.For(i18n.EN)) }

// ProblemIn converts err to a problem whose title, detail and field messages are in
// p's language; the type, status, code and field names stay the same in every language.
func ProblemIn(err error, p *i18n.Printer) Problem {
	var e *atrium.Error
	if !errors.As(err, &e) {
		e = atrium.Internal(err)
	}
	status := Status(e)
	prob := Problem{
		Type:   "https://atrium.dev/problems/" + string(e.Code),
		Title:  p.T("problem." + string(e.Code) + ".title"),
		Status: status,
		Detail: detailIn(e, p),
		Code:   e.Code,
	}
	// The error's own messages unless a translation differs; then a copy, never the
	// error's map itself.
	prob.Errors = e.Fields
	cloned := false
	for f, msg := range e.Fields {
		if t := p.Text(msg); t != msg {
			if !cloned {
				prob.Errors, cloned = maps.Clone(e.Fields), true
			}
			prob.Errors[f] = t
		}
	}
	return prob
}

// detailIn is e's message in p's language. A message about one field reads
// "field: message", the field name kept as the client sent it.
func detailIn(e *atrium.Error, p *i18n.Printer) string {
	if e.ID != "" && p.Lang() != i18n.EN {
		return p.T(e.ID, e.Args...) // English readers get the message as the code wrote it
	}
	switch e.Message {
	case "invalid input":
		return p.T("problem.invalid.detail")
	case "internal error":
		return p.T("problem.internal.detail")
	}
	if len(e.Fields) == 1 {
		for f, msg := range e.Fields {
			if e.Message == f+": "+msg {
				return f + ": " + p.Text(msg)
			}
		}
	}
	return p.Text(e.Message)
}

// contentLanguage holds the Content-Language header value of each language.
var contentLanguage = func() map[i18n.Lang][]string {
	m := map[i18n.Lang][]string{}
	for _, l := range append(append([]i18n.Lang{}, i18n.Supported...), i18n.XA) {
		m[l] = []string{string(l)}
	}
	return m
}()

// requestLang is the language of an API answer: the caller's Accept-Language, else
// English (clients that do not ask get what they always got).
func requestLang(r *http.Request) i18n.Lang {
	return i18n.Negotiate(r.Header.Get("Accept-Language"))
}

// WriteError writes err as application/problem+json, logging internal errors with
// their cause.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	lang := requestLang(r)
	p := ProblemIn(err, i18n.For(lang))
	if p.Code == atrium.CodeInternal {
		log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if p.Code == atrium.CodeUnauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="atrium"`)
	}
	SetRetryAfterOf(w.Header(), err)
	w.Header().Set("Content-Type", "application/problem+json")
	h := w.Header()
	h["Content-Language"] = contentLanguage[lang] // shared, never written to: no allocation per error
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}
