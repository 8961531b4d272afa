// Package httpapi is Atrium's JSON API under /api/v1: routing, authentication (session
// cookie with CSRF protection, or bearer token), problem+json errors, ETags, metrics,
// and the OpenAPI 3.1 document generated from the same route table.
package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/store"
)

// CookieName is the session cookie.
const CookieName = "atrium_session"

// CSRFHeader carries the CSRF token on cookie-authenticated API requests.
const CSRFHeader = "X-CSRF-Token"

var (
	metricRequests = promauto.NewCounterVec(prometheus.CounterOpts{Name: "atrium_http_requests_total", Help: "HTTP requests by route and status."},
		[]string{"route", "status"})
	metricLatency = promauto.NewHistogramVec(prometheus.HistogramOpts{Name: "atrium_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route"})
)

// Deps are the services the API serves.
type Deps struct {
	DB         *store.DB
	Clock      atrium.Clock
	Log        *slog.Logger
	Directory  *directory.Service
	Auth       *auth.Service
	Licensing  *licensing.Service
	Outbox     *mail.Outbox
	Queue      *jobs.Queue
	Migrations []store.Migration
	// SecureCookies marks cookies Secure even on plain HTTP (behind a TLS proxy).
	SecureCookies bool
	// SignupPerMinute and SignInPerMinute bound attempts per source address.
	SignupPerMinute int
	SignInPerMinute int
}

// Server is the JSON API.
type Server struct {
	Deps
	mux     *http.ServeMux
	routes  []Route
	signups *Limiter
	signIns *Limiter
}

// Module registers one module's routes; a module's API lives in its own
// httpapi/<module>_http.go and returns its Module from a constructor taking the
// module's service.
type Module func(s *Server)

// New builds the API with the core routes and every module's routes registered.
func New(d Deps, modules ...Module) *Server {
	if d.SignupPerMinute == 0 {
		d.SignupPerMinute = 10
	}
	if d.SignInPerMinute == 0 {
		d.SignInPerMinute = 60
	}
	s := &Server{Deps: d, mux: http.NewServeMux(),
		signups: NewLimiter(d.SignupPerMinute, time.Minute),
		signIns: NewLimiter(d.SignInPerMinute, time.Minute)}
	s.registerHealth()
	s.registerSignup()
	s.registerSessions()
	s.registerUsers()
	s.registerGuests()
	s.registerRoles()
	s.registerTokens()
	s.registerAudit()
	s.registerOrganizations()
	s.registerMail()
	s.registerLicensing()
	for _, m := range modules {
		m(s)
	}
	s.handle(Route{Method: "GET", Path: "/api/v1/openapi.json", Summary: "This OpenAPI document", Tag: "meta", Public: true, Response: map[string]any{}},
		s.serveOpenAPI)
	return s
}

// Mux returns the router, for mounting beside the console.
func (s *Server) Mux() *http.ServeMux { return s.mux }

// ServeHTTP serves the API. A path no route has answers 404, and a method the path's
// routes do not take 405 with Allow, both as problem+json like every other error.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		w = &noRouteWriter{ResponseWriter: w, r: r, log: s.Log}
	}
	s.mux.ServeHTTP(w, r)
}

// noRouteWriter turns the router's own text/plain 404 and 405 into problems; anything
// else it writes (a redirect to the cleaned path) goes through as it is.
type noRouteWriter struct {
	http.ResponseWriter
	r       *http.Request
	log     *slog.Logger
	problem bool
}

