package web

import (
	"errors"
	"html"
	"html/template"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/groups"
)

// groupThreadsPage is the data of a group's conversations: its threads, newest
// activity first, and the form that starts one.
type groupThreadsPage struct {
	groupHeader
	Threads []groups.Thread
	Pager   pager
	// MaxAttachmentMB is the largest attachment a post may carry.
	MaxAttachmentMB int64
}

// threadsView loads a group's conversations page.
func (c *groupPages) threadsView(r *http.Request) (*view, error) {
	s := sessionFrom(r.Context())
	g, err := c.loadGroup(r)
	if err != nil {
		return nil, err
	}
	lq, err := listQuery(r)
	if err != nil {
		return nil, err
	}
	page, err := c.svc.Threads(r.Context(), s.P(), g.ID, lq)
	if err != nil {
		return nil, err
	}
	v := c.newView(r, "groups.console.nav.active")
	v.Title = v.T("groups.console.conversations.title", "Name", g.Name)
	v.Data = groupThreadsPage{groupHeader: header(g, "/conversations"), Threads: page.Items, Pager: pageLinks(r, page.NextCursor),
		MaxAttachmentMB: c.svc.MaxAttachment() >> 20}
	return v, nil
}

func (c *groupPages) threads(w http.ResponseWriter, r *http.Request) error {
	v, err := c.threadsView(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "groups_threads.html", v)
	return nil
}

var paragraphBreak = regexp.MustCompile(`\r?\n(\s*\r?\n)+`)

// bodyHTML turns the text typed into a post's field into the HTML a post holds: a
// paragraph per blank-line-separated block, a line break per line. The service
// sanitizes it again.
func bodyHTML(text string) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return ""
	}
	var b strings.Builder
	for _, para := range paragraphBreak.Split(text, -1) {
		lines := strings.Split(strings.TrimSpace(para), "\n")
		for i, l := range lines {
			lines[i] = html.EscapeString(strings.TrimRight(l, "\r"))
		}
		b.WriteString("<p>" + strings.Join(lines, "<br>") + "</p>")
	}
	return b.String()
}

// createThread starts a conversation with its first post.
func (c *groupPages) createThread(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	id := r.PathValue("id")
	atts, err := formAttachments(r)
	var t *groups.Thread
	if err == nil {
		t, err = c.svc.CreateThread(r.Context(), sessionFrom(r.Context()).P(), id, groups.ThreadInput{Topic: f.Get("topic"), Body: bodyHTML(f.Get("body")),
			Attachments: atts})
	}
	if err != nil {
		v, verr := c.threadsView(r)
		if verr != nil {
			return errors.Join(err, verr)
		}
		v.Form = f
		if !v.formError(err, "topic", "body", "attachments") {
			return err
		}
		c.render(w, r, statusOf(err), "groups_threads.html", v)
		return nil
	}
	return c.redirect(w, r, "/groups/"+id+"/conversations/"+t.ID, c.t(r, "groups.console.thread.created", "Topic", t.Topic))
}

// formAttachments reads the file of a post's form (field attachment), if one was
// chosen: its name, its declared type (or the type its bytes suggest) and its bytes.
func formAttachments(r *http.Request) ([]groups.AttachmentInput, error) {
	file, hdr, err := r.FormFile("attachment")
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
		return nil, nil
	}
	if err != nil {
		return nil, atrium.FieldError("attachments", "could not be read")
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil {
		return nil, atrium.FieldError("attachments", "could not be read")
	}
	if hdr.Filename == "" && len(data) == 0 {
		return nil, nil // the file input left empty
	}
	ct := hdr.Header.Get("Content-Type")
	if ct == "" || ct == "application/octet-stream" {
		ct = http.DetectContentType(data)
	}
	return []groups.AttachmentInput{{Name: filepath.Base(hdr.Filename), ContentType: ct, Data: data}}, nil
}

// postView is a post as the thread page shows it.
type postView struct {
	groups.Post
	// HTML is the post's body, sanitized by the service.
	HTML template.HTML
}

// groupThreadPage is the data of one conversation: its posts, oldest first, and the
// reply form.
type groupThreadPage struct {
	groupHeader
	Thread *groups.Thread
	Posts  []postView
	Pager  pager
	// MaxAttachmentMB is the largest attachment a reply may carry.
	MaxAttachmentMB int64
}

