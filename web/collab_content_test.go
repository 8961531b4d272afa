package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/collab"
)

// TestCollabContentRestoreSettings: a participant opens an engagement's Content tab and
// downloads a file of a package; the operator's administrator changes the inactivity
// settings (bad values beside their fields first); after the days of inactivity the
// participant, whose access ended, asks for it back from the page the mail links to.
func TestCollabContentRestoreSettings(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		svc, op := f.collabSvc(), f.operatorPrincipal()
		prog, err := svc.CreateProgram(ctx, op, collab.ProgramInput{Name: "Insider program"})
		if err != nil {
			t.Fatal(err)
		}
		eng, err := svc.CreateEngagement(ctx, op, collab.EngagementInput{ProgramID: prog.ID, Name: "Preview wave", TermsOfUse: "Terms",
			JoinPolicy: collab.Invitation})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddMembers(ctx, op, eng.ID, collab.Participant, []atrium.UserID{f.member.ID}, false); err != nil {
			t.Fatal(err)
		}
		content := []byte("the build, bit by bit")
		pkg, err := svc.PublishPackage(ctx, op, eng.ID, collab.PackageInput{Name: "Build 42", Type: "build", Keywords: []string{"preview"}},
			[]collab.Upload{{Name: "build-42.zip", ContentType: "application/zip", Content: bytes.NewReader(content)}})
		if err != nil {
			t.Fatal(err)
		}

		mia := f.browser()
		mia.signIn("mia@contoso.atrium.localhost", memberPassword, false)
		base := "/collab/engagements/" + eng.ID
		wantContains(t, mia.get(base), `href="`+base+`/content"`)
		p := mia.get(base + "/content")
		wantStatus(t, p, http.StatusOK)
		file := base + "/content/" + pkg.ID + "/files/" + pkg.Files[0].ID
		wantContains(t, p, "Build 42", "build-42.zip", pkg.Files[0].SHA256[:16], `href="`+file+`"`)
		wantContains(t, mia.get(base+"/content?q=nothing"), "No package matches")
		dl := mia.get(file)
		wantStatus(t, dl, http.StatusOK)
		if dl.body != string(content) || dl.header.Get("Content-Disposition") != "attachment; filename=build-42.zip" {
			t.Errorf("download = %q, %v", dl.body, dl.header)
		}
		wantStatus(t, mia.get(base+"/content/"+pkg.ID+"/files/nope"), http.StatusNotFound)
		wantStatus(t, mia.get("/collab/settings"), http.StatusForbidden)

		// The operator's administrator: settings.
		opB := f.browser()
		opB.signIn("admin@operator.atrium.localhost", operatorPassword, false)
		wantContains(t, opB.get("/collab/programs"), `href="/collab/settings"`)
		s := opB.get("/collab/settings")
		wantStatus(t, s, http.StatusOK)
		wantContains(t, s, `value="180"`, `value="30, 14, 1"`)
		p = opB.postForm("/collab/settings", "/collab/settings", url.Values{"inactivity_days": {"10"}, "notice_days": {"5"}, "version": {"1"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-inactivity_days-error"`, "must be a whole number from 30 to 730")
		p = opB.postForm("/collab/settings", "/collab/settings", url.Values{"inactivity_days": {"60"}, "notice_days": {"7, x"}, "version": {"1"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-notice_days-error"`)
		p = opB.postForm("/collab/settings", "/collab/settings", url.Values{"inactivity_days": {"60"}, "notice_days": {"7, 1"}, "version": {"1"}})
		wantStatus(t, p, http.StatusSeeOther)
		wantContains(t, opB.get("/collab/settings"), "The collaboration settings were saved.", `value="60"`, `value="7, 1"`)

		// Day 54: the 7-day notice went; owners see the deactivation coming and filter by it.
		f.clock.Advance(54 * 24 * time.Hour)
		if _, err := svc.SweepInactive(ctx); err != nil {
			t.Fatal(err)
		}
		opB = f.browser()
		opB.signIn("admin@operator.atrium.localhost", operatorPassword, false)
		m := opB.get(base + "/members?group=participant&state=scheduled")
		wantStatus(t, m, http.StatusOK)
		wantContains(t, m, "Mia Member", "Deactivation scheduled for")
		wantContains(t, opB.get(base+"/members?group=participant&state=deactivated"), "No member matches")
		// Day 61 without use: Mia's access ends; the page of the mail asks it back.
		f.clock.Advance(7 * 24 * time.Hour)
		if _, err := svc.SweepInactive(ctx); err != nil {
			t.Fatal(err)
		}
		mia = f.browser()
		mia.signIn("mia@contoso.atrium.localhost", memberPassword, false)
		wantStatus(t, mia.get(base+"/content"), http.StatusNotFound)
		r := mia.get("/collab/restore")
		wantStatus(t, r, http.StatusOK)
		wantContains(t, r, "Preview wave", `name="engagement_id" value="`+eng.ID+`" checked`)
		p = mia.postForm("/collab/restore", "/collab/restore", url.Values{"engagement_id": {eng.ID}, "justification": {" "}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-justification-error"`)
		p = mia.postForm("/collab/restore", "/collab/restore", url.Values{"justification": {"Back from leave"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, "tick at least one engagement")
		p = mia.postForm("/collab/restore", "/collab/restore", url.Values{"engagement_id": {eng.ID}, "justification": {"Back from leave"}})
		wantStatus(t, p, http.StatusSeeOther)
		r = mia.get("/collab/restore")
		wantContains(t, r, "1 request was sent.", "Request pending")
		if strings.Contains(r.body, `id="restore-submit"`) {
			t.Error("the restore form still offers to ask once every engagement was asked for")
		}
		reqs, err := svc.AccessRequests(ctx, op, eng.ID, collab.RequestQuery{})
		if err != nil || len(reqs.Items) != 1 || reqs.Items[0].Justification != "Back from leave" {
			t.Fatalf("requests = %+v, %v", reqs.Items, err)
		}
	})
}
