package httpapi_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/httpapi"
	"github.com/atrium-admin/atrium/servicehealth"
)

// healthOf returns the status and active issues of service on c's dashboard.
func healthOf(t *testing.T, c *apptest.Client, service servicehealth.ServiceCode) servicehealth.ServiceStatus {
	t.Helper()
	var list httpapi.List[servicehealth.ServiceStatus]
	c.Do("GET", "/api/v1/service-health", nil).Want(http.StatusOK).Decode(&list)
	if len(list.Items) != len(servicehealth.Services) {
		t.Fatalf("dashboard lists %d services, want %d: %+v", len(list.Items), len(servicehealth.Services), list.Items)
	}
	for _, s := range list.Items {
		if s.Service == service {
			return s
		}
	}
	t.Fatalf("dashboard has no %s: %+v", service, list.Items)
	return servicehealth.ServiceStatus{}
}

func historyIDs(t *testing.T, c *apptest.Client, query string) []string {
	t.Helper()
	var page httpapi.List[servicehealth.Issue]
	c.Do("GET", "/api/v1/service-health/issues"+query, nil).Want(http.StatusOK).Decode(&page)
	var out []string
	for _, i := range page.Items {
		out = append(out, i.ID)
	}
	return out
}

// TestServiceHealth: the operator's admin opens an incident on mail; a partner's user
// sees mail degraded and the issue with its timeline; posts and resolving change the
// status and set the end time; the history keeps a resolved issue 30 days.
func TestServiceHealth(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		op := e.Operator()
		operator := e.Strings("SELECT id FROM organizations WHERE operator = TRUE")[0]
		partner := e.Signup("Health Partners", "healthp")
		pat := partner.Admin.CreateUser("pat")
		pc := e.SignIn(pat.Username, apptest.Password)

		if s := healthOf(t, pc, servicehealth.Mail); s.Status != servicehealth.Operational || len(s.ActiveIssueIDs) != 0 {
			t.Fatalf("mail before the incident: %+v", s)
		}
		started := e.Clock.Now().Add(-10 * time.Minute).Truncate(time.Second)
		var issue servicehealth.Issue
		res := op.Do("POST", "/api/v1/service-health/issues", map[string]any{"title": "Mail to Gmail is delayed", "classification": "incident",
			"services": []string{"mail"}, "status": "degraded", "impact": "Messages to Gmail addresses arrive up to an hour late.",
			"feature": "Outgoing mail", "started_at": started}).Want(http.StatusCreated).Decode(&issue)
		if res.Header.Get("ETag") == "" || issue.Status != servicehealth.Degraded || !issue.StartedAt.Equal(started) || issue.EndedAt != nil ||
			!slices.Equal(issue.Services, []servicehealth.ServiceCode{servicehealth.Mail}) || issue.Target != servicehealth.TargetAll {
			t.Fatalf("created %+v (ETag %q)", issue, res.Header.Get("ETag"))
		}

		mail := healthOf(t, pc, servicehealth.Mail)
		if mail.Status != servicehealth.Degraded || !slices.Equal(mail.ActiveIssueIDs, []string{issue.ID}) {
			t.Fatalf("mail during the incident: %+v", mail)
		}
		if s := healthOf(t, pc, servicehealth.SignIn); s.Status != servicehealth.Operational {
			t.Fatalf("sign-in during a mail incident: %+v", s)
		}
		// An advisory on mail and sign-in: mail stays at the worse status.
		var advisory servicehealth.Issue
		op.Do("POST", "/api/v1/service-health/issues", map[string]any{"title": "Sign-in pages load slowly", "classification": "advisory",
			"services": []string{"signin", "mail"}, "status": "investigating", "impact": "Some pages are slow."}).Want(http.StatusCreated).Decode(&advisory)
		if s := healthOf(t, pc, servicehealth.Mail); s.Status != servicehealth.Degraded || len(s.ActiveIssueIDs) != 2 {
			t.Fatalf("mail with an incident and an advisory: %+v", s)
		}
		if s := healthOf(t, pc, servicehealth.SignIn); s.Status != servicehealth.Investigating {
			t.Fatalf("sign-in with the advisory: %+v", s)
		}

		e.Clock.Advance(5 * time.Minute)
		op.Do("POST", "/api/v1/service-health/issues/"+issue.ID+"/posts", map[string]any{"text": "We are rerouting mail through another relay."}).
			Want(http.StatusCreated)
		e.Clock.Advance(5 * time.Minute)
		op.Do("POST", "/api/v1/service-health/issues/"+issue.ID+"/posts", map[string]any{"text": "Mail is flowing again; the queue drains.", "status": "restoring"}).
			Want(http.StatusCreated)
		var seen servicehealth.Issue
		res = pc.Do("GET", "/api/v1/service-health/issues/"+issue.ID, nil).Want(http.StatusOK).Decode(&seen)
		if seen.Status != servicehealth.Restoring || len(seen.Posts) != 2 || seen.Posts[0].Status != servicehealth.Degraded ||
			seen.Posts[1].Status != servicehealth.Restoring || !seen.Posts[0].Time.Before(seen.Posts[1].Time) ||
			seen.Posts[0].Text != "We are rerouting mail through another relay." {
			t.Fatalf("the partner sees %+v", seen)
		}
		if s := healthOf(t, pc, servicehealth.Mail); s.Status != servicehealth.Restoring {
			t.Fatalf("mail while restoring: %+v", s)
		}
		etag := res.Header.Get("ETag")

		// A partner's Global admin publishes nothing.
		partner.Admin.Do("POST", "/api/v1/service-health/issues", map[string]any{"title": "Fake", "classification": "incident",
			"services": []string{"api"}, "status": "interrupted", "impact": "None"}).WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		partner.Admin.Do("PATCH", "/api/v1/service-health/issues/"+issue.ID, map[string]any{"status": "resolved"}).
			WantProblem(http.StatusForbidden, atrium.CodeForbidden)
		partner.Admin.Do("POST", "/api/v1/service-health/issues/"+issue.ID+"/posts", map[string]any{"text": "All good"}).
			WantProblem(http.StatusForbidden, atrium.CodeForbidden)

		e.Clock.Advance(time.Hour)
		var done servicehealth.Issue
		op.DoHeader("PATCH", "/api/v1/service-health/issues/"+issue.ID, map[string]any{"status": "resolved",
			"post_incident_report": "A relay's certificate expired; we now monitor its expiry."}, http.Header{"If-Match": {etag}}).
			Want(http.StatusOK).Decode(&done)
		if done.Status != servicehealth.Resolved || done.EndedAt == nil || !done.EndedAt.Equal(e.Clock.Now()) || done.PostIncidentReport == "" {
			t.Fatalf("resolved %+v at %v", done, e.Clock.Now())
		}
		op.DoHeader("PATCH", "/api/v1/service-health/issues/"+issue.ID, map[string]any{"title": "Late"}, http.Header{"If-Match": {etag}}).
			WantProblem(http.StatusPreconditionFailed, atrium.CodePreconditionFailed)
		if s := healthOf(t, pc, servicehealth.Mail); s.Status != servicehealth.Investigating || !slices.Equal(s.ActiveIssueIDs, []string{advisory.ID}) {
			t.Fatalf("mail once the incident is resolved: %+v", s)
		}
		op.Do("POST", "/api/v1/service-health/issues/"+advisory.ID+"/posts", map[string]any{"text": "Fixed.", "status": "resolved"}).
			Want(http.StatusCreated)
		if s := healthOf(t, pc, servicehealth.Mail); s.Status != servicehealth.Operational || len(s.ActiveIssueIDs) != 0 {
			t.Fatalf("mail with nothing active: %+v", s)
		}

		if got := historyIDs(t, pc, ""); !slices.Equal(got, []string{advisory.ID, issue.ID}) {
			t.Fatalf("history %v, want the advisory then the incident", got)
		}
		if got := historyIDs(t, pc, "?q=GMAIL"); !slices.Equal(got, []string{issue.ID}) {
			t.Fatalf("history for gmail %v", got)
		}
		if got := historyIDs(t, pc, "?limit=1"); len(got) != 1 {
			t.Fatalf("a page of one: %v", got)
		}
		e.Clock.Advance(31 * 24 * time.Hour)
		pc = e.SignIn(pat.Username, apptest.Password)
		if got := historyIDs(t, pc, ""); len(got) != 0 {
			t.Fatalf("history after 31 days: %v", got)
		}
		pc.Do("GET", "/api/v1/service-health/issues/"+issue.ID, nil).Want(http.StatusOK)

		for typ, want := range map[string]int{"servicehealth.issue_created": 2, "servicehealth.issue_updated": 2, "servicehealth.issue_resolved": 2} {
			if n := e.Count("SELECT count(*) FROM events WHERE type = $1 AND org_id = $2", typ, operator); n != want {
				t.Errorf("%d %s events, want %d", n, typ, want)
			}
		}
		for action, want := range map[string]int{"servicehealth.issue_create": 2, "servicehealth.issue_post": 3, "servicehealth.issue_resolve": 2} {
			if n := e.Count("SELECT count(*) FROM audit_log WHERE action = $1 AND org_id = $2", action, operator); n != want {
				t.Errorf("%d %s audit entries, want %d", n, action, want)
			}
		}
	})
}

