package httpapi_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/collab"
	"github.com/atrium-admin/atrium/httpapi"
)

// collabWorld is an operator with a program and an engagement, and two partner
// organizations with users.
type collabWorld struct {
	e        *apptest.Env
	op       *apptest.Client // the operator administrator: program owner of every program
	staff    map[string]apptest.User
	a, b     *apptest.Org
	users    map[string]apptest.User
	as       map[string]*apptest.Client
	program  collab.Program
	eng      collab.Engagement
	operator atrium.OrgID
}

// newCollabWorld: the operator's staff po (program owner), ec (engagement creator), pp
// (package publisher) and eo (engagement owner, of an engagement ec created); partner A
// with pa (participant), pu (power user), ann and al; partner B with bo (participant)
// and bert.
func newCollabWorld(t *testing.T, e *apptest.Env, policy collab.JoinPolicy) *collabWorld {
	t.Helper()
	w := &collabWorld{e: e, op: e.Operator(), staff: map[string]apptest.User{}, users: map[string]apptest.User{}, as: map[string]*apptest.Client{}}
	w.operator = atrium.OrgID(e.Strings("SELECT id FROM organizations WHERE operator = TRUE")[0])
	w.as["operator admin"] = w.op
	for _, n := range []string{"po", "ec", "pp", "eo", "staff"} {
		w.staff[n] = w.op.CreateUser(n)
		w.as[n] = e.SignIn(w.staff[n].Username, apptest.Password)
	}
	w.a, w.b = e.Signup("Alpha Partners", "alphap"), e.Signup("Beta Partners", "betap")
	w.as["a admin"], w.as["b admin"] = w.a.Admin, w.b.Admin
	for _, n := range []string{"pa", "pu", "ann", "al"} {
		w.users[n] = w.a.Admin.CreateUser(n)
		w.as[n] = e.SignIn(w.users[n].Username, apptest.Password)
	}
	for _, n := range []string{"bo", "bert"} {
		w.users[n] = w.b.Admin.CreateUser(n)
		w.as[n] = e.SignIn(w.users[n].Username, apptest.Password)
	}
	w.op.Do("POST", "/api/v1/programs", map[string]any{"name": "Insider program", "description": "Early builds for partners"}).
		Want(http.StatusCreated).Decode(&w.program)
	for g, who := range map[collab.Group]string{collab.ProgramOwner: "po", collab.EngagementCreator: "ec", collab.PackagePublisher: "pp"} {
		w.add(t, w.op, "/api/v1/programs/"+w.program.ID+"/members?group="+string(g), nil, w.staff[who].ID)
	}
	w.as["ec"].Do("POST", "/api/v1/engagements", map[string]any{"program_id": w.program.ID, "name": "Preview wave", "description": "The first wave",
		"terms_of_use": "Keep the builds confidential.", "join_policy": policy, "feedback_enabled": true}).Want(http.StatusCreated).Decode(&w.eng)
	w.add(t, w.as["ec"], w.members("owner"), nil, w.staff["eo"].ID)
	w.add(t, w.as["eo"], w.members("power_user"), nil, w.users["pu"].ID)
	w.add(t, w.as["eo"], w.members("participant"), nil, w.users["pa"].ID, w.users["bo"].ID)
	return w
}

func (w *collabWorld) members(group string) string {
	return "/api/v1/engagements/" + w.eng.ID + "/members?group=" + group
}

// add adds ids through path as c and checks each result is want (added by default).
func (w *collabWorld) add(t *testing.T, c *apptest.Client, path string, extra map[string]any, ids ...atrium.UserID) []collab.AddResult {
	t.Helper()
	body := map[string]any{"user_ids": ids}
	for k, v := range extra {
		body[k] = v
	}
	var res httpapi.List[collab.AddResult]
	c.Do("POST", path, body).Want(http.StatusOK).Decode(&res)
	if extra == nil {
		for _, r := range res.Items {
			if r.Status != collab.Added {
				t.Fatalf("adding through %s: %+v", path, res.Items)
			}
		}
	}
	return res.Items
}

func (w *collabWorld) names(t *testing.T, c *apptest.Client, path string) []string {
	t.Helper()
	var page httpapi.List[collab.Member]
	c.Do("GET", path, nil).Want(http.StatusOK).Decode(&page)
	var out []string
	for _, m := range page.Items {
		out = append(out, strings.SplitN(m.Username, "@", 2)[0])
	}
	slices.Sort(out)
	return out
}

