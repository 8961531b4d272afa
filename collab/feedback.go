package collab

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"mime"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/directory"
	"github.com/atrium-admin/atrium/events"
	"github.com/atrium-admin/atrium/store"
)

// Feedback on an engagement: its participants and owners submit items (a bug, a
// suggestion or a question, with attachments), everyone who may submit reads them all
// and comments on them, authors edit their own, and owners edit any and set their
// state. A participant sees the names of the people of their own organization only;
// of the others, the organization's name. Owners see every name.

// FeedbackType is what a feedback item is.
type FeedbackType string

// The feedback types.
const (
	Bug        FeedbackType = "bug"
	Suggestion FeedbackType = "suggestion"
	Question   FeedbackType = "question"
)

// FeedbackState is where an owner has put a feedback item.
type FeedbackState string

// The feedback states; a new item is FeedbackNew.
const (
	FeedbackNew      FeedbackState = "new"
	FeedbackInReview FeedbackState = "in_review"
	FeedbackPlanned  FeedbackState = "planned"
	FeedbackResolved FeedbackState = "resolved"
	FeedbackDeclined FeedbackState = "declined"
)

// The limits of feedback.
const (
	MaxFeedbackTitle       = 256
	MaxFeedbackDescription = 10000
	MaxFeedbackComment     = 4000
	MaxFeedbackAttachments = 5
	// MaxFeedbackAttachment is the largest attachment, in bytes.
	MaxFeedbackAttachment = 5 << 20
)

// Feedback is a feedback item as its reader may see it. AuthorID and AuthorName are
// empty, and AuthorOrgID too, when the author is of another organization than the
// reader and the reader does not manage the engagement's feedback; AuthorOrgName is
// always there.
type Feedback struct {
	ID            string               `json:"id"`
	EngagementID  string               `json:"engagement_id"`
	Title         string               `json:"title"`
	Description   string               `json:"description"`
	Type          FeedbackType         `json:"type"`
	State         FeedbackState        `json:"state"`
	AuthorID      atrium.UserID        `json:"author_id"`
	AuthorName    string               `json:"author_name"`
	AuthorOrgID   atrium.OrgID         `json:"author_org_id"`
	AuthorOrgName string               `json:"author_org_name"`
	Comments      int                  `json:"comments"`
	Attachments   []FeedbackAttachment `json:"attachments"`
	CreatedAt     time.Time            `json:"created_at"`
	UpdatedAt     time.Time            `json:"updated_at"`
	// Mine: the reader wrote it.
	Mine bool `json:"mine"`
	// What the reader may do: change its title, description and type; set its state.
	CanEdit     bool  `json:"can_edit"`
	CanSetState bool  `json:"can_set_state"`
	Version     int64 `json:"-"`
}

// ETag returns the item's entity tag for If-Match.
func (f *Feedback) ETag() string { return etag(f.Version) }

// FeedbackAttachment describes a file attached to a feedback item.
type FeedbackAttachment struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	// SHA256 is the hex SHA-256 of the file as stored.
	SHA256 string `json:"sha256"`
}

// FeedbackFile is an attachment with its content.
type FeedbackFile struct {
	FeedbackAttachment
	Data []byte
}

// FeedbackAttachmentInput is a file to attach; Data is base64 in JSON.
type FeedbackAttachmentInput struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

// FeedbackInput is a new feedback item.
type FeedbackInput struct {
	Title       string                    `json:"title"`
	Description string                    `json:"description"`
	Type        FeedbackType              `json:"type"`
	Attachments []FeedbackAttachmentInput `json:"attachments,omitempty"`
}

// FeedbackPatch changes a feedback item; nil fields stay as they are. Title,
// Description and Type are its author's and the owners' to change, State the owners'.
type FeedbackPatch struct {
	Title       *string        `json:"title,omitempty"`
	Description *string        `json:"description,omitempty"`
	Type        *FeedbackType  `json:"type,omitempty"`
	State       *FeedbackState `json:"state,omitempty"`
}

