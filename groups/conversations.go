package groups

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html"
	"html/template"
	"mime"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/i18n"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/mail"
	"github.com/atrium-admin/atrium/store"
)

// A group's conversations: threads with a topic and posts. Members post and reply;
// owners and the organization's group administrators delete posts and lock threads;
// who reads them follows the group's visibility (as). A post's body is HTML of a safe
// subset, sanitized before it is stored; its attachments are stored in the database
// with their SHA-256. Each new post is mailed to the group's followers by a job
// (JobPostMail) that walks them in batches, each batch in its own short transaction.

// Limits of conversations.
const (
	MaxTopic       = 256
	MaxBody        = 20000
	MaxAttachments = 10
	MaxCardFields  = 20
	// mailBatch is how many followers one transaction of the mail job mails.
	mailBatch = 500
)

// JobPostMail mails a new post to the followers of its group.
const JobPostMail jobs.Kind = "groups.post_mail"

// Thread is a conversation of a group.
type Thread struct {
	ID      string `json:"id"`
	GroupID string `json:"group_id"`
	Topic   string `json:"topic"`
	// AuthorID is who started it; empty for an integration or a purged user.
	AuthorID   atrium.UserID `json:"author_id"`
	AuthorName string        `json:"author_name"`
	Locked     bool          `json:"locked"`
	PostCount  int           `json:"post_count"`
	CreatedAt  time.Time     `json:"created_at"`
	LastPostAt time.Time     `json:"last_post_at"`
	// FirstPost is the post that started the thread, returned when it is created.
	FirstPost *Post `json:"first_post,omitempty"`
}

// Post is one post of a thread: a member's text, or an integration's card.
type Post struct {
	ID         string        `json:"id"`
	ThreadID   string        `json:"thread_id"`
	GroupID    string        `json:"group_id"`
	AuthorID   atrium.UserID `json:"author_id"`
	AuthorName string        `json:"author_name"`
	// Body is sanitized HTML; empty for a card.
	Body string `json:"body"`
	// Source names the integration that posted Card; empty for a member's post.
	Source      string       `json:"source,omitempty"`
	Card        *Card        `json:"card,omitempty"`
	Attachments []Attachment `json:"attachments"`
	CreatedAt   time.Time    `json:"created_at"`
}

// Attachment describes a file attached to a post.
type Attachment struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	// SHA256 is the hex SHA-256 of the file as stored.
	SHA256 string `json:"sha256"`
}

// AttachmentFile is an attachment with its content.
type AttachmentFile struct {
	Attachment
	Data []byte
}

// AttachmentInput is a file to attach; Data is base64 in JSON.
type AttachmentInput struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

// ThreadInput starts a thread: its topic and first post.
type ThreadInput struct {
	Topic       string            `json:"topic"`
	Body        string            `json:"body"`
	Attachments []AttachmentInput `json:"attachments,omitempty"`
}

// PostInput is a reply.
type PostInput struct {
	Body        string            `json:"body"`
	Attachments []AttachmentInput `json:"attachments,omitempty"`
}

// Card is what an integration posts: a title, a link and up to MaxCardFields labelled
// values, shown marked with the integration's name.
type Card struct {
	Title  string      `json:"title"`
	URL    string      `json:"url,omitempty"`
	Fields []CardField `json:"fields"`
}

// CardField is one labelled value of a card.
type CardField struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// MaxAttachment is the largest attachment a post may carry, in bytes.
func (s *Service) MaxAttachment() int64 { return s.cfg.MaxAttachment }

// registerConversations registers the job that mails new posts (called by New).
func (s *Service) registerConversations() {
	s.queue.Register(JobPostMail, s.mailPost, jobs.Options{Timeout: 10 * time.Minute})
}

// policy is the safe subset of HTML a post may hold; a bluemonday policy is safe for
// concurrent use once built.
var policy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "b", "strong", "i", "em", "ul", "ol", "li", "blockquote", "code", "pre")
	p.AllowAttrs("href").OnElements("a")
	p.AllowStandardURLs()
	p.RequireNoFollowOnLinks(true)
	return p
}()

var strict = bluemonday.StrictPolicy()

// blockEnd marks where a block of the safe subset ends, for the plain text of a post.
var blockEnd = regexp.MustCompile(`(?i)(</p>|<br\s*/?>|</li>|</blockquote>|</pre>)`)

var blankLines = regexp.MustCompile(`\n{3,}`)

