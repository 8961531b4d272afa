package httpapi_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/collab"
	"github.com/atrium-admin/atrium/httpapi"
)

// TestCollabSettings: the operator's administrators read and change when inactive people
// lose their access; bad values name their field; nobody else sees the settings.
func TestCollabSettings(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		op := e.Operator()
		var set collab.Settings
		res := op.Do("GET", "/api/v1/collab-settings", nil).Want(http.StatusOK).Decode(&set)
		if set.InactivityDays != 180 || !slices.Equal(set.NoticeDays, []int{30, 14, 1}) {
			t.Fatalf("default settings = %+v", set)
		}
		etag := res.Header.Get("ETag")
		for body, field := range map[string]string{
			`{"inactivity_days": 20}`:                         "inactivity_days",
			`{"inactivity_days": 731}`:                        "inactivity_days",
			`{"notice_days": [30, 30]}`:                       "notice_days",
			`{"notice_days": [1, 2, 3, 4, 5, 6]}`:             "notice_days",
			`{"inactivity_days": 60, "notice_days": [60, 1]}`: "notice_days",
			`{"notice_days": [0]}`:                            "notice_days",
		} {
			op.Do("PATCH", "/api/v1/collab-settings", body).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, field)
		}
		if n := e.Count(`SELECT count(*) FROM collab_settings`); n != 0 {
			t.Fatalf("refused changes stored %d rows", n)
		}
		op.DoHeader("PATCH", "/api/v1/collab-settings", map[string]any{"inactivity_days": 90, "notice_days": []int{7, 21}},
			http.Header{"If-Match": {etag}}).Want(http.StatusOK).Decode(&set)
		if set.InactivityDays != 90 || !slices.Equal(set.NoticeDays, []int{21, 7}) || set.Version != 2 {
			t.Fatalf("changed settings = %+v", set)
		}
		op.DoHeader("PATCH", "/api/v1/collab-settings", map[string]any{"inactivity_days": 100}, http.Header{"If-Match": {etag}}).
			WantProblem(http.StatusPreconditionFailed, atrium.CodePreconditionFailed)
		partner := e.Signup("Partner Co", "partnerco")
		partner.Admin.Do("GET", "/api/v1/collab-settings", nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		partner.Admin.Do("PATCH", "/api/v1/collab-settings", map[string]any{"inactivity_days": 30}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		staff := e.SignIn(op.CreateUser("staffer").Username, apptest.Password)
		staff.Do("GET", "/api/v1/collab-settings", nil).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE action = 'program.settings_update'`); n != 1 {
			t.Errorf("settings audit entries: %d, want 1", n)
		}
	})
}

// TestCollabInactivity moves the clock across days 150, 166, 179 and 180 after everyone
// joined: each notice goes once (also with two sweeps at once), activity on day 170
// resets a person's clock, day 180 deactivates the others' memberships (kept, marked),
// owners see the scheduled deactivation and filter by it, and adding the person again
// gives the membership back.
func TestCollabInactivity(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		w := newCollabWorld(t, e, collab.Open)
		svc := app.Need[*collab.Service](e.Main.Kernel)
		notices := func(addr string) []string {
			return e.Strings(`SELECT subject FROM mail_outbox WHERE template = 'collab_inactivity_notice' AND to_addr = $1 ORDER BY created_at, id`, addr)
		}
		sweep := func() collab.SweepResult {
			t.Helper()
			res, err := svc.SweepInactive(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		at := func(d int) {
			t.Helper()
			e.Clock.Advance(apptest.Epoch.Add(time.Duration(d) * 24 * time.Hour).Sub(e.Clock.Now()))
		}
		const pa, bo = "pa@mail.example.com", "bo@mail.example.com"

		at(149)
		if r := sweep(); len(r.Notices) != 0 || r.People != 0 {
			t.Fatalf("day 149 swept %+v", r)
		}
		at(150)
		// The daily job runs the sweep; a second sweep that day sends nothing more.
		e.Main.Queue.SchedulePeriodic(t.Context())
		e.RunJobs()
		if got := notices(pa); !slices.Equal(got, []string{"Your collaboration access ends in 30 days"}) {
			t.Fatalf("day 150 notices to pa: %q", got)
		}
		if r := sweep(); len(r.Notices) != 0 {
			t.Fatalf("a second sweep on day 150 sent %+v", r.Notices)
		}
		// Owners see it coming and can filter by it.
		eo := e.SignIn(w.staff["eo"].Username, apptest.Password)
		var page httpapi.List[collab.Member]
		eo.Do("GET", w.members("participant"), nil).Want(http.StatusOK).Decode(&page)
		for _, m := range page.Items {
			if m.DeactivationScheduledAt == nil || !m.DeactivationScheduledAt.Equal(apptest.Epoch.Add(180*24*time.Hour)) {
				t.Errorf("day 150: %s deactivation scheduled at %v", m.Username, m.DeactivationScheduledAt)
			}
		}

		// Day 166: two sweeps at once (two nodes) send the 14-day notice once.
		at(166)
		var wg sync.WaitGroup
		results := make([]collab.SweepResult, 2)
		for i := range results {
			wg.Go(func() {
				r, err := svc.SweepInactive(t.Context())
				if err != nil {
					t.Error(err)
				}
				results[i] = r
			})
		}
		wg.Wait()
		if got := notices(pa); len(got) != 2 || got[1] != "Your collaboration access ends in 14 days" {
			t.Fatalf("day 166 notices to pa: %q", got)
		}
		if a, b := results[0].Notices[14], results[1].Notices[14]; a+b == 0 || a+b != e.Count(`SELECT count(*) FROM collab_people WHERE notice = 14`) {
			t.Errorf("concurrent sweeps counted %d + %d 14-day notices", a, b)
		}

		// Day 170: bo and the engagement owner use the engagement; their clocks restart.
		at(170)
		boC, eo := e.SignIn(w.users["bo"].Username, apptest.Password), e.SignIn(w.staff["eo"].Username, apptest.Password)
		boC.Do("GET", "/api/v1/engagements/"+w.eng.ID, nil).Want(http.StatusOK)
		eo.Do("GET", "/api/v1/engagements/"+w.eng.ID, nil).Want(http.StatusOK)
		eo.Do("GET", w.members("participant")+"&state=scheduled", nil).Want(http.StatusOK).Decode(&page)
		var scheduled []string
		for _, m := range page.Items {
			scheduled = append(scheduled, m.Username)
		}
		if !slices.Equal(scheduled, []string{w.users["pa"].Username}) {
			t.Errorf("day 170 scheduled participants = %v, want pa only", scheduled)
		}

		at(179)
		sweep()
		if got := notices(pa); len(got) != 3 || got[2] != "Your collaboration access ends in 1 day" {
			t.Fatalf("day 179 notices to pa: %q", got)
		}
		if got := notices(bo); len(got) != 2 {
			t.Errorf("bo, active on day 170, got notices %q", got)
		}

		// Day 180: pa's memberships are deactivated, kept and marked; bo's stay.
		at(180)
		r := sweep()
		if r.People == 0 || r.Memberships < r.People {
			t.Fatalf("day 180 sweep = %+v", r)
		}
		if r := sweep(); r.People != 0 || len(r.Notices) != 0 {
			t.Fatalf("a second sweep on day 180 did %+v", r)
		}
		if n := e.Count(`SELECT count(*) FROM mail_outbox WHERE template = 'collab_access_deactivated' AND to_addr = $1`, pa); n != 1 {
			t.Errorf("pa got %d deactivation mails, want 1", n)
		}
		if n := e.Count(`SELECT count(*) FROM mail_outbox WHERE template = 'collab_access_deactivated' AND to_addr = $1`, bo); n != 0 {
			t.Errorf("bo got %d deactivation mails", n)
		}
		if got := notices(pa); len(got) != 3 {
			t.Errorf("pa's notices after deactivation: %q", got)
		}
		eo = e.SignIn(w.staff["eo"].Username, apptest.Password)
		eo.Do("GET", w.members("participant")+"&state=deactivated", nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.Items[0].UserID != w.users["pa"].ID || page.Items[0].DeactivatedAt == nil {
			t.Fatalf("deactivated participants = %+v", page.Items)
		}
		eo.Do("GET", w.members("participant")+"&state=active", nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.Items[0].UserID != w.users["bo"].ID {
			t.Fatalf("active participants = %+v", page.Items)
		}
		paC := e.SignIn(w.users["pa"].Username, apptest.Password)
		var mine httpapi.List[collab.Engagement]
		paC.Do("GET", "/api/v1/engagements", nil).Want(http.StatusOK).Decode(&mine)
		if len(mine.Items) != 0 {
			t.Errorf("deactivated pa still lists %d engagements", len(mine.Items))
		}
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE action = 'engagement.member_deactivate' AND target_id = $1`, w.eng.ID); n < 1 {
			t.Errorf("no deactivation audit entries")
		}
		if n := e.Count(`SELECT count(*) FROM events WHERE type = 'engagement.access_deactivated'`); n != r.People {
			t.Errorf("deactivation events: %d, want %d", n, r.People)
		}

		// pa asks for her access back: the request is filled with what she lost.
		var past httpapi.List[collab.PastMembership]
		paC.Do("GET", "/api/v1/me/collab-access", nil).Want(http.StatusOK).Decode(&past)
		if len(past.Items) != 1 || past.Items[0].ScopeID != w.eng.ID || past.Items[0].Group != collab.Participant || past.Items[0].Pending {
			t.Fatalf("pa's past memberships = %+v", past.Items)
		}
		paC.Do("POST", "/api/v1/me/collab-access/restore", map[string]any{}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "justification")
		paC.Do("POST", "/api/v1/me/collab-access/restore", map[string]any{"justification": "Back from leave", "engagement_ids": []string{"nope"}}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "engagement_ids")
		var asked httpapi.List[collab.AccessRequest]
		paC.Do("POST", "/api/v1/me/collab-access/restore", map[string]any{"justification": "Back from leave"}).Want(http.StatusCreated).Decode(&asked)
		if len(asked.Items) != 1 || asked.Items[0].EngagementID != w.eng.ID {
			t.Fatalf("restore requests = %+v", asked.Items)
		}
		paC.Do("POST", "/api/v1/me/collab-access/restore", map[string]any{"justification": "Again"}).Want(http.StatusCreated).Decode(&asked)
		if len(asked.Items) != 0 {
			t.Fatalf("a second restore filed %+v", asked.Items)
		}
		paC.Do("GET", "/api/v1/me/collab-access", nil).Want(http.StatusOK).Decode(&past)
		if len(past.Items) != 1 || !past.Items[0].Pending {
			t.Fatalf("pa's past memberships after asking = %+v", past.Items)
		}
		var rid string
		{
			var reqs httpapi.List[collab.AccessRequest]
			eo.Do("GET", "/api/v1/engagements/"+w.eng.ID+"/access-requests", nil).Want(http.StatusOK).Decode(&reqs)
			if len(reqs.Items) != 1 || reqs.Items[0].UserID != w.users["pa"].ID {
				t.Fatalf("the owner's queue = %+v", reqs.Items)
			}
			rid = reqs.Items[0].ID
		}
		eo.Do("POST", "/api/v1/engagements/"+w.eng.ID+"/access-requests/"+rid+"/approve", map[string]any{}).Want(http.StatusOK)
		eo.Do("GET", w.members("participant")+"&state=active", nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) != 2 {
			t.Fatalf("after the approval, active participants = %+v", page.Items)
		}
		paC.Do("GET", "/api/v1/engagements/"+w.eng.ID, nil).Want(http.StatusOK)
		// The owner adds the power user again: that membership comes back too.
		w.add(t, eo, w.members("power_user"), nil, w.users["pu"].ID)
		eo.Do("GET", w.members("power_user")+"&state=active", nil).Want(http.StatusOK).Decode(&page)
		if len(page.Items) != 1 || page.Items[0].UserID != w.users["pu"].ID {
			t.Fatalf("after re-adding, active power users = %+v", page.Items)
		}
		at(200)
		sweep()
		if got := notices(pa); len(got) != 3 {
			t.Errorf("pa, back on day 180, was noticed again by day 200: %q", got)
		}
	})
}
