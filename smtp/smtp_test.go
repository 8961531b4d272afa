package smtp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	atriummail "github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/smtp"
	"github.com/atrium-admin/atrium/smtp/smtptest"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name    string
		url     string
		want    smtp.Sender
		wantErr string
	}{
		{"defaults", "smtp://mail.example.com",
			smtp.Sender{Addr: "mail.example.com:25", Host: "mail.example.com", TLS: smtp.TLSOpportunistic}, ""},
		{"submission with credentials", "smtp://atrium:s3cret@mail.example.com:587?starttls=required",
			smtp.Sender{Addr: "mail.example.com:587", Host: "mail.example.com", Username: "atrium", Password: "s3cret", TLS: smtp.TLSRequired}, ""},
		{"escaped credentials", "smtp://a%40b.example:p%3Ass%2Fw%40rd@mail.example.com",
			smtp.Sender{Addr: "mail.example.com:25", Host: "mail.example.com", Username: "a@b.example", Password: "p:ss/w@rd", TLS: smtp.TLSOpportunistic}, ""},
		{"username only", "smtp://atrium@relay",
			smtp.Sender{Addr: "relay:25", Host: "relay", Username: "atrium", TLS: smtp.TLSOpportunistic}, ""},
		{"starttls none", "smtp://127.0.0.1:2525?starttls=none",
			smtp.Sender{Addr: "127.0.0.1:2525", Host: "127.0.0.1", TLS: smtp.TLSNone}, ""},
		{"starttls opportunistic", "smtp://relay?starttls=opportunistic",
			smtp.Sender{Addr: "relay:25", Host: "relay", TLS: smtp.TLSOpportunistic}, ""},
		{"ipv6", "smtp://[::1]:2525",
			smtp.Sender{Addr: "[::1]:2525", Host: "::1", TLS: smtp.TLSOpportunistic}, ""},
		{"implicit tls default port", "smtps://mail.example.com",
			smtp.Sender{Addr: "mail.example.com:465", Host: "mail.example.com", TLS: smtp.TLSImplicit}, ""},
		{"implicit tls other port", "smtps://u:p@mail.example.com:2465",
			smtp.Sender{Addr: "mail.example.com:2465", Host: "mail.example.com", Username: "u", Password: "p", TLS: smtp.TLSImplicit}, ""},
		{"bad scheme", "http://mail.example.com", smtp.Sender{}, "scheme"},
		{"no scheme", "mail.example.com:25", smtp.Sender{}, "scheme"},
		{"bad starttls value", "smtp://mail.example.com?starttls=yes", smtp.Sender{}, "starttls"},
		{"implicit is not a starttls value", "smtp://mail.example.com?starttls=implicit", smtp.Sender{}, "starttls"},
		{"no host", "smtp://", smtp.Sender{}, "no host"},
		{"no host with port", "smtp://:25", smtp.Sender{}, "no host"},
		{"unparsable", "smtp://mail example com", smtp.Sender{}, "parse"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := smtp.Parse(c.url)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("Parse(%q) = %+v, %v; want an error about %q", c.url, got, err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.url, err)
			}
			if got.Timeout <= 0 {
				t.Errorf("Timeout = %v, want a default", got.Timeout)
			}
			got.Timeout = 0
			if *got != c.want {
				t.Errorf("Parse(%q) = %+v, want %+v", c.url, *got, c.want)
			}
		})
	}
}

func sample() atriummail.Rendered {
	return atriummail.Rendered{
		ID:      "0190f5c2-7a3e-7c1e-9b1a-3f9d2c4e5a6b",
		To:      "zoe@example.com",
		From:    "Atrium <noreply@atrium.test>",
		Subject: "Grüße, <Contoso> & Fabrikam — welcome",
		Text: "Hello Zoë,\n\nSign in at https://atrium.example/signin?a=1&b=2\n" +
			"A line with = signs, trailing spaces   \nand a long one: " + strings.Repeat("lorem ipsum ", 20) + "\n\n— Atrium\n",
		HTML: "<!doctype html>\n<p>Hello Zoë &amp; co,</p>\n<p><a href=\"https://atrium.example/signin?a=1&amp;b=2\">sign in</a></p>\n" +
			"<p>" + strings.Repeat("ünïcödé ", 30) + "</p>\n",
	}
}

func send(t *testing.T, s *smtp.Sender, m atriummail.Rendered) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return s.Send(ctx, m)
}