// plainText is the text of sanitized HTML, a line per block, for mail.
func plainText(body string) string {
	t := html.UnescapeString(strict.Sanitize(blockEnd.ReplaceAllString(body, "$1\n")))
	return strings.TrimSpace(blankLines.ReplaceAllString(t, "\n\n"))
}

// sanitizeBody checks a post's body and returns it sanitized.
func sanitizeBody(probs atrium.Problems, body string) string {
	if utf8.RuneCountInString(body) > MaxBody {
		probs.Addf("body", "err.max_chars", "must be at most {{.Count}} characters", "Count", MaxBody)
		return ""
	}
	clean := strings.TrimSpace(policy.Sanitize(body))
	if plainText(clean) == "" {
		probs.Add("body", "must hold some text once unsafe HTML is removed")
	}
	return clean
}

// checkAttachments adds a problem on attachments for what is wrong with them, and
// normalizes their names and types.
func (s *Service) checkAttachments(probs atrium.Problems, atts []AttachmentInput) {
	if len(atts) > MaxAttachments {
		probs.Addf("attachments", "err.groups.attachments_max", "attach at most {{.Count}} files", "Count", MaxAttachments)
		return
	}
	for i := range atts {
		a := &atts[i]
		a.Name = strings.TrimSpace(a.Name)
		switch {
		case a.Name == "":
			probs.Add("attachments", "each attachment needs a name")
		case utf8.RuneCountInString(a.Name) > 255 || strings.ContainsAny(a.Name, `/\`) ||
			strings.IndexFunc(a.Name, unicode.IsControl) >= 0:
			probs.Add("attachments", "an attachment's name must be a file name of at most 255 characters")
		}
		if a.ContentType == "" {
			a.ContentType = "application/octet-stream"
		}
		mt, params, err := mime.ParseMediaType(a.ContentType)
		if err != nil || len(a.ContentType) > 255 || !strings.Contains(mt, "/") {
			probs.Add("attachments", "an attachment's content_type must be a media type such as application/pdf")
		} else {
			a.ContentType = mime.FormatMediaType(mt, params)
		}
		switch {
		case len(a.Data) == 0:
			probs.Add("attachments", "an attachment must not be empty")
		case int64(len(a.Data)) > s.cfg.MaxAttachment:
			probs.Addf("attachments", "err.groups.attachment_too_large", "each attachment may be at most {{.Count}} MiB", "Count",
				int(max(s.cfg.MaxAttachment>>20, 1)))
		}
	}
}

// checkCard checks an integration's card and source.
func checkCard(probs atrium.Problems, source string, c *Card) {
	if source == "" {
		probs.Add("source", "is required")
	} else if len(source) > 64 || strings.IndexFunc(source, func(r rune) bool {
		return r >= utf8.RuneSelf || !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._- ", r))
	}) >= 0 {
		probs.Add("source", "must be at most 64 letters, digits, spaces and . _ -")
	}
	c.Title = strings.TrimSpace(c.Title)
	checkText(probs, "title", c.Title, true, MaxTopic)
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(c.URL) > 2048 {
			probs.Add("url", "must be an http or https address")
		}
	}
	if len(c.Fields) > MaxCardFields {
		probs.Addf("fields", "err.groups.card_fields_max", "a card has at most {{.Count}} fields", "Count", MaxCardFields)
	}
	if c.Fields == nil {
		c.Fields = []CardField{}
	}
	for _, f := range c.Fields {
		checkText(probs, "fields", strings.TrimSpace(f.Label), true, 64)
		checkText(probs, "fields", f.Value, false, 1024)
	}
}

// byActivity is the thread list's order, newest activity first (group_threads_activity);
// byPosted the posts', oldest first (group_posts_thread).
var (
	byActivity = store.Keyset{Columns: []string{"last_post_at", "id"}, Desc: true}
	byPosted   = store.Keyset{Columns: []string{"created_at", "id"}}
)

// readable loads group id for a reader: not_found for a deleted group, forbidden
// unless p may read the group's content.
func (s *Service) readable(ctx context.Context, q store.Querier, p *access.Principal, id string) (*Group, *access.Principal, error) {
	g, pp, err := s.load(ctx, q, p, id)
	if err != nil {
		return nil, nil, err
	}
	if g.DeletedAt != nil {
		return nil, nil, errNotFound
	}
	if err := access.Require(pp, Read, resource(g)); err != nil {
		return nil, nil, err
	}
	return g, pp, nil
}

var (
	errThreadNotFound = atrium.Errorf(atrium.CodeNotFound, "thread not found")
	errPostNotFound   = atrium.Errorf(atrium.CodeNotFound, "post not found")
	errLocked         = atrium.Errorf(atrium.CodeConflict, "the thread is locked: nobody can post in it until an owner unlocks it")
)

const threadColumns = `id, group_id, topic, author_id, locked, posts, created_at, last_post_at`

func scanThread(r scanner) (Thread, error) {
	var t Thread
	var created, last int64
	err := r.Scan(&t.ID, &t.GroupID, &t.Topic, &t.AuthorID, &t.Locked, &t.PostCount, &created, &last)
	t.CreatedAt, t.LastPostAt = store.Time(created), store.Time(last)
	return t, err
}

// getThread reads thread tid of group gid, locking its row on PostgreSQL when lock is
// set (posts and locking then wait for each other).
func getThread(ctx context.Context, q store.Querier, gid, tid string, lock bool) (*Thread, error) {
	query := `SELECT ` + threadColumns + ` FROM group_threads WHERE id = $1 AND group_id = $2`
	if tx, ok := q.(*store.Tx); ok && lock && tx.Dialect == store.Postgres {
		query += ` FOR UPDATE`
	}
	t, err := scanThread(q.QueryRowContext(ctx, query, tid, gid))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errThreadNotFound
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// Threads returns a page of a group's threads, newest activity first; q.Q filters by a
// fragment of the topic (case and accents ignored). It needs groups.read on the group:
// anyone in the organization for a public group, members and group administrators for
// a private one.
func (s *Service) Threads(ctx context.Context, p *access.Principal, id string, q ListQuery) (Page[Thread], error) {
	g, _, err := s.readable(ctx, s.db.Read(), p, id)
	if err != nil {
		return Page[Thread]{}, err
	}
	var at int64
	var tid string
	args := []any{g.ID}
	where := ""
	if f := i18n.Fold(strings.TrimSpace(q.Q)); f != "" {
		args = append(args, "%"+store.EscapeLike(f)+"%")
		where = ` AND search LIKE $2 ESCAPE '\'`
	}
	pq, err := byActivity.Page(args, q.Cursor, q.size(), &at, &tid)
	if err != nil {
		return Page[Thread]{}, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+threadColumns+` FROM group_threads WHERE group_id = $1`+where+` AND `+pq.Where+` `+pq.OrderLimit, pq.Args...)
	if err != nil {
		return Page[Thread]{}, store.Translate(err)
	}
	defer rows.Close()
	items := []Thread{}
	for rows.Next() {
		t, err := scanThread(rows)
		if err != nil {
			return Page[Thread]{}, store.Translate(err)
		}
		items = append(items, t)
	}
	if err := rows.Err(); err != nil {
		return Page[Thread]{}, store.Translate(err)
	}
	items, next := store.NextPage(pq, items, func(t Thread) []any { return []any{store.Micros(t.LastPostAt), t.ID} })
	names, err := s.authorNames(ctx, g.Org, func(yield func(atrium.UserID)) {
		for _, t := range items {
			yield(t.AuthorID)
		}
	})
	if err != nil {
		return Page[Thread]{}, err
	}
	for i := range items {
		items[i].AuthorName = names[items[i].AuthorID]
	}
	return Page[Thread]{Items: items, NextCursor: next}, nil
}

// Thread returns one thread of a group; it needs what Threads needs.
func (s *Service) Thread(ctx context.Context, p *access.Principal, id, tid string) (*Thread, error) {
	g, _, err := s.readable(ctx, s.db.Read(), p, id)
	if err != nil {
		return nil, err
	}
	t, err := getThread(ctx, s.db.Read(), g.ID, tid, false)
	if err != nil {
		return nil, err
	}
	names, err := s.authorNames(ctx, g.Org, func(yield func(atrium.UserID)) { yield(t.AuthorID) })
	t.AuthorName = names[t.AuthorID]
	return t, err
}

// authorNames returns the display names of the active users among ids, in one query.
func (s *Service) authorNames(ctx context.Context, org atrium.OrgID, ids func(func(atrium.UserID))) (map[atrium.UserID]string, error) {
	seen := map[atrium.UserID]string{}
	var list []atrium.UserID
	ids(func(id atrium.UserID) {
		if _, ok := seen[id]; !ok && id != "" {
			seen[id] = ""
			list = append(list, id)
		}
	})
	if len(list) == 0 {
		return seen, nil
	}
	cards, err := s.users.Cards(ctx, s.db.Read(), org, list)
	if err != nil {
		return nil, err
	}
	for _, c := range cards {
		seen[c.ID] = c.DisplayName
	}
	return seen, nil
}

// CreateThread starts a thread in a group with its first post and returns it. It needs
// groups.post on the group (its owners and members). It returns invalid naming topic,
// body or attachments for bad input (a body empty once sanitized, an attachment over
// MaxAttachment bytes).
func (s *Service) CreateThread(ctx context.Context, p *access.Principal, id string, in ThreadInput) (*Thread, error) {
	probs := atrium.Problems{}
	in.Topic = strings.TrimSpace(in.Topic)
	checkText(probs, "topic", in.Topic, true, MaxTopic)
	body := sanitizeBody(probs, in.Body)
	s.checkAttachments(probs, in.Attachments)
	if err := probs.Err(); err != nil {
		return nil, err
	}
	var out *Thread
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		g, pp, err := s.readable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := access.Require(pp, Contribute, resource(g)); err != nil {
			return err
		}
		t, post, err := s.startThread(ctx, tx, g, in.Topic, p.UserID, body, "", nil, in.Attachments)
		if err != nil {
			return err
		}
		t.AuthorName, post.AuthorName = p.Name, p.Name
		out = t
		return audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: g.Org, Action: "group.thread.create", TargetType: "group", TargetID: g.ID, TargetName: g.Name,
			After: map[string]any{"thread_id": t.ID, "post_id": post.ID, "topic": t.Topic, "attachments": len(post.Attachments)}})
	})
	if err != nil {
		return nil, err
	}
	return out, s.fillAuthor(ctx, p, out)
}