func (w *noRouteWriter) WriteHeader(code int) {
	switch code {
	case http.StatusNotFound:
		w.problem = true
		WriteError(w.ResponseWriter, w.r, w.log, atrium.Errorf(atrium.CodeNotFound, "there is no API endpoint at this path; see /api/v1/openapi.json"))
	case http.StatusMethodNotAllowed:
		w.problem = true
		writeMethodNotAllowed(w.ResponseWriter, w.r)
	default:
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *noRouteWriter) Write(b []byte) (int, error) {
	if w.problem {
		// The router's text body; the problem is written already.
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// codeMethodNotAllowed is the code of the one problem no service returns: it is the
// router's answer, written here rather than through the code → status map.
const codeMethodNotAllowed atrium.Code = "method_not_allowed"

// writeMethodNotAllowed answers 405 as a problem; the router has set Allow.
func writeMethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	allow := w.Header().Get("Allow")
	lang := requestLang(r)
	pr := i18n.For(lang)
	p := Problem{Type: "https://atrium.dev/problems/" + string(codeMethodNotAllowed), Title: pr.T("problem.method_not_allowed.title"),
		Status: http.StatusMethodNotAllowed, Code: codeMethodNotAllowed,
		Detail: pr.T("problem.method_not_allowed.detail", "Method", r.Method, "Allow", allow)}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Language", string(lang))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusMethodNotAllowed)
	json.NewEncoder(w).Encode(p)
}

// Handler is an API handler: it returns an error instead of writing one.
type Handler func(w http.ResponseWriter, r *http.Request) error

type identityKey struct{}

// IdentityFrom returns the authenticated caller of r, or nil.
func IdentityFrom(ctx context.Context) *auth.Identity {
	id, _ := ctx.Value(identityKey{}).(*auth.Identity)
	return id
}

// WithIdentity returns ctx carrying id and the audit actor it implies.
func WithIdentity(ctx context.Context, id *auth.Identity, ip string) context.Context {
	ctx = context.WithValue(ctx, identityKey{}, id)
	actorID := string(id.Principal.UserID)
	if id.Principal.TokenID != "" {
		actorID = "token:" + id.Principal.TokenID
	}
	return audit.WithActor(ctx, audit.Actor{ID: actorID, Name: id.Principal.Name, SourceIP: ip})
}

// ClientIP returns the address the request came from.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// SessionToken returns the session token of r's cookie, or "".
func SessionToken(r *http.Request) string {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

// Identify authenticates r by bearer token or session cookie. cookie reports whether the
// cookie was used (so CSRF protection applies). A request with neither gets nil, nil.
func Identify(ctx context.Context, a *auth.Service, r *http.Request) (id *auth.Identity, cookie bool, err error) {
	if h := r.Header.Get("Authorization"); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || token == "" {
			return nil, false, atrium.Errorf(atrium.CodeUnauthenticated, "the Authorization header must be: Bearer <token>")
		}
		id, err := a.Authenticate(ctx, strings.TrimSpace(token))
		return id, false, err
	}
	if token := SessionToken(r); token != "" {
		id, err := a.Authenticate(ctx, token)
		return id, true, err
	}
	return nil, false, nil
}

func isSafe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// statusRecorder remembers the status a handler wrote, and whose request it was.
type statusRecorder struct {
	http.ResponseWriter
	status int
	org    atrium.OrgID
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// handle registers rt with h behind authentication, CSRF, the forced-password-change
// gate, metrics and error writing.
func (s *Server) handle(rt Route, h Handler) {
	s.routes = append(s.routes, rt)
	pattern := rt.Method + " " + rt.Path
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		reqID := RequestID(r)
		w.Header().Set("X-Request-Id", reqID)
		defer func() {
			if v := recover(); v != nil {
				s.Log.Error("panic", "route", pattern, "panic", v, "request_id", reqID)
				if rec.status == 0 {
					WriteError(rec, r, s.Log, atrium.Errorf(atrium.CodeInternal, "internal error"))
				}
			}
			metricRequests.WithLabelValues(pattern, strconv.Itoa(rec.status)).Inc()
			metricLatency.WithLabelValues(pattern).Observe(time.Since(start).Seconds())
			LogRequest(s.Log, r, pattern, rec.status, start, rec.org, reqID)
		}()
		if err := s.serve(rt, h, rec, r); err != nil {
			WriteError(rec, r, s.Log, err)
		}
	})
}

func (s *Server) serve(rt Route, h Handler, w http.ResponseWriter, r *http.Request) error {
	// Malformed ids and parameters are refused before anything, authentication
	// included, reads the database with them.
	if err := checkParams(rt, r); err != nil {
		return err
	}
	ctx := audit.WithActor(r.Context(), audit.Actor{ID: "anonymous", Name: "anonymous", SourceIP: ClientIP(r)})
	r = r.WithContext(ctx)
	if rt.Public {
		if err := checkBody(rt, r); err != nil {
			return err
		}
		return h(w, r)
	}
	id, cookie, err := Identify(ctx, s.Auth, r)
	if err != nil {
		return err
	}
	if id == nil {
		return atrium.Errorf(atrium.CodeUnauthenticated, "sign in first, or send Authorization: Bearer <token>")
	}
	if cookie && !isSafe(r.Method) && !auth.CheckCSRF(SessionToken(r), r.Header.Get(CSRFHeader)) {
		return atrium.Errorf(atrium.CodeForbidden, "missing or wrong CSRF token: send the "+CSRFHeader+" header from GET /api/v1/me")
	}
	if rec, ok := w.(*statusRecorder); ok {
		rec.org = id.Principal.Org
	}
	if id.MustChangePassword && !rt.DuringPasswordChange {
		return atrium.Errorf(atrium.CodePasswordChange, "you must change your password first: POST /api/v1/me/password")
	}
	if err := checkBody(rt, r); err != nil {
		return err
	}
	return h(w, r.WithContext(WithIdentity(ctx, id, ClientIP(r))))
}

// checkBody refuses a request without a body to a route whose Request body is required,
// so that no handler can take a missing body as an empty one.
func checkBody(rt Route, r *http.Request) error {
	if rt.Request != nil && !rt.OptionalBody && r.ContentLength == 0 {
		return &atrium.Error{Code: atrium.CodeInvalid, Message: "the body is empty; send a JSON object"}
	}
	return nil
}

// principal returns the caller's principal; handle guarantees one on non-public routes.
func principal(r *http.Request) *access.Principal {
	return &IdentityFrom(r.Context()).Principal
}
