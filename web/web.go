// Package web is the server-rendered console: HTML pages rendered with html/template
// from embedded templates and CSS, no JavaScript required. Every page authenticates with
// the session cookie, every form carries a CSRF token bound to the session, and every
// permission decision is made by the services (and access.Can) the JSON API uses too.
package web

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/auth"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/licensing"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/store"
)

// Deps are what the console needs.
type Deps struct {
	API       *httpapi.Server
	Directory *directory.Service
	Auth      *auth.Service
	Licensing *licensing.Service
	Outbox    *mail.Outbox
	DB        *store.DB
	Clock     atrium.Clock
	Log       *slog.Logger
}

// console serves the pages.
type console struct {
	Deps
	audit   *audit.Service
	signups *httpapi.Limiter
	handoff handoffs
	pages   *pageSets
	mux     *http.ServeMux
	navs    []navEntry
	apps    map[string]App
}

// csrfField is the name of the hidden form field carrying the CSRF token.
const csrfField = "csrf_token"

// Module registers one module's pages, navigation entries and apps; a module's pages
// live in their own web/<module>.go, which returns its Module from a constructor taking
// the module's service.
type Module func(c *console)

// New returns the console with the core pages and every module's pages.
func New(d Deps, modules ...Module) http.Handler {
	if d.Clock == nil {
		d.Clock = atrium.SystemClock{}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	c := &console{Deps: d, audit: audit.NewService(d.DB), signups: httpapi.NewLimiter(10, time.Minute), apps: map[string]App{}}
	c.coreNav()
	mux := http.NewServeMux()
	c.mux = mux
	static, err := fs.Sub(assets, "static")
	if err != nil {
		panic("web: static assets: " + err.Error())
	}
	staticFiles := http.StripPrefix("/static/", http.FileServerFS(static))
	mux.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		staticFiles.ServeHTTP(w, r)
	}))

	c.public("GET /language", c.pickLanguage)
	c.page("GET /account", c.account)
	c.page("POST /account/language", c.setOwnLanguage, duringPasswordChange)
	c.public("GET /signin", c.signInForm)
	c.public("POST /signin", c.signIn)
	c.public("GET /signup", c.signUpForm)
	c.public("POST /signup", c.signUp)
	c.public("GET /signup/done", c.signUpDone)

	c.page("POST /signout", c.signOut, duringPasswordChange)
	c.page("GET /account/password", c.passwordForm, duringPasswordChange)
	c.page("POST /account/password", c.changePassword, duringPasswordChange)

	c.page("GET /{$}", c.home)
	c.page("GET /users", c.userList)
	c.page("GET /users/new", c.userNewForm)
	c.page("POST /users/new", c.userNew)
	c.page("GET /users/added", c.userAdded)
	c.page("GET /users/{id}", c.userDetail)
	c.page("POST /users/{id}", c.userUpdate)
	c.page("GET /users/{id}/block", c.userBlockConfirm)
	c.page("POST /users/{id}/block", c.userBlock)
	c.page("POST /users/{id}/unblock", c.userUnblock)
	c.page("GET /users/{id}/unlock", c.userUnlockConfirm)
	c.page("POST /users/{id}/unlock", c.userUnlock)
	c.page("GET /users/{id}/reset-password", c.userResetForm)
	c.page("POST /users/{id}/reset-password", c.userReset)
	c.page("GET /users/{id}/delete", c.userDeleteConfirm)
	c.page("POST /users/{id}/delete", c.userDelete)
	c.page("POST /users/{id}/roles", c.userRoleAssign)
	c.page("GET /users/{id}/roles/{role}/remove", c.userRoleRemoveConfirm)
	c.page("POST /users/{id}/roles/{role}/remove", c.userRoleRemove)
	c.page("GET /deleted-users", c.deletedUserList)
	c.page("POST /deleted-users/{id}/restore", c.userRestore)
	c.registerGuests()
	c.page("GET /roles", c.roleList)
	c.page("GET /tokens", c.tokenList)
	c.page("POST /tokens", c.tokenCreate)
	c.page("GET /tokens/{id}/revoke", c.tokenRevokeConfirm)
	c.page("POST /tokens/{id}/revoke", c.tokenRevoke)
	c.page("GET /audit", c.auditList)
	c.page("GET /settings", c.settings)
	c.page("POST /settings/organization", c.orgProfileSave)
	c.page("GET /settings/sessions/{id}/revoke", c.sessionRevokeConfirm)
	c.page("POST /settings/sessions/{id}/revoke", c.sessionRevoke)
	c.page("GET /organizations", c.orgList)
	c.page("GET /organizations/{id}", c.orgDetail)
	c.page("GET /organizations/{id}/{change}", c.orgStateConfirm)
	c.page("POST /organizations/{id}/{change}", c.orgStateChange)
	c.page("GET /tax-rates", c.taxRates)
	c.page("POST /tax-rates", c.taxRateSet)
	c.page("GET /tax-rates/{country}/remove", c.taxRateRemoveConfirm)
	c.page("POST /tax-rates/{country}/remove", c.taxRateRemove)
	c.page("GET /mail", c.mailList)
	c.page("GET /mail/{id}", c.mailView)
	c.page("POST /mail/{id}/resend", c.mailResend)

	c.page("GET /billing/purchase", c.purchase)
	c.page("GET /billing/purchase/review", c.purchaseReview)
	c.page("POST /billing/purchase", c.purchaseOrder)
	c.page("POST /billing/subscriptions/{id}/quantity", c.subscriptionQuantity)
	c.page("GET /billing/subscriptions/{id}/cancel", c.subscriptionCancelConfirm)
	c.page("POST /billing/subscriptions/{id}/cancel", c.subscriptionCancel)
	c.page("POST /billing/subscriptions/{id}/partner", c.subscriptionPartnerSet)
	c.page("POST /billing/subscriptions/{id}/trial-conversion", c.subscriptionTrialConversion)
	c.page("GET /billing/subscriptions/{id}/partner/remove", c.subscriptionPartnerRemoveConfirm)
	c.page("POST /billing/subscriptions/{id}/partner/remove", c.subscriptionPartnerRemove)
	c.page("GET /billing/licenses", c.licenseCounts)
	c.page("GET /billing/invoices", c.invoiceList)
	c.page("GET /billing/invoices/{id}", c.invoiceView)
	c.page("GET /billing/invoices/{id}/{state}", c.invoiceStateConfirm)
	c.page("POST /billing/invoices/{id}/{state}", c.invoiceStateChange)
	c.page("GET /partner/customers", c.partnerCustomers)
	c.page("GET /users/{id}/licenses", c.userLicenses)
	c.page("POST /users/{id}/licenses", c.userLicensesSave)
	c.page("POST /users/licenses/bulk", c.bulkLicenses)
	c.page("GET /users/licenses/upload", c.bulkUploadForm)
	c.page("POST /users/licenses/upload", c.bulkUpload)
	c.page("GET /organizations/{id}/invoices", c.orgInvoices)
	c.page("GET /catalog", c.catalog)
	c.page("GET /catalog/new", c.productNewForm)
	c.page("POST /catalog/new", c.productCreate)
	c.page("GET /catalog/{id}", c.productEditForm)
	c.page("POST /catalog/{id}", c.productUpdate)
	for _, m := range modules {
		m(c)
	}
	c.pages = newPageSets(c.templateFuncs)

	mux.Handle("/", c.wrap("/", c.notFound))
	return c
}

