// Package smtp delivers rendered mail to an SMTP server: plain, STARTTLS (required or
// opportunistic) or implicit TLS, with optional PLAIN authentication, configured by one
// URL such as smtp://user:pass@mail.example.com:587?starttls=required.
package smtp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/atrium-admin/atrium/mail"
)

// TLSMode says how the connection is secured.
type TLSMode string

// TLS modes.
const (
	TLSNone          TLSMode = "none"          // plain text; only for local relays and tests
	TLSOpportunistic TLSMode = "opportunistic" // STARTTLS when the server offers it
	TLSRequired      TLSMode = "required"      // STARTTLS or fail
	TLSImplicit      TLSMode = "implicit"      // smtps://: TLS from the first byte
)

// Sender sends mail through one SMTP server.
type Sender struct {
	Addr     string
	Host     string
	Username string
	Password string
	TLS      TLSMode
	// TLSConfig overrides the TLS settings (tests use it to trust their own CA); an
	// empty ServerName is taken from Host.
	TLSConfig *tls.Config
	Timeout   time.Duration
}

// Parse reads an SMTP URL: smtp://[user:pass@]host[:port][?starttls=required|opportunistic|none]
// (port 25 by default, STARTTLS opportunistic) or smtps://…(port 465, implicit TLS).
func Parse(raw string) (*Sender, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("smtp: parse url: %w", err)
	}
	s := &Sender{Host: u.Hostname(), Timeout: 30 * time.Second}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		if port == "" {
			port = "25"
		}
		s.TLS = TLSOpportunistic
		if v := u.Query().Get("starttls"); v != "" {
			switch TLSMode(v) {
			case TLSNone, TLSOpportunistic, TLSRequired:
				s.TLS = TLSMode(v)
			default:
				return nil, fmt.Errorf("smtp: starttls must be required, opportunistic or none, not %q", v)
			}
		}
	case "smtps":
		if port == "" {
			port = "465"
		}
		s.TLS = TLSImplicit
	default:
		return nil, fmt.Errorf("smtp: url scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if s.Host == "" {
		return nil, fmt.Errorf("smtp: url has no host")
	}
	s.Addr = net.JoinHostPort(s.Host, port)
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	return s, nil
}

func (s *Sender) tlsConfig() *tls.Config {
	if s.TLSConfig != nil {
		// STARTTLS (unlike tls.Dialer) does not derive ServerName from the address, and
		// refuses a config without one.
		cfg := s.TLSConfig.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = s.Host
		}
		return cfg
	}
	return &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
}

// Send delivers m.
func (s *Sender) Send(ctx context.Context, m mail.Rendered) error {
	d := net.Dialer{Timeout: s.Timeout}
	var conn net.Conn
	var err error
	if s.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: s.tlsConfig()}).DialContext(ctx, "tcp", s.Addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.Addr)
	}
	if err != nil {
		return fmt.Errorf("smtp: connect %s: %w", s.Addr, err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	} else {
		conn.SetDeadline(time.Now().Add(s.Timeout))
	}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello("atrium"); err != nil {
		return fmt.Errorf("smtp: hello: %w", err)
	}
	if s.TLS == TLSRequired || s.TLS == TLSOpportunistic {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsConfig()); err != nil {
				return fmt.Errorf("smtp: starttls: %w", err)
			}
		} else if s.TLS == TLSRequired {
			return fmt.Errorf("smtp: %s does not offer STARTTLS, which is required", s.Addr)
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			return fmt.Errorf("smtp: auth: %w", err)
		}
	}
	if err := c.Mail(addrOnly(m.From)); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return fmt.Errorf("smtp: RCPT TO %s: %w", m.To, err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(Compose(m)); err != nil {
		return fmt.Errorf("smtp: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: end message: %w", err)
	}
	return c.Quit()
}

func addrOnly(from string) string {
	if i := strings.LastIndexByte(from, '<'); i >= 0 {
		return strings.TrimSuffix(from[i+1:], ">")
	}
	return from
}

// Compose builds the RFC 5322 message: multipart/alternative with text and HTML parts,
// quoted-printable, with a Message-ID derived from the outbox id.
func Compose(m mail.Rendered) []byte {
	var b bytes.Buffer
	var rnd [12]byte
	rand.Read(rnd[:])
	boundary := "atrium-" + hex.EncodeToString(rnd[:])
	domain := "atrium.localhost"
	if i := strings.LastIndexByte(addrOnly(m.From), '@'); i >= 0 {
		domain = addrOnly(m.From)[i+1:]
	}
	fmt.Fprintf(&b, "From: %s\r\n", m.From)
	fmt.Fprintf(&b, "To: %s\r\n", m.To)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", m.Subject))
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", m.ID, domain)
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\n")
	fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=%q\r\n\r\n", boundary)
	for _, part := range []struct{ ctype, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		fmt.Fprintf(&b, "--%s\r\nContent-Type: %s; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", boundary, part.ctype)
		qp := quotedprintable.NewWriter(&b)
		qp.Write([]byte(strings.ReplaceAll(part.body, "\n", "\r\n")))
		qp.Close()
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes()
}
