// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp) on 127.0.0.1 for
// tests and records every message it accepts. It can offer STARTTLS or speak implicit
// TLS with a self-signed certificate made for the test, and require PLAIN authentication.
//
//	srv := smtptest.Start(t)
//	// … run atrium with --smtp-url srv.URL, trigger a mail …
//	msg := srv.Wait(t, 1)[0]
//	if msg.Subject() != "Welcome to Atrium, Contoso" { … }
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// WaitTimeout bounds Wait.
const WaitTimeout = 20 * time.Second

// Option configures a Server.
type Option func(*Server)

// WithSTARTTLS makes the server offer STARTTLS; URL then asks for it (starttls=required).
func WithSTARTTLS() Option { return func(s *Server) { s.mode = modeSTARTTLS } }

// WithImplicitTLS makes the server speak TLS from the first byte; URL is then smtps://.
func WithImplicitTLS() Option { return func(s *Server) { s.mode = modeImplicit } }

// WithAuth makes the server require PLAIN authentication with username and password
// before MAIL FROM; URL then carries them. The server allows AUTH without TLS, as the
// client (net/smtp) does for 127.0.0.1.
func WithAuth(username, password string) Option {
	return func(s *Server) { s.username, s.password = username, password }
}

type mode int

const (
	modePlain mode = iota
	modeSTARTTLS
	modeImplicit
)

// Server is a running SMTP server. Its methods are safe for concurrent use.
type Server struct {
	// Addr is the host:port the server listens on.
	Addr string
	// URL is an smtp:// or smtps:// URL for smtp.Parse (atrium's --smtp-url) that
	// matches the server's options, with the credentials of WithAuth.
	URL string

	mode               mode
	username, password string
	cert               tls.Certificate
	roots              *x509.CertPool

	mu       sync.Mutex
	srv      *smtp.Server
	listener net.Listener
	served   chan struct{}
	messages []Message
	notify   chan struct{} // closed and replaced whenever a message arrives
}

// Message is one accepted message.
type Message struct {
	From     string   // envelope sender (MAIL FROM)
	To       []string // envelope recipients (RCPT TO)
	Data     []byte   // the message as received (RFC 5322)
	TLS      bool     // whether the connection was encrypted when the message was sent
	Username string   // the authenticated user, "" without AUTH
}

// Start starts a server on 127.0.0.1 and stops it when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{notify: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	if s.mode != modePlain {
		s.cert, s.roots = selfSigned(t)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	s.Addr = l.Addr().String()
	u := url.URL{Scheme: "smtp", Host: s.Addr, RawQuery: "starttls=none"}
	switch s.mode {
	case modeSTARTTLS:
		u.RawQuery = "starttls=required"
	case modeImplicit:
		u.Scheme, u.RawQuery = "smtps", ""
	}
	if s.username != "" {
		u.User = url.UserPassword(s.username, s.password)
	}
	s.URL = u.String()
	s.serve(l)
	t.Cleanup(s.Stop)
	return s
}

// ClientTLSConfig returns a TLS configuration that trusts the server's certificate, for
// smtp.Sender.TLSConfig. It leaves ServerName empty: the sender fills it in.
func (s *Server) ClientTLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.roots, MinVersion: tls.VersionTLS12}
}

// CertPool returns a pool holding the server's self-signed certificate (nil without TLS).
func (s *Server) CertPool() *x509.CertPool { return s.roots }

func (s *Server) serve(l net.Listener) {
	srv := smtp.NewServer(&backend{s: s})
	srv.Domain = "smtptest.localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxMessageBytes = 10 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	switch s.mode {
	case modeSTARTTLS:
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{s.cert}}
	case modeImplicit:
		l = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{s.cert}})
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(l)
	}()
	s.mu.Lock()
	s.srv, s.listener, s.served = srv, l, served
	s.mu.Unlock()
}