// fillAuthor names the caller as the author of a thread it started.
func (s *Service) fillAuthor(ctx context.Context, p *access.Principal, t *Thread) error {
	names, err := s.authorNames(ctx, p.Org, func(yield func(atrium.UserID)) { yield(p.UserID) })
	if err != nil {
		return err
	}
	t.AuthorName = names[p.UserID]
	if t.FirstPost != nil {
		t.FirstPost.AuthorName = t.AuthorName
	}
	return nil
}

// startThread inserts a thread of g and its first post in tx.
func (s *Service) startThread(ctx context.Context, tx *store.Tx, g *Group, topic string, author atrium.UserID, body, source string, card *Card,
	atts []AttachmentInput) (*Thread, *Post, error) {
	now := tx.Now()
	t := &Thread{ID: newID(), GroupID: g.ID, Topic: topic, AuthorID: author, CreatedAt: now, LastPostAt: now}
	if _, err := tx.ExecContext(ctx, `INSERT INTO group_threads (id, group_id, org_id, topic, search, author_id, created_at, last_post_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, t.ID, g.ID, string(g.Org), topic, i18n.Fold(topic), string(author), store.Micros(now)); err != nil {
		return nil, nil, err
	}
	post, err := s.insertPost(ctx, tx, g, t, author, body, source, card, atts)
	if err != nil {
		return nil, nil, err
	}
	t.PostCount, t.FirstPost = 1, post
	return t, post, nil
}

// insertPost adds a post to thread t of g in tx with its attachments, publishes
// PostCreated and enqueues its group mail, all in tx.
func (s *Service) insertPost(ctx context.Context, tx *store.Tx, g *Group, t *Thread, author atrium.UserID, body, source string, card *Card,
	atts []AttachmentInput) (*Post, error) {
	now := tx.Now()
	post := &Post{ID: newID(), ThreadID: t.ID, GroupID: g.ID, AuthorID: author, Body: body, Source: source, Card: card,
		Attachments: []Attachment{}, CreatedAt: now}
	rawCard := ""
	if card != nil {
		b, err := json.Marshal(card)
		if err != nil {
			return nil, err
		}
		rawCard = string(b)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO group_posts (id, thread_id, group_id, org_id, author_id, body, source, card, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, post.ID, t.ID, g.ID, string(g.Org), string(author), body, source, rawCard, store.Micros(now)); err != nil {
		return nil, err
	}
	for _, in := range atts {
		sum := sha256.Sum256(in.Data)
		a := Attachment{ID: newID(), Name: in.Name, ContentType: in.ContentType, Size: int64(len(in.Data)), SHA256: hex.EncodeToString(sum[:])}
		if _, err := tx.ExecContext(ctx, `INSERT INTO group_post_attachments (id, post_id, group_id, org_id, name, content_type, size, sha256, data, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, a.ID, post.ID, g.ID, string(g.Org), a.Name, a.ContentType, a.Size, a.SHA256, in.Data,
			store.Micros(now)); err != nil {
			return nil, err
		}
		post.Attachments = append(post.Attachments, a)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE group_threads SET posts = posts + 1, last_post_at = $1 WHERE id = $2`, store.Micros(now), t.ID); err != nil {
		return nil, err
	}
	if _, err := s.bus.Publish(ctx, tx, g.Org, g.ID, PostCreated{GroupID: g.ID, Org: g.Org, ThreadID: t.ID, PostID: post.ID, AuthorID: author, Source: source}); err != nil {
		return nil, err
	}
	return post, s.queue.Enqueue(ctx, tx, JobPostMail, postMail{Post: post.ID}, time.Time{})
}

// CreatePost replies in a thread and returns the post. It needs groups.post on the
// group; a locked thread is a conflict. Bad input is invalid as for CreateThread.
func (s *Service) CreatePost(ctx context.Context, p *access.Principal, id, tid string, in PostInput) (*Post, error) {
	probs := atrium.Problems{}
	body := sanitizeBody(probs, in.Body)
	s.checkAttachments(probs, in.Attachments)
	if err := probs.Err(); err != nil {
		return nil, err
	}
	var out *Post
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		g, pp, err := s.readable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		t, err := getThread(ctx, tx, g.ID, tid, true)
		if err != nil {
			return err
		}
		if err := access.Require(pp, Contribute, resource(g)); err != nil {
			return err
		}
		if t.Locked {
			return errLocked
		}
		post, err := s.insertPost(ctx, tx, g, t, p.UserID, body, "", nil, in.Attachments)
		if err != nil {
			return err
		}
		out = post
		return audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: g.Org, Action: "group.post.create", TargetType: "group", TargetID: g.ID, TargetName: g.Name,
			After: map[string]any{"thread_id": t.ID, "post_id": post.ID, "attachments": len(post.Attachments)}})
	})
	if err != nil {
		return nil, err
	}
	names, err := s.authorNames(ctx, p.Org, func(yield func(atrium.UserID)) { yield(p.UserID) })
	out.AuthorName = names[p.UserID]
	return out, err
}

// PostCard posts an integration's card in group id of org, marked with source: in
// thread threadID, or in a new thread with topic when threadID is empty. It runs in tx
// when tx is not nil (the integration's own change), else in a transaction of its own.
// It returns not_found for a group or thread that org does not have (or a deleted
// group), conflict for a locked thread, and invalid naming source, title, url or fields.
func (s *Service) PostCard(ctx context.Context, tx *store.Tx, org atrium.OrgID, id, threadID, topic, source string, card Card) (*Post, error) {
	probs := atrium.Problems{}
	source = strings.TrimSpace(source)
	checkCard(probs, source, &card)
	topic = strings.TrimSpace(topic)
	if threadID == "" {
		checkText(probs, "topic", topic, true, MaxTopic)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	var out *Post
	fn := func(tx *store.Tx) error {
		g, err := getGroup(ctx, tx, org, id)
		if err != nil {
			return err
		}
		if g.DeletedAt != nil {
			return errNotFound
		}
		var t *Thread
		action := "group.post.create"
		if threadID == "" {
			action = "group.thread.create"
			var post *Post
			if t, post, err = s.startThread(ctx, tx, g, topic, "", "", source, &card, nil); err != nil {
				return err
			}
			out = post
		} else {
			if t, err = getThread(ctx, tx, g.ID, threadID, true); err != nil {
				return err
			}
			if t.Locked {
				return errLocked
			}
			if out, err = s.insertPost(ctx, tx, g, t, "", "", source, &card, nil); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: g.Org, Action: action, TargetType: "group", TargetID: g.ID, TargetName: g.Name,
			After: map[string]any{"thread_id": t.ID, "post_id": out.ID, "source": source}})
	}
	var err error
	if tx != nil {
		err = fn(tx)
	} else {
		err = s.db.Tx(ctx, fn)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

const postColumns = `id, thread_id, group_id, author_id, body, source, card, created_at`

func scanPost(r scanner) (Post, error) {
	var p Post
	var card string
	var created int64
	if err := r.Scan(&p.ID, &p.ThreadID, &p.GroupID, &p.AuthorID, &p.Body, &p.Source, &card, &created); err != nil {
		return p, err
	}
	p.CreatedAt, p.Attachments = store.Time(created), []Attachment{}
	if card != "" {
		p.Card = &Card{}
		if err := json.Unmarshal([]byte(card), p.Card); err != nil {
			return p, err
		}
	}
	return p, nil
}

// Posts returns a page of a thread's posts, oldest first, with their attachments (not
// their content). It needs what Threads needs.
func (s *Service) Posts(ctx context.Context, p *access.Principal, id, tid string, q ListQuery) (Page[Post], error) {
	g, _, err := s.readable(ctx, s.db.Read(), p, id)
	if err != nil {
		return Page[Post]{}, err
	}
	t, err := getThread(ctx, s.db.Read(), g.ID, tid, false)
	if err != nil {
		return Page[Post]{}, err
	}
	var at int64
	var pid string
	pq, err := byPosted.Page([]any{t.ID}, q.Cursor, q.size(), &at, &pid)
	if err != nil {
		return Page[Post]{}, err
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+postColumns+` FROM group_posts WHERE thread_id = $1 AND `+pq.Where+` `+pq.OrderLimit, pq.Args...)
	if err != nil {
		return Page[Post]{}, store.Translate(err)
	}
	defer rows.Close()
	items := []Post{}
	for rows.Next() {
		post, err := scanPost(rows)
		if err != nil {
			return Page[Post]{}, store.Translate(err)
		}
		items = append(items, post)
	}
	if err := rows.Err(); err != nil {
		return Page[Post]{}, store.Translate(err)
	}
	rows.Close()
	items, next := store.NextPage(pq, items, func(p Post) []any { return []any{store.Micros(p.CreatedAt), p.ID} })
	if err := s.fillPosts(ctx, g.Org, items); err != nil {
		return Page[Post]{}, err
	}
	return Page[Post]{Items: items, NextCursor: next}, nil
}

// fillPosts adds the attachments and author names of a page of posts: two queries
// whatever the page's size.
func (s *Service) fillPosts(ctx context.Context, org atrium.OrgID, posts []Post) error {
	if len(posts) == 0 {
		return nil
	}
	ids := make([]string, len(posts))
	at := map[string]int{}
	for i, p := range posts {
		ids[i], at[p.ID] = p.ID, i
	}
	args, marks := store.In(nil, ids)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT post_id, id, name, content_type, size, sha256 FROM group_post_attachments
		WHERE post_id IN (`+marks+`) ORDER BY post_id, id`, args...)
	if err != nil {
		return store.Translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var post string
		var a Attachment
		if err := rows.Scan(&post, &a.ID, &a.Name, &a.ContentType, &a.Size, &a.SHA256); err != nil {
			return store.Translate(err)
		}
		posts[at[post]].Attachments = append(posts[at[post]].Attachments, a)
	}
	if err := rows.Err(); err != nil {
		return store.Translate(err)
	}
	names, err := s.authorNames(ctx, org, func(yield func(atrium.UserID)) {
		for _, p := range posts {
			yield(p.AuthorID)
		}
	})
	if err != nil {
		return err
	}
	for i := range posts {
		posts[i].AuthorName = names[posts[i].AuthorID]
		if posts[i].Source != "" {
			posts[i].AuthorName = posts[i].Source
		}
	}
	return nil
}