func TestSendSecurity(t *testing.T) {
	const user, pass = "atrium", "s3cret"
	withQuery := func(q string) func(*smtptest.Server) string {
		return func(s *smtptest.Server) string { return strings.Replace(s.URL, "starttls=none", q, 1) }
	}
	asIs := func(s *smtptest.Server) string { return s.URL }
	cases := []struct {
		name     string
		opts     []smtptest.Option
		url      func(*smtptest.Server) string
		trust    bool // trust the server's self-signed certificate
		wantErr  string
		wantTLS  bool
		wantUser string
	}{
		{"plain", nil, asIs, false, "", false, ""},
		{"opportunistic, not offered", nil, withQuery("starttls=opportunistic"), false, "", false, ""},
		{"no query means opportunistic", nil, withQuery(""), false, "", false, ""},
		{"STARTTLS required", []smtptest.Option{smtptest.WithSTARTTLS()}, asIs, true, "", true, ""},
		{"STARTTLS opportunistic, offered", []smtptest.Option{smtptest.WithSTARTTLS()},
			func(s *smtptest.Server) string { return strings.Replace(s.URL, "required", "opportunistic", 1) }, true, "", true, ""},
		{"STARTTLS required, not offered", nil, withQuery("starttls=required"), true, "does not offer STARTTLS", false, ""},
		{"STARTTLS with an untrusted certificate", []smtptest.Option{smtptest.WithSTARTTLS()}, asIs, false, "certificate", false, ""},
		{"implicit TLS", []smtptest.Option{smtptest.WithImplicitTLS()}, asIs, true, "", true, ""},
		{"implicit TLS with an untrusted certificate", []smtptest.Option{smtptest.WithImplicitTLS()}, asIs, false, "certificate", false, ""},
		{"implicit TLS against a plain server", nil,
			func(s *smtptest.Server) string { return "smtps://" + s.Addr }, true, "connect", false, ""},
		{"PLAIN auth accepted", []smtptest.Option{smtptest.WithAuth(user, pass)}, asIs, false, "", false, user},
		{"PLAIN auth after STARTTLS", []smtptest.Option{smtptest.WithSTARTTLS(), smtptest.WithAuth(user, pass)}, asIs, true, "", true, user},
		{"PLAIN auth over implicit TLS", []smtptest.Option{smtptest.WithImplicitTLS(), smtptest.WithAuth(user, pass)}, asIs, true, "", true, user},
		{"PLAIN auth with a wrong password", []smtptest.Option{smtptest.WithAuth(user, pass)},
			func(s *smtptest.Server) string { return strings.Replace(s.URL, pass, "wrong", 1) }, false, "auth", false, ""},
		{"PLAIN auth with an unknown user", []smtptest.Option{smtptest.WithAuth(user, pass)},
			func(s *smtptest.Server) string { return strings.Replace(s.URL, user+":", "mallory:", 1) }, false, "auth", false, ""},
		{"auth required, no credentials", []smtptest.Option{smtptest.WithAuth(user, pass)},
			func(s *smtptest.Server) string { return "smtp://" + s.Addr + "?starttls=none" }, false, "MAIL FROM", false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := smtptest.Start(t, c.opts...)
			sender, err := smtp.Parse(c.url(srv))
			if err != nil {
				t.Fatal(err)
			}
			if c.trust && srv.CertPool() != nil {
				sender.TLSConfig = srv.ClientTLSConfig()
			}
			err = send(t, sender, sample())
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("Send = %v, want an error about %q", err, c.wantErr)
				}
				if got := srv.Messages(); len(got) != 0 {
					t.Errorf("server received %d messages despite the error", len(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 {
				t.Fatalf("server received %d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if m.TLS != c.wantTLS {
				t.Errorf("message sent over TLS: %v, want %v", m.TLS, c.wantTLS)
			}
			if m.Username != c.wantUser {
				t.Errorf("authenticated as %q, want %q", m.Username, c.wantUser)
			}
			if m.From != "noreply@atrium.test" || !slices.Equal(m.To, []string{"zoe@example.com"}) {
				t.Errorf("envelope %s → %v", m.From, m.To)
			}
		})
	}
}

func TestSendUnreachable(t *testing.T) {
	srv := smtptest.Start(t)
	srv.Stop()
	sender, err := smtp.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := send(t, sender, sample()); err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("Send to a stopped server = %v, want a connect error", err)
	}
	srv.Restart(t)
	if err := send(t, sender, sample()); err != nil {
		t.Fatalf("Send after restart: %v", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server received %d messages, want 1", n)
	}
}

// TestSendContent checks, with the standard library's parsers, what the server received.
func TestSendContent(t *testing.T) {
	srv := smtptest.Start(t)
	sender, err := smtp.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	want := sample()
	if err := send(t, sender, want); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1)[0]
	if got.From != "noreply@atrium.test" || !slices.Equal(got.To, []string{want.To}) {
		t.Errorf("envelope %s → %v, want noreply@atrium.test → [%s]", got.From, got.To, want.To)
	}
	for i, line := range bytes.Split(got.Data, []byte("\r\n")) {
		if len(line) > 998 {
			t.Errorf("line %d is %d bytes long", i+1, len(line))
		}
		for _, b := range line {
			if b >= 0x80 || b == '\n' || b == '\r' {
				t.Fatalf("line %d has a raw byte %#x: the message must be 7-bit with CRLF line ends", i+1, b)
			}
		}
	}

	msg, err := mail.ReadMessage(bytes.NewReader(got.Data))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	headers := []struct{ name, got, want string }{
		{"From", msg.Header.Get("From"), want.From},
		{"To", msg.Header.Get("To"), want.To},
		{"Subject", subject, want.Subject},
		{"Message-ID", msg.Header.Get("Message-ID"), "<" + want.ID + "@atrium.test>"},
		{"MIME-Version", msg.Header.Get("MIME-Version"), "1.0"},
	}
	for _, h := range headers {
		if h.got != h.want {
			t.Errorf("%s = %q, want %q", h.name, h.got, h.want)
		}
	}
	if from, err := mail.ParseAddress(msg.Header.Get("From")); err != nil || from.Name != "Atrium" || from.Address != "noreply@atrium.test" {
		t.Errorf("From parses as %+v, %v", from, err)
	}
	if _, err := msg.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	ctype, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || ctype != "multipart/alternative" || params["boundary"] == "" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative with a boundary", msg.Header.Get("Content-Type"), err)
	}

	// Read the raw parts so that the transfer encoding is checked, not undone for us.
	mr := multipart.NewReader(msg.Body, params["boundary"])
	wantParts := []struct{ ctype, body string }{{"text/plain", want.Text}, {"text/html", want.HTML}}
	for i, wp := range wantParts {
		p, err := mr.NextRawPart()
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		pt, pp, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if err != nil || pt != wp.ctype || !strings.EqualFold(pp["charset"], "utf-8") {
			t.Errorf("part %d Content-Type = %q, want %s; charset=utf-8", i+1, p.Header.Get("Content-Type"), wp.ctype)
		}
		if cte := p.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Errorf("part %d Content-Transfer-Encoding = %q", i+1, cte)
		}
		raw, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(raw), "\r\n") {
			if len(line) > 76 {
				t.Errorf("part %d has a %d-character line; quoted-printable allows 76", i+1, len(line))
			}
		}
		body, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
		if err != nil {
			t.Fatalf("part %d: decode quoted-printable: %v", i+1, err)
		}
		if got, want := strings.ReplaceAll(string(body), "\r\n", "\n"), wp.body; strings.TrimSuffix(got, "\n") != strings.TrimSuffix(want, "\n") {
			t.Errorf("part %d body:\n%q\nwant\n%q", i+1, got, want)
		}
	}
	if _, err := mr.NextRawPart(); !errors.Is(err, io.EOF) {
		t.Errorf("after two parts: %v, want EOF", err)
	}

	// The helper that other packages' tests use decodes the same.
	if got.Subject() != want.Subject || strings.TrimSuffix(got.Text(), "\n") != strings.TrimSuffix(want.Text, "\n") ||
		strings.TrimSuffix(got.HTML(), "\n") != strings.TrimSuffix(want.HTML, "\n") {
		t.Errorf("smtptest decodes subject %q, text %q, html %q", got.Subject(), got.Text(), got.HTML())
	}
}

// Header values come from user input (an organization's name in a subject); a line
// break in them must not start a header of its own.
func TestSendHeaderInjection(t *testing.T) {
	srv := smtptest.Start(t)
	sender, err := smtp.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	m := sample()
	m.Subject = "Welcome to Atrium, Evil\r\nBcc: victim@example.com\r\nX-Injected: yes"
	if err := send(t, sender, m); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1)[0]
	msg, err := mail.ReadMessage(bytes.NewReader(got.Data))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"Bcc", "X-Injected"} {
		if v := msg.Header.Get(h); v != "" {
			t.Errorf("injected header %s: %q", h, v)
		}
	}
	if !slices.Equal(got.To, []string{m.To}) {
		t.Errorf("envelope recipients %v, want only %s", got.To, m.To)
	}
	if got.Subject() != m.Subject {
		t.Errorf("Subject = %q, want %q", got.Subject(), m.Subject)
	}
}
