// Package mail renders templated mail and delivers it through a durable outbox: a
// message is a row written in the same transaction as the change that caused it, and a
// job sends it over SMTP with retries. Without SMTP configured, mail stays in the outbox
// where operator staff can read it.
package mail

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html"
	htmltemplate "html/template"
	"log/slog"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the mail module's schema changes.
var Migrations = store.LoadMigrations("mail", migrationFS, "migrations")

//go:embed templates
var templateFS embed.FS

var (
	metricSent   = promauto.NewCounter(prometheus.CounterOpts{Name: "atrium_mail_sent_total", Help: "Mail delivered to the SMTP server."})
	metricFailed = promauto.NewCounter(prometheus.CounterOpts{Name: "atrium_mail_failed_total", Help: "Failed mail delivery attempts."})
)

// JobSend is the job kind that delivers one outbox message.
const JobSend jobs.Kind = "mail.send"

// States of an outbox message.
const (
	StateQueued = "queued" // waiting for delivery, or for SMTP to be configured
	StateSent   = "sent"
	StateFailed = "failed" // every attempt failed
)

// Message is a mail to render and send: Template names files templates/NAME.txt (whose
// first line is "Subject: …") and templates/NAME.html.
type Message struct {
	Org      atrium.OrgID
	To       string
	Template string
	Data     any
	// Lang is the recipient's language (their own setting, else their organization's);
	// empty is English.
	Lang string
}

// templateSet is the mail templates parsed with one language's "t" function. A key
// missing from a message's data is an error rather than "<no value>" in a mail sent to
// a customer.
type templateSet struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

var (
	setsMu sync.Mutex
	sets   = map[i18n.Lang]*templateSet{}
)

// templatesIn returns the templates of l, parsing them the first time l is used.
func templatesIn(l i18n.Lang) *templateSet {
	setsMu.Lock()
	defer setsMu.Unlock()
	if ts, ok := sets[l]; ok {
		return ts
	}
	p := i18n.For(l)
	funcs := map[string]any{"t": p.T, "date": p.Date, "number": func(n int) string { return p.Number(int64(n)) }}
	ts := &templateSet{
		text: texttemplate.Must(texttemplate.New("mail").Funcs(funcs).Option("missingkey=error").ParseFS(templateFS, "templates/*.txt")),
		html: htmltemplate.Must(htmltemplate.New("mail").Funcs(funcs).Option("missingkey=error").ParseFS(templateFS, "templates/*.html")),
	}
	sets[l] = ts
	return ts
}

func init() { templatesIn(i18n.EN) } // a template that does not parse fails at start

// Sender delivers one rendered message.
type Sender interface {
	Send(ctx context.Context, m Rendered) error
}

// Rendered is a message ready to send.
type Rendered struct {
	ID      string    `json:"id"`
	Org     string    `json:"org_id"`
	To      string    `json:"to"`
	From    string    `json:"from"`
	Subject string    `json:"subject"`
	Text    string    `json:"text"`
	HTML    string    `json:"html"`
	State   string    `json:"state"`
	Created time.Time `json:"created_at"`
	Sent    time.Time `json:"sent_at,omitzero"`
	Error   string    `json:"last_error,omitempty"`
	// Attempts counts delivery attempts to the SMTP server.
	Attempts int `json:"attempts"`
	// ResendOf is the message this one repeats, if it is a resend.
	ResendOf string `json:"resend_of,omitempty"`
}

// Outbox queues and delivers mail.
type Outbox struct {
	db     *store.DB
	queue  *jobs.Queue
	clock  atrium.Clock
	sender Sender // nil: mail stays in the outbox
	from   string
	log    *slog.Logger
}

// SetLog makes l the logger of delivery attempts (one line each).
func (o *Outbox) SetLog(l *slog.Logger) { o.log = l }

// NewOutbox returns an outbox; sender may be nil. It registers its job with queue.
func NewOutbox(db *store.DB, queue *jobs.Queue, clock atrium.Clock, sender Sender, from string) *Outbox {
	o := &Outbox{db: db, queue: queue, clock: clock, sender: sender, from: from, log: slog.New(slog.DiscardHandler)}
	queue.Register(JobSend, o.deliver, jobs.Options{MaxAttempts: 8, Timeout: 2 * time.Minute})
	return o
}