// TestCollabPermissions walks the permission table for the six groups, the operator's
// administrator, other operator staff and a partner's Global admin, who without a group
// manages nothing here; a program owner inherits every engagement of the program; a
// power user acts only on users of their own organization and never on power users.
func TestCollabPermissions(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		w := newCollabWorld(t, e, collab.Invitation)
		eng, prog := "/api/v1/engagements/"+w.eng.ID, "/api/v1/programs/"+w.program.ID

		type want struct{ readEng, patchEng, participants, owners, addOwner, readProg, patchProg, createEng int }
		cases := map[string]want{
			"operator admin": {200, 200, 200, 200, 200, 200, 200, 201},
			"po":             {200, 200, 200, 200, 200, 200, 200, 201},
			"ec":             {200, 200, 200, 200, 200, 200, 403, 201}, // owner of the engagement it created
			"pp":             {200, 403, 403, 403, 403, 200, 403, 403},
			"eo":             {200, 200, 200, 200, 200, 404, 404, 400},
			"pu":             {200, 403, 200, 403, 403, 404, 404, 400},
			"pa":             {200, 403, 403, 403, 403, 404, 404, 400},
			"staff":          {404, 404, 404, 404, 404, 404, 404, 400},
			"a admin":        {404, 404, 404, 404, 404, 404, 404, 400},
			"ann":            {404, 404, 404, 404, 404, 404, 404, 400},
		}
		for who, want := range cases {
			t.Run(who, func(t *testing.T) {
				c := w.as[who].For(t)
				c.Do("GET", eng, nil).Want(want.readEng)
				c.Do("PATCH", eng, map[string]any{"description": "Changed by " + who}).Want(want.patchEng)
				c.Do("GET", eng+"/members?group=participant", nil).Want(want.participants)
				c.Do("GET", eng+"/members?group=owner", nil).Want(want.owners)
				c.Do("POST", eng+"/members?group=owner", map[string]any{"user_ids": []atrium.UserID{w.staff["staff"].ID}}).Want(want.addOwner)
				removed := want.addOwner
				if removed == http.StatusOK {
					removed = http.StatusNoContent
				}
				c.Do("DELETE", eng+"/members/"+string(w.staff["staff"].ID)+"?group=owner", nil).Want(removed)
				c.Do("GET", prog, nil).Want(want.readProg)
				c.Do("PATCH", prog, map[string]any{"description": "Changed by " + who}).Want(want.patchProg)
				c.Do("POST", "/api/v1/engagements", map[string]any{"program_id": w.program.ID, "name": "By " + who, "terms_of_use": "Be kind.",
					"join_policy": "open"}).Want(want.createEng)
			})
		}
		// Only operator staff create programs, and only the administrator and owners add to
		// a program's groups.
		w.as["po"].Do("POST", "/api/v1/programs", map[string]any{"name": "Rogue"}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		w.a.Admin.Do("POST", "/api/v1/programs", map[string]any{"name": "Rogue"}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		w.as["ec"].Do("POST", prog+"/members?group=program_owner", map[string]any{"user_ids": []atrium.UserID{w.staff["staff"].ID}}).
			WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		// Owners and program groups are the operator's staff only.
		res := w.add(t, w.as["eo"], w.members("owner"), map[string]any{}, w.users["ann"].ID)
		if len(res) != 1 || res[0].Status != collab.Failed || res[0].Error == "" {
			t.Errorf("a partner's user as owner: %+v", res)
		}

		// The power user: their organization's participants only, never power users.
		pu := w.as["pu"]
		if got := w.names(t, pu, w.members("participant")); !slices.Equal(got, []string{"pa"}) {
			t.Errorf("power user sees participants %v, want only pa", got)
		}
		res = w.add(t, pu, w.members("participant"), map[string]any{}, w.users["ann"].ID, w.users["bert"].ID)
		if len(res) != 2 || res[0].Status != collab.Added || res[1].Status != collab.Failed {
			t.Errorf("power user adding ann (A) and bert (B) = %+v", res)
		}
		pu.Do("POST", w.members("power_user"), map[string]any{"user_ids": []atrium.UserID{w.users["al"].ID}}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		pu.Do("DELETE", "/api/v1/engagements/"+w.eng.ID+"/members/"+string(w.users["bo"].ID)+"?group=participant", nil).Want(403, 404)
		pu.Do("DELETE", "/api/v1/engagements/"+w.eng.ID+"/members/"+string(w.users["pu"].ID)+"?group=power_user", nil).
			WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		pu.Do("DELETE", "/api/v1/engagements/"+w.eng.ID+"/members/"+string(w.users["ann"].ID)+"?group=participant", nil).Want(http.StatusNoContent)
		var found collab.CandidateResult
		pu.Do("GET", "/api/v1/engagements/"+w.eng.ID+"/candidates?group=participant&q=be", nil).Want(http.StatusOK).Decode(&found)
		if found.Scope != "org" || found.OrgID != w.a.ID || len(found.Items) != 0 {
			t.Errorf("power user searching 'be' (bert is in B) = %+v", found)
		}
		pu.Do("GET", "/api/v1/engagements/"+w.eng.ID+"/candidates?group=participant&q=an", nil).Want(http.StatusOK).Decode(&found)
		if len(found.Items) != 1 || found.Items[0].UserID != w.users["ann"].ID {
			t.Errorf("power user searching 'an' = %+v", found)
		}
		var csvBody []byte
		csvBody = pu.Do("GET", "/api/v1/engagements/"+w.eng.ID+"/members/export?group=participant", nil).Want(http.StatusOK).Body
		if strings.Contains(string(csvBody), "bo@") || !strings.Contains(string(csvBody), "pa@") {
			t.Errorf("power user's export:\n%s", csvBody)
		}
		// The owner sees and finds everyone.
		if got := w.names(t, w.as["eo"], w.members("participant")); !slices.Equal(got, []string{"bo", "pa"}) {
			t.Errorf("owner sees participants %v", got)
		}
		w.as["eo"].Do("GET", "/api/v1/engagements/"+w.eng.ID+"/candidates?group=participant&q=ber", nil).Want(http.StatusOK).Decode(&found)
		if found.Scope != "all" || len(found.Items) != 1 || found.Items[0].UserID != w.users["bert"].ID {
			t.Errorf("owner searching 'ber' = %+v", found)
		}
		// Removing a participant leaves the account alone.
		w.as["eo"].Do("DELETE", "/api/v1/engagements/"+w.eng.ID+"/members/"+string(w.users["bo"].ID)+"?group=participant", nil).Want(http.StatusNoContent)
		e.SignIn(w.users["bo"].Username, apptest.Password).Do("GET", "/api/v1/me", nil).Want(http.StatusOK)
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE action = 'engagement.member_remove'`); n != 6 {
			t.Errorf("%d member_remove audit entries, want 6 (4 owners removed above, ann, bo)", n)
		}
		// Bad input names the field.
		w.op.Do("GET", w.members("admin"), nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "group")
		w.op.Do("POST", "/api/v1/engagements", map[string]any{"program_id": w.program.ID, "name": "", "terms_of_use": "", "join_policy": "sometimes"}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "name", "terms_of_use", "join_policy")
		w.op.Do("GET", w.members("participant")+"&sort=age", nil).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "sort")
		if n := e.Count(`SELECT count(*) FROM collab_engagements WHERE name = ''`); n != 0 {
			t.Errorf("%d nameless engagements written", n)
		}
	})
}

// TestCollabJoinAndRequests: join an open engagement after accepting the terms; ask for
// access to one that needs approval, with the owners and the power users of the
// requester's organization mailed; nobody decides their own request; a second request
// while one is pending is refused; a decision mails the requester; a request left for 30
// days expires; two owners approving at once give one membership.
func TestCollabJoinAndRequests(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		w := newCollabWorld(t, e, collab.Request)
		var open collab.Engagement
		w.as["ec"].Do("POST", "/api/v1/engagements", map[string]any{"program_id": w.program.ID, "name": "Open house", "terms_of_use": "Terms v1",
			"join_policy": "open"}).Want(http.StatusCreated).Decode(&open)
		w.as["ec"].Do("POST", "/api/v1/engagements", map[string]any{"program_id": w.program.ID, "name": "Secret wave", "terms_of_use": "Hush",
			"join_policy": "invitation"}).Want(http.StatusCreated)

		ann := w.as["ann"]
		var avail httpapi.List[collab.Engagement]
		ann.Do("GET", "/api/v1/engagements?available=true", nil).Want(http.StatusOK).Decode(&avail)
		var names []string
		for _, x := range avail.Items {
			names = append(names, x.Name)
		}
		if !slices.Equal(names, []string{"Open house", "Preview wave"}) {
			t.Errorf("available to ann = %v, want the open and the request engagements", names)
		}
		ann.Do("POST", "/api/v1/engagements/"+open.ID+"/join", map[string]any{"accept_terms": false}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "accept_terms")
		var joined collab.Engagement
		ann.Do("POST", "/api/v1/engagements/"+open.ID+"/join", map[string]any{"accept_terms": true}).Want(http.StatusOK).Decode(&joined)
		if !slices.Contains(joined.Groups, collab.Participant) || !joined.CanDownload {
			t.Errorf("after joining: %+v", joined)
		}
		if n := e.Count(`SELECT count(*) FROM collab_members WHERE scope_id = $1 AND user_id = $2 AND terms_version = 1 AND accepted_at > 0`,
			open.ID, string(w.users["ann"].ID)); n != 1 {
			t.Errorf("terms acceptance recorded %d times", n)
		}
		ann.Do("POST", "/api/v1/engagements/"+open.ID+"/join", map[string]any{"accept_terms": true}).WantProblem(http.StatusConflict, atrium.CodeConflict)
		ann.Do("POST", "/api/v1/engagements/"+w.eng.ID+"/join", map[string]any{"accept_terms": true}).WantProblem(http.StatusConflict, atrium.CodeConflict)

		// Requests: justification and terms are required.
		reqs := "/api/v1/engagements/" + w.eng.ID + "/access-requests"
		ann.Do("POST", reqs, map[string]any{"accept_terms": true, "justification": " "}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "justification")
		var req collab.AccessRequest
		ann.Do("POST", reqs, map[string]any{"accept_terms": true, "justification": "I test the builds"}).Want(http.StatusCreated).Decode(&req)
		ann.Do("POST", reqs, map[string]any{"accept_terms": true, "justification": "again"}).WantProblem(http.StatusConflict, atrium.CodeConflict)
		for _, to := range []string{"eo@", "ec@", "pu@"} {
			if n := e.Count(`SELECT count(*) FROM mail_outbox WHERE template = 'collab_access_request' AND to_addr LIKE $1`, to+"%"); n != 1 {
				t.Errorf("%d request mails to %s, want 1", n, to)
			}
		}
		if n := e.Count(`SELECT count(*) FROM mail_outbox WHERE template = 'collab_access_request' AND to_addr LIKE 'pa@%'`); n != 0 {
			t.Errorf("a participant was mailed the request")
		}
		var mine httpapi.List[collab.AccessRequest]
		ann.Do("GET", "/api/v1/me/access-requests", nil).Want(http.StatusOK).Decode(&mine)
		if len(mine.Items) != 1 || mine.Items[0].State != collab.RequestPending {
			t.Errorf("ann's requests = %+v", mine.Items)
		}
		// B's power user would not see it; ann cannot decide it; the power user of A can.
		var queue httpapi.List[collab.AccessRequest]
		w.as["pu"].Do("GET", reqs, nil).Want(http.StatusOK).Decode(&queue)
		if len(queue.Items) != 1 {
			t.Errorf("power user's queue = %+v", queue.Items)
		}
		ann.Do("POST", reqs+"/"+req.ID+"/approve", nil).Want(403, 404)
		w.as["pu"].Do("POST", reqs+"/"+req.ID+"/approve", map[string]any{"message": "Welcome"}).Want(http.StatusOK)
		w.as["eo"].Do("POST", reqs+"/"+req.ID+"/deny", nil).WantProblem(http.StatusConflict, atrium.CodeConflict)
		if n := e.Count(`SELECT count(*) FROM mail_outbox WHERE template = 'collab_access_decided' AND to_addr = 'ann@mail.example.com'`); n != 1 {
			t.Errorf("%d decision mails to ann", n)
		}
		if got := w.names(t, w.as["eo"], w.members("participant")); !slices.Contains(got, "ann") {
			t.Errorf("approved ann is not a participant: %v", got)
		}

		// Self-approval: a power user's own request is refused to them.
		pu2 := w.a.Admin.CreateUser("pia")
		w.add(t, w.as["eo"], w.members("power_user"), nil, pu2.ID)
		w.as["eo"].Do("DELETE", "/api/v1/engagements/"+w.eng.ID+"/members/"+string(pu2.ID)+"?group=power_user", nil).Want(http.StatusNoContent)
		pia := e.SignIn(pu2.Username, apptest.Password)
		pia.Do("POST", reqs, map[string]any{"accept_terms": true, "justification": "me too"}).Want(http.StatusCreated).Decode(&req)
		w.add(t, w.as["eo"], w.members("power_user"), nil, pu2.ID)
		pia.Do("POST", reqs+"/"+req.ID+"/approve", nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)

		// Two owners approving at once: one membership, one winner.
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i, who := range []string{"eo", "ec"} {
			wg.Go(func() { statuses[i] = w.as[who].Do("POST", reqs+"/"+req.ID+"/approve", nil).Status })
		}
		wg.Wait()
		slices.Sort(statuses)
		if !slices.Equal(statuses, []int{200, 409}) {
			t.Errorf("concurrent approvals = %v, want one 200 and one 409", statuses)
		}
		if n := e.Count(`SELECT count(*) FROM collab_members WHERE scope_id = $1 AND grp = 'participant' AND user_id = $2`, w.eng.ID, string(pu2.ID)); n != 1 {
			t.Errorf("%d memberships after concurrent approvals", n)
		}

		// Deny with a message, then expiry of a forgotten request.
		al := w.as["al"]
		al.Do("POST", reqs, map[string]any{"accept_terms": true, "justification": "curious"}).Want(http.StatusCreated).Decode(&req)
		w.as["eo"].Do("POST", reqs+"/"+req.ID+"/deny", map[string]any{"message": "Not this wave"}).Want(http.StatusOK).Decode(&req)
		if req.State != collab.RequestDenied || req.Message != "Not this wave" {
			t.Errorf("denied request = %+v", req)
		}
		bert := w.as["bert"]
		bert.Do("POST", reqs, map[string]any{"accept_terms": true, "justification": "later"}).Want(http.StatusCreated).Decode(&req)
		e.Clock.Advance(29 * 24 * time.Hour)
		e.Main.Queue.SchedulePeriodic(t.Context())
		e.RunJobs()
		bert = e.SignIn(w.users["bert"].Username, apptest.Password) // the session has expired
		bert.Do("GET", "/api/v1/me/access-requests", nil).Want(http.StatusOK).Decode(&mine)
		if len(mine.Items) != 1 || mine.Items[0].State != collab.RequestPending {
			t.Errorf("after 29 days: %+v", mine.Items)
		}
		e.Clock.Advance(2 * 24 * time.Hour)
		e.Main.Queue.SchedulePeriodic(t.Context())
		e.RunJobs()
		bert = e.SignIn(w.users["bert"].Username, apptest.Password)
		bert.Do("GET", "/api/v1/me/access-requests", nil).Want(http.StatusOK).Decode(&mine)
		if len(mine.Items) != 1 || mine.Items[0].State != collab.RequestExpired {
			t.Errorf("after 31 days: %+v", mine.Items)
		}
		if n := e.Count(`SELECT count(*) FROM mail_outbox WHERE template = 'collab_access_decided' AND to_addr = 'bert@mail.example.com'`); n != 1 {
			t.Errorf("%d expiry mails to bert", n)
		}
		bert.Do("POST", reqs, map[string]any{"accept_terms": true, "justification": "once more"}).Want(http.StatusCreated)
	})
}

// TestCollabCopyAndExport: participants are copied from another engagement, all or
// some, in one request with one audit entry; the export streams the chosen group as
// CSV; a member's last access is written when they open the engagement.
func TestCollabCopyAndExport(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		w := newCollabWorld(t, e, collab.Invitation)
		var next collab.Engagement
		w.as["ec"].Do("POST", "/api/v1/engagements", map[string]any{"program_id": w.program.ID, "name": "Second wave", "terms_of_use": "Terms",
			"join_policy": "invitation"}).Want(http.StatusCreated).Decode(&next)
		var ids []atrium.UserID
		for i := range 30 {
			ids = append(ids, w.a.Admin.CreateUser(fmt.Sprintf("copy%02d", i)).ID)
		}
		w.add(t, w.as["eo"], w.members("participant"), map[string]any{"send_invitation": true}, ids...)
		if n := e.Count(`SELECT count(*) FROM mail_outbox WHERE template = 'collab_invitation'`); n != 30 {
			t.Errorf("%d invitation mails, want 30", n)
		}
		var preview httpapi.List[collab.Candidate]
		w.as["ec"].Do("GET", "/api/v1/engagements/"+next.ID+"/copy-candidates?from="+w.eng.ID+"&limit=200", nil).Want(http.StatusOK).Decode(&preview)
		if len(preview.Items) != 32 {
			t.Errorf("copy preview has %d participants, want 32", len(preview.Items))
		}
		copyPath := "/api/v1/engagements/" + next.ID + "/members/copy"
		var res collab.CopyResult
		w.as["ec"].Do("POST", copyPath, map[string]any{"from_engagement_id": w.eng.ID, "user_ids": ids[:5]}).Want(http.StatusOK).Decode(&res)
		if res.Added != 5 {
			t.Errorf("copying 5 = %+v", res)
		}
		w.as["ec"].Do("POST", copyPath, map[string]any{"from_engagement_id": w.eng.ID, "all": true}).Want(http.StatusOK).Decode(&res)
		if res.Added != 27 || res.Already != 5 {
			t.Errorf("copying all = %+v", res)
		}
		w.as["ec"].Do("POST", copyPath, map[string]any{"from_engagement_id": next.ID, "all": true}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "from_engagement_id")
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE action = 'engagement.members_copy'`); n != 2 {
			t.Errorf("%d copy audit entries, want 2", n)
		}
		// The power user copies only their organization's participants: bo (B) stays out.
		var third collab.Engagement
		w.as["ec"].Do("POST", "/api/v1/engagements", map[string]any{"program_id": w.program.ID, "name": "Third wave", "terms_of_use": "Terms",
			"join_policy": "invitation"}).Want(http.StatusCreated).Decode(&third)
		w.add(t, w.as["ec"], "/api/v1/engagements/"+third.ID+"/members?group=power_user", nil, w.users["pu"].ID)
		w.as["pu"].Do("POST", "/api/v1/engagements/"+third.ID+"/members/copy", map[string]any{"from_engagement_id": w.eng.ID, "all": true}).
			Want(http.StatusOK).Decode(&res)
		if res.Added != 31 {
			t.Errorf("power user copying all = %+v, want A's 31", res)
		}
		if n := e.Count(`SELECT count(*) FROM collab_members WHERE scope_id = $1 AND user_id = $2`, third.ID, string(w.users["bo"].ID)); n != 0 {
			t.Errorf("the power user copied B's participant")
		}

		// Last access: opening the engagement writes it, at most once an hour.
		w.as["pa"].Do("GET", "/api/v1/engagements/"+w.eng.ID, nil).Want(http.StatusOK)
		first := e.Strings(`SELECT last_access_at FROM collab_members WHERE scope_id = $1 AND user_id = $2`, w.eng.ID, string(w.users["pa"].ID))[0]
		if first == "0" {
			t.Errorf("last access not written")
		}
		e.Clock.Advance(10 * time.Minute)
		w.as["pa"].Do("GET", "/api/v1/engagements/"+w.eng.ID, nil).Want(http.StatusOK)
		if again := e.Strings(`SELECT last_access_at FROM collab_members WHERE scope_id = $1 AND user_id = $2`, w.eng.ID, string(w.users["pa"].ID))[0]; again != first {
			t.Errorf("last access rewritten within the hour: %s → %s", first, again)
		}

		// Export: a header and one row per participant, sorted by name.
		body := w.as["eo"].Do("GET", "/api/v1/engagements/"+w.eng.ID+"/members/export?group=participant", nil).Want(http.StatusOK).Body
		rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 33 || rows[0][0] == "" {
			t.Errorf("export has %d rows, want a header and 32: %q", len(rows), rows[:min(3, len(rows))])
		}
		var page httpapi.List[collab.Member]
		w.as["eo"].Do("GET", w.members("participant")+"&sort=last_access&order=desc&limit=1", nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.Items[0].UserID != w.users["pa"].ID || page.Items[0].LastAccessAt == nil || page.NextCursor == "" {
			t.Errorf("latest access first = %+v", page)
		}
		w.as["eo"].Do("GET", w.members("participant")+"&q=copy1", nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) != 10 {
			t.Errorf("search copy1 found %d, want 10", len(page.Items))
		}
	})
}
