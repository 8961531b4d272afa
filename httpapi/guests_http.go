package httpapi

import (
	"net/http"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/directory"
)

type guestInviteResponse struct {
	directory.GuestInvitation
}

type invitationAccept struct {
	// Token is the token of the invitation link (/guest/accept?token=…).
	Token string `json:"token"`
}

// organizationSwitch chooses the organization the session works in.
type organizationSwitch struct {
	OrgID atrium.OrgID `json:"org_id"`
}

// myOrganization is an organization the caller may work in.
type myOrganization struct {
	directory.GuestAccount
	// Current marks the organization the request acts in.
	Current bool `json:"current"`
}

var guestListQuery = []string{"q", "sort", "order", "limit", "cursor"}

// registerGuests adds the guest routes: a host's guests and invitations, accepting an
// invitation, and the caller's organizations with the switch between them.
func (s *Server) registerGuests() {
	s.handle(Route{Method: "GET", Path: "/api/v1/guests", Summary: "List the organization's guest users (people of other organizations); q searches as the user list does",
		Tag: "guests", Query: guestListQuery, Response: directory.UserPage{}},
		func(w http.ResponseWriter, r *http.Request) error {
			uq, err := userQuery(r, false)
			if err != nil {
				return err
			}
			page, err := s.Directory.ListGuests(r.Context(), principal(r), uq)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, page)
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/guests", Summary: "Invite a person of another organization as a guest, by email or username; the link is mailed, valid 14 days",
		Tag: "guests", Request: directory.GuestInvite{}, Response: guestInviteResponse{}, Status: http.StatusCreated},
		func(w http.ResponseWriter, r *http.Request) error {
			var in directory.GuestInvite
			if err := decode(w, r, &in); err != nil {
				return err
			}
			inv, _, err := s.Directory.InviteGuest(r.Context(), principal(r), in)
			if err != nil {
				return err
			}
			w.Header().Set("Location", "/api/v1/guest-invitations/"+inv.ID)
			return writeJSON(w, http.StatusCreated, guestInviteResponse{GuestInvitation: *inv})
		})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/guests/{id}", Summary: "Remove a guest user from the organization (restorable for 30 days); their home account stays",
		Tag: "guests", Status: http.StatusNoContent, ETag: true},
		func(w http.ResponseWriter, r *http.Request) error {
			version, err := ifMatch(r)
			if err != nil {
				return err
			}
			if err := s.Directory.RemoveGuest(r.Context(), principal(r), atrium.UserID(r.PathValue("id")), version); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/guest-invitations", Summary: "List the organization's guest invitations, newest first; state=pending lists those that can still be accepted",
		Tag: "guests", Query: []string{"state", "limit", "cursor"}, Response: List[directory.GuestInvitation]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			limit, err := Limit(r)
			if err != nil {
				return err
			}
			q := directory.InvitationQuery{Limit: limit, Cursor: r.URL.Query().Get("cursor")}
			switch r.URL.Query().Get("state") {
			case "":
			case "pending":
				q.Pending = true
			default:
				return atrium.FieldError("state", "must be pending or left out")
			}
			list, next, err := s.Directory.ListInvitations(r.Context(), principal(r), q)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, List[directory.GuestInvitation]{Items: list, NextCursor: next})
		})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/guest-invitations/{id}", Summary: "Revoke a pending guest invitation; its link stops working",
		Tag: "guests", Status: http.StatusNoContent},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := s.Directory.RevokeInvitation(r.Context(), principal(r), r.PathValue("id")); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/guest-invitations/accept", Summary: "Accept a guest invitation with your home account: creates your guest user in the inviting organization",
		Tag: "guests", Request: invitationAccept{}, Response: directory.User{}, Status: http.StatusCreated},
		func(w http.ResponseWriter, r *http.Request) error {
			var in invitationAccept
			if err := decode(w, r, &in); err != nil {
				return err
			}
			u, err := s.Auth.AcceptInvitation(r.Context(), IdentityFrom(r.Context()), in.Token)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusCreated, u)
		})
	s.handle(Route{Method: "GET", Path: "/api/v1/me/organizations", Summary: "The organizations you may work in: your home organization and those where you are a guest",
		Tag: "sessions", Response: List[myOrganization]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			id := IdentityFrom(r.Context())
			accounts, err := s.Auth.Organizations(r.Context(), id)
			if err != nil {
				return err
			}
			out := make([]myOrganization, len(accounts))
			for i, a := range accounts {
				out[i] = myOrganization{GuestAccount: a, Current: a.Org == id.Principal.Org}
			}
			return writeJSON(w, http.StatusOK, List[myOrganization]{Items: out})
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/me/organization", Summary: "Work with your account in another organization (a guest account) or back at home; later requests act there only",
		Tag: "sessions", Request: organizationSwitch{}, Response: myOrganization{}},
		func(w http.ResponseWriter, r *http.Request) error {
			var in organizationSwitch
			if err := decode(w, r, &in); err != nil {
				return err
			}
			a, err := s.Auth.SwitchOrganization(r.Context(), IdentityFrom(r.Context()), in.OrgID)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, myOrganization{GuestAccount: *a, Current: true})
		})
}