// Render executes m's templates. It returns an error for an unknown template and for
// data that lacks a key the template uses.
func Render(m Message) (subject, text, html string, err error) {
	var tb, hb bytes.Buffer
	l, _ := i18n.Parse(m.Lang)
	if l == "" {
		l = i18n.EN
	}
	ts := templatesIn(l)
	if err := ts.text.ExecuteTemplate(&tb, m.Template+".txt", m.Data); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s.txt: %w", m.Template, err)
	}
	if err := ts.html.ExecuteTemplate(&hb, m.Template+".html", m.Data); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s.html: %w", m.Template, err)
	}
	first, rest, _ := strings.Cut(tb.String(), "\n")
	subject, ok := strings.CutPrefix(first, "Subject: ")
	if !ok {
		return "", "", "", fmt.Errorf("mail: template %s.txt must start with a Subject: line", m.Template)
	}
	return strings.TrimSpace(subject), rest, hb.String(), nil
}

// Enqueue renders m and stores it in tx; with SMTP configured, it also enqueues the job
// that sends it once tx commits.
func (o *Outbox) Enqueue(ctx context.Context, tx *store.Tx, m Message) error {
	subject, text, html, err := Render(m)
	if err != nil {
		return err
	}
	id := uuid.Must(uuid.NewV7()).String()
	_, err = tx.ExecContext(ctx, `INSERT INTO mail_outbox (id, org_id, to_addr, template, subject, text_body, html_body, state, created_at, from_addr)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		id, string(m.Org), m.To, m.Template, subject, text, html, StateQueued, store.Micros(o.clock.Now()), o.from)
	if err != nil {
		return fmt.Errorf("mail: store message: %w", err)
	}
	if o.sender == nil {
		return nil
	}
	return o.queue.Enqueue(ctx, tx, JobSend, sendPayload{ID: id}, time.Time{})
}

// Recipient is one addressee of a message sent to many (EnqueueEach).
type Recipient struct {
	To string
	// Name is what the message calls them (its DisplayName).
	Name string
	// Lang is their language; empty is English.
	Lang string
}

// nameMark stands for a recipient's name while a message sent to many is rendered once
// per language: letters and digits only, so that neither template escapes it.
const nameMark = "atriumrecipientname7f3a9c"

// enqueueRows is how many messages one INSERT of EnqueueEach writes.
const enqueueRows = 100

// EnqueueEach stores in tx the message of template with data (a map whose
// "DisplayName" is each recipient's Name) for every recipient, as Enqueue would one by
// one, but renders it once per language and writes it a hundred rows per statement:
// what mail to the followers of a group costs.
func (o *Outbox) EnqueueEach(ctx context.Context, tx *store.Tx, org atrium.OrgID, template string, data map[string]any, to []Recipient) error {
	type rendered struct{ subject, text, html string }
	byLang := map[string]rendered{}
	withMark := make(map[string]any, len(data)+1)
	for k, v := range data {
		withMark[k] = v
	}
	withMark["DisplayName"] = nameMark
	now := store.Micros(o.clock.Now())
	for start := 0; start < len(to); start += enqueueRows {
		chunk := to[start:min(start+enqueueRows, len(to))]
		var q strings.Builder
		q.WriteString(`INSERT INTO mail_outbox (id, org_id, to_addr, template, subject, text_body, html_body, state, created_at, from_addr) VALUES `)
		args := make([]any, 0, 10*len(chunk))
		ids := make([]string, 0, len(chunk))
		for i, r := range chunk {
			m, ok := byLang[r.Lang]
			if !ok {
				var err error
				if m.subject, m.text, m.html, err = Render(Message{Org: org, Template: template, Data: withMark, Lang: r.Lang}); err != nil {
					return err
				}
				byLang[r.Lang] = m
			}
			if i > 0 {
				q.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10)
			id := uuid.Must(uuid.NewV7()).String()
			ids = append(ids, id)
			args = append(args, id, string(org), r.To, template, strings.ReplaceAll(m.subject, nameMark, r.Name),
				strings.ReplaceAll(m.text, nameMark, r.Name), strings.ReplaceAll(m.html, nameMark, html.EscapeString(r.Name)),
				StateQueued, now, o.from)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("mail: store messages: %w", err)
		}
		if o.sender == nil {
			continue
		}
		for _, id := range ids {
			if err := o.queue.Enqueue(ctx, tx, JobSend, sendPayload{ID: id}, time.Time{}); err != nil {
				return err
			}
		}
	}
	return nil
}

type sendPayload struct {
	ID string `json:"id"`
}

func (o *Outbox) deliver(ctx context.Context, j *jobs.Job) error {
	var p sendPayload
	if err := j.Decode(&p); err != nil {
		return err
	}
	m, err := o.get(ctx, p.ID)
	if atrium.ErrorCode(err) == atrium.CodeNotFound {
		return nil // its organization was purged
	}
	if err != nil {
		return err
	}
	if m.State == StateSent || o.sender == nil {
		return nil
	}
	if m.From == "" {
		m.From = o.from // written before senders were kept
	}
	sendErr := o.sender.Send(ctx, m)
	to := m.To[strings.LastIndexByte(m.To, '@')+1:] // the domain: enough to tell where it went, not who
	if sendErr != nil {
		o.log.Warn("mail attempt failed", "mail", m.ID, "to_domain", to, "attempt", j.Attempt, "of", j.Attempts, "err", sendErr)
	} else {
		o.log.Info("mail sent", "mail", m.ID, "to_domain", to, "attempt", j.Attempt)
	}
	state, sentAt, msg := StateSent, any(store.Micros(o.clock.Now())), ""
	if sendErr != nil {
		metricFailed.Inc()
		state, sentAt, msg = StateQueued, nil, sendErr.Error()
		if j.Attempt >= j.Attempts {
			state = StateFailed
		}
	} else {
		metricSent.Inc()
	}
	if _, err := o.db.Write().ExecContext(ctx, `UPDATE mail_outbox SET state = $1, sent_at = $2, last_error = $3, attempts = attempts + 1 WHERE id = $4`,
		state, sentAt, msg, p.ID); err != nil {
		return fmt.Errorf("mail: record delivery of %s: %w", p.ID, err)
	}
	return sendErr
}

func (o *Outbox) get(ctx context.Context, id string) (Rendered, error) {
	var m Rendered
	var created int64
	var sent *int64
	err := o.db.Read().QueryRowContext(ctx, `SELECT `+mailColumns+` FROM mail_outbox WHERE id = $1`, id).
		Scan(&m.ID, &m.Org, &m.To, &m.Subject, &m.Text, &m.HTML, &m.State, &created, &sent, &m.Error, &m.From, &m.Attempts, &m.ResendOf)
	if err != nil {
		return m, store.Translate(err)
	}
	m.Created, m.Sent = store.Time(created), store.NullTime(sent)
	return m, nil
}

// Get returns one outbox message; not_found if there is none.
func (o *Outbox) Get(ctx context.Context, id string) (Rendered, error) { return o.get(ctx, id) }

// ListFilter selects outbox messages for the operator console.
type ListFilter struct {
	To     string // substring of the recipient
	Limit  int
	Cursor string
}

const mailColumns = `id, org_id, to_addr, subject, text_body, html_body, state, created_at, sent_at, last_error, from_addr, attempts, resend_of`

// newestFirst is the order of the outbox list, on mail_outbox_created (created_at, id).
var newestFirst = store.Keyset{Columns: []string{"created_at", "id"}, Desc: true}

// List returns one page of outbox messages newest first, at most f.Limit (1 to 200; 50
// when out of range), and the cursor of the next page ("" on the last). It returns
// invalid (field "cursor") for a cursor this list did not give out.
func (o *Outbox) List(ctx context.Context, f ListFilter) ([]Rendered, string, error) {
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	args := []any{}
	where := "TRUE"
	if f.To != "" {
		args = append(args, "%"+store.EscapeLike(strings.ToLower(f.To))+"%")
		where = fmt.Sprintf("lower(to_addr) LIKE $%d ESCAPE '\\'", len(args))
	}
	var at int64
	var id string
	page, err := newestFirst.Page(args, f.Cursor, limit, &at, &id)
	if err != nil {
		return nil, "", err
	}
	rows, err := o.db.Read().QueryContext(ctx, `SELECT `+mailColumns+` FROM mail_outbox WHERE `+where+` AND `+page.Where+` `+page.OrderLimit, page.Args...)
	if err != nil {
		return nil, "", store.Translate(err)
	}
	defer rows.Close()
	out := []Rendered{}
	for rows.Next() {
		var m Rendered
		var created int64
		var sent *int64
		if err := rows.Scan(&m.ID, &m.Org, &m.To, &m.Subject, &m.Text, &m.HTML, &m.State, &created, &sent, &m.Error, &m.From, &m.Attempts, &m.ResendOf); err != nil {
			return nil, "", store.Translate(err)
		}
		m.Created, m.Sent = store.Time(created), store.NullTime(sent)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, "", store.Translate(err)
	}
	out, next := store.NextPage(page, out, func(m Rendered) []any { return []any{store.Micros(m.Created), m.ID} })
	return out, next, nil
}

// ListFor is List for operator staff: forbidden unless p may read outgoing mail.
func (o *Outbox) ListFor(ctx context.Context, p *access.Principal, f ListFilter) ([]Rendered, string, error) {
	if err := access.Require(p, access.InstanceMailRead, access.Resource{}); err != nil {
		return nil, "", err
	}
	return o.List(ctx, f)
}

// GetFor is Get for operator staff: forbidden unless p may read outgoing mail.
func (o *Outbox) GetFor(ctx context.Context, p *access.Principal, id string) (Rendered, error) {
	if err := access.Require(p, access.InstanceMailRead, access.Resource{}); err != nil {
		return Rendered{}, err
	}
	return o.Get(ctx, id)
}