// threadView loads one conversation of a group.
func (c *groupPages) threadView(r *http.Request) (*view, error) {
	s := sessionFrom(r.Context())
	g, err := c.loadGroup(r)
	if err != nil {
		return nil, err
	}
	t, err := c.svc.Thread(r.Context(), s.P(), g.ID, r.PathValue("tid"))
	if err != nil {
		return nil, err
	}
	lq, err := listQuery(r)
	if err != nil {
		return nil, err
	}
	page, err := c.svc.Posts(r.Context(), s.P(), g.ID, t.ID, lq)
	if err != nil {
		return nil, err
	}
	d := groupThreadPage{groupHeader: header(g, "/conversations"), Thread: t, Pager: pageLinks(r, page.NextCursor),
		MaxAttachmentMB: c.svc.MaxAttachment() >> 20}
	for _, p := range page.Items {
		// The service stores only sanitized HTML (bluemonday's policy).
		d.Posts = append(d.Posts, postView{Post: p, HTML: template.HTML(p.Body)})
	}
	v := c.newView(r, "groups.console.nav.active")
	v.Title = t.Topic
	v.Data = d
	return v, nil
}

func (c *groupPages) thread(w http.ResponseWriter, r *http.Request) error {
	v, err := c.threadView(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "groups_thread.html", v)
	return nil
}

func (c *groupPages) threadPath(r *http.Request) string {
	return "/groups/" + r.PathValue("id") + "/conversations/" + r.PathValue("tid")
}

// reply adds a post to a conversation.
func (c *groupPages) reply(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	atts, err := formAttachments(r)
	var p *groups.Post
	if err == nil {
		p, err = c.svc.CreatePost(r.Context(), sessionFrom(r.Context()).P(), r.PathValue("id"), r.PathValue("tid"),
			groups.PostInput{Body: bodyHTML(f.Get("body")), Attachments: atts})
	}
	if err != nil {
		v, verr := c.threadView(r)
		if verr != nil {
			return errors.Join(err, verr)
		}
		v.Form = f
		if !v.formError(err, "body", "attachments") {
			return err
		}
		c.render(w, r, statusOf(err), "groups_thread.html", v)
		return nil
	}
	return c.redirect(w, r, c.threadPath(r)+"#post-"+p.ID, c.t(r, "groups.console.post.added"))
}

// setLocked locks a conversation (no more replies) or unlocks it.
func (c *groupPages) setLocked(w http.ResponseWriter, r *http.Request) error {
	locked := r.PostForm.Get("locked") == "1"
	t, err := c.svc.SetLocked(r.Context(), sessionFrom(r.Context()).P(), r.PathValue("id"), r.PathValue("tid"), locked)
	if err != nil {
		return err
	}
	msg := "groups.console.thread.unlocked"
	if t.Locked {
		msg = "groups.console.thread.locked"
	}
	return c.redirect(w, r, c.threadPath(r), c.t(r, msg, "Topic", t.Topic))
}

func (c *groupPages) deletePostPage(r *http.Request, t *groups.Thread) confirmPage {
	base := c.threadPath(r)
	return confirmPage{Heading: c.t(r, "groups.console.post.delete.heading", "Topic", t.Topic),
		Message: c.t(r, "groups.console.post.delete.message"),
		Action:  base + "/posts/" + r.PathValue("pid") + "/delete", Button: c.t(r, "groups.console.post.delete.button"), Cancel: base}
}

func (c *groupPages) deletePostConfirm(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	g, err := c.loadGroup(r)
	if err != nil {
		return err
	}
	if err := mayManage(r, g); err != nil {
		return err
	}
	t, err := c.svc.Thread(r.Context(), s.P(), g.ID, r.PathValue("tid"))
	if err != nil {
		return err
	}
	return c.confirm(w, r, c.deletePostPage(r, t), http.StatusOK, "")
}

// deletePost deletes a post (owners and group administrators), after confirmation.
func (c *groupPages) deletePost(w http.ResponseWriter, r *http.Request) error {
	if err := c.svc.DeletePost(r.Context(), sessionFrom(r.Context()).P(), r.PathValue("id"), r.PathValue("tid"), r.PathValue("pid")); err != nil {
		return err
	}
	return c.redirect(w, r, c.threadPath(r), c.t(r, "groups.console.post.deleted"))
}

// attachment sends a post's attachment as a download.
func (c *groupPages) attachment(w http.ResponseWriter, r *http.Request) error {
	a, err := c.svc.Attachment(r.Context(), sessionFrom(r.Context()).P(), r.PathValue("id"), r.PathValue("tid"), r.PathValue("pid"), r.PathValue("aid"))
	if err != nil {
		return err
	}
	h := w.Header()
	// Served as a download, never rendered in the console's origin.
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name}))
	if h.Get("Content-Disposition") == "" {
		h.Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(a.Name))
	}
	h.Set("Content-Length", strconv.Itoa(len(a.Data)))
	h.Set("Cache-Control", "private, no-store")
	_, err = w.Write(a.Data)
	return err
}
