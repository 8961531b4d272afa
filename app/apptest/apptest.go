// Package apptest starts the real Atrium for end-to-end tests: app.New on a fresh
// database of each configured dialect, served by an httptest server on 127.0.0.1, with a
// manual clock. It has helpers to sign organizations up, run due jobs, sign in, and call
// the API with a bearer token or a session cookie and its CSRF token.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/password"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// Passwords the helpers use. They pass the password rules.
const (
	OperatorPassword = "Operator-Passw0rd!"
	Password         = "Tenant-Passw0rd!"
)

// Epoch is where every test clock starts: far from the wall clock, so code that reads
// the wall clock instead of the injected one shows up.
var Epoch = time.Date(2031, time.March, 14, 9, 26, 53, 0, time.UTC)

// Env is one running Atrium.
type Env struct {
	T       testing.TB
	Main    *app.Main
	Clock   *atrium.ManualClock
	Server  *httptest.Server
	URL     string
	Dialect store.Dialect
	// OperatorUsername is the bootstrap operator administrator.
	OperatorUsername string

	logs    *syncBuffer
	counter *atomic.Pointer[store.QueryCount]
}

// Each runs fn as a parallel subtest per configured dialect, each with its own Env.
func Each(t *testing.T, fn func(t *testing.T, e *Env)) {
	t.Helper()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, Start(t, d))
		})
	}
}

// Start starts Atrium on a new database of dialect d; everything stops when t ends.
func Start(t testing.TB, d store.Dialect) *Env {
	t.Helper()
	cfg := app.Defaults()
	cfg.DatabaseURL = storetest.DSN(t, d)
	cfg.Addr = "127.0.0.1:0"
	cfg.PublicURL = "http://atrium.test"
	cfg.AdminPassword = OperatorPassword
	// Cheap hashing: the suites hash and verify hundreds of passwords.
	cfg.PasswordParams = password.TestParams
	return StartConfig(t, d, cfg)
}

// StartConfig is Start with a given configuration (DatabaseURL must be set).
func StartConfig(t testing.TB, d store.Dialect, cfg app.Config) *Env {
	t.Helper()
	if cfg.SecretKeyFile == "" {
		cfg.SecretKeyFile = filepath.Join(t.TempDir(), "atrium.key")
	}
	// Webhook receivers in tests listen on loopback.
	cfg.AllowPrivateSinks = true
	logs := &syncBuffer{}
	clock := atrium.NewManualClock(Epoch)
	m, err := app.New(context.Background(), cfg, app.Options{Clock: clock, Log: slog.New(slog.NewJSONHandler(logs, nil)), Out: io.Discard})
	if err != nil {
		t.Fatalf("apptest: app.New: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	counter := &atomic.Pointer[store.QueryCount]{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c := counter.Load(); c != nil {
			r = r.WithContext(store.WithQueryCount(r.Context(), c))
		}
		m.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e := &Env{T: t, Main: m, Clock: clock, Server: srv, URL: srv.URL, Dialect: d, logs: logs, counter: counter,
		OperatorUsername: cfg.AdminUsername + "@" + cfg.OperatorPrefix + "." + cfg.BaseDomain}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("apptest: server log:\n%s", logs.String())
		}
	})
	return e
}

// For returns a copy of e that reports failures to t; use it in subtests.
func (e *Env) For(t testing.TB) *Env {
	cp := *e
	cp.T = t
	return &cp
}

// Queries returns how many database statements the requests that fn makes run.
// Requests of one Env must not overlap with fn's while it counts.
func (e *Env) Queries(fn func()) int {
	c := &store.QueryCount{}
	e.counter.Store(c)
	defer e.counter.Store(nil)
	fn()
	return c.N()
}

// RunJobs runs every job due now and returns how many ran.
func (e *Env) RunJobs() int {
	e.T.Helper()
	n, err := e.Main.Queue.RunDue(context.Background())
	if err != nil {
		e.T.Fatalf("apptest: run jobs: %v", err)
	}
	return n
}

// Count returns the result of a SELECT count(*) query.
func (e *Env) Count(query string, args ...any) int {
	e.T.Helper()
	var n int
	if err := e.Main.DB.Read().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		e.T.Fatalf("apptest: %s: %v", query, err)
	}
	return n
}

