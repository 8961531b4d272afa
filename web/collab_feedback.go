package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/collab"
)

// The collaboration pages of feedback: an engagement's Feedback tab (its items,
// searched and filtered, and the form that gives feedback with attachments), an item's
// page (its attachments, its comments and the comment form, the author's edit form and
// the owners' state), and the download of an attachment. What a reader sees of the
// authors is what the service shows them: a name within their own organization, else
// the organization's name.

func (c *collabPages) registerFeedback() {
	// A new item's form carries its attachments (multipart).
	upload := maxFormBytes(collab.MaxFeedbackAttachments*collab.MaxFeedbackAttachment + 1<<20)
	c.page("GET /collab/engagements/{id}/feedback", c.feedback)
	c.page("POST /collab/engagements/{id}/feedback", c.submitFeedback, upload)
	c.page("GET /collab/engagements/{id}/feedback/{fid}", c.feedbackItem)
	c.page("POST /collab/engagements/{id}/feedback/{fid}", c.updateFeedback)
	c.page("POST /collab/engagements/{id}/feedback/{fid}/comments", c.commentFeedback)
	c.page("GET /collab/engagements/{id}/feedback/{fid}/attachments/{aid}", c.feedbackAttachment)
}

// feedbackOption is a choice of a type or state: its value and its name's message ID.
type feedbackOption struct {
	Value, Label string
}

func feedbackTypeLabel(t collab.FeedbackType) string {
	return "collab.console.feedback.type." + string(t)
}

func feedbackStateLabel(s collab.FeedbackState) string {
	return "collab.console.feedback.state." + string(s)
}

// feedbackTypes and feedbackStates are the choices the forms and filters offer, in
// order.
var (
	feedbackTypes = []feedbackOption{
		{string(collab.Bug), feedbackTypeLabel(collab.Bug)},
		{string(collab.Suggestion), feedbackTypeLabel(collab.Suggestion)},
		{string(collab.Question), feedbackTypeLabel(collab.Question)},
	}
	feedbackStates = []feedbackOption{
		{string(collab.FeedbackNew), feedbackStateLabel(collab.FeedbackNew)},
		{string(collab.FeedbackInReview), feedbackStateLabel(collab.FeedbackInReview)},
		{string(collab.FeedbackPlanned), feedbackStateLabel(collab.FeedbackPlanned)},
		{string(collab.FeedbackResolved), feedbackStateLabel(collab.FeedbackResolved)},
		{string(collab.FeedbackDeclined), feedbackStateLabel(collab.FeedbackDeclined)},
	}
)

// feedbackRow is a feedback item as the pages show it.
type feedbackRow struct {
	collab.Feedback
}

// TypeLabel and StateLabel are the message IDs of the item's type and state.
func (f feedbackRow) TypeLabel() string  { return feedbackTypeLabel(f.Type) }
func (f feedbackRow) StateLabel() string { return feedbackStateLabel(f.State) }

// Edited says the item changed after it was given.
func (f feedbackRow) Edited() bool { return f.UpdatedAt.After(f.CreatedAt) }

// Author is who the reader may know wrote the item: a name, or (the service hid it)
// the author's organization.
func (f feedbackRow) Author() string {
	if f.AuthorName != "" {
		return f.AuthorName
	}
	return f.AuthorOrgName
}

// feedbackFilter is the search and filters of the Feedback tab.
type feedbackFilter struct {
	Q, Type, State string
}

// feedbackListPage is the data of an engagement's Feedback tab.
type feedbackListPage struct {
	engagementHeader
	Items  []feedbackRow
	Pager  pager
	Filter feedbackFilter
	Types  []feedbackOption
	States []feedbackOption
	// MaxAttachments and MaxAttachmentMB are what a new item may carry.
	MaxAttachments  int
	MaxAttachmentMB int
}

// Filtered says the list is searched or filtered.
func (p feedbackListPage) Filtered() bool { return p.Filter != feedbackFilter{} }

