package httpapi_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/groups"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/password"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// convOrg is an organization with a group's owner, a member and a user outside the
// group, each signed in.
type convOrg struct {
	org                      *apptest.Org
	owner, member, outsider  *apptest.Client
	ownerU, memberU, outside apptest.User
	group                    string
}

// convSetup signs an organization up and has its owner create a group of visibility
// with one member.
func convSetup(t *testing.T, e *apptest.Env, prefix string, visibility groups.Visibility) *convOrg {
	t.Helper()
	c := &convOrg{org: e.Signup(prefix+" Co", prefix)}
	c.ownerU, c.memberU, c.outside = c.org.Admin.CreateUser("olga"), c.org.Admin.CreateUser("milo"), c.org.Admin.CreateUser("oscar")
	c.owner = e.SignIn(c.ownerU.Username, apptest.Password)
	c.member = e.SignIn(c.memberU.Username, apptest.Password)
	c.outsider = e.SignIn(c.outside.Username, apptest.Password)
	var g groups.Group
	c.owner.Do("POST", "/api/v1/groups", map[string]any{"name": "Design team", "description": "", "mail_nickname": prefix + "-design",
		"visibility": visibility}).Want(http.StatusCreated).Decode(&g)
	c.group = g.ID
	c.owner.Do("POST", "/api/v1/groups/"+g.ID+"/members", map[string]any{"user_ids": []atrium.UserID{c.memberU.ID}}).Want(http.StatusOK)
	return c
}

func (c *convOrg) threads() string { return "/api/v1/groups/" + c.group + "/threads" }

// startThread has cl start a thread with topic and body and returns it.
func startThread(cl *apptest.Client, path, topic, body string) groups.Thread {
	var th groups.Thread
	cl.Do("POST", path, map[string]any{"topic": topic, "body": body}).Want(http.StatusCreated).Decode(&th)
	return th
}

func postsOf(cl *apptest.Client, path string) []groups.Post {
	var list httpapi.List[groups.Post]
	cl.Do("GET", path, nil).Want(http.StatusOK).Decode(&list)
	return list.Items
}

