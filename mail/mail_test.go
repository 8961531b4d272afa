package mail_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/smtp"
	"github.com/atrium-admin/atrium/smtp/smtptest"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var t0 = time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)

const from = "Atrium <noreply@atrium.test>"

func migrations() []store.Migration {
	return append(slices.Clone(jobs.Migrations), mail.Migrations...)
}

// env is an outbox on a real database with a queue and a manual clock.
type env struct {
	db     *store.DB
	clock  *atrium.ManualClock
	queue  *jobs.Queue
	outbox *mail.Outbox
}

// newEnv returns an outbox that delivers to srv, or keeps mail when srv is nil.
func newEnv(t *testing.T, db *store.DB, srv *smtptest.Server) *env {
	t.Helper()
	e := &env{db: db, clock: atrium.NewManualClock(t0)}
	e.queue = jobs.New(db, e.clock, slog.New(slog.DiscardHandler))
	var sender mail.Sender // a nil *smtp.Sender would be a non-nil Sender
	if srv != nil {
		s, err := smtp.Parse(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		s.Timeout = 10 * time.Second
		sender = s
	}
	e.outbox = mail.NewOutbox(db, e.queue, e.clock, sender, from)
	return e
}

func (e *env) enqueue(t *testing.T, m mail.Message) {
	t.Helper()
	if err := e.db.Tx(context.Background(), func(tx *store.Tx) error {
		return e.outbox.Enqueue(context.Background(), tx, m)
	}); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
}

func (e *env) runDue(t *testing.T, want int) {
	t.Helper()
	n, err := e.queue.RunDue(context.Background())
	if err != nil {
		t.Fatalf("RunDue: %v", err)
	}
	if n != want {
		t.Fatalf("RunDue ran %d jobs, want %d", n, want)
	}
}

// only returns the one message in the outbox.
func (e *env) only(t *testing.T) mail.Rendered {
	t.Helper()
	list, _, err := e.outbox.List(context.Background(), mail.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("outbox has %d messages, want 1", len(list))
	}
	m, err := e.outbox.Get(context.Background(), list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (e *env) attempts(t *testing.T, id string) int {
	t.Helper()
	var n int
	if err := e.db.Read().QueryRowContext(context.Background(), `SELECT attempts FROM mail_outbox WHERE id = $1`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func welcome(to string) mail.Message {
	return mail.Message{Org: "contoso", To: to, Template: "welcome", Data: map[string]string{
		"OrgName":   "Contoso & Co",
		"AdminName": `Zoë <script>alert("x")</script>`,
		"Username":  "zoe@contoso.example",
		"SignInURL": "https://atrium.example/signin?org=contoso&x=1",
	}}
}

func TestDeliver(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv := smtptest.Start(t)
		e := newEnv(t, db, srv)

		// A message enqueued in a transaction that rolls back never exists.
		errAbort := errors.New("abort")
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			if err := e.outbox.Enqueue(ctx, tx, welcome("rolled-back@example.com")); err != nil {
				return err
			}
			return errAbort
		}); !errors.Is(err, errAbort) {
			t.Fatalf("Tx = %v", err)
		}

		e.enqueue(t, welcome("zoe@contoso.example"))
		if m := e.only(t); m.State != mail.StateQueued || !m.Sent.IsZero() || !m.Created.Equal(t0) {
			t.Errorf("before delivery: %+v, want queued, created %v", m, t0)
		}
		if n := len(srv.Messages()); n != 0 {
			t.Fatalf("%d messages sent before the job ran", n)
		}
		e.clock.Advance(time.Second)
		e.runDue(t, 1)
		e.runDue(t, 0)

		msgs := srv.Messages()
		if len(msgs) != 1 {
			t.Fatalf("server received %d messages, want 1", len(msgs))
		}
		got := msgs[0]
		if got.From != "noreply@atrium.test" || !slices.Equal(got.To, []string{"zoe@contoso.example"}) {
			t.Errorf("envelope %s → %v", got.From, got.To)
		}
		if s := got.Subject(); s != "Welcome to Atrium, Contoso & Co" {
			t.Errorf("Subject = %q", s)
		}
		if f := got.Header("From"); f != from {
			t.Errorf("From = %q, want %q", f, from)
		}
		checks := []struct {
			part, text, want string
		}{
			{"text", got.Text(), `Hello Zoë <script>alert("x")</script>,`},
			{"text", got.Text(), "Contoso & Co is ready."},
			{"text", got.Text(), "https://atrium.example/signin?org=contoso&x=1"},
			{"text", got.Text(), "Your username is zoe@contoso.example."},
			{"html", got.HTML(), "Hello Zoë &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;,"},
			{"html", got.HTML(), "Contoso &amp; Co is ready."},
			{"html", got.HTML(), `<a href="https://atrium.example/signin?org=contoso&amp;x=1">`},
			{"html", got.HTML(), "Your username is zoe@contoso.example."},
		}
		for _, c := range checks {
			if !strings.Contains(c.text, c.want) {
				t.Errorf("%s part lacks %q:\n%s", c.part, c.want, c.text)
			}
		}
		if strings.Contains(got.HTML(), "<script>") {
			t.Errorf("HTML part contains a raw <script>:\n%s", got.HTML())
		}

		m := e.only(t)
		if m.To != "zoe@contoso.example" || m.State != mail.StateSent || !m.Sent.Equal(t0.Add(time.Second)) || m.Error != "" {
			t.Errorf("after delivery: %+v, want sent at %v", m, t0.Add(time.Second))
		}
		if n := e.attempts(t, m.ID); n != 1 {
			t.Errorf("attempts = %d, want 1", n)
		}
		if n, err := e.queue.Depth(ctx); err != nil || n != 0 {
			t.Errorf("Depth = %d, %v; want 0", n, err)
		}
	})
}

func TestOutboxWithoutSender(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, nil)
		recipients := []string{
			"alice@contoso.example",
			"Bob@Fabrikam.example",
			"first_last@contoso.example",
			"firstxlast@contoso.example",
			"carol@contoso.example",
			"dave@contoso.example",
		}
		for i, to := range recipients {
			if i != 3 { // two messages share a timestamp: the id breaks the tie
				e.clock.Advance(time.Minute)
			}
			e.enqueue(t, welcome(to))
		}
		e.runDue(t, 0)
		if n, err := e.queue.Depth(ctx); err != nil || n != 0 {
			t.Errorf("Depth = %d, %v; want 0: no job without a sender", n, err)
		}

		all, next, err := e.outbox.List(ctx, mail.ListFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if next != "" {
			t.Errorf("one page has a next cursor %q", next)
		}
		var got []string
		for _, m := range all {
			got = append(got, m.To)
			if m.State != mail.StateQueued || m.Subject != "Welcome to Atrium, Contoso & Co" || m.Org != "contoso" {
				t.Errorf("listed %+v, want a queued welcome of contoso", m)
			}
		}
		newestFirst := slices.Clone(recipients)
		slices.Reverse(newestFirst)
		if !slices.Equal(got, newestFirst) {
			t.Fatalf("List = %v, want newest first %v", got, newestFirst)
		}

		searches := []struct {
			name string
			to   string
			want []string
		}{
			{"exact", "alice@contoso.example", []string{"alice@contoso.example"}},
			{"case-insensitive", "BOB@fabrikam", []string{"Bob@Fabrikam.example"}},
			{"domain", "@contoso.", []string{"dave@contoso.example", "carol@contoso.example", "firstxlast@contoso.example", "first_last@contoso.example", "alice@contoso.example"}},
			{"underscore is literal", "first_", []string{"first_last@contoso.example"}},
			{"percent is literal", "%", nil},
			{"backslash is literal", `\`, nil},
			{"no match", "mallory", nil},
		}
		for _, s := range searches {
			t.Run("search "+s.name, func(t *testing.T) {
				list, _, err := e.outbox.List(ctx, mail.ListFilter{To: s.to})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, m := range list {
					got = append(got, m.To)
				}
				if !slices.Equal(got, s.want) {
					t.Errorf("List(To: %q) = %v, want %v", s.to, got, s.want)
				}
			})
		}

		pagings := []struct {
			name  string
			to    string
			limit int
			want  []string
			pages int
		}{
			{"everything by two", "", 2, newestFirst, 3},
			{"everything by four", "", 4, newestFirst, 2},
			{"everything by one", "", 1, newestFirst, 6},
			{"filtered by two", "contoso", 2, []string{"dave@contoso.example", "carol@contoso.example", "firstxlast@contoso.example", "first_last@contoso.example", "alice@contoso.example"}, 3},
		}
		for _, p := range pagings {
			t.Run("paging "+p.name, func(t *testing.T) {
				var got []string
				cursor, pages := "", 0
				for {
					list, next, err := e.outbox.List(ctx, mail.ListFilter{To: p.to, Limit: p.limit, Cursor: cursor})
					if err != nil {
						t.Fatal(err)
					}
					pages++
					if len(list) > p.limit || len(list) == 0 {
						t.Fatalf("page %d has %d messages, limit %d", pages, len(list), p.limit)
					}
					for _, m := range list {
						got = append(got, m.To)
					}
					if next == "" {
						break
					}
					if pages > len(recipients) {
						t.Fatal("paging does not end")
					}
					cursor = next
				}
				if !slices.Equal(got, p.want) || pages != p.pages {
					t.Errorf("pages gave %v in %d pages, want %v in %d", got, pages, p.want, p.pages)
				}
			})
		}

		for _, bad := range []string{"garbage", store.EncodeCursor("not", "a number"), store.EncodeCursor(int64(1))} {
			_, _, err := e.outbox.List(ctx, mail.ListFilter{Cursor: bad})
			var ae *atrium.Error
			if !errors.As(err, &ae) || ae.Code != atrium.CodeInvalid || ae.Fields["cursor"] == "" {
				t.Errorf("List(Cursor: %q) = %v, want invalid cursor", bad, err)
			}
		}
		if _, err := e.outbox.Get(ctx, "no-such-message"); atrium.ErrorCode(err) != atrium.CodeNotFound {
			t.Errorf("Get(unknown) = %v, want not_found", err)
		}
	})
}

func TestDeliveryRetries(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		t.Run("server comes back", func(t *testing.T) {
			srv := smtptest.Start(t)
			srv.Stop()
			e := newEnv(t, db, srv)
			e.enqueue(t, welcome("zoe@contoso.example"))
			id := e.only(t).ID

			e.runDue(t, 1)
			m := e.only(t)
			if m.State != mail.StateQueued || !strings.Contains(m.Error, "connect") || !m.Sent.IsZero() {
				t.Errorf("after a failed attempt: %+v, want queued with a connect error", m)
			}
			if n := e.attempts(t, id); n != 1 {
				t.Errorf("attempts = %d, want 1", n)
			}

			srv.Restart(t)
			e.runDue(t, 0) // the retry waits for its backoff
			e.clock.Advance(time.Minute)
			e.runDue(t, 1)
			msgs := srv.Messages()
			if len(msgs) != 1 || msgs[0].Subject() != "Welcome to Atrium, Contoso & Co" {
				t.Fatalf("server received %d messages, want the welcome", len(msgs))
			}
			m = e.only(t)
			if m.State != mail.StateSent || m.Error != "" || !m.Sent.Equal(t0.Add(time.Minute)) {
				t.Errorf("after delivery: %+v, want sent without an error", m)
			}
			if n := e.attempts(t, id); n != 2 {
				t.Errorf("attempts = %d, want 2", n)
			}
			e.clock.Advance(24 * time.Hour)
			e.runDue(t, 0)
			if n := len(srv.Messages()); n != 1 {
				t.Errorf("server received %d messages, want 1", n)
			}
			clearOutbox(t, db)
		})
		t.Run("server never comes back", func(t *testing.T) {
			srv := smtptest.Start(t)
			srv.Stop()
			e := newEnv(t, db, srv)
			e.enqueue(t, welcome("zoe@contoso.example"))
			id := e.only(t).ID
			const maxAttempts = 8 // mail.send's
			for i := range maxAttempts {
				e.runDue(t, 1)
				if n := e.attempts(t, id); n != i+1 {
					t.Fatalf("attempts = %d, want %d", n, i+1)
				}
				e.clock.Advance(2 * time.Hour)
			}
			e.runDue(t, 0)
			m := e.only(t)
			if m.State != mail.StateFailed || m.Error == "" {
				t.Errorf("after %d attempts: %+v, want failed with the last error", maxAttempts, m)
			}
			if n, err := e.queue.Failed(context.Background()); err != nil || n != 1 {
				t.Errorf("failed jobs = %d, %v; want 1", n, err)
			}
			clearOutbox(t, db)
		})
	})
}

func clearOutbox(t *testing.T, db *store.DB) {
	t.Helper()
	for _, q := range []string{`DELETE FROM mail_outbox`, `DELETE FROM jobs`} {
		if _, err := db.Write().ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTemplates renders every template with sample data, including hostile values, and
// compares the result with testdata/NAME.golden (go test ./mail -update rewrites them).
func TestTemplates(t *testing.T) {
	hostile := `Zoë <script>alert("x")</script> & "Co"`
	cases := []struct {
		template string
		data     map[string]any
		subject  string
	}{
		{"welcome", map[string]any{
			"OrgName": "Contoso", "AdminName": hostile, "Username": "zoe@contoso.example", "SignInURL": "https://atrium.example/signin",
		}, "Welcome to Atrium, Contoso"},
		{"password_reset", map[string]any{
			"DisplayName": hostile, "Username": "zoe@contoso.example", "SignInURL": "https://atrium.example/signin",
		}, "Your Atrium password was reset"},
		{"user_welcome", map[string]any{
			"DisplayName": hostile, "OrgName": "Contoso", "Username": "zoe@contoso.example", "SignInURL": "https://atrium.example/signin",
		}, "Your Contoso account in Atrium"},
		{"low_seats", map[string]any{
			"DisplayName": hostile, "Product": "Atrium Business <Premium>", "Purchased": 25, "Assigned": 23, "Available": 2,
		}, "Atrium Business <Premium>: only 2 of 25 licenses left"},
		{"subscription_ending", map[string]any{
			"DisplayName": hostile, "Product": "Atrium Business <Premium>", "Trial": true, "Days": 7, "EndsOn": "13 Apr 2031", "Seats": 10,
			"Losses": []string{"Zoë <b>Ray</b> (zoe@contoso.example): 3 alerts will be deleted; 1 search topic is kept"}, "MoreLosses": 2,
			"Data": "3 alerts, 2 settings will be deleted; 1 search topic is kept",
		}, "Atrium Business <Premium> trial ends in 7 days, on 13 Apr 2031"},
		{"sink_disabled", map[string]any{
			"DisplayName": hostile, "Subscription": "HR <tool>", "Target": "https://hr.example/hooks", "Link": "https://atrium.example/integrations/1",
		}, `"HR <tool>" stopped receiving events`},
		{"collab_invitation", map[string]any{
			"DisplayName": hostile, "Engagement": "Preview <wave>", "Program": "Insider <program>", "Inviter": "Olle <Owner>",
			"Link": "https://atrium.example/collab/engagements/1",
		}, "You were added to Preview <wave>"},
		{"collab_access_request", map[string]any{
			"DisplayName": hostile, "Engagement": "Preview <wave>", "Requester": "Mia <Member>", "Organization": "Alpha <Partners>",
			"Justification": "I test the <new> builds", "Link": "https://atrium.example/collab/engagements/1/requests",
		}, "Mia <Member> asked for access to Preview <wave>"},
		{"collab_access_decided", map[string]any{
			"DisplayName": hostile, "Engagement": "Preview <wave>", "State": "approved", "Message": "Welcome <aboard>",
			"Link": "https://atrium.example/collab/engagements/1",
		}, "You have access to Preview <wave>"},
		{"collab_inactivity_notice", map[string]any{
			"DisplayName": hostile, "Days": 14, "Date": "2031-09-10", "Inactive": 180, "Link": "https://atrium.example/collab",
		}, "Your collaboration access ends in 14 days"},
		{"collab_access_deactivated", map[string]any{
			"DisplayName": hostile, "Inactive": 180, "Count": 3, "Link": "https://atrium.example/collab/restore",
		}, "Your collaboration access has ended"},
		{"group_join_request", map[string]any{
			"DisplayName": hostile, "Group": "Design <team>", "Requester": "Mia <Member>", "Message": "I work on the <new> site",
			"Link": "https://atrium.example/groups/1/requests",
		}, "Mia <Member> asked to join Design <team>"},
		{"group_join_decided", map[string]any{
			"DisplayName": hostile, "Group": "Design <team>", "Approved": true, "Reply": "Welcome <aboard>", "Link": "https://atrium.example/groups/1",
		}, "You are now a member of Design <team>"},
		{"group_post", map[string]any{
			"DisplayName": hostile, "Group": "Design <team>", "Topic": "Launch <plan>", "Author": "Mia <Member>",
			"Text": "We ship on <Friday>.\n\nSee the checklist.", "HTML": htmltemplate.HTML("<p>We ship on &lt;Friday&gt;.</p><p>See the <b>checklist</b>.</p>"),
			"Card": map[string]any{"Title": "Build #42 <green>", "URL": "https://ci.example/builds/42", "Fields": []map[string]string{
				{"Label": "Branch", "Value": "main <stable>"}, {"Label": "Duration", "Value": "3 min"}}},
			"Link": "https://atrium.example/groups/1/threads/2",
		}, "New post in Design <team>: Launch <plan>"},
		{"group_visibility_changed", map[string]any{
			"DisplayName": hostile, "Group": "Design <team>", "Visibility": "public", "Link": "https://atrium.example/groups/1",
		}, "Design <team> is now public"},
		{"guest_invitation", map[string]any{
			"OrgName": "Fabrikam <Ltd>", "InviterName": hostile, "Message": "Join our <launch> project", "ExpiresAt": "2031-04-13",
			"AcceptURL": "https://atrium.example/guest/accept?token=atg_x",
		}, "You are invited to Fabrikam <Ltd> as a guest"},
	}

	// Every template has a case here, and every case a template.
	entries, err := os.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	var names, tested []string
	for _, e := range entries {
		name := strings.TrimSuffix(strings.TrimSuffix(e.Name(), ".txt"), ".html")
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	for _, c := range cases {
		tested = append(tested, c.template)
	}
	slices.Sort(names)
	slices.Sort(tested)
	if !slices.Equal(names, tested) {
		t.Errorf("templates %v, test cases %v", names, tested)
	}

	for _, c := range cases {
		t.Run(c.template, func(t *testing.T) {
			subject, text, html, err := mail.Render(mail.Message{Template: c.template, Data: c.data})
			if err != nil {
				t.Fatal(err)
			}
			if subject != c.subject {
				t.Errorf("subject = %q, want %q", subject, c.subject)
			}
			if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "Subject:") {
				t.Errorf("text body = %q", text)
			}
			if !strings.Contains(text, hostile) {
				t.Errorf("text body lacks the display name as given:\n%s", text)
			}
			if strings.Contains(html, "<script>") || !strings.Contains(html, "Zoë &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;Co&#34;") {
				t.Errorf("HTML body does not escape the display name:\n%s", html)
			}
			if _, ok := c.data["SignInURL"]; ok {
				if !strings.Contains(html, `href="https://atrium.example/signin"`) {
					t.Errorf("HTML body lacks the sign-in link:\n%s", html)
				}
				// A javascript: URL never becomes a live link.
				evil := with(c.data, "SignInURL", "javascript:alert(1)")
				_, _, html, err := mail.Render(mail.Message{Template: c.template, Data: evil})
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(html, `href="javascript:`) {
					t.Errorf("HTML body links to javascript:\n%s", html)
				}
			}

			// Each key the template uses is required.
			for key := range c.data {
				partial := with(c.data, key, "")
				delete(partial, key)
				if _, _, _, err := mail.Render(mail.Message{Template: c.template, Data: partial}); err == nil {
					t.Errorf("rendering without %s succeeded", key)
				}
			}

			golden(t, c.template, "Subject: "+subject+"\n\n"+text+"\n---- html ----\n"+html)
		})
	}
	// Welcome and password reset in every language, as the recipient reads them.
	for _, c := range cases {

		for _, l := range []string{"sv", "nb", "pl"} {
			t.Run(c.template+"."+l, func(t *testing.T) {
				subject, text, html, err := mail.Render(mail.Message{Template: c.template, Data: c.data, Lang: l})
				if err != nil {
					t.Fatal(err)
				}
				en, _, _, _ := mail.Render(mail.Message{Template: c.template, Data: c.data})
				if subject == en {
					t.Errorf("the %s subject is the English one: %q", l, subject)
				}
				golden(t, c.template+"."+l, "Subject: "+subject+"\n\n"+text+"\n---- html ----\n"+html)
			})
		}
	}
	if _, _, _, err := mail.Render(mail.Message{Template: "no_such_template", Data: map[string]string{}}); err == nil {
		t.Error("rendering an unknown template succeeded")
	}
}