// FeedbackComment is a comment on a feedback item, with its author shown as for items.
type FeedbackComment struct {
	ID            string        `json:"id"`
	FeedbackID    string        `json:"feedback_id"`
	Text          string        `json:"text"`
	AuthorID      atrium.UserID `json:"author_id"`
	AuthorName    string        `json:"author_name"`
	AuthorOrgID   atrium.OrgID  `json:"author_org_id"`
	AuthorOrgName string        `json:"author_org_name"`
	Mine          bool          `json:"mine"`
	CreatedAt     time.Time     `json:"created_at"`
}

// FeedbackQuery asks for a page of an engagement's feedback, newest first.
type FeedbackQuery struct {
	// Q is a fragment of the title; case and accents are ignored.
	ListQuery
	// Type and State keep the items of one type or state when set.
	Type  FeedbackType
	State FeedbackState
}

// FeedbackRef names a feedback item in an event. It carries no names or text: the
// events outlive an author's organization.
type FeedbackRef struct {
	ID           string        `json:"feedback_id"`
	EngagementID string        `json:"engagement_id"`
	ProgramID    string        `json:"program_id"`
	Org          atrium.OrgID  `json:"org_id"`
	Type         FeedbackType  `json:"type"`
	State        FeedbackState `json:"state"`
	AuthorID     atrium.UserID `json:"author_id"`
}

// FeedbackSubmitted: a feedback item was submitted to an engagement.
type FeedbackSubmitted struct{ FeedbackRef }

// FeedbackUpdated: a feedback item's title, description, type or state changed;
// Changed lists the fields.
type FeedbackUpdated struct {
	FeedbackRef
	Changed []string `json:"changed"`
}

func (FeedbackSubmitted) EventType() events.Type { return "engagement.feedback_submitted" }
func (FeedbackUpdated) EventType() events.Type   { return "engagement.feedback_updated" }

// declareFeedback declares the feedback events.
func declareFeedback(bus *events.Bus) {
	events.Declare[FeedbackSubmitted](bus, "A feedback item was submitted to an engagement.")
	events.Declare[FeedbackUpdated](bus, "A feedback item's title, description, type or state changed.")
}

// subscribeFeedback keeps the authors' names in step and forgets what is purged.
func (s *Service) subscribeFeedback(bus *events.Bus) {
	events.Subscribe(bus, "collab.feedback_user_updated", feedbackUserUpdated)
	events.Subscribe(bus, "collab.feedback_user_purged", feedbackUserPurged)
	events.Subscribe(bus, "collab.feedback_org_purged", feedbackOrgPurged)
}

var (
	errFeedbackNotFound   = atrium.Errorf(atrium.CodeNotFound, "feedback not found")
	errFeedbackOff        = atrium.Errorf(atrium.CodeConflict, "this engagement does not take feedback")
	errFeedbackNoUser     = atrium.Errorf(atrium.CodeForbidden, "only a signed-in person can give feedback")
	errFeedbackNotOwn     = atrium.Errorf(atrium.CodeForbidden, "you may change only your own feedback")
	errFeedbackState      = atrium.Errorf(atrium.CodeForbidden, "only the engagement's owners set the state of feedback")
	errFeedbackAttachment = atrium.Errorf(atrium.CodeNotFound, "attachment not found")
)

// feedbackIn loads engagement id for its feedback: not_found unless the caller may read
// the engagement, forbidden unless they may submit or manage feedback in it, and a
// conflict when the engagement takes no feedback. It returns the caller's principal
// there and whether they manage its feedback.
func (s *Service) feedbackIn(ctx context.Context, q store.Querier, p *access.Principal, id string) (*Engagement, *access.Principal, bool, error) {
	e, pp, err := s.load(ctx, q, p, id, false)
	if err != nil {
		return nil, nil, false, err
	}
	if !e.CanRead {
		return nil, nil, false, errNotFound
	}
	r := resource(e)
	manage := access.Can(pp, ManageFeedback, r)
	if !manage {
		if err := access.Require(pp, SubmitFeedback, r); err != nil {
			return nil, nil, false, err
		}
	}
	if !e.FeedbackEnabled {
		return nil, nil, false, errFeedbackOff
	}
	return e, pp, manage, nil
}

// viewer is who reads feedback: their user and organization, and whether they see every
// name (they manage the engagement's feedback).
type viewer struct {
	user   atrium.UserID
	org    atrium.OrgID
	manage bool
}