// notFound answers every address no page has. A signed-in person gets the page inside
// the layout, with the navigation, so they can carry on from it.
func (c *console) notFound(w http.ResponseWriter, r *http.Request) error {
	if s, err := c.signedIn(r); err == nil && s != nil {
		r = withSession(r, s)
	}
	c.renderError(w, r, atrium.Errorf(atrium.CodeNotFound, "there is no page at this address"))
	return nil
}

// session is the signed-in person of a console request.
type session struct {
	ID    *auth.Identity
	Token string
	CSRF  string
	Org   *directory.Organization
}

// P returns the session's principal, for the services and access.Can.
func (s *session) P() *access.Principal { return &s.ID.Principal }

// Can reports whether the signed-in person may do a on their own organization.
func (s *session) Can(a access.Action) bool {
	return access.Can(s.P(), a, access.Resource{Org: s.ID.Principal.Org})
}

// CanInstance reports whether the signed-in person may do an instance-wide action.
func (s *session) CanInstance(a access.Action) bool {
	return access.Can(s.P(), a, access.Resource{})
}

type sessionKey struct{}

func sessionFrom(ctx context.Context) *session {
	s, _ := ctx.Value(sessionKey{}).(*session)
	return s
}

// handlerFunc is a console handler: it writes a page or returns an error, which
// becomes an error page.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// pageOption changes how page serves a page.
type pageOption func(*pageConfig)