// Stop closes the listener and every connection; connecting is refused until Restart.
// Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, l, served := s.srv, s.listener, s.served
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	srv.Close()
	// Close misses a listener that Serve has not registered yet.
	l.Close()
	<-served
}

// Restart listens again on the same address after Stop, keeping the messages received.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	running := s.srv != nil
	s.mu.Unlock()
	if running {
		t.Fatalf("smtptest: Restart of a running server")
	}
	l, err := net.Listen("tcp", s.Addr)
	if err != nil {
		t.Fatalf("smtptest: listen again on %s: %v", s.Addr, err)
	}
	s.serve(l)
}

// Messages returns the messages accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Wait returns the messages once at least n have arrived; it fails the test if they do
// not arrive within WaitTimeout.
func (s *Server) Wait(t testing.TB, n int) []Message {
	t.Helper()
	deadline := time.NewTimer(WaitTimeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		msgs, notify := append([]Message(nil), s.messages...), s.notify
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs
		}
		select {
		case <-notify:
		case <-deadline.C:
			t.Fatalf("smtptest: %d of %d messages arrived within %v", len(msgs), n, WaitTimeout)
		}
	}
}

func (s *Server) record(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, m)
	close(s.notify)
	s.notify = make(chan struct{})
}

type backend struct{ s *Server }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, conn: c}, nil
}

type session struct {
	s        *Server
	conn     *smtp.Conn
	username string
	from     string
	to       []string
}

func (x *session) AuthMechanisms() []string {
	if x.s.username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain || x.s.username == "" {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != x.s.username || password != x.s.password {
			return smtp.ErrAuthFailed
		}
		x.username = username
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.username != "" && x.username == "" {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := x.conn.TLSConnectionState()
	x.s.record(Message{From: x.from, To: x.to, Data: data, TLS: isTLS, Username: x.username})
	return nil
}

func (x *session) Reset() { x.from, x.to = "", nil }

func (x *session) Logout() error { return nil }

// Header returns the named header with RFC 2047 encoded words decoded; "" if absent.
func (m Message) Header(name string) string {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return ""
	}
	v := msg.Header.Get(name)
	dec := new(mime.WordDecoder)
	if d, err := dec.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

// Subject returns the decoded Subject header.
func (m Message) Subject() string { return m.Header("Subject") }

// Text returns the decoded text/plain body (from a multipart message, its first
// text/plain part) with line ends as "\n"; "" if there is none.
func (m Message) Text() string { return m.body("text/plain") }

// HTML returns the decoded text/html body, like Text.
func (m Message) HTML() string { return m.body("text/html") }

func (m Message) body(want string) string {
	b, err := Body(m.Data, want)
	if err != nil {
		return ""
	}
	return b
}

// Body returns the part of content type want (text/plain, text/html) of the RFC 5322
// message data, transfer-decoded, with "\r\n" turned into "\n". It returns an error if
// the message does not parse or has no such part.
func Body(data []byte, want string) (string, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("smtptest: parse message: %w", err)
	}
	ctype, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return "", fmt.Errorf("smtptest: Content-Type: %w", err)
	}
	if !strings.HasPrefix(ctype, "multipart/") {
		if ctype != want {
			return "", fmt.Errorf("smtptest: message is %s, not %s", ctype, want)
		}
		b, err := io.ReadAll(msg.Body)
		return strings.ReplaceAll(string(b), "\r\n", "\n"), err
	}
	// multipart.Reader undoes quoted-printable transfer encoding itself.
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return "", fmt.Errorf("smtptest: message has no %s part", want)
		}
		if err != nil {
			return "", fmt.Errorf("smtptest: read part: %w", err)
		}
		if pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); pt == want {
			b, err := io.ReadAll(p)
			return strings.ReplaceAll(string(b), "\r\n", "\n"), err
		}
	}
}

// selfSigned returns a certificate for 127.0.0.1 and localhost, and a pool trusting it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("smtptest: generate key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("smtptest: create certificate: %v", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("smtptest: parse certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