// with returns a copy of m with key set to v.
func with(m map[string]any, key string, v any) map[string]any {
	out := make(map[string]any, len(m))
	for k, x := range m {
		out[k] = x
	}
	out[key] = v
	return out
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./mail -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the rendering:\n%s", path, got)
	}
}

// TestEnqueueEachMatchesEnqueue: a message to many recipients, rendered once per
// language, stores for each exactly what rendering it for them alone gives — their name
// escaped in the HTML, their language — across more rows than one statement writes.
func TestEnqueueEachMatchesEnqueue(t *testing.T) {
	storetest.Each(t, migrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, nil)
		langs := []string{"", "sv", "nb", "pl"}
		var to []mail.Recipient
		for i := range 250 {
			name := fmt.Sprintf("Member %03d", i)
			if i%7 == 0 {
				name = fmt.Sprintf(`Zoë <b>%d</b> & "Co"`, i)
			}
			to = append(to, mail.Recipient{To: fmt.Sprintf("m%03d@contoso.example", i), Name: name, Lang: langs[i%len(langs)]})
		}
		data := map[string]any{"Subscription": "HR <tool>", "Target": "https://hr.example/hooks", "Link": "https://atrium.example/integrations/1"}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			return e.outbox.EnqueueEach(ctx, tx, "contoso", "sink_disabled", data, to)
		}); err != nil {
			t.Fatal(err)
		}
		byTo := map[string]mail.Rendered{}
		cursor := ""
		for {
			page, next, err := e.outbox.List(ctx, mail.ListFilter{Limit: 100, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range page {
				full, err := e.outbox.Get(ctx, m.ID)
				if err != nil {
					t.Fatal(err)
				}
				byTo[m.To] = full
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if len(byTo) != len(to) {
			t.Fatalf("%d messages stored, want %d", len(byTo), len(to))
		}
		for _, r := range to {
			one := map[string]any{"DisplayName": r.Name}
			for k, v := range data {
				one[k] = v
			}
			subject, text, html, err := mail.Render(mail.Message{Org: "contoso", To: r.To, Template: "sink_disabled", Data: one, Lang: r.Lang})
			if err != nil {
				t.Fatal(err)
			}
			got := byTo[r.To]
			if got.Subject != subject || got.Text != text || got.HTML != html || got.State != mail.StateQueued {
				t.Errorf("%s (%q, %q): stored\n%q\n%q\nwant\n%q\n%q", r.To, r.Name, r.Lang, got.Subject, got.HTML, subject, html)
			}
		}
	})
}
