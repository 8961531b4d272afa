package web_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/collab"
	"github.com/atrium-admin/atrium/i18n"
)

// collabSvc returns the fixture's collab service.
func (f *fixture) collabSvc() *collab.Service { return app.Need[*collab.Service](f.m.Kernel) }

var (
	programLocationRE    = regexp.MustCompile(`^/collab/programs/([0-9a-f-]{36})$`)
	engagementLocationRE = regexp.MustCompile(`^/collab/engagements/([0-9a-f-]{36})$`)
	shownIDRE            = regexp.MustCompile(`name="shown_id" value="([^"]+)"`)
)

// memberIDs returns the users of group g of engagement id, as the operator sees them.
func (f *fixture) memberIDs(t *testing.T, id string, g collab.Group) []atrium.UserID {
	t.Helper()
	page, err := f.collabSvc().Members(context.Background(), f.operatorPrincipal(), id, g, collab.MemberQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var out []atrium.UserID
	for _, m := range page.Items {
		out = append(out, m.UserID)
	}
	return out
}

// createEngagement creates an engagement through the program page's form and returns
// its id.
func createEngagement(t *testing.T, b *browser, program string, form url.Values) string {
	t.Helper()
	p := b.postForm("/collab/programs/"+program, "/collab/programs/"+program+"/engagements", form)
	wantStatus(t, p, http.StatusSeeOther)
	m := engagementLocationRE.FindStringSubmatch(p.location)
	if m == nil {
		t.Fatalf("create engagement went to %q", p.location)
	}
	return m[1]
}

// TestCollabPages: the operator's administrator creates a program and two engagements
// from Operator > Programs (the forms' errors beside their fields first); a Contoso
// user finds the open one in Join engagements and joins it once she accepts the terms
// of use; another asks for access to the one on request, with a justification, and the
// owner approves her in the requests queue; the owner adds Contoso's users with the add
// dialog's "Select all", exports the participants as CSV, removes one after
// confirming and copies participants from one engagement to the other. A power user
// manages their own organization's participants only; people without the right are
// refused the management pages.
func TestCollabPages(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		svc := f.collabSvc()
		nora := f.newUser("nora", "Nora Outsider", "US")
		op := f.browser()
		op.signIn("admin@operator.atrium.localhost", operatorPassword, false)

		// Operator > Programs: a program, its errors beside the fields first.
		p := op.get("/collab/programs")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, `href="/collab/programs"`, "There are no programs yet.", `action="/collab/programs"`, `name="name"`, `name="csrf_token"`)
		p = op.postForm("/collab/programs", "/collab/programs", url.Values{"name": {"  "}, "description": {"Partners"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-name-error"`, "is required", ">Partners</textarea>")
		p = op.postForm("/collab/programs", "/collab/programs", url.Values{"name": {"Partner program"}, "description": {"For our partners"}})
		wantStatus(t, p, http.StatusSeeOther)
		m := programLocationRE.FindStringSubmatch(p.location)
		if m == nil {
			t.Fatalf("create program went to %q", p.location)
		}
		program := m[1]
		p = op.get("/collab/programs/" + program)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "The program “Partner program” was created.", "<h1>Partner program</h1>", "For our partners", "Program owner",
			"The program has no engagements yet.", `id="new-engagement"`, `name="join_policy" value="open" checked`)
		wantContains(t, op.get("/collab/programs"), `<a href="/collab/programs/`+program+`">Partner program</a>`)

		// Engagements: the terms of use are required.
		p = op.postForm("/collab/programs/"+program, "/collab/programs/"+program+"/engagements", url.Values{"name": {"Launch"}, "join_policy": {"open"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-terms_of_use-error"`, `value="Launch"`)
		launch := createEngagement(t, op, program, url.Values{"name": {"Launch"}, "description": {"The product launch"}, "terms_of_use": {"Keep it confidential."},
			"join_policy": {"open"}, "feedback_enabled": {"1"}})
		pilot := createEngagement(t, op, program, url.Values{"name": {"Pilot"}, "description": {"The pilot customers"}, "terms_of_use": {"Report every bug."},
			"join_policy": {"request"}})
		p = op.get("/collab/engagements/" + launch)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "The engagement “Pilot” was created.", "<h1>Launch</h1>", "Partner program", "Keep it confidential.", "Engagement owner",
			`href="/collab/engagements/`+launch+`/members"`, `href="/collab/engagements/`+launch+`/requests"`)
		wantContains(t, op.get("/collab/programs/"+program), `<a href="/collab/engagements/`+launch+`">Launch</a>`, `<a href="/collab/engagements/`+pilot+`">Pilot</a>`)
		wantContains(t, op.get("/collab"), `<a href="/collab/engagements/`+launch+`">Launch</a>`)

		// Mia, of Contoso, has no engagement yet: the call to join them.
		mia := f.browser()
		mia.signIn("mia@contoso.atrium.localhost", memberPassword, false)
		p = mia.get("/collab")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, `href="/collab"`, `id="join-cta"`, "You are not in any engagement yet.", `href="/collab/available"`)
		p = mia.get("/collab/available")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, `<a href="/collab/engagements/`+launch+`">Launch</a>`, `<a href="/collab/engagements/`+launch+`#join" class="button secondary">Join</a>`,
			`<a href="/collab/engagements/`+pilot+`#request" class="button secondary">Request access</a>`)
		wantNotContains(t, mia.get("/collab/available?q=pilot"), `<a href="/collab/engagements/`+launch+`">`)

		// She joins once she accepts the terms of use.
		base := "/collab/engagements/" + launch
		p = mia.get(base)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Keep it confidential.", `id="join"`, `name="accept_terms"`, "I accept the terms of use")
		wantNotContains(t, p, `href="`+base+`/members"`)
		p = mia.postForm(base, base+"/join", nil)
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-accept_terms-error"`, "you must accept the terms of use")
		if slices.Contains(f.memberIDs(t, launch, collab.Participant), f.member.ID) {
			t.Fatal("Mia joined without accepting the terms")
		}
		wantStatus(t, mia.postForm(base, base+"/join", url.Values{"accept_terms": {"1"}}), http.StatusSeeOther)
		p = mia.get(base)
		wantContains(t, p, "You joined the engagement “Launch”.", `<dd id="engagement-groups"><span>Participant</span></dd>`)
		wantNotContains(t, p, `id="join"`)
		wantContains(t, mia.get("/collab"), `<a href="/collab/engagements/`+launch+`">Launch</a>`)
		if !slices.Contains(f.memberIDs(t, launch, collab.Participant), f.member.ID) {
			t.Fatal("Mia is not a participant after joining")
		}
		// A participant may not manage the membership.
		for _, path := range []string{base + "/members", base + "/members?group=owner", base + "/members/add?group=participant&q=contoso",
			base + "/members/export", base + "/requests", base + "/members/copy", base + "/members/" + string(f.admin) + "/remove"} {
			if p := mia.get(path); p.status != http.StatusForbidden {
				t.Errorf("Mia GET %s: status %d, want 403", path, p.status)
			}
		}
		wantStatus(t, mia.get("/collab/programs"), http.StatusForbidden)
		wantStatus(t, mia.postForm(base, "/collab/programs", url.Values{"name": {"Mine"}}), http.StatusForbidden)

		// Nora asks for access to the pilot: a justification is required.
		pbase := "/collab/engagements/" + pilot
		nb := f.browser()
		nb.signIn("nora@contoso.atrium.localhost", memberPassword, false)
		p = nb.get(pbase)
		wantContains(t, p, "Report every bug.", `id="request"`, `name="justification"`)
		p = nb.postForm(pbase, pbase+"/request", url.Values{"accept_terms": {"1"}, "justification": {" "}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-justification-error"`, "is required")
		p = nb.postForm(pbase, pbase+"/request", url.Values{"justification": {"I run the pilot"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-accept_terms-error"`, ">I run the pilot</textarea>")
		wantStatus(t, nb.postForm(pbase, pbase+"/request", url.Values{"accept_terms": {"1"}, "justification": {"I run the pilot"}}), http.StatusSeeOther)
		p = nb.get(pbase)
		wantContains(t, p, "Your access request was sent.", `id="pending-request"`, "your request is waiting for a decision", "I run the pilot")
		wantNotContains(t, p, `id="request"`)
		wantContains(t, nb.get("/collab/available"), "Request pending")

		// The owner approves her in the queue.
		p = op.get(pbase + "/requests")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Nora Outsider", "nora@contoso.atrium.localhost", "Contoso", "I run the pilot")
		reqs, err := svc.AccessRequests(ctx, f.operatorPrincipal(), pilot, collab.RequestQuery{})
		if err != nil || len(reqs.Items) != 1 {
			t.Fatalf("requests %+v %v", reqs, err)
		}
		rid := reqs.Items[0].ID
		wantStatus(t, op.postForm(pbase+"/requests", pbase+"/requests/"+rid+"/approve", url.Values{"message": {"Welcome"}}), http.StatusSeeOther)
		p = op.get(pbase + "/requests")
		wantContains(t, p, "Nora Outsider is now a participant.", "There are no pending access requests.")
		// Deciding it again says it was decided.
		p = op.postForm(pbase+"/requests", pbase+"/requests/"+rid+"/deny", nil)
		wantStatus(t, p, http.StatusConflict)
		wantContains(t, p, "the request was decided already")
		wantContains(t, nb.get(pbase), `<dd id="engagement-groups"><span>Participant</span></dd>`)
		// A participant of the pilot is refused its management pages.
		wantStatus(t, nb.get(pbase+"/members"), http.StatusForbidden)
		wantStatus(t, nb.get(pbase+"/requests"), http.StatusForbidden)
		wantStatus(t, nb.postForm(pbase, pbase+"/members/add", url.Values{"group": {"participant"}, "user_id": {string(f.admin)}}), http.StatusForbidden)

		// The add dialog: an empty search explains where it looked.
		add := base + "/members/add?group=participant"
		p = op.get(add)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, `id="find-users"`, `name="q"`)
		wantNotContains(t, p, `id="add-form"`)
		p = op.get(add + "&q=zzzzz")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, `id="found-none"`, "No user matches the search.", "Only active users of organizations that may see this engagement can be added.")
		p = op.get(add + "&q=zz")
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-q-error"`)
		p = op.get(add + "&q=contoso")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Searching the users of every organization that may see this engagement.", "Ada Admin", "Nora Outsider", "Mia Member",
			"Already in the group", `name="all" value="1"`, `name="invite" value="1"`, `id="add-all"`)
		var shown []string
		for _, sm := range shownIDRE.FindAllStringSubmatch(p.body, -1) {
			shown = append(shown, sm[1])
		}
		if len(shown) != 2 || !slices.Contains(shown, string(f.admin)) || !slices.Contains(shown, string(nora.ID)) {
			t.Fatalf("the dialog offers %v, want Ada and Nora (Mia is in already)", shown)
		}
		// Nothing picked: said beside the list.
		p = op.postForm(add+"&q=contoso", base+"/members/add", url.Values{"group": {"participant"}, "q": {"contoso"}, "shown_id": shown})
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-user_ids-error"`, "is required")
		// Select all, with an invitation mail.
		p = op.postForm(add+"&q=contoso", base+"/members/add", url.Values{"group": {"participant"}, "q": {"contoso"}, "all": {"1"}, "shown_id": shown, "invite": {"1"}})
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, `id="add-results"`, "2 users were added.", "admin@contoso.atrium.localhost", "nora@contoso.atrium.localhost")
		var invited int
		if err := f.m.DB.Read().QueryRowContext(ctx, `SELECT count(*) FROM mail_outbox WHERE template = 'collab_invitation' AND to_addr = 'ada@example.com'`).Scan(&invited); err != nil || invited != 1 {
			t.Fatalf("invitations to Ada: %d, %v", invited, err)
		}
		if got := f.memberIDs(t, launch, collab.Participant); len(got) != 3 {
			t.Fatalf("participants after the add: %v", got)
		}

		// The members page and its CSV.
		members := base + "/members?group=participant"
		p = op.get(members)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Ada Admin", "Mia Member", "Nora Outsider", "Contoso", "Never", `href="`+base+`/members/export?group=participant"`,
			`href="`+base+`/members/add?group=participant"`, `href="`+base+`/members/`+string(f.member.ID)+`/remove?group=participant"`)
		wantContains(t, op.get(members+"&q=nora"), "Nora Outsider")
		wantNotContains(t, op.get(members+"&q=nora"), "Mia Member")
		wantContains(t, op.get(base+"/members?group=owner"), "Operator Administrator")
		exp := op.get(base + "/members/export?group=participant")
		wantStatus(t, exp, http.StatusOK)
		if ct, cd := exp.header.Get("Content-Type"), exp.header.Get("Content-Disposition"); !strings.HasPrefix(ct, "text/csv") || !strings.HasPrefix(cd, "attachment;") {
			t.Fatalf("export headers %q %q", ct, cd)
		}
		recs, err := csv.NewReader(strings.NewReader(exp.body)).ReadAll()
		if err != nil || len(recs) != 4 || recs[0][1] != "username" {
			t.Fatalf("export %q %v", exp.body, err)
		}
		var users []string
		for _, rec := range recs[1:] {
			users = append(users, rec[1])
		}
		if !slices.Contains(users, "mia@contoso.atrium.localhost") || !slices.Contains(users, "nora@contoso.atrium.localhost") || !slices.Contains(users, "admin@contoso.atrium.localhost") {
			t.Fatalf("exported %v", users)
		}

		// Remove after confirming.
		remove := base + "/members/" + string(f.member.ID) + "/remove"
		p = op.get(remove + "?group=participant")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Remove Mia Member from the group Participant of “Launch”?", `action="`+remove+`"`, `name="group" value="participant"`)
		if !slices.Contains(f.memberIDs(t, launch, collab.Participant), f.member.ID) {
			t.Fatal("the confirmation page removed Mia")
		}
		p = op.postForm(remove+"?group=participant", remove, url.Values{"group": {"participant"}})
		wantStatus(t, p, http.StatusSeeOther)
		p = op.get(p.location)
		wantContains(t, p, "Mia Member was removed.")
		wantNotContains(t, p, `id="member-`+string(f.member.ID)+`"`)
		if slices.Contains(f.memberIDs(t, launch, collab.Participant), f.member.ID) {
			t.Fatal("Mia is still a participant")
		}

		// Copy Launch's participants into the pilot: Nora is there already.
		copyPage := pbase + "/members/copy"
		p = op.get(copyPage)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, `<option value="`+launch+`">Launch · Partner program</option>`)
		p = op.get(copyPage + "?from=" + launch)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Ada Admin", "Nora Outsider", "Already in the group", `id="copy-all"`, `name="user_id" value="`+string(f.admin)+`"`)
		p = op.get(copyPage + "?from=" + pilot)
		wantStatus(t, p, http.StatusBadRequest)
		wantContains(t, p, `id="f-from-error"`, "must be another engagement")
		p = op.postForm(copyPage+"?from="+launch, copyPage, url.Values{"from": {launch}, "all": {"1"}})
		wantStatus(t, p, http.StatusSeeOther)
		wantContains(t, op.get(p.location), "Copied: 1. Already participants: 1. Not copied: 0.", "Ada Admin")
		if got := f.memberIDs(t, pilot, collab.Participant); !slices.Contains(got, f.admin) || !slices.Contains(got, nora.ID) {
			t.Fatalf("pilot participants after the copy: %v", got)
		}

		// Ada, a power user of Launch, manages Contoso's participants only: the dialog
		// searches Contoso and says so; the owners are not hers to see.
		if _, err := svc.AddMembers(ctx, f.operatorPrincipal(), launch, collab.PowerUser, []atrium.UserID{f.admin}, false); err != nil {
			t.Fatal(err)
		}
		ada := f.browser()
		ada.signIn("admin@contoso.atrium.localhost", adminPassword, false)
		p = ada.get(members)
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Nora Outsider", `href="`+base+`/members/add?group=participant"`, `href="`+base+`/members?group=power_user"`)
		wantNotContains(t, p, `href="`+base+`/members?group=owner"`)
		wantStatus(t, ada.get(base+"/members?group=owner"), http.StatusForbidden)
		wantStatus(t, ada.get(base+"/members/add?group=power_user&q=mia"), http.StatusForbidden)
		p = ada.get(add + "&q=mia")
		wantStatus(t, p, http.StatusOK)
		wantContains(t, p, "Searching the users of Contoso.", "Mia Member", `name="shown_id" value="`+string(f.member.ID)+`"`)

		// Every page is in the catalogues: none leaves English in the pseudo-language.
		i18n.EnablePseudo()
		u, _ := url.Parse(op.base)
		op.c.Jar.SetCookies(u, []*http.Cookie{{Name: "atrium_lang", Value: "en-XA", Path: "/"}})
		data := []string{"Partner program", "For our partners", "Launch", "The product launch", "Keep it confidential.", "Pilot", "The pilot customers",
			"Report every bug.", "Ada Admin", "Nora Outsider", "Mia Member", "Operator Administrator", "Contoso", "Atrium Operator",
			"admin@contoso.atrium.localhost", "nora@contoso.atrium.localhost", "mia@contoso.atrium.localhost", "admin@operator.atrium.localhost",
			"Launch · Partner program", "Pilot · Partner program"}
		for _, path := range []string{"/collab", "/collab/available", "/collab/programs", "/collab/programs/" + program, base, base + "/members",
			base + "/members?group=owner", base + "/members/add?group=participant&q=contoso", base + "/members/add?group=participant&q=zzzzz",
			pbase + "/requests", copyPage + "?from=" + launch, base + "/members/" + string(nora.ID) + "/remove?group=participant"} {
			p := op.get(path)
			if p.status != http.StatusOK {
				t.Errorf("%s in en-XA: status %d", path, p.status)
			}
			if bad := untranslated(p.body, data); len(bad) > 0 {
				t.Errorf("%s: untranslated %q", path, bad)
			}
		}
	})
}
