package httpapi

import (
	"net/http"

	"github.com/atrium-admin/atrium/servicehealth"
)

func writeIssue(w http.ResponseWriter, status int, i *servicehealth.Issue) error {
	w.Header().Set("ETag", i.ETag())
	return writeJSON(w, status, i)
}

// ServiceHealth is the servicehealth module's API: the services' status, the issues
// of the caller's organization with their timelines, and the operator's publishing.
func ServiceHealth(svc *servicehealth.Service) Module {
	return func(s *Server) {
		s.handle(Route{Method: "GET", Path: "/api/v1/service-health", Summary: "Every service with its current status (the worst of its active issues; operational when none) and its active issues",
			Tag: "servicehealth", Response: List[servicehealth.ServiceStatus]{}},
			func(w http.ResponseWriter, r *http.Request) error {
				list, err := svc.Overview(r.Context(), principal(r))
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, List[servicehealth.ServiceStatus]{Items: list})
			})
		s.handle(Route{Method: "GET", Path: "/api/v1/service-health/issues", Summary: "The service health history: active issues and those resolved in the last 30 days, newest first; q matches a fragment of the title",
			Tag: "servicehealth", Query: []string{"q", "limit", "cursor"}, Response: List[servicehealth.Issue]{}},
			func(w http.ResponseWriter, r *http.Request) error {
				limit, err := Limit(r)
				if err != nil {
					return err
				}
				page, err := svc.Issues(r.Context(), principal(r), servicehealth.ListQuery{Q: r.URL.Query().Get("q"), Limit: limit, Cursor: r.URL.Query().Get("cursor")})
				if err != nil {
					return err
				}
				return writeJSON(w, http.StatusOK, List[servicehealth.Issue]{Items: page.Items, NextCursor: page.NextCursor})
			})
		s.handle(Route{Method: "POST", Path: "/api/v1/service-health/issues", Summary: "Open an incident or advisory on one or more services (operator staff with servicehealth.manage); it affects all organizations",
			Tag: "servicehealth", Request: servicehealth.IssueInput{}, Response: servicehealth.Issue{}, Status: http.StatusCreated, ETag: true},
			func(w http.ResponseWriter, r *http.Request) error {
				var in servicehealth.IssueInput
				if err := decode(w, r, &in); err != nil {
					return err
				}
				i, err := svc.CreateIssue(r.Context(), principal(r), in)
				if err != nil {
					return err
				}
				return writeIssue(w, http.StatusCreated, i)
			})
		s.handle(Route{Method: "GET", Path: "/api/v1/service-health/issues/{id}", Summary: "One service health issue with its posts, oldest first",
			Tag: "servicehealth", Response: servicehealth.Issue{}, ETag: true},
			func(w http.ResponseWriter, r *http.Request) error {
				i, err := svc.Issue(r.Context(), principal(r), r.PathValue("id"))
				if err != nil {
					return err
				}
				return writeIssue(w, http.StatusOK, i)
			})
		s.handle(Route{Method: "PATCH", Path: "/api/v1/service-health/issues/{id}", Summary: "Change an issue (operator staff): status resolved ends it and takes a post_incident_report, another status reopens it",
			Tag: "servicehealth", Request: servicehealth.IssuePatch{}, Response: servicehealth.Issue{}, ETag: true},
			func(w http.ResponseWriter, r *http.Request) error {
				version, err := ifMatch(r)
				if err != nil {
					return err
				}
				var in servicehealth.IssuePatch
				if err := decode(w, r, &in); err != nil {
					return err
				}
				i, err := svc.UpdateIssue(r.Context(), principal(r), r.PathValue("id"), version, in)
				if err != nil {
					return err
				}
				return writeIssue(w, http.StatusOK, i)
			})
		s.handle(Route{Method: "POST", Path: "/api/v1/service-health/issues/{id}/posts", Summary: "Post an update to an issue's timeline (operator staff), optionally with its new status",
			Tag: "servicehealth", Request: servicehealth.PostInput{}, Response: servicehealth.Issue{}, Status: http.StatusCreated, ETag: true},
			func(w http.ResponseWriter, r *http.Request) error {
				var in servicehealth.PostInput
				if err := decode(w, r, &in); err != nil {
					return err
				}
				i, err := svc.AddPost(r.Context(), principal(r), r.PathValue("id"), in)
				if err != nil {
					return err
				}
				return writeIssue(w, http.StatusCreated, i)
			})
	}
}