// Attachment returns an attachment of a post with its content; it needs what Threads
// needs.
func (s *Service) Attachment(ctx context.Context, p *access.Principal, id, tid, pid, aid string) (*AttachmentFile, error) {
	g, _, err := s.readable(ctx, s.db.Read(), p, id)
	if err != nil {
		return nil, err
	}
	var f AttachmentFile
	err = s.db.Read().QueryRowContext(ctx, `SELECT a.id, a.name, a.content_type, a.size, a.sha256, a.data FROM group_post_attachments a
		JOIN group_posts p ON p.id = a.post_id WHERE a.id = $1 AND a.post_id = $2 AND p.thread_id = $3 AND a.group_id = $4`, aid, pid, tid, g.ID).
		Scan(&f.ID, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &f.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, atrium.Errorf(atrium.CodeNotFound, "attachment not found")
	}
	if err != nil {
		return nil, store.Translate(err)
	}
	return &f, nil
}

// manageable loads group id in tx for a moderator: not_found for a deleted group,
// forbidden without groups.manage on it.
func (s *Service) manageable(ctx context.Context, tx *store.Tx, p *access.Principal, id string) (*Group, error) {
	g, pp, err := s.load(ctx, tx, p, id)
	if err != nil {
		return nil, err
	}
	if g.DeletedAt != nil {
		return nil, errNotFound
	}
	if err := access.Require(pp, Manage, resource(g)); err != nil {
		return nil, err
	}
	return g, nil
}

