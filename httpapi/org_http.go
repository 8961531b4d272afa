package httpapi

import (
	"net/http"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/directory"
)

func (s *Server) registerOrganizations() {
	writeOrg := func(w http.ResponseWriter, org *directory.Organization) error {
		w.Header().Set("ETag", org.ETag())
		return writeJSON(w, http.StatusOK, org)
	}
	s.handle(Route{Method: "GET", Path: "/api/v1/organization", Summary: "Your organization, with its profile", Tag: "organizations",
		Response: directory.Organization{}, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			p := principal(r)
			org, err := s.Directory.GetOrganization(r.Context(), p, p.Org)
			if err != nil {
				return err
			}
			return writeOrg(w, org)
		})
	s.handle(Route{Method: "PATCH", Path: "/api/v1/organization",
		Summary: "Edit your organization's profile: name, country (new users' default usage location), address, technical contact, language (Global admins)",
		Tag:     "organizations", Request: directory.OrgProfilePatch{}, Response: directory.Organization{}, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			version, err := ifMatch(r)
			if err != nil {
				return err
			}
			var patch directory.OrgProfilePatch
			if err := decode(w, r, &patch); err != nil {
				return err
			}
			org, err := s.Directory.UpdateOrgProfile(r.Context(), principal(r), patch, version)
			if err != nil {
				return err
			}
			return writeOrg(w, org)
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/organizations", Summary: "All organizations with their state (operator staff)", Tag: "organizations",
		Query: []string{"q", "state", "limit", "cursor"}, Response: List[directory.Organization]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			limit, err := Limit(r)
			if err != nil {
				return err
			}
			q := r.URL.Query()
			state := directory.OrgState(q.Get("state"))
			switch state {
			case "", directory.OrgProvisioning, directory.OrgActive, directory.OrgSuspended, directory.OrgDeleted:
			default:
				return atrium.FieldError("state", "must be provisioning, active, suspended or deleted")
			}
			list, next, err := s.Directory.ListOrganizations(r.Context(), principal(r), directory.OrgListQuery{Q: q.Get("q"), State: state, Limit: limit, Cursor: q.Get("cursor")})
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, List[directory.Organization]{Items: list, NextCursor: next})
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/organizations/{id}", Summary: "One organization: your own, or any for operator staff", Tag: "organizations",
		Response: directory.Organization{}},
		func(w http.ResponseWriter, r *http.Request) error {
			org, err := s.Directory.GetOrganization(r.Context(), principal(r), atrium.OrgID(r.PathValue("id")))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, org)
		})
	suspend := func(suspended bool) Handler {
		return func(w http.ResponseWriter, r *http.Request) error {
			org, err := s.Directory.SetOrgSuspended(r.Context(), principal(r), atrium.OrgID(r.PathValue("id")), suspended)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, org)
		}
	}
	s.handle(Route{Method: "POST", Path: "/api/v1/organizations/{id}/suspend", Summary: "Suspend an organization; its members cannot sign in (operator staff)",
		Tag: "organizations", Response: directory.Organization{}}, suspend(true))
	s.handle(Route{Method: "POST", Path: "/api/v1/organizations/{id}/reactivate", Summary: "Reactivate a suspended organization (operator staff)",
		Tag: "organizations", Response: directory.Organization{}}, suspend(false))
	s.handle(Route{Method: "POST", Path: "/api/v1/organizations/{id}/delete",
		Summary: "Delete a suspended organization; restorable for 30 days, then purged with all its data (operator staff). confirm repeats its name",
		Tag:     "organizations", Request: OrgDeleteRequest{}, Response: directory.Organization{}},
		func(w http.ResponseWriter, r *http.Request) error {
			var in OrgDeleteRequest
			if err := decode(w, r, &in); err != nil {
				return err
			}
			org, err := s.Directory.DeleteOrg(r.Context(), principal(r), atrium.OrgID(r.PathValue("id")), in.Confirm)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, org)
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/organizations/{id}/restore", Summary: "Restore a deleted organization before it is purged; it comes back suspended (operator staff)",
		Tag: "organizations", Response: directory.Organization{}},
		func(w http.ResponseWriter, r *http.Request) error {
			org, err := s.Directory.RestoreOrg(r.Context(), principal(r), atrium.OrgID(r.PathValue("id")))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, org)
		})
}

// OrgDeleteRequest confirms the deletion of an organization by its name.
type OrgDeleteRequest struct {
	Confirm string `json:"confirm"`
}
