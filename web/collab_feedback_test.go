package web_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/collab"
)

var (
	feedbackLocationRE = regexp.MustCompile(`^/collab/engagements/[0-9a-f-]{36}/feedback/([0-9a-f-]{36})$`)
	versionRE          = regexp.MustCompile(`name="version" value="([0-9]+)"`)
)

// giveFeedback posts the Feedback tab's form at base+"/feedback" as a browser does:
// multipart, with the files as attachments, with the CSRF token of the tab.
func giveFeedback(b *browser, base string, fields url.Values, files map[string]string) page {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("csrf_token", b.csrf(base+"/feedback"))
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	for name, content := range files {
		fw, _ := w.CreateFormFile("attachment", name)
		fw.Write([]byte(content))
	}
	w.Close()
	req, _ := http.NewRequest("POST", b.base+base+"/feedback", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Origin", b.base)
	return b.do(req)
}

// versionOn returns the version the forms of a feedback item's page carry.
func versionOn(t *testing.T, p page) string {
	t.Helper()
	m := versionRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no version on the page\n%s", p.body)
	}
	return m[1]
}

// TestCollabFeedbackPages: a participant opens an engagement's Feedback tab, where an
// item of the operator shows its organization's name only; she gives feedback with an
// attachment (a missing title beside its field first, nothing stored), finds it by
// search and filter, downloads the attachment, comments on it and edits it (a stale
// version refused); she may not set its state, which the operator's administrator, an
// owner, does from the item's page. Someone who is not a participant gets neither the
// tab nor the pages.
func TestCollabFeedbackPages(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		svc, op := f.collabSvc(), f.operatorPrincipal()
		f.newUser("nora", "Nora Outsider", "US")
		prog, err := svc.CreateProgram(ctx, op, collab.ProgramInput{Name: "Insider program"})
		if err != nil {
			t.Fatal(err)
		}
		eng, err := svc.CreateEngagement(ctx, op, collab.EngagementInput{ProgramID: prog.ID, Name: "Preview wave", TermsOfUse: "Terms",
			JoinPolicy: collab.Invitation, FeedbackEnabled: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddMembers(ctx, op, eng.ID, collab.Participant, []atrium.UserID{f.member.ID}, false); err != nil {
			t.Fatal(err)
		}
		opItem, err := svc.SubmitFeedback(ctx, op, eng.ID, collab.FeedbackInput{Title: "Crash on start", Description: "Known issue",
			Type: collab.Question})
		if err != nil {
			t.Fatal(err)
		}
		base := "/collab/engagements/" + eng.ID

		mia := f.browser()
		mia.signIn("mia@contoso.atrium.localhost", memberPassword, false)
		wantContains(t, mia.get(base), `href="`+base+`/feedback"`, ">Feedback</a>")
		p := mia.get(base + "/feedback")
		wantStatus(t, p, http.StatusOK)
		// Another organization's author shows as their organization.
		wantContains(t, p, `aria-current="page">Feedback</a>`, `href="`+base+`/feedback/`+opItem.ID+`">Crash on start</a>`, "Question",
			"Atrium Operator", `id="give-feedback"`, `enctype="multipart/form-data"`, `name="attachment" type="file" multiple`)
		wantNotContains(t, p, "Operator Administrator")

		// A missing title: beside its field, nothing stored.
		p = giveFeedback(mia, base, url.Values{"title": {"  "}, "description": {"Steps to follow"}, "type": {"bug"}}, nil)
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-title-error"`, "is required", ">Steps to follow</textarea>", `value="bug" required checked`)
		if page, err := svc.Feedback(ctx, op, eng.ID, collab.FeedbackQuery{}); err != nil || len(page.Items) != 1 {
			t.Fatalf("feedback after a refused form = %+v, %v", page.Items, err)
		}

		p = giveFeedback(mia, base, url.Values{"title": {"Export button does nothing"}, "description": {"Click Export.\nNothing happens."},
			"type": {"bug"}}, map[string]string{"steps.txt": "1. open\n2. click export\n"})
		wantStatus(t, p, http.StatusSeeOther)
		m := feedbackLocationRE.FindStringSubmatch(p.location)
		if m == nil {
			t.Fatalf("giving feedback went to %q", p.location)
		}
		item := base + "/feedback/" + m[1]
		stored, err := svc.GetFeedback(ctx, op, eng.ID, m[1])
		if err != nil || stored.Title != "Export button does nothing" || stored.Type != collab.Bug || stored.AuthorID != f.member.ID ||
			len(stored.Attachments) != 1 {
			t.Fatalf("stored = %+v, %v", stored, err)
		}
		att := stored.Attachments[0]
		p = mia.get(item)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Your feedback “Export button does nothing” was sent.", `id="feedback-title">Export button does nothing</h2>`,
			"Click Export.\nNothing happens.", "white-space: pre-wrap", `id="feedback-type">Bug</dd>`, "New", "Mia Member", "No comments yet.",
			`href="`+item+`/attachments/`+att.ID+`" download>steps.txt</a>`, `id="edit-form"`)
		wantNotContains(t, p, `id="state-form"`)
		dl := mia.get(item + "/attachments/" + att.ID)
		wantStatus(t, dl, http.StatusOK)
		if dl.body != "1. open\n2. click export\n" || dl.header.Get("Content-Disposition") != "attachment; filename=steps.txt" ||
			dl.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("download = %q, %v", dl.body, dl.header)
		}
		wantStatus(t, mia.get(item+"/attachments/nope"), http.StatusNotFound)

		// The list, searched and filtered.
		p = mia.get(base + "/feedback")
		wantContains(t, p, `href="`+item+`">Export button does nothing</a>`, "1 attachment", "Mia Member", "Bug")
		p = mia.get(base + "/feedback?q=export")
		wantContains(t, p, "Export button does nothing", `value="export"`)
		wantNotContains(t, p, "Crash on start")
		p = mia.get(base + "/feedback?type=question")
		wantContains(t, p, "Crash on start", `<option value="question" selected>`)
		wantNotContains(t, p, "Export button does nothing")
		wantContains(t, mia.get(base+"/feedback?state=planned"), "No feedback matches the search.")
		wantStatus(t, mia.get(base+"/feedback?type=praise"), http.StatusBadRequest)

		// Comments: an empty one beside its field, then one that is kept.
		p = mia.postForm(item, item+"/comments", url.Values{"text": {" "}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-text-error"`, `value="Export button does nothing"`)
		p = mia.postForm(item, item+"/comments", url.Values{"text": {"Happens in Firefox too."}})
		wantStatus(t, p, http.StatusSeeOther)
		p = mia.get(item)
		wantContains(t, p, "Your comment was added.", "Happens in Firefox too.")
		wantNotContains(t, p, "No comments yet.")
		wantContains(t, mia.get(base+"/feedback"), `<td class="num">1</td>`)

		// Editing: a bad title beside its field, a good edit, a stale version refused.
		version := versionOn(t, p)
		p = mia.postForm(item, item, url.Values{"title": {""}, "description": {"Click Export."}, "type": {"bug"}, "version": {version}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-title-error"`)
		p = mia.postForm(item, item, url.Values{"title": {"Export does nothing in Firefox"}, "description": {"Click Export."},
			"type": {"suggestion"}, "version": {version}})
		wantStatus(t, p, http.StatusSeeOther)
		p = mia.get(item)
		wantContains(t, p, "The feedback was saved.", `id="feedback-title">Export does nothing in Firefox</h2>`, `id="feedback-type">Suggestion</dd>`)
		p = mia.postForm(item, item, url.Values{"title": {"Older title"}, "description": {""}, "type": {"bug"}, "version": {version}})
		wantStatus(t, p, http.StatusPreconditionFailed)
		wantContains(t, p, "it was changed by someone else", `value="Older title"`)
		// The state is the owners'.
		p = mia.postForm(item, item, url.Values{"state": {"resolved"}, "version": {versionOn(t, mia.get(item))}})
		wantStatus(t, p, http.StatusForbidden)
		// Another's item: read and comment, no edit form.
		p = mia.get(base + "/feedback/" + opItem.ID)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Crash on start", "Atrium Operator", `id="comment-form"`)
		wantNotContains(t, p, `id="edit-form"`, "Operator Administrator")

		// The operator's administrator, an owner: every name, and the state.
		opB := f.browser()
		opB.signIn("admin@operator.atrium.localhost", operatorPassword, false)
		p = opB.get(item)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Mia Member", `id="state-form"`, `<option value="new" selected>`, "In review", "Declined")
		p = opB.postForm(item, item, url.Values{"state": {"planned"}, "version": {versionOn(t, p)}})
		wantStatus(t, p, http.StatusSeeOther)
		wantContains(t, opB.get(item), "The feedback was saved.", `<option value="planned" selected>`, `id="feedback-state"><span class="badge">Planned</span>`)
		got, err := svc.GetFeedback(ctx, op, eng.ID, m[1])
		if err != nil || got.State != collab.FeedbackPlanned || got.Title != "Export does nothing in Firefox" || got.Comments != 1 {
			t.Fatalf("after the state = %+v, %v", got, err)
		}
		wantContains(t, mia.get(base+"/feedback?state=planned"), "Export does nothing in Firefox")

		// Not a participant: no tab, no pages.
		nb := f.browser()
		nb.signIn("nora@contoso.atrium.localhost", memberPassword, false)
		if p := nb.get(base); p.status == http.StatusOK {
			wantNotContains(t, p, `href="`+base+`/feedback"`)
		}
		for _, path := range []string{base + "/feedback", item, item + "/attachments/" + att.ID} {
			if p := nb.get(path); p.status != http.StatusForbidden && p.status != http.StatusNotFound {
				t.Errorf("%s as a non-participant: status %d", path, p.status)
			}
		}
		if p := nb.postForm("/collab", item+"/comments", url.Values{"text": {"Me too"}}); p.status != http.StatusForbidden && p.status != http.StatusNotFound {
			t.Errorf("a non-participant's comment: status %d", p.status)
		}
		if strings.Contains(mia.get(item).body, "Me too") {
			t.Error("a non-participant's comment was kept")
		}
	})
}