type pageConfig struct {
	duringChange bool
	maxForm      int64
}

// duringPasswordChange marks pages a person who must change their password may use.
var duringPasswordChange pageOption = func(c *pageConfig) { c.duringChange = true }

// maxFormBytes lets a page's forms be up to n bytes (1 MiB otherwise): forms that
// upload files.
func maxFormBytes(n int64) pageOption { return func(c *pageConfig) { c.maxForm = n } }

// ServeHTTP serves the console with its security headers.
func (c *console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	// Mail previews are srcdoc iframes, which inherit this policy: inline styles of the
	// mail are allowed, scripts only from the console itself.
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'")
	c.mux.ServeHTTP(w, r)
}

// wrap turns a handlerFunc into an http.Handler that renders returned errors.
func (c *console) wrap(pattern string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusWriter{ResponseWriter: w}
		w = rec
		reqID := httpapi.RequestID(r)
		w.Header().Set("X-Request-Id", reqID)
		defer func() {
			if v := recover(); v != nil {
				c.Log.Error("web: panic", "method", r.Method, "path", r.URL.Path, "panic", v, "request_id", reqID)
				c.renderError(w, r, atrium.Errorf(atrium.CodeInternal, "internal error"))
			}
			httpapi.LogRequest(c.Log, r, pattern, rec.status, start, rec.org, reqID)
		}()
		ctx := audit.WithActor(r.Context(), audit.Actor{ID: "anonymous", Name: "anonymous", SourceIP: httpapi.ClientIP(r)})
		if err := h(w, r.WithContext(ctx)); err != nil {
			c.renderError(w, r, err)
		}
	})
}

