package httpapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/collab"
	"github.com/atrium-admin/atrium/httpapi"
)

// feedbackPath is the path of w's engagement's feedback, with suffix.
func (w *collabWorld) feedbackPath(suffix string) string {
	return "/api/v1/engagements/" + w.eng.ID + "/feedback" + suffix
}

// submitFeedback submits body to w's engagement as c and returns the new item.
func (w *collabWorld) submitFeedback(t *testing.T, c *apptest.Client, body map[string]any) collab.Feedback {
	t.Helper()
	var f collab.Feedback
	res := c.Do("POST", w.feedbackPath(""), body).Want(http.StatusCreated).Decode(&f)
	if want := w.feedbackPath("/" + f.ID); res.Header.Get("Location") != want || res.Header.Get("ETag") == "" {
		t.Errorf("submitted: Location %q (want %q), ETag %q", res.Header.Get("Location"), want, res.Header.Get("ETag"))
	}
	return f
}

// feedbackByTitle lists w's engagement's feedback as c, by title.
func (w *collabWorld) feedbackByTitle(t *testing.T, c *apptest.Client, query string) map[string]collab.Feedback {
	t.Helper()
	var page httpapi.List[collab.Feedback]
	c.Do("GET", w.feedbackPath(query), nil).Want(http.StatusOK).Decode(&page)
	out := map[string]collab.Feedback{}
	for _, f := range page.Items {
		out[f.Title] = f
	}
	return out
}

// wantAuthor checks what a reader sees of an author: the name and id, or (named false)
// only the organization's name.
func wantAuthor(t *testing.T, what string, id atrium.UserID, name string, gotID atrium.UserID, gotName, orgName, gotOrg string, named bool) {
	t.Helper()
	if gotOrg != orgName {
		t.Errorf("%s: organization %q, want %q", what, gotOrg, orgName)
	}
	if named && (gotID != id || gotName != name) {
		t.Errorf("%s: author %q %q, want %q %q", what, gotID, gotName, id, name)
	}
	if !named && (gotID != "" || gotName != "") {
		t.Errorf("%s: shows the author %q %q of another organization", what, gotID, gotName)
	}
}