// names reports whether v sees the names of an author of org.
func (v viewer) names(org atrium.OrgID) bool { return v.manage || (org != "" && org == v.org) }

func (v viewer) show(f *Feedback) {
	f.Mine = v.user != "" && f.AuthorID == v.user
	f.CanEdit = v.manage || f.Mine
	f.CanSetState = v.manage
	if !v.names(f.AuthorOrgID) {
		f.AuthorID, f.AuthorName, f.AuthorOrgID = "", "", ""
	}
}

func (v viewer) showComment(c *FeedbackComment) {
	c.Mine = v.user != "" && c.AuthorID == v.user
	if !v.names(c.AuthorOrgID) {
		c.AuthorID, c.AuthorName, c.AuthorOrgID = "", "", ""
	}
}

const feedbackColumns = `id, engagement_id, title, description, type, state, author_id, author_name, org_id, org_name, comments,
	created_at, updated_at, version`

func scanFeedback(r scanner) (*Feedback, error) {
	var f Feedback
	var created, updated int64
	if err := r.Scan(&f.ID, &f.EngagementID, &f.Title, &f.Description, &f.Type, &f.State, &f.AuthorID, &f.AuthorName, &f.AuthorOrgID,
		&f.AuthorOrgName, &f.Comments, &created, &updated, &f.Version); err != nil {
		return nil, err
	}
	f.CreatedAt, f.UpdatedAt = store.Time(created), store.Time(updated)
	f.Attachments = []FeedbackAttachment{}
	return &f, nil
}

func getFeedback(ctx context.Context, q store.Querier, engagement, fid string, lock bool) (*Feedback, error) {
	query := `SELECT ` + feedbackColumns + ` FROM collab_feedback WHERE id = $1 AND engagement_id = $2`
	if lock {
		query += forUpdate(q)
	}
	f, err := scanFeedback(q.QueryRowContext(ctx, query, fid, engagement))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errFeedbackNotFound
	}
	if err != nil {
		return nil, store.Translate(err)
	}
	return f, nil
}

// attachFiles fills in the attachments of items, in one query.
func attachFiles(ctx context.Context, q store.Querier, items []*Feedback) error {
	if len(items) == 0 {
		return nil
	}
	byID := make(map[string]*Feedback, len(items))
	ids := make([]string, 0, len(items))
	for _, f := range items {
		byID[f.ID] = f
		ids = append(ids, f.ID)
	}
	args, marks := store.In(nil, ids)
	rows, err := q.QueryContext(ctx, `SELECT feedback_id, id, name, content_type, size, sha256 FROM collab_feedback_attachments
		WHERE feedback_id IN (`+marks+`) ORDER BY feedback_id, id`, args...)
	if err != nil {
		return store.Translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var fid string
		var a FeedbackAttachment
		if err := rows.Scan(&fid, &a.ID, &a.Name, &a.ContentType, &a.Size, &a.SHA256); err != nil {
			return err
		}
		if f := byID[fid]; f != nil {
			f.Attachments = append(f.Attachments, a)
		}
	}
	return rows.Err()
}

func checkFeedbackType(probs atrium.Problems, t *FeedbackType) {
	if t != nil && *t != Bug && *t != Suggestion && *t != Question {
		probs.Addf("type", "err.one_of", "must be one of {{.Values}}", "Values", "bug, suggestion, question")
	}
}

func checkFeedbackState(probs atrium.Problems, st *FeedbackState) {
	if st == nil {
		return
	}
	switch *st {
	case FeedbackNew, FeedbackInReview, FeedbackPlanned, FeedbackResolved, FeedbackDeclined:
	default:
		probs.Addf("state", "err.one_of", "must be one of {{.Values}}", "Values", "new, in_review, planned, resolved, declined")
	}
}

// checkFeedbackAttachments adds a problem on attachments for what is wrong with them,
// and normalizes their names and types.
func checkFeedbackAttachments(probs atrium.Problems, atts []FeedbackAttachmentInput) {
	if len(atts) > MaxFeedbackAttachments {
		probs.Addf("attachments", "err.groups.attachments_max", "attach at most {{.Count}} files", "Count", MaxFeedbackAttachments)
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
		case len(a.Data) > MaxFeedbackAttachment:
			probs.Addf("attachments", "err.groups.attachment_too_large", "each attachment may be at most {{.Count}} MiB", "Count",
				MaxFeedbackAttachment>>20)
		}
	}
}