// Strings returns the first column of every row of query, as text.
func (e *Env) Strings(query string, args ...any) []string {
	e.T.Helper()
	rows, err := e.Main.DB.Read().QueryContext(context.Background(), query, args...)
	if err != nil {
		e.T.Fatalf("apptest: %s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v any
		if err := rows.Scan(&v); err != nil {
			e.T.Fatalf("apptest: %s: %v", query, err)
		}
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		out = append(out, fmt.Sprint(v))
	}
	if err := rows.Err(); err != nil {
		e.T.Fatalf("apptest: %s: %v", query, err)
	}
	return out
}

// Logs returns what the server logged so far.
func (e *Env) Logs() string { return e.logs.String() }

// Anonymous returns a client without credentials.
func (e *Env) Anonymous() *Client { return &Client{env: e} }

// Bearer returns a client that sends token as a bearer token.
func (e *Env) Bearer(token string) *Client { return &Client{env: e, Token: token} }

// SignIn signs username in and returns a client using the session token as a bearer
// token. It fails the test unless sign-in answers 201.
func (e *Env) SignIn(username, password string) *Client {
	e.T.Helper()
	var out struct {
		Token     string `json:"token"`
		CSRFToken string `json:"csrf_token"`
		User      struct {
			ID  atrium.UserID `json:"id"`
			Org atrium.OrgID  `json:"org_id"`
		} `json:"user"`
	}
	e.Anonymous().Do("POST", "/api/v1/sessions", map[string]any{"username": username, "password": password}).Want(http.StatusCreated).Decode(&out)
	return &Client{env: e, Token: out.Token, UserID: out.User.ID, Org: out.User.Org, Username: username}
}

// SignInCookie signs username in and returns a client that authenticates with the
// session cookie and sends the CSRF token on unsafe requests, as the console does.
func (e *Env) SignInCookie(username, password string, staySignedIn bool) (*Client, *http.Cookie) {
	e.T.Helper()
	res := e.Anonymous().Do("POST", "/api/v1/sessions", map[string]any{"username": username, "password": password, "stay_signed_in": staySignedIn}).
		Want(http.StatusCreated)
	var out struct {
		CSRFToken string `json:"csrf_token"`
		User      struct {
			ID  atrium.UserID `json:"id"`
			Org atrium.OrgID  `json:"org_id"`
		} `json:"user"`
	}
	res.Decode(&out)
	for _, c := range res.Cookies() {
		if c.Name == httpapi.CookieName {
			return &Client{env: e, Cookie: c.Value, CSRF: out.CSRFToken, UserID: out.User.ID, Org: out.User.Org, Username: username}, c
		}
	}
	e.T.Fatalf("apptest: sign-in set no %s cookie", httpapi.CookieName)
	return nil, nil
}

// Operator signs the bootstrap operator administrator in.
func (e *Env) Operator() *Client {
	e.T.Helper()
	return e.SignIn(e.OperatorUsername, OperatorPassword)
}

// Org is a signed-up, provisioned organization with its signed-in first administrator.
type Org struct {
	ID            atrium.OrgID
	Name          string
	Prefix        string
	Domain        string
	ContactEmail  string
	AdminID       atrium.UserID
	AdminUsername string
	// Admin is the first Global administrator, signed in with a bearer session token.
	Admin *Client
}

// Signup signs an organization up over the API with domain prefix prefix, runs the
// provisioning job and signs its administrator in.
func (e *Env) Signup(name, prefix string) *Org {
	e.T.Helper()
	var out struct {
		Organization struct {
			ID            atrium.OrgID `json:"id"`
			InitialDomain string       `json:"initial_domain"`
			State         string       `json:"state"`
		} `json:"organization"`
		Admin struct {
			ID       atrium.UserID `json:"id"`
			Username string        `json:"username"`
		} `json:"admin"`
	}
	contact := "owner@" + prefix + ".example.com"
	e.Anonymous().Do("POST", "/api/v1/signup", SignupBody(name, prefix, contact)).Want(http.StatusCreated).Decode(&out)
	e.RunJobs()
	o := &Org{ID: out.Organization.ID, Name: name, Prefix: prefix, Domain: out.Organization.InitialDomain, ContactEmail: contact,
		AdminID: out.Admin.ID, AdminUsername: out.Admin.Username}
	o.Admin = e.SignIn(o.AdminUsername, Password)
	return o
}

// SignupBody is a valid sign-up request.
func SignupBody(name, prefix, contact string) map[string]any {
	return map[string]any{"organization_name": name, "domain_prefix": prefix, "admin_display_name": name + " Admin",
		"admin_username": "admin", "admin_password": Password, "contact_email": contact, "seats": 10}
}

// User is a user created by a test.
type User struct {
	ID       atrium.UserID `json:"id"`
	Username string        `json:"username"`
}

// CreateUser adds user local@<initial domain> to c's organization with Password (no
// forced change) and the given admin roles, and returns it.
func (c *Client) CreateUser(local string, roles ...string) User {
	c.env.T.Helper()
	var u User
	c.Do("POST", "/api/v1/users", map[string]any{"username": local, "display_name": strings.ToUpper(local[:1]) + local[1:],
		"contact_email": local + "@mail.example.com", "password": Password, "must_change_password": false}).Want(http.StatusCreated).Decode(&u)
	for _, r := range roles {
		c.Do("PUT", "/api/v1/users/"+string(u.ID)+"/roles/"+r, nil).Want(http.StatusOK)
	}
	return u
}

// Client calls the API as one caller.
type Client struct {
	env *Env
	// Token is sent as Authorization: Bearer when set.
	Token string
	// Cookie is sent as the session cookie when set, with CSRF on unsafe requests.
	Cookie string
	CSRF   string

	UserID   atrium.UserID
	Org      atrium.OrgID
	Username string
}

// For returns a copy of c that reports failures to t; use it in subtests.
func (c *Client) For(t testing.TB) *Client {
	cp := *c
	cp.env = c.env.For(t)
	return &cp
}

// WithoutCSRF returns a copy of a cookie client that sends no CSRF token.
func (c *Client) WithoutCSRF() *Client {
	cp := *c
	cp.CSRF = ""
	return &cp
}

// Do sends a request; body is nil for none, a string or []byte sent as is, or a value
// sent as JSON.
func (c *Client) Do(method, path string, body any) *Response {
	c.env.T.Helper()
	return c.DoHeader(method, path, body, nil)
}

// DoHeader is Do with extra request headers.
func (c *Client) DoHeader(method, path string, body any, header http.Header) *Response {
	c.env.T.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	case io.Reader:
		r = b
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.env.T.Fatalf("apptest: encode body: %v", err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.env.URL+path, r)
	if err != nil {
		c.env.T.Fatalf("apptest: %s %s: %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.Cookie != "" {
		req.AddCookie(&http.Cookie{Name: httpapi.CookieName, Value: c.Cookie})
		if c.CSRF != "" && method != "GET" && method != "HEAD" {
			req.Header.Set(httpapi.CSRFHeader, c.CSRF)
		}
	}
	for k, vs := range header {
		req.Header.Del(k)
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := c.env.Server.Client().Do(req)
	if err != nil {
		c.env.T.Fatalf("apptest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.env.T.Fatalf("apptest: %s %s: read body: %v", method, path, err)
	}
	res := &Response{t: c.env.T, Method: method, Path: path, Status: resp.StatusCode, Header: resp.Header, Body: data, resp: resp}
	if res.Status == http.StatusInternalServerError {
		c.env.T.Errorf("apptest: %s %s answered 500: %s", method, path, data)
	}
	return res
}

// Response is a finished API call.
type Response struct {
	t      testing.TB
	Method string
	Path   string
	Status int
	Header http.Header
	Body   []byte
	resp   *http.Response
}

// Want fails the test unless the status is one of statuses.
func (r *Response) Want(statuses ...int) *Response {
	r.t.Helper()
	for _, s := range statuses {
		if r.Status == s {
			return r
		}
	}
	r.t.Fatalf("%s %s = %d, want %v: %s", r.Method, r.Path, r.Status, statuses, r.Body)
	return r
}

// Decode unmarshals the JSON body into v.
func (r *Response) Decode(v any) *Response {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("%s %s: decode %q: %v", r.Method, r.Path, r.Body, err)
	}
	return r
}

// Cookies returns the cookies the response set.
func (r *Response) Cookies() []*http.Cookie { return r.resp.Cookies() }

// Problem decodes a problem+json body, failing the test if it is not one.
func (r *Response) Problem() httpapi.Problem {
	r.t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		r.t.Fatalf("%s %s = %d with Content-Type %q, want application/problem+json: %s", r.Method, r.Path, r.Status, ct, r.Body)
	}
	var p httpapi.Problem
	r.Decode(&p)
	if p.Status != r.Status || p.Code == "" {
		r.t.Fatalf("%s %s: problem %+v does not match status %d", r.Method, r.Path, p, r.Status)
	}
	return p
}

// WantProblem fails the test unless the response is a problem with status and code,
// and, when fields are given, names each of them in errors.
func (r *Response) WantProblem(status int, code atrium.Code, fields ...string) httpapi.Problem {
	r.t.Helper()
	r.Want(status)
	p := r.Problem()
	if p.Code != code {
		r.t.Fatalf("%s %s: code %q, want %q: %s", r.Method, r.Path, p.Code, code, r.Body)
	}
	for _, f := range fields {
		if _, ok := p.Errors[f]; !ok {
			r.t.Fatalf("%s %s: errors %v does not name %q", r.Method, r.Path, p.Errors, f)
		}
	}
	return p
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