// statusWriter remembers the status a page wrote, for its log line.
type statusWriter struct {
	http.ResponseWriter
	status int
	org    atrium.OrgID
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (streamed pages).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// public registers a page that needs no session (sign-in, sign-up). POST requests must
// come from this site: a cross-site Origin header is refused.
func (c *console) public(pattern string, h handlerFunc) {
	c.mux.Handle(pattern, c.wrap(pattern, func(w http.ResponseWriter, r *http.Request) error {
		if r.Method == http.MethodPost && !sameOrigin(r) {
			return atrium.Errorf(atrium.CodeForbidden, "this form was sent from another site; open the page here and try again")
		}
		if err := checkRequest(w, r, 64<<10); err != nil {
			return err
		}
		return h(w, r)
	}))
}

// checkRequest refuses a request whose path ids, query or form (read here, at most
// maxForm bytes) are not text a database can hold, so that no page hands invalid
// UTF-8 or NUL to a service: a path id answers 404, the rest 400.
func checkRequest(w http.ResponseWriter, r *http.Request, maxForm int64) error {
	if err := httpapi.CheckPath(r, r.Pattern); err != nil {
		return err
	}
	if err := httpapi.CheckValues(r.URL.Query()); err != nil {
		return err
	}
	if r.Method != http.MethodPost {
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	var err error
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		err = r.ParseMultipartForm(32 << 20)
	} else {
		err = r.ParseForm()
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return &atrium.Error{Code: atrium.CodeTooLarge, Message: fmt.Sprintf("the form is larger than %d KB", maxForm>>10),
			ID: "err.web.form_too_large", Args: []any{"Count", maxForm >> 10}}
	case err != nil:
		return atrium.Errorf(atrium.CodeInvalid, "the form could not be read; go back, reload the page and try again")
	}
	return httpapi.CheckValues(r.PostForm)
}

// signedIn returns the session of r's cookie, or nil when it has none that is valid.
func (c *console) signedIn(r *http.Request) (*session, error) {
	id, cookie, err := httpapi.Identify(r.Context(), c.Auth, r)
	if err != nil && atrium.ErrorCode(err) != atrium.CodeUnauthenticated {
		return nil, err
	}
	if id == nil || !cookie || id.SessionID == "" {
		return nil, nil
	}
	org, err := c.Directory.Org(r.Context(), id.Principal.Org)
	if err != nil {
		return nil, err
	}
	token := httpapi.SessionToken(r)
	return &session{ID: id, Token: token, CSRF: auth.CSRFToken(token), Org: org}, nil
}

// withSession returns r carrying s, for the services (the caller's identity) and the
// pages (the layout's account menu and navigation).
func withSession(r *http.Request, s *session) *http.Request {
	ctx := httpapi.WithIdentity(r.Context(), s.ID, httpapi.ClientIP(r))
	return r.WithContext(context.WithValue(ctx, sessionKey{}, s))
}

// sameOrigin reports whether r's Origin header, when present, names r's host.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// page registers a page that needs a session. Unauthenticated requests go to sign-in;
// POSTs must carry the session's CSRF token; people who must change their password go
// to the change-password page unless opts says the page is allowed meanwhile. Every
// error after sign-in is shown inside the layout, with the navigation.
func (c *console) page(pattern string, h handlerFunc, opts ...pageOption) {
	cfg := pageConfig{maxForm: 1 << 20}
	for _, o := range opts {
		o(&cfg)
	}
	allowDuringChange := cfg.duringChange
	c.mux.Handle(pattern, c.wrap(pattern, func(w http.ResponseWriter, r *http.Request) error {
		s, err := c.signedIn(r)
		if err != nil {
			return err
		}
		if s == nil {
			if httpapi.SessionToken(r) != "" {
				c.API.ClearSessionCookie(w, r)
			}
			if r.Method != http.MethodGet {
				return atrium.Errorf(atrium.CodeUnauthenticated, "your session has ended; sign in again")
			}
			target := "/signin"
			if r.URL.Path != "/" {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return nil
		}
		r = withSession(r, s)
		if sw, ok := w.(*statusWriter); ok {
			sw.org = s.ID.Principal.Org
		}
		err = checkRequest(w, r, cfg.maxForm)
		if err == nil && r.Method == http.MethodPost && !auth.CheckCSRF(s.Token, r.PostForm.Get(csrfField)) {
			err = atrium.Errorf(atrium.CodeForbidden, "the form's security token is missing or out of date; go back, reload the page and try again")
		}
		if err == nil && s.ID.MustChangePassword && !allowDuringChange {
			http.Redirect(w, r, "/account/password", http.StatusSeeOther)
			return nil
		}
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			// Rendered here so the error page keeps the navigation.
			c.renderError(w, r, err)
		}
		return nil
	}))
}

// renderError shows err as an error page with the status its code maps to; an ended
// session goes back to sign-in.
func (c *console) renderError(w http.ResponseWriter, r *http.Request, err error) {
	code := atrium.ErrorCode(err)
	if code == atrium.CodeUnauthenticated && r.Method == http.MethodGet {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	var e *atrium.Error
	if !errors.As(err, &e) || code == atrium.CodeInternal {
		c.Log.Error("web: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		e = atrium.Errorf(atrium.CodeInternal, "error.internal")
	}
	status := httpapi.Status(e)
	title := "problem." + string(e.Code) + ".title"
	switch code {
	case atrium.CodeForbidden, atrium.CodeLicenseRequired, atrium.CodeNotFound, atrium.CodeUnauthenticated, atrium.CodeUnavailable:
		title = "error.title." + string(code)
	}
	httpapi.SetRetryAfter(w.Header(), code)
	v := c.newView(r, title)
	v.Data = errorPage{Status: status, Message: v.errorText(e)}
	c.render(w, r, status, "error.html", v)
}

type errorPage struct {
	Status  int
	Message string
}

// redirect sends the browser to target after a successful POST, with a flash message
// for the next page.
func (c *console) redirect(w http.ResponseWriter, r *http.Request, target, flash string) error {
	if flash != "" {
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(flash), Path: "/", HttpOnly: true,
			SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil, MaxAge: 60})
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

const flashCookie = "atrium_flash"

// takeFlash returns and clears the flash message of r.
func takeFlash(w http.ResponseWriter, r *http.Request) string {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	msg, err := url.QueryUnescape(ck.Value)
	if err != nil || len(msg) > 300 {
		return ""
	}
	return msg
}