// TestGroupConversationThreadsAndReplies: a member starts a thread and replies; bodies
// are sanitized to the safe subset and refused, naming the field, when nothing is left;
// the lists page; someone outside a private group reads and writes nothing.
func TestGroupConversationThreadsAndReplies(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		c := convSetup(t, e, "convo", groups.Private)
		th := startThread(c.member, c.threads(), "Launch plan",
			`<p>Hello <b>team</b> <em>and</em> <a href="https://plan.example/x" onclick="steal()">the plan</a><script>alert(1)</script></p><img src=x onerror=alert(2)>`)
		if th.Topic != "Launch plan" || th.AuthorID != c.memberU.ID || th.AuthorName != "Milo" || th.PostCount != 1 || th.FirstPost == nil || th.Locked {
			t.Fatalf("thread = %+v", th)
		}
		body := th.FirstPost.Body
		for _, want := range []string{"<b>team</b>", "<em>and</em>", `href="https://plan.example/x"`, `rel="nofollow"`} {
			if !strings.Contains(body, want) {
				t.Errorf("body %q lacks %q", body, want)
			}
		}
		for _, bad := range []string{"<script", "alert", "onclick", "<img", "onerror"} {
			if strings.Contains(body, bad) {
				t.Errorf("body %q keeps %q", body, bad)
			}
		}
		if n := e.Count(`SELECT count(*) FROM group_posts WHERE id = $1 AND body LIKE '%script%'`, th.FirstPost.ID); n != 0 {
			t.Errorf("the stored body keeps the script")
		}

		var reply groups.Post
		c.member.Do("POST", c.threads()+"/"+th.ID+"/posts", map[string]any{"body": "<i>Agreed</i><style>p{}</style>"}).Want(http.StatusCreated).Decode(&reply)
		if reply.Body != "<i>Agreed</i>" || reply.ThreadID != th.ID || reply.AuthorName != "Milo" {
			t.Errorf("reply = %+v", reply)
		}
		c.owner.Do("POST", c.threads()+"/"+th.ID+"/posts", map[string]any{"body": "Owners post too"}).Want(http.StatusCreated)
		posts := postsOf(c.owner, c.threads()+"/"+th.ID+"/posts")
		if len(posts) != 3 || posts[0].ID != th.FirstPost.ID || posts[1].ID != reply.ID || posts[2].AuthorName != "Olga" {
			t.Errorf("posts = %+v", posts)
		}
		var got groups.Thread
		c.member.Do("GET", c.threads()+"/"+th.ID, nil).Want(http.StatusOK).Decode(&got)
		if got.PostCount != 3 || got.AuthorName != "Milo" {
			t.Errorf("thread after replies = %+v", got)
		}

		// Paging: newest activity first, one a page.
		e.Clock.Advance(time.Second)
		second := startThread(c.owner, c.threads(), "Second", "<p>More</p>")
		var page httpapi.List[groups.Thread]
		c.member.Do("GET", c.threads()+"?limit=1", nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.Items[0].ID != second.ID || page.NextCursor == "" {
			t.Fatalf("first page = %+v", page)
		}
		c.member.Do("GET", c.threads()+"?limit=1&cursor="+page.NextCursor, nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.Items[0].ID != th.ID {
			t.Fatalf("second page = %+v", page)
		}
		// q finds a fragment of the topic, case and accents ignored.
		startThread(c.member, c.threads(), "Årsmöte i Łódź", "<p>Agenda</p>")
		for q, want := range map[string]int{"LAUNCH": 1, "arsmote": 1, "lodz": 1, "second": 1, "nothing": 0, "%": 0, "_": 0} {
			c.member.Do("GET", c.threads()+"?q="+url.QueryEscape(q), nil).Want(http.StatusOK).Decode(&page)
			if len(page.Items) != want {
				t.Errorf("q=%s: %d threads, want %d", q, len(page.Items), want)
			}
		}
		var ppage httpapi.List[groups.Post]
		c.member.Do("GET", c.threads()+"/"+th.ID+"/posts?limit=2", nil).Want(http.StatusOK).Decode(&ppage)
		c.member.Do("GET", c.threads()+"/"+th.ID+"/posts?limit=2&cursor="+ppage.NextCursor, nil).Want(http.StatusOK).Decode(&ppage)
		if len(ppage.Items) != 1 || ppage.Items[0].AuthorName != "Olga" || ppage.NextCursor != "" {
			t.Errorf("last page of posts = %+v", ppage)
		}

		// Nothing left once sanitized: refused, naming the field.
		for name, b := range map[string]string{"script only": "<script>alert(1)</script>", "empty tags": "<p> </p><br>", "blank": "  "} {
			t.Run(name, func(t *testing.T) {
				m := c.member.For(t)
				m.Do("POST", c.threads()+"/"+th.ID+"/posts", map[string]any{"body": b}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "body")
				m.Do("POST", c.threads(), map[string]any{"topic": " ", "body": b}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "topic", "body")
			})
		}
		if n := e.Count(`SELECT count(*) FROM group_posts WHERE group_id = $1`, c.group); n != 5 {
			t.Errorf("posts stored = %d, want 5", n)
		}

		// Outside a private group: nothing to read or write.
		for _, req := range []struct {
			method, path string
			body         any
		}{
			{"GET", c.threads(), nil},
			{"GET", c.threads() + "/" + th.ID, nil},
			{"GET", c.threads() + "/" + th.ID + "/posts", nil},
			{"POST", c.threads() + "/" + th.ID + "/posts", map[string]any{"body": "let me in"}},
			{"POST", c.threads(), map[string]any{"topic": "Mine", "body": "hello"}},
			{"DELETE", c.threads() + "/" + th.ID + "/posts/" + reply.ID, nil},
			{"PUT", c.threads() + "/" + th.ID + "/lock", nil},
		} {
			res := c.outsider.Do(req.method, req.path, req.body)
			if res.Status != http.StatusForbidden && res.Status != http.StatusNotFound {
				t.Errorf("outsider %s %s = %d, want 403 or 404: %s", req.method, req.path, res.Status, res.Body)
				continue
			}
			res.Problem()
		}
		if n := e.Count(`SELECT count(*) FROM group_posts WHERE group_id = $1`, c.group); n != 5 {
			t.Errorf("posts after the outsider = %d, want 5", n)
		}
		// A thread of another group is not found through this one.
		var other groups.Group
		c.owner.Do("POST", "/api/v1/groups", map[string]any{"name": "Other", "description": "", "mail_nickname": "other", "visibility": "private"}).
			Want(http.StatusCreated).Decode(&other)
		c.owner.Do("GET", "/api/v1/groups/"+other.ID+"/threads/"+th.ID, nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		c.owner.Do("POST", "/api/v1/groups/"+other.ID+"/threads/"+th.ID+"/posts", map[string]any{"body": "x"}).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE org_id = $1 AND action IN ('group.thread.create', 'group.post.create')`, string(c.org.ID)); n != 5 {
			t.Errorf("audit entries = %d, want 5", n)
		}
	})
}

// TestGroupConversationPublicReaders: anyone in the organization reads a public group's
// conversations, and posts once they join.
func TestGroupConversationPublicReaders(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		c := convSetup(t, e, "open", groups.Public)
		th := startThread(c.owner, c.threads(), "Welcome", "<p>Say hello</p>")
		var list httpapi.List[groups.Thread]
		c.outsider.Do("GET", c.threads(), nil).Want(http.StatusOK).Decode(&list)
		if len(list.Items) != 1 || list.Items[0].ID != th.ID {
			t.Errorf("reader's threads = %+v", list)
		}
		if posts := postsOf(c.outsider, c.threads()+"/"+th.ID+"/posts"); len(posts) != 1 {
			t.Errorf("reader's posts = %+v", posts)
		}
		c.outsider.Do("POST", c.threads()+"/"+th.ID+"/posts", map[string]any{"body": "hi"}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		c.outsider.Do("POST", c.threads(), map[string]any{"topic": "Mine", "body": "hi"}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		c.outsider.Do("DELETE", c.threads()+"/"+th.ID+"/posts/"+th.FirstPost.ID, nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)

		c.outsider.Do("POST", "/api/v1/groups/"+c.group+"/join", map[string]any{}).Want(http.StatusOK)
		c.outsider.Do("POST", c.threads()+"/"+th.ID+"/posts", map[string]any{"body": "hi, I joined"}).Want(http.StatusCreated)
		if posts := postsOf(c.member, c.threads()+"/"+th.ID+"/posts"); len(posts) != 2 || posts[1].AuthorName != "Oscar" {
			t.Errorf("posts after joining = %+v", posts)
		}
		// An API token of the organization reads with groups.read, and never posts.
		reader := e.Bearer(createToken(t, c.org.Admin, map[string]any{"name": "reader", "role": "global_reader"}).Token)
		reader.Do("GET", c.threads(), nil).Want(http.StatusOK)
		reader.Do("POST", c.threads()+"/"+th.ID+"/posts", map[string]any{"body": "bot"}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
	})
}

// TestGroupConversationModeration: an owner deletes posts and locks a thread, after
// which nobody posts in it (409) until it is unlocked; members do neither.
func TestGroupConversationModeration(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		c := convSetup(t, e, "moder", groups.Private)
		th := startThread(c.member, c.threads(), "Off topic", "<p>First</p>")
		posts := c.threads() + "/" + th.ID + "/posts"
		var reply groups.Post
		e.Clock.Advance(time.Hour)
		c.member.Do("POST", posts, map[string]any{"body": "spam"}).Want(http.StatusCreated).Decode(&reply)

		c.member.Do("DELETE", posts+"/"+reply.ID, nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		c.member.Do("PUT", c.threads()+"/"+th.ID+"/lock", nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		c.owner.Do("DELETE", posts+"/"+reply.ID, nil).Want(http.StatusNoContent)
		c.owner.Do("DELETE", posts+"/"+reply.ID, nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		if got := postsOf(c.member, posts); len(got) != 1 || got[0].ID != th.FirstPost.ID {
			t.Errorf("posts after the delete = %+v", got)
		}
		// The thread's activity is its remaining post's again.
		var after groups.Thread
		c.member.Do("GET", c.threads()+"/"+th.ID, nil).Want(http.StatusOK).Decode(&after)
		if !after.LastPostAt.Equal(th.CreatedAt) || after.PostCount != 1 {
			t.Errorf("after the delete the thread's last post is at %v (%d posts), want %v", after.LastPostAt, after.PostCount, th.CreatedAt)
		}

		var locked groups.Thread
		c.owner.Do("PUT", c.threads()+"/"+th.ID+"/lock", nil).Want(http.StatusOK).Decode(&locked)
		if !locked.Locked || locked.ID != th.ID || locked.PostCount != 1 {
			t.Errorf("locked = %+v", locked)
		}
		c.owner.Do("PUT", c.threads()+"/"+th.ID+"/lock", nil).Want(http.StatusOK) // already locked: the same
		c.member.Do("POST", posts, map[string]any{"body": "but wait"}).WantProblem(http.StatusConflict, atrium.CodeConflict)
		c.owner.Do("POST", posts, map[string]any{"body": "owners too"}).WantProblem(http.StatusConflict, atrium.CodeConflict)
		c.member.Do("DELETE", c.threads()+"/"+th.ID+"/lock", nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		c.owner.Do("DELETE", c.threads()+"/"+th.ID+"/lock", nil).Want(http.StatusOK).Decode(&locked)
		if locked.Locked {
			t.Errorf("unlocked = %+v", locked)
		}
		c.member.Do("POST", posts, map[string]any{"body": "now then"}).Want(http.StatusCreated)

		// The organization's administrator moderates any group.
		c.org.Admin.Do("PUT", c.threads()+"/"+th.ID+"/lock", nil).Want(http.StatusOK)
		for action, want := range map[string]int{"group.post.delete": 1, "group.thread.lock": 2, "group.thread.unlock": 1} {
			if n := e.Count(`SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = $2`, string(c.org.ID), action); n != want {
				t.Errorf("%s audit entries = %d, want %d", action, n, want)
			}
		}

		// Deleting a thread's last post deletes the thread.
		solo := startThread(c.member, c.threads(), "Solo", "<p>alone</p>")
		c.owner.Do("DELETE", c.threads()+"/"+solo.ID+"/posts/"+solo.FirstPost.ID, nil).Want(http.StatusNoContent)
		c.member.Do("GET", c.threads()+"/"+solo.ID, nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		if n := e.Count(`SELECT count(*) FROM group_threads WHERE id = $1`, solo.ID); n != 0 {
			t.Errorf("the emptied thread is still stored")
		}
	})
}

// startWithAttachmentLimit is apptest.Start with --group-attachment-mb set.
func startWithAttachmentLimit(t *testing.T, d store.Dialect, mb string) *apptest.Env {
	t.Helper()
	cfg := app.Defaults()
	cfg.DatabaseURL = storetest.DSN(t, d)
	cfg.Addr = "127.0.0.1:0"
	cfg.PublicURL = "http://atrium.test"
	cfg.AdminPassword = apptest.OperatorPassword
	cfg.PasswordParams = password.TestParams
	cfg.GroupAttachmentMB = mb
	return apptest.StartConfig(t, d, cfg)
}

// TestGroupConversationAttachments: a file attached to a post comes back byte for byte
// with its SHA-256, as a download the browser never renders; an attachment over the
// configured limit is refused naming the field.
func TestGroupConversationAttachments(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			e := startWithAttachmentLimit(t, d, "1")
			c := convSetup(t, e, "files", groups.Private)
			data := make([]byte, 70_000)
			rand.Read(data)
			sum := sha256.Sum256(data)
			var th groups.Thread
			c.member.Do("POST", c.threads(), map[string]any{"topic": "Q1 report", "body": "<p>Attached</p>", "attachments": []map[string]any{
				{"name": "report.pdf", "content_type": "application/pdf", "data": data},
				{"name": "Årsrapport \"2031\".html", "content_type": "text/html; charset=utf-8", "data": []byte("<script>alert(1)</script>")},
			}}).Want(http.StatusCreated).Decode(&th)
			atts := th.FirstPost.Attachments
			if len(atts) != 2 || atts[0].Name != "report.pdf" || atts[0].Size != int64(len(data)) || atts[0].SHA256 != hex.EncodeToString(sum[:]) ||
				atts[0].ContentType != "application/pdf" {
				t.Fatalf("attachments = %+v", atts)
			}
			if posts := postsOf(c.owner, c.threads()+"/"+th.ID+"/posts"); len(posts) != 1 || len(posts[0].Attachments) != 2 || posts[0].Attachments[0] != atts[0] {
				t.Errorf("listed attachments = %+v", posts)
			}
			base := c.threads() + "/" + th.ID + "/posts/" + th.FirstPost.ID + "/attachments/"
			res := c.owner.Do("GET", base+atts[0].ID, nil).Want(http.StatusOK)
			if !bytes.Equal(res.Body, data) {
				t.Errorf("downloaded %d bytes, not the ones uploaded", len(res.Body))
			}
			if got := sha256.Sum256(res.Body); hex.EncodeToString(got[:]) != atts[0].SHA256 {
				t.Errorf("downloaded SHA-256 differs")
			}
			for h, want := range map[string]string{"Content-Type": "application/pdf", "Content-Disposition": `attachment; filename=report.pdf`,
				"X-Content-Type-Options": "nosniff"} {
				if got := res.Header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
			res = c.member.Do("GET", base+atts[1].ID, nil).Want(http.StatusOK)
			disp, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition"))
			if err != nil || disp != "attachment" || params["filename"] != `Årsrapport "2031".html` {
				t.Errorf("Content-Disposition %q: %s %v %v", res.Header.Get("Content-Disposition"), disp, params, err)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("an HTML attachment is served without nosniff and sandbox: %v", res.Header)
			}
			c.outsider.Do("GET", base+atts[0].ID, nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
			c.owner.Do("GET", base+"no-such-file", nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
			c.owner.Do("GET", c.threads()+"/"+th.ID+"/posts/other/attachments/"+atts[0].ID, nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)

			// The limit is 1 MiB: exactly that is taken, a byte more is refused naming
			// the field, and far more is refused before the body is read whole.
			limit := 1 << 20
			posts := c.threads() + "/" + th.ID + "/posts"
			c.member.Do("POST", posts, map[string]any{"body": "max", "attachments": []map[string]any{
				{"name": "max.bin", "data": make([]byte, limit)}}}).Want(http.StatusCreated)
			p := c.member.Do("POST", posts, map[string]any{"body": "over", "attachments": []map[string]any{
				{"name": "over.bin", "data": make([]byte, limit+1)}}}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "attachments")
			if !strings.Contains(p.Errors["attachments"], "1 MiB") {
				t.Errorf("the size error does not say the limit: %q", p.Errors["attachments"])
			}
			c.member.Do("POST", posts, map[string]any{"body": "huge", "attachments": []map[string]any{
				{"name": "huge.bin", "data": make([]byte, 3*limit)}}}).WantProblem(http.StatusRequestEntityTooLarge, atrium.CodeTooLarge)
			for name, att := range map[string]map[string]any{
				"no name":       {"name": " ", "data": []byte("x")},
				"path":          {"name": "../etc/passwd", "data": []byte("x")},
				"empty":         {"name": "empty.txt", "data": []byte{}},
				"bad type":      {"name": "a.txt", "content_type": "not a type", "data": []byte("x")},
				"control chars": {"name": "a\u0007.txt", "data": []byte("x")},
			} {
				t.Run(name, func(t *testing.T) {
					c.member.For(t).Do("POST", posts, map[string]any{"body": "bad", "attachments": []map[string]any{att}}).
						WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "attachments")
				})
			}
			c.member.Do("POST", posts, map[string]any{"body": "bad", "attachments": []map[string]any{{"name": "a", "data": "not base64!"}}}).
				WantProblem(http.StatusBadRequest, atrium.CodeInvalid)
			if n := e.Count(`SELECT count(*) FROM group_post_attachments WHERE group_id = $1`, c.group); n != 3 {
				t.Errorf("attachments stored = %d, want 3", n)
			}
			// Deleting the post deletes its files.
			c.owner.Do("DELETE", c.threads()+"/"+th.ID+"/posts/"+th.FirstPost.ID, nil).Want(http.StatusNoContent)
			c.owner.Do("GET", base+atts[0].ID, nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
			if n := e.Count(`SELECT count(*) FROM group_post_attachments WHERE post_id = $1`, th.FirstPost.ID); n != 0 {
				t.Errorf("the deleted post's attachments are still stored: %d", n)
			}
		})
	}
}

// TestGroupConversationCards: an integration posts a card, in a new thread or a reply,
// marked with its name; a locked thread and bad cards are refused.
func TestGroupConversationCards(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		c := convSetup(t, e, "cards", groups.Private)
		other := e.Signup("Elsewhere Co", "elsewhere")
		svc := app.Need[*groups.Service](e.Main.Kernel)
		ctx := t.Context()
		card := groups.Card{Title: "Build #42 passed", URL: "https://ci.example/builds/42", Fields: []groups.CardField{{Label: "Branch", Value: "main"}}}
		post, err := svc.PostCard(ctx, nil, c.org.ID, c.group, "", "Builds", "CI bot", card)
		if err != nil {
			t.Fatal(err)
		}
		posts := postsOf(c.member, c.threads()+"/"+post.ThreadID+"/posts")
		if len(posts) != 1 || posts[0].Card == nil || posts[0].Card.Title != card.Title || posts[0].Card.URL != card.URL ||
			len(posts[0].Card.Fields) != 1 || posts[0].Source != "CI bot" || posts[0].AuthorName != "CI bot" || posts[0].AuthorID != "" || posts[0].Body != "" {
			t.Fatalf("card posts = %+v", posts)
		}
		var th groups.Thread
		c.member.Do("GET", c.threads()+"/"+post.ThreadID, nil).Want(http.StatusOK).Decode(&th)
		if th.Topic != "Builds" || th.AuthorID != "" {
			t.Errorf("card thread = %+v", th)
		}
		if _, err := svc.PostCard(ctx, nil, c.org.ID, c.group, post.ThreadID, "", "CI bot", groups.Card{Title: "Build #43 failed"}); err != nil {
			t.Fatal(err)
		}
		if posts := postsOf(c.member, c.threads()+"/"+post.ThreadID+"/posts"); len(posts) != 2 || posts[1].Card.Title != "Build #43 failed" {
			t.Errorf("card reply = %+v", posts)
		}
		c.owner.Do("PUT", c.threads()+"/"+post.ThreadID+"/lock", nil).Want(http.StatusOK)
		for name, tc := range map[string]struct {
			org            atrium.OrgID
			thread, source string
			card           groups.Card
			code           atrium.Code
			field          string
		}{
			"locked":           {c.org.ID, post.ThreadID, "CI bot", groups.Card{Title: "Late"}, atrium.CodeConflict, ""},
			"other org":        {other.ID, "", "CI bot", groups.Card{Title: "Hi"}, atrium.CodeNotFound, ""},
			"javascript url":   {c.org.ID, "", "CI bot", groups.Card{Title: "x", URL: "javascript:alert(1)"}, atrium.CodeInvalid, "url"},
			"no title":         {c.org.ID, "", "CI bot", groups.Card{}, atrium.CodeInvalid, "title"},
			"no source":        {c.org.ID, "", "", groups.Card{Title: "x"}, atrium.CodeInvalid, "source"},
			"bad source":       {c.org.ID, "", "<b>bot</b>", groups.Card{Title: "x"}, atrium.CodeInvalid, "source"},
			"thread not found": {c.org.ID, "nope", "CI bot", groups.Card{Title: "x"}, atrium.CodeNotFound, ""},
		} {
			_, err := svc.PostCard(ctx, nil, tc.org, c.group, tc.thread, "Topic", tc.source, tc.card)
			var ae *atrium.Error
			if !errors.As(err, &ae) || ae.Code != tc.code {
				t.Errorf("%s: PostCard = %v, want %s", name, err, tc.code)
				continue
			}
			if _, ok := ae.Fields[tc.field]; tc.field != "" && !ok {
				t.Errorf("%s: %v does not name %s", name, ae.Fields, tc.field)
			}
		}
		if n := e.Count(`SELECT count(*) FROM group_posts WHERE source = 'CI bot'`); n != 2 {
			t.Errorf("card posts stored = %d, want 2", n)
		}
	})
}

// TestGroupPostMail: a post is mailed once to every follower but its author, in the
// follower's language; a member who stopped following gets nothing, nor does anyone
// outside the group.
func TestGroupPostMail(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		c := convSetup(t, e, "mailing", groups.Public)
		quiet := c.org.Admin.CreateUser("quinn")
		quietC := e.SignIn(quiet.Username, apptest.Password)
		quietC.Do("POST", "/api/v1/groups/"+c.group+"/join", map[string]any{}).Want(http.StatusOK)
		quietC.Do("PUT", "/api/v1/groups/"+c.group+"/following", map[string]any{"following": false}).Want(http.StatusNoContent)
		c.owner.Do("PATCH", "/api/v1/me", map[string]any{"language": "sv"}).Want(http.StatusOK)
		e.RunJobs()
		mails := func(to string) []string {
			return e.Strings(`SELECT subject FROM mail_outbox WHERE template = 'group_post' AND to_addr = $1 ORDER BY created_at, id`, to)
		}
		total := func() int { return e.Count(`SELECT count(*) FROM mail_outbox WHERE template = 'group_post'`) }

		th := startThread(c.member, c.threads(), "Launch plan", "<p>We ship on <b>Friday</b>.</p>")
		if n := total(); n != 0 {
			t.Fatalf("%d group mails before the job ran", n)
		}
		e.RunJobs()
		if got := mails("olga@mail.example.com"); len(got) != 1 || got[0] != "Nytt inlägg i Design team: Launch plan" {
			t.Errorf("owner's mail = %q", got)
		}
		for _, who := range []string{"milo", "quinn", "oscar"} {
			if got := mails(who + "@mail.example.com"); len(got) != 0 {
				t.Errorf("%s got %q", who, got)
			}
		}
		text := e.Strings(`SELECT text_body FROM mail_outbox WHERE template = 'group_post'`)[0]
		if !strings.Contains(text, "We ship on Friday.") || !strings.Contains(text, "http://atrium.test/groups/"+c.group+"/threads/"+th.ID) {
			t.Errorf("mail text:\n%s", text)
		}
		e.RunJobs()
		if n := total(); n != 1 {
			t.Errorf("group mails after a second run = %d, want 1", n)
		}

		// A reply by the owner reaches the member, not the owner.
		c.owner.Do("POST", c.threads()+"/"+th.ID+"/posts", map[string]any{"body": "Sounds good"}).Want(http.StatusCreated)
		e.RunJobs()
		if got := mails("milo@mail.example.com"); len(got) != 1 || got[0] != "New post in Design team: Launch plan" {
			t.Errorf("member's mail = %q", got)
		}
		if n := total(); n != 2 {
			t.Errorf("group mails = %d, want 2", n)
		}
		// Following again brings the mail back.
		quietC.Do("PUT", "/api/v1/groups/"+c.group+"/following", map[string]any{"following": true}).Want(http.StatusNoContent)
		c.member.Do("POST", c.threads()+"/"+th.ID+"/posts", map[string]any{"body": "See you"}).Want(http.StatusCreated)
		e.RunJobs()
		if got := mails("quinn@mail.example.com"); len(got) != 1 {
			t.Errorf("quinn, following again, got %q", got)
		}
		if n := e.Count(`SELECT count(*) FROM group_posts WHERE group_id = $1 AND NOT mail_done`, c.group); n != 0 {
			t.Errorf("%d posts not marked mailed", n)
		}
	})
}

// TestGroupPostsOfPurgedUser: once a deleted user is purged their posts and files are
// gone, a thread they started with others' replies stays without their name, and one
// holding only their posts goes.
func TestGroupPostsOfPurgedUser(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		c := convSetup(t, e, "purging", groups.Private)
		own := startThread(c.member, c.threads(), "Mine only", "<p>just me</p>")
		started := startThread(c.member, c.threads(), "Started by Milo", "<p>first</p>")
		c.owner.Do("POST", c.threads()+"/"+started.ID+"/posts", map[string]any{"body": "owner's reply"}).Want(http.StatusCreated)
		ownerThread := startThread(c.owner, c.threads(), "Owner's", "<p>hello</p>")
		c.member.Do("POST", c.threads()+"/"+ownerThread.ID+"/posts", map[string]any{"body": "milo's reply", "attachments": []map[string]any{
			{"name": "milo.txt", "data": []byte("milo's file")}}}).Want(http.StatusCreated)
		e.RunJobs()

		c.org.Admin.Do("DELETE", "/api/v1/users/"+string(c.memberU.ID), nil).Want(http.StatusNoContent)
		runPeriodic(e, 31*24*time.Hour)
		if n := e.Count(`SELECT count(*) FROM users WHERE id = $1`, string(c.memberU.ID)); n != 0 {
			t.Fatalf("milo was not purged")
		}
		c.owner = e.SignIn(c.ownerU.Username, apptest.Password) // a month on, the session is gone
		for q, want := range map[string]int{
			`SELECT count(*) FROM group_posts WHERE author_id = $1`:   0,
			`SELECT count(*) FROM group_threads WHERE author_id = $1`: 0,
			`SELECT count(*) FROM group_posts WHERE mail_cursor = $1`: 0,
		} {
			if n := e.Count(q, string(c.memberU.ID)); n != want {
				t.Errorf("%s = %d, want %d", q, n, want)
			}
		}
		if n := e.Count(`SELECT count(*) FROM group_post_attachments WHERE name = 'milo.txt'`); n != 0 {
			t.Errorf("milo's attachment is still stored")
		}
		c.owner.Do("GET", c.threads()+"/"+own.ID, nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		var th groups.Thread
		c.owner.Do("GET", c.threads()+"/"+started.ID, nil).Want(http.StatusOK).Decode(&th)
		if th.PostCount != 1 || th.AuthorID != "" || th.AuthorName != "" {
			t.Errorf("the thread milo started = %+v", th)
		}
		if posts := postsOf(c.owner, c.threads()+"/"+ownerThread.ID+"/posts"); len(posts) != 1 || posts[0].AuthorID != c.ownerU.ID {
			t.Errorf("owner's thread = %+v", posts)
		}
		c.owner.Do("GET", c.threads()+"/"+ownerThread.ID, nil).Want(http.StatusOK).Decode(&th)
		if th.PostCount != 1 {
			t.Errorf("owner's thread counts %d posts, want 1", th.PostCount)
		}
	})
}

// orNone is v, or def when v is empty (an id a setup could not create: the path still
// names something, so that it reaches a handler).
func orNone(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