// byNewest is the feedback list's order: collab_feedback_list (and _state, _type).
var byNewest = store.Keyset{Columns: []string{"created_at", "id"}, Desc: true}

// Feedback returns a page of engagement id's feedback, newest first, with their
// attachments (not their content). It needs collab.feedback.submit or
// collab.feedback.manage there: not_found for an engagement the caller cannot read,
// forbidden without either, a conflict when the engagement takes no feedback, invalid
// for a bad type, state or cursor.
func (s *Service) Feedback(ctx context.Context, p *access.Principal, id string, q FeedbackQuery) (Page[Feedback], error) {
	probs := atrium.Problems{}
	if q.Type != "" {
		checkFeedbackType(probs, &q.Type)
	}
	if q.State != "" {
		checkFeedbackState(probs, &q.State)
	}
	if err := probs.Err(); err != nil {
		return Page[Feedback]{}, err
	}
	db := s.db.Read()
	e, _, manage, err := s.feedbackIn(ctx, db, p, id)
	if err != nil {
		return Page[Feedback]{}, err
	}
	args := []any{e.ID}
	cond := `engagement_id = $1`
	if q.Type != "" {
		args = append(args, string(q.Type))
		cond += ` AND type = $` + itoa(len(args))
	}
	if q.State != "" {
		args = append(args, string(q.State))
		cond += ` AND state = $` + itoa(len(args))
	}
	cond, args, _, err = matchFragment("search", q.Q, cond, args)
	if err != nil {
		return Page[Feedback]{}, err
	}
	var at int64
	var fid string
	pq, err := byNewest.Page(args, q.Cursor, q.size(), &at, &fid)
	if err != nil {
		return Page[Feedback]{}, err
	}
	rows, err := db.QueryContext(ctx, `SELECT `+feedbackColumns+` FROM collab_feedback WHERE `+cond+` AND `+pq.Where+` `+pq.OrderLimit, pq.Args...)
	if err != nil {
		return Page[Feedback]{}, store.Translate(err)
	}
	var items []*Feedback
	for rows.Next() {
		f, err := scanFeedback(rows)
		if err != nil {
			rows.Close()
			return Page[Feedback]{}, err
		}
		items = append(items, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Page[Feedback]{}, err
	}
	items, next := store.NextPage(pq, items, func(f *Feedback) []any { return []any{store.Micros(f.CreatedAt), f.ID} })
	if err := attachFiles(ctx, db, items); err != nil {
		return Page[Feedback]{}, err
	}
	v := viewer{user: p.UserID, org: p.Org, manage: manage}
	out := Page[Feedback]{Items: make([]Feedback, len(items)), NextCursor: next}
	for i, f := range items {
		v.show(f)
		out.Items[i] = *f
	}
	return out, nil
}

// GetFeedback returns feedback item fid of engagement id as the caller may see it; it
// needs what Feedback needs, and is not_found for an item of another engagement.
func (s *Service) GetFeedback(ctx context.Context, p *access.Principal, id, fid string) (*Feedback, error) {
	db := s.db.Read()
	e, _, manage, err := s.feedbackIn(ctx, db, p, id)
	if err != nil {
		return nil, err
	}
	f, err := getFeedback(ctx, db, e.ID, fid, false)
	if err != nil {
		return nil, err
	}
	if err := attachFiles(ctx, db, []*Feedback{f}); err != nil {
		return nil, err
	}
	viewer{user: p.UserID, org: p.Org, manage: manage}.show(f)
	return f, nil
}

// author is the caller as the author of feedback: their name and organization.
func (s *Service) author(ctx context.Context, q store.Querier, p *access.Principal) (directory.OrgCard, error) {
	if p.UserID == "" {
		return directory.OrgCard{}, errFeedbackNoUser
	}
	cards, err := s.users.CardsAnywhere(ctx, q, []atrium.UserID{p.UserID})
	if err != nil {
		return directory.OrgCard{}, err
	}
	if len(cards) == 0 {
		return directory.OrgCard{}, errFeedbackNoUser
	}
	return cards[0], nil
}

func feedbackRef(e *Engagement, f *Feedback, author atrium.UserID) FeedbackRef {
	return FeedbackRef{ID: f.ID, EngagementID: e.ID, ProgramID: e.ProgramID, Org: e.Org, Type: f.Type, State: f.State, AuthorID: author}
}

// SubmitFeedback adds a feedback item to engagement id, in state new, with its
// attachments; it needs collab.feedback.submit there (participants and owners). It is
// invalid naming the field for a missing or too long title, a too long description, a
// type other than bug, suggestion or question, or bad attachments (more than
// MaxFeedbackAttachments, one empty, over MaxFeedbackAttachment bytes, badly named or
// typed); not_found, forbidden and conflict as for Feedback. Submitting counts as the
// caller's access to the engagement.
func (s *Service) SubmitFeedback(ctx context.Context, p *access.Principal, id string, in FeedbackInput) (*Feedback, error) {
	in.Title, in.Description = strings.TrimSpace(in.Title), strings.TrimSpace(in.Description)
	probs := atrium.Problems{}
	checkText(probs, "title", in.Title, true, MaxFeedbackTitle)
	checkText(probs, "description", in.Description, false, MaxFeedbackDescription)
	if in.Type == "" {
		probs.Add("type", "is required")
	}
	checkFeedbackType(probs, &in.Type)
	checkFeedbackAttachments(probs, in.Attachments)
	if err := probs.Err(); err != nil {
		return nil, err
	}
	var e *Engagement
	var f *Feedback
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var pp *access.Principal
		var err error
		e, pp, _, err = s.feedbackIn(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := access.Require(pp, SubmitFeedback, resource(e)); err != nil {
			return err
		}
		c, err := s.author(ctx, tx, p)
		if err != nil {
			return err
		}
		now := tx.Now()
		f = &Feedback{ID: newID(), EngagementID: e.ID, Title: in.Title, Description: in.Description, Type: in.Type, State: FeedbackNew,
			AuthorID: c.ID, AuthorName: c.DisplayName, AuthorOrgID: c.Org, AuthorOrgName: c.OrgName, Attachments: []FeedbackAttachment{},
			CreatedAt: now, UpdatedAt: now, Version: 1}
		if _, err := tx.ExecContext(ctx, `INSERT INTO collab_feedback (id, engagement_id, org_id, org_name, author_id, author_name, title, search,
			description, type, state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)`,
			f.ID, e.ID, string(c.Org), c.OrgName, string(c.ID), c.DisplayName, f.Title, fold(f.Title), f.Description, string(f.Type),
			string(f.State), store.Micros(now)); err != nil {
			return store.Translate(err)
		}
		for _, a := range in.Attachments {
			sum := sha256.Sum256(a.Data)
			att := FeedbackAttachment{ID: newID(), Name: a.Name, ContentType: a.ContentType, Size: int64(len(a.Data)), SHA256: hex.EncodeToString(sum[:])}
			if _, err := tx.ExecContext(ctx, `INSERT INTO collab_feedback_attachments (id, feedback_id, engagement_id, org_id, name, content_type,
				size, sha256, data, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, att.ID, f.ID, e.ID, string(c.Org), att.Name,
				att.ContentType, att.Size, att.SHA256, a.Data, store.Micros(now)); err != nil {
				return store.Translate(err)
			}
			f.Attachments = append(f.Attachments, att)
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{Org: e.Org, Action: "engagement.feedback_submit", TargetType: "engagement", TargetID: e.ID,
			TargetName: e.Name, After: map[string]any{"feedback_id": f.ID, "feedback_title": f.Title, "feedback_type": f.Type, "attachments": len(f.Attachments)}}); err != nil {
			return err
		}
		_, err = s.bus.Publish(ctx, tx, e.Org, f.ID, FeedbackSubmitted{feedbackRef(e, f, c.ID)})
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.touch(ctx, p, e); err != nil {
		return nil, err
	}
	return s.GetFeedback(ctx, p, id, f.ID)
}

// UpdateFeedback changes feedback item fid of engagement id. Its author (while they may
// submit feedback) and the owners (collab.feedback.manage) change its title,
// description and type; only the owners set its state, and anyone else is forbidden.
// ifMatch, when set, is the ETag the change was made against (precondition_failed when
// stale). Bad input is invalid as for SubmitFeedback. Editing counts as the caller's
// access to the engagement.
func (s *Service) UpdateFeedback(ctx context.Context, p *access.Principal, id, fid string, ifMatch int64, in FeedbackPatch) (*Feedback, error) {
	probs := atrium.Problems{}
	if in.Title != nil {
		*in.Title = strings.TrimSpace(*in.Title)
		checkText(probs, "title", *in.Title, true, MaxFeedbackTitle)
	}
	if in.Description != nil {
		*in.Description = strings.TrimSpace(*in.Description)
		checkText(probs, "description", *in.Description, false, MaxFeedbackDescription)
	}
	checkFeedbackType(probs, in.Type)
	checkFeedbackState(probs, in.State)
	if err := probs.Err(); err != nil {
		return nil, err
	}
	var e *Engagement
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var manage bool
		var err error
		e, _, manage, err = s.feedbackIn(ctx, tx, p, id)
		if err != nil {
			return err
		}
		f, err := getFeedback(ctx, tx, e.ID, fid, true)
		if err != nil {
			return err
		}
		content := in.Title != nil || in.Description != nil || in.Type != nil
		if content && !manage && (p.UserID == "" || f.AuthorID != p.UserID) {
			return errFeedbackNotOwn
		}
		if in.State != nil && !manage {
			return errFeedbackState
		}
		if ifMatch != 0 && ifMatch != f.Version {
			return errStale
		}
		before, after := map[string]any{}, map[string]any{}
		set := func(field string, old *string, v *string) {
			if v != nil && *v != *old {
				before[field], after[field] = *old, *v
				*old = *v
			}
		}
		set("feedback_title", &f.Title, in.Title)
		set("description", &f.Description, in.Description)
		if in.Type != nil && *in.Type != f.Type {
			before["feedback_type"], after["feedback_type"], f.Type = f.Type, *in.Type, *in.Type
		}
		stateBefore := f.State
		if in.State != nil && *in.State != f.State {
			f.State = *in.State
		}
		if len(after) == 0 && f.State == stateBefore {
			return nil
		}
		now := tx.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE collab_feedback SET title = $1, search = $2, description = $3, type = $4, state = $5,
			updated_at = $6, version = version + 1 WHERE id = $7`, f.Title, fold(f.Title), f.Description, string(f.Type), string(f.State),
			store.Micros(now), f.ID); err != nil {
			return store.Translate(err)
		}
		var changed []string
		for _, k := range keys(after) {
			changed = append(changed, strings.TrimPrefix(k, "feedback_"))
		}
		if len(after) > 0 {
			before["feedback_id"], after["feedback_id"] = f.ID, f.ID
			if err := audit.Record(ctx, tx, now, audit.Entry{Org: e.Org, Action: "engagement.feedback_update", TargetType: "engagement",
				TargetID: e.ID, TargetName: e.Name, Before: before, After: after}); err != nil {
				return err
			}
		}
		if f.State != stateBefore {
			changed = append(changed, "state")
			if err := audit.Record(ctx, tx, now, audit.Entry{Org: e.Org, Action: "engagement.feedback_state", TargetType: "engagement",
				TargetID: e.ID, TargetName: e.Name, Before: map[string]any{"feedback_id": f.ID, "feedback_title": f.Title, "state": stateBefore},
				After: map[string]any{"feedback_id": f.ID, "feedback_title": f.Title, "state": f.State}}); err != nil {
				return err
			}
		}
		_, err = s.bus.Publish(ctx, tx, e.Org, f.ID, FeedbackUpdated{FeedbackRef: feedbackRef(e, f, f.AuthorID), Changed: changed})
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.touch(ctx, p, e); err != nil {
		return nil, err
	}
	return s.GetFeedback(ctx, p, id, fid)
}

// byOldest is the comment list's order: collab_feedback_comments_list.
var byOldest = store.Keyset{Columns: []string{"created_at", "id"}}

const commentColumns = `id, feedback_id, body, author_id, author_name, org_id, org_name, created_at`

func scanComment(r scanner) (*FeedbackComment, error) {
	var c FeedbackComment
	var created int64
	if err := r.Scan(&c.ID, &c.FeedbackID, &c.Text, &c.AuthorID, &c.AuthorName, &c.AuthorOrgID, &c.AuthorOrgName, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = store.Time(created)
	return &c, nil
}

// Comments returns a page of the comments on feedback item fid of engagement id, oldest
// first; it needs what Feedback needs. q.Q is not used.
func (s *Service) Comments(ctx context.Context, p *access.Principal, id, fid string, q ListQuery) (Page[FeedbackComment], error) {
	db := s.db.Read()
	e, _, manage, err := s.feedbackIn(ctx, db, p, id)
	if err != nil {
		return Page[FeedbackComment]{}, err
	}
	if _, err := getFeedback(ctx, db, e.ID, fid, false); err != nil {
		return Page[FeedbackComment]{}, err
	}
	var at int64
	var cid string
	pq, err := byOldest.Page([]any{fid}, q.Cursor, q.size(), &at, &cid)
	if err != nil {
		return Page[FeedbackComment]{}, err
	}
	rows, err := db.QueryContext(ctx, `SELECT `+commentColumns+` FROM collab_feedback_comments WHERE feedback_id = $1 AND `+pq.Where+` `+pq.OrderLimit,
		pq.Args...)
	if err != nil {
		return Page[FeedbackComment]{}, store.Translate(err)
	}
	var items []*FeedbackComment
	for rows.Next() {
		c, err := scanComment(rows)
		if err != nil {
			rows.Close()
			return Page[FeedbackComment]{}, err
		}
		items = append(items, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Page[FeedbackComment]{}, err
	}
	items, next := store.NextPage(pq, items, func(c *FeedbackComment) []any { return []any{store.Micros(c.CreatedAt), c.ID} })
	v := viewer{user: p.UserID, org: p.Org, manage: manage}
	out := Page[FeedbackComment]{Items: make([]FeedbackComment, len(items)), NextCursor: next}
	for i, c := range items {
		v.showComment(c)
		out.Items[i] = *c
	}
	return out, nil
}

// AddComment comments on feedback item fid of engagement id; it needs
// collab.feedback.submit or collab.feedback.manage there (participants and owners). The
// text is required and at most MaxFeedbackComment characters (invalid on field text).
// Commenting counts as the caller's access to the engagement.
func (s *Service) AddComment(ctx context.Context, p *access.Principal, id, fid, text string) (*FeedbackComment, error) {
	text = strings.TrimSpace(text)
	probs := atrium.Problems{}
	checkText(probs, "text", text, true, MaxFeedbackComment)
	if err := probs.Err(); err != nil {
		return nil, err
	}
	var e *Engagement
	var out *FeedbackComment
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var manage bool
		var err error
		e, _, manage, err = s.feedbackIn(ctx, tx, p, id)
		if err != nil {
			return err
		}
		f, err := getFeedback(ctx, tx, e.ID, fid, true)
		if err != nil {
			return err
		}
		c, err := s.author(ctx, tx, p)
		if err != nil {
			return err
		}
		now := tx.Now()
		out = &FeedbackComment{ID: newID(), FeedbackID: f.ID, Text: text, AuthorID: c.ID, AuthorName: c.DisplayName, AuthorOrgID: c.Org,
			AuthorOrgName: c.OrgName, CreatedAt: now}
		if _, err := tx.ExecContext(ctx, `INSERT INTO collab_feedback_comments (id, feedback_id, engagement_id, org_id, org_name, author_id,
			author_name, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, out.ID, f.ID, e.ID, string(c.Org), c.OrgName,
			string(c.ID), c.DisplayName, text, store.Micros(now)); err != nil {
			return store.Translate(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE collab_feedback SET comments = comments + 1 WHERE id = $1`, f.ID); err != nil {
			return err
		}
		viewer{user: p.UserID, org: p.Org, manage: manage}.showComment(out)
		return audit.Record(ctx, tx, now, audit.Entry{Org: e.Org, Action: "engagement.feedback_comment", TargetType: "engagement", TargetID: e.ID,
			TargetName: e.Name, After: map[string]any{"feedback_id": f.ID, "feedback_title": f.Title, "comment_id": out.ID}})
	})
	if err != nil {
		return nil, err
	}
	if err := s.touch(ctx, p, e); err != nil {
		return nil, err
	}
	return out, nil
}

// FeedbackAttachment returns attachment aid of feedback item fid of engagement id with
// its content; it needs what Feedback needs, and is not_found for an attachment of
// another item.
func (s *Service) FeedbackAttachment(ctx context.Context, p *access.Principal, id, fid, aid string) (*FeedbackFile, error) {
	db := s.db.Read()
	e, _, _, err := s.feedbackIn(ctx, db, p, id)
	if err != nil {
		return nil, err
	}
	var f FeedbackFile
	err = db.QueryRowContext(ctx, `SELECT id, name, content_type, size, sha256, data FROM collab_feedback_attachments
		WHERE id = $1 AND feedback_id = $2 AND engagement_id = $3`, aid, fid, e.ID).
		Scan(&f.ID, &f.Name, &f.ContentType, &f.Size, &f.SHA256, &f.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errFeedbackAttachment
	}
	if err != nil {
		return nil, store.Translate(err)
	}
	return &f, nil
}

// feedbackUserUpdated rewrites the name a user's feedback and comments show.
func feedbackUserUpdated(ctx context.Context, tx *events.Tx, ev directory.UserUpdated) error {
	if strings.TrimSpace(ev.DisplayName) == "" {
		return nil
	}
	for _, q := range []string{
		`UPDATE collab_feedback SET author_name = $1 WHERE author_id = $2 AND author_name <> $1`,
		`UPDATE collab_feedback_comments SET author_name = $1 WHERE author_id = $2 AND author_name <> $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, ev.DisplayName, string(ev.ID)); err != nil {
			return err
		}
	}
	return nil
}

// feedbackUserPurged keeps a purged user's feedback and comments, which belong to the
// engagement's conversation, without their id or name.
func feedbackUserPurged(ctx context.Context, tx *events.Tx, ev directory.UserPurged) error {
	for _, q := range []string{
		`UPDATE collab_feedback SET author_id = '', author_name = $1 WHERE author_id = $2`,
		`UPDATE collab_feedback_comments SET author_id = '', author_name = $1 WHERE author_id = $2`,
	} {
		if _, err := tx.ExecContext(ctx, q, audit.PurgedName, string(ev.ID)); err != nil {
			return err
		}
	}
	return nil
}

// feedbackOrgPurged deletes what a purged organization's people wrote: their items
// (with the others' comments on them and their attachments) and their comments on
// others' items; and the feedback of engagements that are gone (the operator's own
// purge deletes its engagements first).
func feedbackOrgPurged(ctx context.Context, tx *events.Tx, ev directory.OrgPurged) error {
	for _, q := range []string{
		`DELETE FROM collab_feedback_attachments WHERE feedback_id IN (SELECT id FROM collab_feedback WHERE org_id = $1)`,
		`DELETE FROM collab_feedback_comments WHERE feedback_id IN (SELECT id FROM collab_feedback WHERE org_id = $1)`,
		`DELETE FROM collab_feedback WHERE org_id = $1`,
		`DELETE FROM collab_feedback_attachments WHERE org_id = $1`,
		// The items others wrote lose the organization's comments from their count.
		`UPDATE collab_feedback SET comments = comments - (SELECT count(*) FROM collab_feedback_comments c WHERE c.feedback_id = collab_feedback.id AND c.org_id = $1)
			WHERE id IN (SELECT feedback_id FROM collab_feedback_comments WHERE org_id = $1)`,
		`DELETE FROM collab_feedback_comments WHERE org_id = $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, string(ev.Org)); err != nil {
			return err
		}
	}
	// Engagements that are gone take their feedback with them; this walks the feedback
	// tables, which an organization's purge, rare as it is, may.
	for _, q := range []string{
		`DELETE FROM collab_feedback_attachments WHERE engagement_id NOT IN (SELECT id FROM collab_engagements)`,
		`DELETE FROM collab_feedback_comments WHERE engagement_id NOT IN (SELECT id FROM collab_engagements)`,
		`DELETE FROM collab_feedback WHERE engagement_id NOT IN (SELECT id FROM collab_engagements)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