// TestServiceHealthBadInput: every bad field is a problem naming it, and nothing is
// written.
func TestServiceHealthBadInput(t *testing.T) {
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		op := e.Operator()
		good := func() map[string]any {
			return map[string]any{"title": "API errors", "classification": "incident", "services": []string{"api"}, "status": "interrupted",
				"impact": "Calls fail with 503."}
		}
		var issue servicehealth.Issue
		op.Do("POST", "/api/v1/service-health/issues", good()).Want(http.StatusCreated).Decode(&issue)
		counts := func() []int {
			return []int{e.Count("SELECT count(*) FROM servicehealth_issues"), e.Count("SELECT count(*) FROM servicehealth_posts"),
				e.Count("SELECT count(*) FROM audit_log WHERE action LIKE 'servicehealth.%'"), e.Count("SELECT count(*) FROM events WHERE type LIKE 'servicehealth.%'"),
				e.Count("SELECT version FROM servicehealth_issues WHERE id = $1", issue.ID)}
		}
		before := counts()
		create := map[string]struct {
			field string
			set   map[string]any
		}{
			"no title":             {"title", map[string]any{"title": " "}},
			"long title":           {"title", map[string]any{"title": string(make([]byte, 300))}},
			"unknown class":        {"classification", map[string]any{"classification": "outage"}},
			"no services":          {"services", map[string]any{"services": []string{}}},
			"unknown service":      {"services", map[string]any{"services": []string{"api", "billing"}}},
			"unknown status":       {"status", map[string]any{"status": "down"}},
			"operational issue":    {"status", map[string]any{"status": "operational"}},
			"no impact":            {"impact", map[string]any{"impact": ""}},
			"ancient start":        {"started_at", map[string]any{"started_at": "1999-01-01T00:00:00Z"}},
			"targets":              {"target_org_ids", map[string]any{"target_org_ids": []string{"x"}}},
			"report while active":  {"post_incident_report", map[string]any{"post_incident_report": "Too early"}},
			"control in the title": {"title", map[string]any{"title": "API\x00"}},
		}
		for name, c := range create {
			t.Run("create "+name, func(t *testing.T) {
				body := good()
				for k, v := range c.set {
					body[k] = v
				}
				op.For(t).Do("POST", "/api/v1/service-health/issues", body).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, c.field)
			})
		}
		path := "/api/v1/service-health/issues/" + issue.ID
		patch := map[string]struct {
			field string
			body  map[string]any
		}{
			"status":     {"status", map[string]any{"status": "fine"}},
			"services":   {"services", map[string]any{"services": []string{}}},
			"title":      {"title", map[string]any{"title": ""}},
			"early file": {"post_incident_report", map[string]any{"post_incident_report": "Not yet"}},
		}
		for name, c := range patch {
			t.Run("patch "+name, func(t *testing.T) {
				op.For(t).Do("PATCH", path, c.body).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, c.field)
			})
		}
		op.Do("POST", path+"/posts", map[string]any{"text": ""}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "text")
		op.Do("POST", path+"/posts", map[string]any{"text": "Hm", "status": "gone"}).WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "status")
		op.Do("POST", path+"/posts", map[string]any{"text": "Hm", "post_incident_report": "Early"}).
			WantProblem(http.StatusBadRequest, atrium.CodeInvalid, "post_incident_report")
		op.Do("GET", "/api/v1/service-health/issues/nothing", nil).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		op.Do("POST", "/api/v1/service-health/issues/nothing/posts", map[string]any{"text": "Hm"}).WantProblem(http.StatusNotFound, atrium.CodeNotFound)
		if after := counts(); !slices.Equal(before, after) {
			t.Fatalf("bad input wrote: before %v, after %v", before, after)
		}
	})
}