// feedbackListView loads an engagement's Feedback tab: its items as the query of r
// asks for them, newest first.
func (c *collabPages) feedbackListView(r *http.Request) (*view, error) {
	e, err := c.loadEngagement(r)
	if err != nil {
		return nil, err
	}
	lq, err := collabListQuery(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	filter := feedbackFilter{Q: lq.Q, Type: q.Get("type"), State: q.Get("state")}
	page, err := c.svc.Feedback(r.Context(), sessionFrom(r.Context()).P(), e.ID, collab.FeedbackQuery{ListQuery: lq,
		Type: collab.FeedbackType(filter.Type), State: collab.FeedbackState(filter.State)})
	if err != nil {
		return nil, err
	}
	items := make([]feedbackRow, len(page.Items))
	for i, f := range page.Items {
		items[i] = feedbackRow{f}
	}
	v := c.newView(r, "collab.console.feedback.title")
	v.Title = e.Name
	v.Data = feedbackListPage{engagementHeader: engagementHeaderOf(e, "/feedback"), Items: items, Pager: pageLinks(r, page.NextCursor),
		Filter: filter, Types: feedbackTypes, States: feedbackStates, MaxAttachments: collab.MaxFeedbackAttachments,
		MaxAttachmentMB: collab.MaxFeedbackAttachment >> 20}
	return v, nil
}

// feedback is an engagement's Feedback tab: its items, searched by a fragment of the
// title and filtered by type and state, and the form that gives feedback.
func (c *collabPages) feedback(w http.ResponseWriter, r *http.Request) error {
	v, err := c.feedbackListView(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "collab_feedback.html", v)
	return nil
}

// submitFeedback gives feedback with the files of the form attached, and opens the new
// item; bad input is shown beside the form's fields.
func (c *collabPages) submitFeedback(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	id := r.PathValue("id")
	atts, err := feedbackAttachments(r)
	var fb *collab.Feedback
	if err == nil {
		fb, err = c.svc.SubmitFeedback(r.Context(), sessionFrom(r.Context()).P(), id, collab.FeedbackInput{Title: f.Get("title"),
			Description: f.Get("description"), Type: collab.FeedbackType(f.Get("type")), Attachments: atts})
	}
	if err != nil {
		v, verr := c.feedbackListView(r)
		if verr != nil {
			return errors.Join(err, verr)
		}
		v.Form = f
		if !v.formError(err, "title", "description", "type", "attachments") {
			return err
		}
		c.render(w, r, statusOf(err), "collab_feedback.html", v)
		return nil
	}
	return c.redirect(w, r, feedbackPath(id, fb.ID), c.t(r, "collab.console.feedback.submitted", "Title", fb.Title))
}

// feedbackAttachments reads the files of a new item's form (field attachment, any
// number; the service refuses too many): their names, their declared types (or the
// types their bytes suggest) and their bytes. Files left empty are no files.
func feedbackAttachments(r *http.Request) ([]collab.FeedbackAttachmentInput, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	var out []collab.FeedbackAttachmentInput
	for _, hdr := range r.MultipartForm.File["attachment"] {
		if hdr.Filename == "" && hdr.Size == 0 {
			continue // the file input left empty
		}
		file, err := hdr.Open()
		if err != nil {
			return nil, atrium.FieldError("attachments", "could not be read")
		}
		// One byte over the limit is enough for the service to say it is too large.
		data, err := io.ReadAll(io.LimitReader(file, collab.MaxFeedbackAttachment+1))
		file.Close()
		if err != nil {
			return nil, atrium.FieldError("attachments", "could not be read")
		}
		ct := hdr.Header.Get("Content-Type")
		if ct == "" || ct == "application/octet-stream" {
			ct = http.DetectContentType(data)
		}
		out = append(out, collab.FeedbackAttachmentInput{Name: filepath.Base(hdr.Filename), ContentType: ct, Data: data})
	}
	return out, nil
}

func feedbackPath(id, fid string) string { return "/collab/engagements/" + id + "/feedback/" + fid }

// feedbackItemPage is the data of a feedback item's page.
type feedbackItemPage struct {
	engagementHeader
	Item     feedbackRow
	Comments []collab.FeedbackComment
	Pager    pager
	Types    []feedbackOption
	States   []feedbackOption
}

// feedbackItemView loads a feedback item's page with a page of its comments, oldest
// first; its forms hold the item's values, replaced by those of posted.
func (c *collabPages) feedbackItemView(r *http.Request, posted url.Values) (*view, error) {
	p := sessionFrom(r.Context()).P()
	e, err := c.loadEngagement(r)
	if err != nil {
		return nil, err
	}
	f, err := c.svc.GetFeedback(r.Context(), p, e.ID, r.PathValue("fid"))
	if err != nil {
		return nil, err
	}
	lq, err := collabListQuery(r)
	if err != nil {
		return nil, err
	}
	comments, err := c.svc.Comments(r.Context(), p, e.ID, f.ID, lq)
	if err != nil {
		return nil, err
	}
	v := c.newView(r, "collab.console.feedback.title")
	v.Title = f.Title
	v.Form = url.Values{"title": {f.Title}, "description": {f.Description}, "type": {string(f.Type)}, "state": {string(f.State)},
		"version": {strconv.FormatInt(f.Version, 10)}}
	for k, vs := range posted {
		v.Form[k] = vs
	}
	v.Data = feedbackItemPage{engagementHeader: engagementHeaderOf(e, "/feedback"), Item: feedbackRow{*f}, Comments: comments.Items,
		Pager: pageLinks(r, comments.NextCursor), Types: feedbackTypes, States: feedbackStates}
	return v, nil
}

// feedbackItem is a feedback item's page: the item, its attachments, its comments and
// the forms the reader may use.
func (c *collabPages) feedbackItem(w http.ResponseWriter, r *http.Request) error {
	v, err := c.feedbackItemView(r, nil)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "collab_feedback_item.html", v)
	return nil
}