// DeletePost deletes a post with its attachments; a thread left without posts goes
// with it. It needs groups.manage on the group (its owners, the organization's group
// administrators).
func (s *Service) DeletePost(ctx context.Context, p *access.Principal, id, tid, pid string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		g, err := s.manageable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		t, err := getThread(ctx, tx, g.ID, tid, true)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM group_posts WHERE id = $1 AND thread_id = $2`, pid, t.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errPostNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM group_post_attachments WHERE post_id = $1`, pid); err != nil {
			return err
		}
		// The thread's activity is its newest remaining post's.
		q := `UPDATE group_threads SET posts = posts - 1,
			last_post_at = COALESCE((SELECT max(created_at) FROM group_posts WHERE thread_id = $1), last_post_at) WHERE id = $1`
		if t.PostCount <= 1 {
			q = `DELETE FROM group_threads WHERE id = $1`
		}
		if _, err := tx.ExecContext(ctx, q, t.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: g.Org, Action: "group.post.delete", TargetType: "group", TargetID: g.ID, TargetName: g.Name,
			Before: map[string]any{"thread_id": t.ID, "post_id": pid}})
	})
}

// SetLocked locks a thread (nobody posts in it) or unlocks it, and returns it. It needs
// groups.manage on the group.
func (s *Service) SetLocked(ctx context.Context, p *access.Principal, id, tid string, locked bool) (*Thread, error) {
	var out *Thread
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		g, err := s.manageable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		t, err := getThread(ctx, tx, g.ID, tid, true)
		if err != nil {
			return err
		}
		out = t
		if t.Locked == locked {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE group_threads SET locked = $1 WHERE id = $2`, locked, t.ID); err != nil {
			return err
		}
		t.Locked = locked
		action := "group.thread.unlock"
		if locked {
			action = "group.thread.lock"
		}
		return audit.Record(ctx, tx, tx.Now(), audit.Entry{Org: g.Org, Action: action, TargetType: "group", TargetID: g.ID, TargetName: g.Name,
			After: map[string]any{"thread_id": t.ID, "topic": t.Topic}})
	})
	if err != nil {
		return nil, err
	}
	names, err := s.authorNames(ctx, p.Org, func(yield func(atrium.UserID)) { yield(out.AuthorID) })
	out.AuthorName = names[out.AuthorID]
	return out, err
}

// postMail is JobPostMail's payload.
type postMail struct {
	Post string `json:"post_id"`
}

// mailPost mails a post to its group's followers but its author, mailBatch followers
// per transaction: each batch's mail and the cursor past it are written together, so a
// retried run starts after the last batch that committed and mails nobody twice. Only
// members follow, so a private group's post reaches no one else; a post deleted, or of
// a group deleted, before its mail is out is not mailed further.
func (s *Service) mailPost(ctx context.Context, j *jobs.Job) error {
	var pl postMail
	if err := j.Decode(&pl); err != nil {
		return err
	}
	for done := false; !done; {
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			done, err = s.mailBatch(ctx, tx, pl.Post)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// mailBatch mails the next batch of followers of post id in tx and reports whether
// none are left.
func (s *Service) mailBatch(ctx context.Context, tx *store.Tx, id string) (bool, error) {
	q := `SELECT p.org_id, p.group_id, p.thread_id, p.author_id, p.body, p.source, p.card, p.mail_cursor, p.mail_done,
		t.topic, g.name, g.deleted_at IS NOT NULL
		FROM group_posts p JOIN group_threads t ON t.id = p.thread_id JOIN org_groups g ON g.id = p.group_id WHERE p.id = $1`
	if tx.Dialect == store.Postgres {
		q += ` FOR UPDATE OF p`
	}
	var org atrium.OrgID
	var gid, tid, body, source, rawCard, cursor, topic, group string
	var author atrium.UserID
	var done, deleted bool
	err := tx.QueryRowContext(ctx, q, id).Scan(&org, &gid, &tid, &author, &body, &source, &rawCard, &cursor, &done, &topic, &group, &deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil // deleted, or its group purged
	}
	if err != nil || done {
		return true, err
	}
	if deleted {
		_, err := tx.ExecContext(ctx, `UPDATE group_posts SET mail_cursor = '', mail_done = TRUE WHERE id = $1`, id)
		return true, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT user_id FROM group_members WHERE group_id = $1 AND user_id > $2 AND following
		ORDER BY user_id LIMIT $3`, gid, cursor, mailBatch)
	if err != nil {
		return false, err
	}
	var ids []atrium.UserID
	for rows.Next() {
		var u atrium.UserID
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return false, err
		}
		ids = append(ids, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	last := len(ids) < mailBatch
	if len(ids) > 0 {
		cursor = string(ids[len(ids)-1])
	}
	recipients := ids[:0:0]
	for _, u := range ids {
		if u != author {
			recipients = append(recipients, u)
		}
	}
	if len(recipients) > 0 {
		if err := s.mailFollowers(ctx, tx, org, gid, tid, group, topic, author, body, source, rawCard, recipients); err != nil {
			return false, err
		}
	}
	if last {
		cursor = ""
	}
	_, err = tx.ExecContext(ctx, `UPDATE group_posts SET mail_cursor = $1, mail_done = $2 WHERE id = $3`, cursor, last, id)
	return last, err
}

// mailFollowers enqueues the mail of one post to users, in their languages.
func (s *Service) mailFollowers(ctx context.Context, tx *store.Tx, org atrium.OrgID, gid, tid, group, topic string, author atrium.UserID,
	body, source, rawCard string, users []atrium.UserID) error {
	from := source
	if author != "" {
		cards, err := s.users.Cards(ctx, tx, org, []atrium.UserID{author})
		if err != nil {
			return err
		}
		if len(cards) == 1 {
			from = cards[0].DisplayName
		}
	}
	var card *Card
	if rawCard != "" {
		card = &Card{}
		if err := json.Unmarshal([]byte(rawCard), card); err != nil {
			return err
		}
	}
	text := plainText(body)
	link := s.link("/groups/" + gid + "/threads/" + tid)
	cards, err := s.users.Cards(ctx, tx, org, users)
	if err != nil {
		return err
	}
	to := make([]mail.Recipient, 0, len(cards))
	for _, c := range cards {
		if c.ContactEmail != "" {
			to = append(to, mail.Recipient{To: c.ContactEmail, Name: c.DisplayName, Lang: c.Language})
		}
	}
	// body is sanitized HTML: what the template shows as HTML unescaped.
	data := map[string]any{"Group": group, "Topic": topic, "Author": from, "Text": text, "HTML": template.HTML(body), "Card": card, "Link": link}
	return s.mail.EnqueueEach(ctx, tx, org, "group_post", data, to)
}

// purgeContent deletes the conversations of purged group id.
func (s *Service) purgeContent(ctx context.Context, tx *store.Tx, id string) error {
	for _, t := range []string{"group_post_attachments", "group_posts", "group_threads"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE group_id = $1`, id); err != nil {
			return err
		}
	}
	return nil
}

// forgetAuthor deletes the posts of a purged user with their attachments (a thread
// left without posts goes too) and takes their id off the threads they started.
func forgetAuthor(ctx context.Context, tx *events.Tx, user atrium.UserID) error {
	for _, q := range []string{
		`UPDATE group_threads SET posts = posts - (SELECT count(*) FROM group_posts p WHERE p.thread_id = group_threads.id AND p.author_id = $1)
			WHERE id IN (SELECT thread_id FROM group_posts WHERE author_id = $1)`,
		`DELETE FROM group_threads WHERE posts <= 0 AND id IN (SELECT thread_id FROM group_posts WHERE author_id = $1)`,
		`DELETE FROM group_post_attachments WHERE post_id IN (SELECT id FROM group_posts WHERE author_id = $1)`,
		`DELETE FROM group_posts WHERE author_id = $1`,
		`UPDATE group_threads SET author_id = '' WHERE author_id = $1`,
		// A post still being mailed may hold the user's id as its cursor: it moves back to
		// the member just before it (the user left group_members first), who was mailed
		// already, so nobody is mailed twice or skipped.
		`UPDATE group_posts SET mail_cursor = COALESCE((SELECT max(m.user_id) FROM group_members m
			WHERE m.group_id = group_posts.group_id AND m.user_id < $1), '') WHERE mail_cursor = $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, string(user)); err != nil {
			return err
		}
	}
	return nil
}