// TestCollabFeedback: participants and owners submit feedback of each type; bad input
// names the field and writes nothing; an engagement without feedback refuses it; a
// participant sees names only of their own organization's people, owners every name;
// authors edit their own items, owners any and set the state; comments follow the same
// rule; attachments come back whole with their checksum; a power user without the
// participant role, a package publisher and people outside the engagement are refused;
// the list pages and filters; audit entries, events and last access are written.
func TestCollabFeedback(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		w := newCollabWorld(t, e, collab.Invitation)
		w.add(t, w.as["eo"], w.members("participant"), nil, w.users["ann"].ID)
		pa, ann, bo, eo := w.as["pa"], w.as["ann"], w.as["bo"], w.as["eo"]
		operatorName := e.Strings(`SELECT name FROM organizations WHERE operator = TRUE`)[0]

		// One of each type, by A's pa and ann, B's bo and the owner.
		data := []byte("panic: runtime error\n\tat main.go:12\n")
		sum := sha256.Sum256(data)
		paBug := w.submitFeedback(t, pa, map[string]any{"title": "  Crash on start ", "description": "It crashes.\nEvery time.", "type": "bug",
			"attachments": []map[string]any{{"name": "log.txt", "content_type": "text/plain; charset=utf-8", "data": data}}})
		e.Clock.Advance(time.Second)
		annIdea := w.submitFeedback(t, ann, map[string]any{"title": "Dark mode", "type": "suggestion"})
		e.Clock.Advance(time.Second)
		boQ := w.submitFeedback(t, bo, map[string]any{"title": "Where are the builds?", "type": "question"})
		e.Clock.Advance(time.Second)
		w.submitFeedback(t, eo, map[string]any{"title": "Known issues", "type": "question"})
		if paBug.Title != "Crash on start" || paBug.State != collab.FeedbackNew || paBug.Type != collab.Bug || !paBug.Mine || !paBug.CanEdit || paBug.CanSetState {
			t.Errorf("pa's bug = %+v", paBug)
		}
		if len(paBug.Attachments) != 1 || paBug.Attachments[0].SHA256 != hex.EncodeToString(sum[:]) || paBug.Attachments[0].Size != int64(len(data)) {
			t.Errorf("pa's attachment = %+v", paBug.Attachments)
		}
		if n := e.Count(`SELECT count(*) FROM collab_members WHERE scope_id = $1 AND user_id = $2 AND last_access_at > 0`, w.eng.ID, string(w.users["pa"].ID)); n != 1 {
			t.Errorf("submitting feedback did not count as pa's access")
		}

		// The attachment comes back whole, as a download.
		res := bo.Do("GET", w.feedbackPath("/"+paBug.ID+"/attachments/"+paBug.Attachments[0].ID), nil).Want(http.StatusOK)
		if string(res.Body) != string(data) || res.Header.Get("Content-Type") != "text/plain; charset=utf-8" ||
			!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("download: %q %v", res.Body, res.Header)
		}
		if got := sha256.Sum256(res.Body); hex.EncodeToString(got[:]) != paBug.Attachments[0].SHA256 {
			t.Errorf("downloaded file's checksum differs")
		}
		pa.Do("GET", w.feedbackPath("/"+boQ.ID+"/attachments/"+paBug.Attachments[0].ID), nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)

		// Bad input names the field and writes nothing.
		before := e.Count(`SELECT count(*) FROM collab_feedback`)
		pa.Do("POST", w.feedbackPath(""), map[string]any{"title": " ", "description": strings.Repeat("x", 10001), "type": "feature"}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "title", "description", "type")
		pa.Do("POST", w.feedbackPath(""), map[string]any{"title": strings.Repeat("t", 257)}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "title", "type")
		six := make([]map[string]any, 6)
		for i := range six {
			six[i] = map[string]any{"name": fmt.Sprintf("f%d.txt", i), "data": []byte("x")}
		}
		pa.Do("POST", w.feedbackPath(""), map[string]any{"title": "Six files", "type": "bug", "attachments": six}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "attachments")
		for name, att := range map[string]map[string]any{
			"empty":     {"name": "empty.txt", "data": []byte{}},
			"nameless":  {"name": " ", "data": []byte("x")},
			"path":      {"name": "../etc/passwd", "data": []byte("x")},
			"bad type":  {"name": "a.bin", "content_type": "not a type", "data": []byte("x")},
			"too large": {"name": "big.bin", "data": make([]byte, collab.MaxFeedbackAttachment+1)},
		} {
			t.Run(name, func(t *testing.T) {
				pa.For(t).Do("POST", w.feedbackPath(""), map[string]any{"title": "Bad file", "type": "bug", "attachments": []map[string]any{att}}).
					WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "attachments")
			})
		}
		if n := e.Count(`SELECT count(*) FROM collab_feedback`); n != before {
			t.Errorf("refused feedback wrote %d items", n-before)
		}
		if n := e.Count(`SELECT count(*) FROM collab_feedback_attachments`); n != 1 {
			t.Errorf("%d attachments stored, want pa's one", n)
		}
		// Five files of the largest size fit in one request.
		five := make([]map[string]any, 5)
		for i := range five {
			five[i] = map[string]any{"name": fmt.Sprintf("dump%d.bin", i), "data": make([]byte, collab.MaxFeedbackAttachment)}
		}
		big := w.submitFeedback(t, pa, map[string]any{"title": "Memory dumps", "type": "bug", "attachments": five})
		if len(big.Attachments) != 5 {
			t.Errorf("five largest attachments: %d stored", len(big.Attachments))
		}
		e.Clock.Advance(time.Second)

		// An engagement without feedback refuses it.
		var quiet collab.Engagement
		w.as["ec"].Do("POST", "/api/v1/engagements", map[string]any{"program_id": w.program.ID, "name": "Quiet wave", "terms_of_use": "Terms",
			"join_policy": "invitation"}).Want(http.StatusCreated).Decode(&quiet)
		w.add(t, w.as["ec"], "/api/v1/engagements/"+quiet.ID+"/members?group=participant", nil, w.users["pa"].ID)
		quietPath := "/api/v1/engagements/" + quiet.ID + "/feedback"
		p := pa.Do("POST", quietPath, map[string]any{"title": "Hello", "type": "question"}).WantProblem(http.StatusConflict, atrium.CodeConflict)
		if !strings.Contains(p.Detail+p.Title, "feedback") {
			t.Errorf("the refusal does not say why: %+v", p)
		}
		pa.Do("GET", quietPath, nil).WantProblem(http.StatusConflict, atrium.CodeConflict)

		// Names only within one's organization; owners see all.
		seen := w.feedbackByTitle(t, pa, "")
		wantAuthor(t, "pa sees pa's", w.users["pa"].ID, "Pa", seen["Crash on start"].AuthorID, seen["Crash on start"].AuthorName, "Alpha Partners", seen["Crash on start"].AuthorOrgName, true)
		wantAuthor(t, "pa sees ann's", w.users["ann"].ID, "Ann", seen["Dark mode"].AuthorID, seen["Dark mode"].AuthorName, "Alpha Partners", seen["Dark mode"].AuthorOrgName, true)
		wantAuthor(t, "pa sees bo's", "", "", seen["Where are the builds?"].AuthorID, seen["Where are the builds?"].AuthorName, "Beta Partners", seen["Where are the builds?"].AuthorOrgName, false)
		wantAuthor(t, "pa sees the owner's", "", "", seen["Known issues"].AuthorID, seen["Known issues"].AuthorName, operatorName, seen["Known issues"].AuthorOrgName, false)
		if seen["Dark mode"].CanEdit || seen["Dark mode"].Mine || !seen["Crash on start"].Mine {
			t.Errorf("pa's rights: ann's %+v, own %+v", seen["Dark mode"], seen["Crash on start"])
		}
		seen = w.feedbackByTitle(t, bo, "")
		wantAuthor(t, "bo sees pa's", "", "", seen["Crash on start"].AuthorID, seen["Crash on start"].AuthorName, "Alpha Partners", seen["Crash on start"].AuthorOrgName, false)
		wantAuthor(t, "bo sees bo's", w.users["bo"].ID, "Bo", seen["Where are the builds?"].AuthorID, seen["Where are the builds?"].AuthorName, "Beta Partners", seen["Where are the builds?"].AuthorOrgName, true)
		var one collab.Feedback
		bo.Do("GET", w.feedbackPath("/"+annIdea.ID), nil).Want(http.StatusOK).Decode(&one)
		wantAuthor(t, "bo reads ann's", "", "", one.AuthorID, one.AuthorName, "Alpha Partners", one.AuthorOrgName, false)
		for _, who := range []string{"eo", "po", "operator admin"} {
			seen = w.feedbackByTitle(t, w.as[who], "")
			wantAuthor(t, who+" sees bo's", w.users["bo"].ID, "Bo", seen["Where are the builds?"].AuthorID, seen["Where are the builds?"].AuthorName, "Beta Partners", seen["Where are the builds?"].AuthorOrgName, true)
			wantAuthor(t, who+" sees ann's", w.users["ann"].ID, "Ann", seen["Dark mode"].AuthorID, seen["Dark mode"].AuthorName, "Alpha Partners", seen["Dark mode"].AuthorOrgName, true)
			if !seen["Dark mode"].CanEdit || !seen["Dark mode"].CanSetState {
				t.Errorf("%s's rights on ann's item: %+v", who, seen["Dark mode"])
			}
		}

		// Editing: the author their own, owners any; only owners set the state.
		item := w.feedbackPath("/" + paBug.ID)
		var edited collab.Feedback
		res = pa.Do("PATCH", item, map[string]any{"title": "Crash on start-up", "description": "It crashes at once.", "type": "bug"}).Want(http.StatusOK).Decode(&edited)
		if edited.Title != "Crash on start-up" || edited.Description != "It crashes at once." || res.Header.Get("ETag") == "" {
			t.Errorf("edited = %+v", edited)
		}
		pa.Do("PATCH", w.feedbackPath("/"+boQ.ID), map[string]any{"title": "Mine now"}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		pa.Do("PATCH", w.feedbackPath("/"+annIdea.ID), map[string]any{"type": "bug"}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		pa.Do("PATCH", item, map[string]any{"state": "resolved"}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		pa.Do("PATCH", item, map[string]any{"type": "complaint"}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "type")
		eo.Do("PATCH", item, map[string]any{"state": "done"}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "state")
		eo.DoHeader("PATCH", item, map[string]any{"state": "in_review"}, http.Header{"If-Match": {paBug.ETag()}}).
			WantProblem(http.StatusPreconditionFailed, atrium.CodePreconditionFailed)
		var stated collab.Feedback
		eo.DoHeader("PATCH", item, map[string]any{"state": "in_review"}, http.Header{"If-Match": {res.Header.Get("ETag")}}).Want(http.StatusOK).Decode(&stated)
		if stated.State != collab.FeedbackInReview {
			t.Errorf("state after the owner's change = %q", stated.State)
		}
		w.as["ec"].Do("PATCH", w.feedbackPath("/"+boQ.ID), map[string]any{"title": "Where are the preview builds?", "state": "planned"}).Want(http.StatusOK)
		bo.Do("GET", w.feedbackPath("/"+boQ.ID), nil).Want(http.StatusOK).Decode(&one)
		if one.Title != "Where are the preview builds?" || one.State != collab.FeedbackPlanned {
			t.Errorf("bo's item after the owner's edit = %+v", one)
		}
		if n := e.Count(`SELECT count(*) FROM collab_feedback WHERE id = $1 AND title = 'Mine now'`, boQ.ID); n != 0 {
			t.Errorf("a refused edit was written")
		}

		// Comments, with the same rule for names.
		comments := item + "/comments"
		for _, c := range []struct {
			who, text string
		}{{"bo", "Same here on B's machines"}, {"ann", "And on mine"}, {"eo", "We are on it"}, {"pa", "Thanks"}} {
			var got collab.FeedbackComment
			w.as[c.who].Do("POST", comments, map[string]any{"text": c.text}).Want(http.StatusCreated).Decode(&got)
			if got.Text != c.text || !got.Mine {
				t.Errorf("%s's comment = %+v", c.who, got)
			}
			e.Clock.Advance(time.Second)
		}
		pa.Do("POST", comments, map[string]any{"text": strings.Repeat("y", 4001)}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "text")
		pa.Do("POST", comments, map[string]any{"text": " "}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "text")
		w.as["pu"].Do("POST", comments, map[string]any{"text": "power"}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		var thread httpapi.List[collab.FeedbackComment]
		pa.Do("GET", comments, nil).Want(http.StatusOK).Decode(&thread)
		if len(thread.Items) != 4 {
			t.Fatalf("pa sees %d comments, want 4", len(thread.Items))
		}
		wantAuthor(t, "pa sees bo's comment", "", "", thread.Items[0].AuthorID, thread.Items[0].AuthorName, "Beta Partners", thread.Items[0].AuthorOrgName, false)
		wantAuthor(t, "pa sees ann's comment", w.users["ann"].ID, "Ann", thread.Items[1].AuthorID, thread.Items[1].AuthorName, "Alpha Partners", thread.Items[1].AuthorOrgName, true)
		wantAuthor(t, "pa sees the owner's comment", "", "", thread.Items[2].AuthorID, thread.Items[2].AuthorName, operatorName, thread.Items[2].AuthorOrgName, false)
		bo.Do("GET", comments, nil).Want(http.StatusOK).Decode(&thread)
		wantAuthor(t, "bo sees ann's comment", "", "", thread.Items[1].AuthorID, thread.Items[1].AuthorName, "Alpha Partners", thread.Items[1].AuthorOrgName, false)
		wantAuthor(t, "bo sees bo's comment", w.users["bo"].ID, "Bo", thread.Items[0].AuthorID, thread.Items[0].AuthorName, "Beta Partners", thread.Items[0].AuthorOrgName, true)
		eo.Do("GET", comments+"?limit=2", nil).Want(http.StatusOK).Decode(&thread)
		wantAuthor(t, "eo sees bo's comment", w.users["bo"].ID, "Bo", thread.Items[0].AuthorID, thread.Items[0].AuthorName, "Beta Partners", thread.Items[0].AuthorOrgName, true)
		if len(thread.Items) != 2 || thread.NextCursor == "" {
			t.Errorf("first page of 2 comments = %+v", thread)
		}
		eo.Do("GET", comments+"?limit=2&cursor="+thread.NextCursor, nil).Want(http.StatusOK).Decode(&thread)
		if len(thread.Items) != 2 || thread.Items[1].Text != "Thanks" || thread.NextCursor != "" {
			t.Errorf("second page of comments = %+v", thread)
		}
		pa.Do("GET", item, nil).Want(http.StatusOK).Decode(&one)
		if one.Comments != 4 {
			t.Errorf("item counts %d comments, want 4", one.Comments)
		}

		// A power user without the participant role, and the package publisher, take
		// no part in feedback; people outside the engagement do not find it.
		for _, who := range []string{"pu", "pp"} {
			w.as[who].Do("POST", w.feedbackPath(""), map[string]any{"title": "Power", "type": "bug"}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
			w.as[who].Do("GET", w.feedbackPath(""), nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
			w.as[who].Do("GET", item, nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		}
		routes := []struct {
			method, path string
			body         any
		}{
			{"GET", w.feedbackPath(""), nil},
			{"POST", w.feedbackPath(""), map[string]any{"title": "Outsider", "type": "bug"}},
			{"GET", item, nil},
			{"PATCH", item, map[string]any{"title": "Hijacked", "state": "declined"}},
			{"GET", comments, nil},
			{"POST", comments, map[string]any{"text": "outsider"}},
			{"GET", item + "/attachments/" + paBug.Attachments[0].ID, nil},
		}
		for _, who := range []string{"staff", "a admin", "b admin", "bert", "al"} {
			c := w.as[who]
			for _, rt := range routes {
				c.Do(rt.method, rt.path, rt.body).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
			}
		}
		if n := e.Count(`SELECT count(*) FROM collab_feedback WHERE title IN ('Outsider', 'Hijacked', 'Power')`); n != 0 {
			t.Errorf("outsiders wrote %d items", n)
		}

		// Paging, newest first, and the filters.
		for i := range 7 {
			w.submitFeedback(t, pa, map[string]any{"title": fmt.Sprintf("Ärende %d", i), "type": []string{"bug", "suggestion"}[i%2]})
			e.Clock.Advance(time.Second)
		}
		var all []collab.Feedback
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			var page httpapi.List[collab.Feedback]
			pa.Do("GET", w.feedbackPath("?limit=3&cursor="+cursor), nil).Want(http.StatusOK).Decode(&page)
			all = append(all, page.Items...)
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if len(all) != 12 {
			t.Errorf("paging found %d items, want 12", len(all))
		}
		ids := map[string]bool{}
		for i, f := range all {
			if ids[f.ID] {
				t.Errorf("item %s listed twice", f.ID)
			}
			ids[f.ID] = true
			if i > 0 && f.CreatedAt.After(all[i-1].CreatedAt) {
				t.Errorf("not newest first at %d: %v after %v", i, f.CreatedAt, all[i-1].CreatedAt)
			}
		}
		if all[0].Title != "Ärende 6" || all[len(all)-1].Title != "Crash on start-up" {
			t.Errorf("first %q, last %q", all[0].Title, all[len(all)-1].Title)
		}
		titles := func(m map[string]collab.Feedback) []string { return slices.Sorted(maps.Keys(m)) }
		if got := titles(w.feedbackByTitle(t, pa, "?q=ARENDE&type=bug")); !slices.Equal(got, []string{"Ärende 0", "Ärende 2", "Ärende 4", "Ärende 6"}) {
			t.Errorf("q=ARENDE&type=bug = %v", got)
		}
		if got := titles(w.feedbackByTitle(t, pa, "?state=planned")); !slices.Equal(got, []string{"Where are the preview builds?"}) {
			t.Errorf("state=planned = %v", got)
		}
		if got := titles(w.feedbackByTitle(t, pa, "?type=question&q=known")); !slices.Equal(got, []string{"Known issues"}) {
			t.Errorf("type=question&q=known = %v", got)
		}
		pa.Do("GET", w.feedbackPath("?type=idea"), nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "type")
		pa.Do("GET", w.feedbackPath("?state=open"), nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "state")
		pa.Do("GET", w.feedbackPath("?cursor=nonsense"), nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "cursor")

		// The audit log and the events.
		for action, want := range map[string]int{"engagement.feedback_submit": 12, "engagement.feedback_update": 2, "engagement.feedback_state": 2,
			"engagement.feedback_comment": 4} {
			if n := e.Count(`SELECT count(*) FROM audit_log WHERE action = $1 AND target_id = $2`, action, w.eng.ID); n != want {
				t.Errorf("%d %s audit entries, want %d", n, action, want)
			}
		}
		for typ, want := range map[string]int{"engagement.feedback_submitted": 12, "engagement.feedback_updated": 3} {
			if n := e.Count(`SELECT count(*) FROM events WHERE type = $1`, typ); n != want {
				t.Errorf("%d %s events, want %d", n, typ, want)
			}
		}
	})
}

// TestCollabFeedbackPurges: a purged author's items and comments stay without their id
// and name; a purged organization's people's items (with the comments on them and
// their attachments) and comments go, and the others' items count their comments again.
func TestCollabFeedbackPurges(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		w := newCollabWorld(t, e, collab.Invitation)
		w.add(t, w.as["eo"], w.members("participant"), nil, w.users["ann"].ID)
		pa, ann, bo := w.as["pa"], w.as["ann"], w.as["bo"]
		paItem := w.submitFeedback(t, pa, map[string]any{"title": "Kept", "type": "bug"})
		annItem := w.submitFeedback(t, ann, map[string]any{"title": "Ann's", "type": "suggestion",
			"attachments": []map[string]any{{"name": "a.txt", "data": []byte("ann")}}})
		boItem := w.submitFeedback(t, bo, map[string]any{"title": "Bo's", "type": "question",
			"attachments": []map[string]any{{"name": "b.txt", "data": []byte("bo")}}})
		for _, c := range []*apptest.Client{ann, bo} {
			c.Do("POST", w.feedbackPath("/"+paItem.ID+"/comments"), map[string]any{"text": "me too"}).Want(http.StatusCreated)
		}
		pa.Do("POST", w.feedbackPath("/"+boItem.ID+"/comments"), map[string]any{"text": "on bo's"}).Want(http.StatusCreated)

		w.a.Admin.Do("DELETE", "/api/v1/users/"+string(w.users["ann"].ID), nil).Want(http.StatusNoContent)
		op := e.Operator()
		op.Do("POST", "/api/v1/organizations/"+string(w.b.ID)+"/suspend", nil).Want(http.StatusOK)
		op.Do("POST", "/api/v1/organizations/"+string(w.b.ID)+"/delete", map[string]any{"confirm": "Beta Partners"}).Want(http.StatusOK)
		runPeriodic(e, 31*24*time.Hour)
		if n := e.Count(`SELECT count(*) FROM users WHERE id = $1`, string(w.users["ann"].ID)); n != 0 {
			t.Fatal("ann was not purged")
		}
		if n := e.Count(`SELECT count(*) FROM organizations WHERE id = $1`, string(w.b.ID)); n != 0 {
			t.Fatal("B was not purged")
		}

		// Ann's item and comment stay, anonymous.
		if n := e.Count(`SELECT count(*) FROM collab_feedback WHERE id = $1 AND author_id = '' AND author_name = $2`, annItem.ID, audit.PurgedName); n != 1 {
			t.Errorf("ann's item is not kept anonymous")
		}
		if n := e.Count(`SELECT count(*) FROM collab_feedback_comments WHERE feedback_id = $1 AND author_id = '' AND author_name = $2`, paItem.ID, audit.PurgedName); n != 1 {
			t.Errorf("ann's comment is not kept anonymous")
		}
		for _, tbl := range []string{"collab_feedback", "collab_feedback_comments", "collab_feedback_attachments"} {
			if n := e.Count(`SELECT count(*) FROM `+tbl+` WHERE org_id = $1`, string(w.b.ID)); n != 0 {
				t.Errorf("%s keeps %d rows of the purged organization", tbl, n)
			}
		}
		if n := e.Count(`SELECT count(*) FROM collab_feedback_comments WHERE feedback_id = $1`, boItem.ID); n != 0 {
			t.Errorf("pa's comment on bo's purged item stayed")
		}
		if n := e.Count(`SELECT count(*) FROM collab_feedback_attachments WHERE feedback_id = $1`, annItem.ID); n != 1 {
			t.Errorf("ann's attachment went with her name")
		}
		var got collab.Feedback
		pa = e.SignIn(w.users["pa"].Username, apptest.Password)
		pa.Do("GET", w.feedbackPath("/"+paItem.ID), nil).Want(http.StatusOK).Decode(&got)
		if got.Comments != 1 {
			t.Errorf("pa's item counts %d comments, want ann's 1", got.Comments)
		}
		pa.Do("GET", w.feedbackPath("/"+annItem.ID), nil).Want(http.StatusOK).Decode(&got)
		if got.AuthorID != "" || got.AuthorName != audit.PurgedName {
			t.Errorf("ann's item after her purge = %+v", got)
		}
		for _, c := range textColumns(t, e) {
			if !strings.HasPrefix(c.table, "collab_feedback") {
				continue
			}
			for what, v := range map[string]string{"ann's id": string(w.users["ann"].ID), "ann's username": w.users["ann"].Username,
				"B's id": string(w.b.ID), "B's name": "Beta Partners"} {
				if n := e.Count(fmt.Sprintf(`SELECT count(*) FROM %s WHERE %s LIKE $1`, c.table, c.name), "%"+v+"%"); n > 0 {
					t.Errorf("%s.%s still holds %s in %d rows", c.table, c.name, what, n)
				}
			}
		}
	})
}
