package httpapi

import (
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

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
	e := errorOf(err)
	c := codeTextOf(e.Code)
	prob := Problem{
		Type:   c.typ,
		Title:  p.T(c.titleID),
		Status: Status(e),
		Detail: detailIn(e, p),
		Code:   e.Code,
	}
	// The error's own messages unless a translation differs; then a copy, never the
	// error's map itself.
	prob.Errors = e.Fields
	cloned := false
	for f, msg := range e.Fields {
		if t := fieldIn(e, f, msg, p); t != msg {
			if !cloned {
				prob.Errors, cloned = maps.Clone(e.Fields), true
			}
			prob.Errors[f] = t
		}
	}
	return prob
}

// errorOf is the *atrium.Error err is or wraps, or an internal error with err as its
// cause.
func errorOf(err error) *atrium.Error {
	if e, ok := err.(*atrium.Error); ok {
		return e // most errors, without errors.As's reflection
	}
	var e *atrium.Error
	if !errors.As(err, &e) {
		e = atrium.Internal(err)
	}
	return e
}

// codeText is what a problem's code says the same in every problem: its type URI and
// the ID of its title.
type codeText struct{ typ, titleID string }

// codeTexts holds the codeText of every code, built once.
var codeTexts = func() map[atrium.Code]codeText {
	m := make(map[atrium.Code]codeText, len(statusOf))
	for c := range statusOf {
		m[c] = codeText{"https://atrium.dev/problems/" + string(c), "problem." + string(c) + ".title"}
	}
	return m
}()

func codeTextOf(c atrium.Code) codeText {
	if t, ok := codeTexts[c]; ok {
		return t
	}
	return codeText{"https://atrium.dev/problems/" + string(c), "problem." + string(c) + ".title"}
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
	if f, ok := e.OneField(); ok {
		return f + ": " + fieldIn(e, f, e.Fields[f], p)
	}
	return p.Text(e.Message)
}

// fieldIn is e's message msg about field f in p's language: its catalogue message
// (FieldMsgs) when it has values in it, else the catalogue's by its English text.
func fieldIn(e *atrium.Error, f, msg string, p *i18n.Printer) string {
	m := e.FieldMsgs[f]
	return p.Message(msg, m.ID, m.Args...)
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

// Header values every problem has, shared and never written to: no allocation per
// error.
var (
	problemContentType = []string{"application/problem+json"}
	noStore            = []string{"no-store"}
)

// problemBuffers hold the bodies WriteError writes.
var problemBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// WriteError writes err as application/problem+json (ProblemIn in the language the
// request asks for), logging internal errors with their cause.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	lang := requestLang(r)
	e := errorOf(err)
	if e.Code == atrium.CodeInternal {
		log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	h := w.Header()
	if e.Code == atrium.CodeUnauthenticated {
		h.Set("WWW-Authenticate", `Bearer realm="atrium"`)
	}
	SetRetryAfterOf(h, err)
	h["Content-Type"] = problemContentType
	h["Content-Language"] = contentLanguage[lang]
	h["Cache-Control"] = noStore
	status := Status(e)
	buf := problemBuffers.Get().(*[]byte)
	b := appendProblem((*buf)[:0], e, i18n.For(lang), status)
	w.WriteHeader(status)
	w.Write(b)
	if cap(b) <= 64<<10 { // a rare huge problem is not kept
		*buf = b
		problemBuffers.Put(buf)
	}
}

// appendProblem appends to b the JSON of e's problem in p's language, with status, as
// json.Encoder writes ProblemIn(e, p) (TestAppendProblemLikeEncoder keeps it so), but
// without building the problem: the field messages are translated as they are
// written.
func appendProblem(b []byte, e *atrium.Error, p *i18n.Printer, status int) []byte {
	c := codeTextOf(e.Code)
	b = append(b, `{"type":`...)
	b = appendJSONString(b, c.typ)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, p.T(c.titleID))
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"detail":`...)
	b = appendJSONString(b, detailIn(e, p))
	b = append(b, `,"code":`...)
	b = appendJSONString(b, string(e.Code))
	if len(e.Fields) > 0 {
		b = append(b, `,"errors":{`...)
		var names [8]string // most problems name a few fields: no allocation for them
		keys := names[:0]
		for f := range e.Fields {
			keys = append(keys, f)
		}
		slices.Sort(keys) // as encoding/json orders a map's keys
		for i, f := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, f)
			b = append(b, ':')
			b = appendJSONString(b, fieldIn(e, f, e.Fields[f], p))
		}
		b = append(b, '}')
	}
	return append(b, "}\n"...)
}

// appendJSONString appends s as a JSON string the way encoding/json writes one with
// HTML escaping (json.Encoder's default): <, > and & as \u003c, \u003e, \u0026, control
// characters escaped, U+2028 and U+2029 as \u2028 and \u2029, and each byte of invalid
// UTF-8 as \ufffd.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