// itemFailed shows a feedback item's page again with err beside the fields of the
// form that was posted, or returns err when it deserves an error page.
func (c *collabPages) itemFailed(w http.ResponseWriter, r *http.Request, err error, fields ...string) error {
	v, verr := c.feedbackItemView(r, r.PostForm)
	if verr != nil {
		return errors.Join(err, verr)
	}
	if !v.formError(err, fields...) {
		return err
	}
	c.render(w, r, statusOf(err), "collab_feedback_item.html", v)
	return nil
}

// updateFeedback changes what the posted form holds of a feedback item: the edit
// form's title, description and type, the owners' form its state; against the version
// the page was read at.
func (c *collabPages) updateFeedback(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	id, fid := r.PathValue("id"), r.PathValue("fid")
	var in collab.FeedbackPatch
	if f.Has("title") {
		s := f.Get("title")
		in.Title = &s
	}
	if f.Has("description") {
		s := f.Get("description")
		in.Description = &s
	}
	if f.Has("type") {
		t := collab.FeedbackType(f.Get("type"))
		in.Type = &t
	}
	if f.Has("state") {
		s := collab.FeedbackState(f.Get("state"))
		in.State = &s
	}
	version, err := strconv.ParseInt(strings.TrimSpace(f.Get("version")), 10, 64)
	if err != nil || version < 1 {
		// Without the version a change could undo someone else's unseen.
		return atrium.Errorf(atrium.CodeInvalid, "the form could not be read; go back, reload the page and try again")
	}
	if _, err := c.svc.UpdateFeedback(r.Context(), sessionFrom(r.Context()).P(), id, fid, version, in); err != nil {
		return c.itemFailed(w, r, err, "title", "description", "type", "state")
	}
	return c.redirect(w, r, feedbackPath(id, fid), c.t(r, "collab.console.feedback.saved"))
}

// commentFeedback comments on a feedback item.
func (c *collabPages) commentFeedback(w http.ResponseWriter, r *http.Request) error {
	id, fid := r.PathValue("id"), r.PathValue("fid")
	if _, err := c.svc.AddComment(r.Context(), sessionFrom(r.Context()).P(), id, fid, r.PostForm.Get("text")); err != nil {
		return c.itemFailed(w, r, err, "text")
	}
	return c.redirect(w, r, feedbackPath(id, fid), c.t(r, "collab.console.feedback.commented"))
}

// feedbackAttachment sends a feedback item's attachment as a download, never rendered
// in the console's origin.
func (c *collabPages) feedbackAttachment(w http.ResponseWriter, r *http.Request) error {
	a, err := c.svc.FeedbackAttachment(r.Context(), sessionFrom(r.Context()).P(), r.PathValue("id"), r.PathValue("fid"), r.PathValue("aid"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": a.Name})
	if disposition == "" {
		disposition = "attachment; filename*=UTF-8''" + url.PathEscape(a.Name)
	}
	h.Set("Content-Disposition", disposition)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Content-Length", strconv.Itoa(len(a.Data)))
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	// The status is sent: a failure now can only cut the download short.
	_, _ = w.Write(a.Data)
	return nil
}
