package httpapi

import (
	"net/http"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/directory"
)

// RoleInfo describes one admin role and who holds it.
type RoleInfo struct {
	Name        string       `json:"name"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	Operator    bool         `json:"operator"`
	Actions     []string     `json:"actions"`
	Holders     []roleHolder `json:"holders"`
}

type roleHolder struct {
	ID          atrium.UserID `json:"id"`
	Username    string        `json:"username"`
	DisplayName string        `json:"display_name"`
}

// RoleInfos lists the roles relevant to p's organization with their holders.
func (s *Server) RoleInfos(r *http.Request, p *access.Principal) ([]RoleInfo, error) {
	holders, err := s.Directory.RoleHolders(r.Context(), p)
	if err != nil {
		return nil, err
	}
	org, err := s.Directory.Org(r.Context(), p.Org)
	if err != nil {
		return nil, err
	}
	out := []RoleInfo{}
	for _, role := range access.Roles() {
		if (role.Operator() && !org.Operator) || role.Scope() != access.ScopeOrg {
			continue // a group's roles come with its membership and are listed there
		}
		info := RoleInfo{Name: role.String(), Title: role.Title(), Description: role.Description(), Operator: role.Operator(),
			Actions: []string{}, Holders: []roleHolder{}}
		for _, a := range access.Actions() {
			if role.Allows(a) {
				info.Actions = append(info.Actions, a.String())
			}
		}
		for _, u := range holders[role] {
			info.Holders = append(info.Holders, roleHolder{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName})
		}
		out = append(out, info)
	}
	return out, nil
}

func (s *Server) registerRoles() {
	s.handle(Route{Method: "GET", Path: "/api/v1/roles", Summary: "Admin roles, what they allow, and who holds them", Tag: "roles",
		Response: List[RoleInfo]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			infos, err := s.RoleInfos(r, principal(r))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, List[RoleInfo]{Items: infos})
		})
	roleChange := func(assign bool) Handler {
		return func(w http.ResponseWriter, r *http.Request) error {
			role, ok := access.ParseRole(r.PathValue("role"))
			if !ok {
				return atrium.FieldError("role", "is not a role; see GET /api/v1/roles")
			}
			id := atrium.UserID(r.PathValue("id"))
			var u *directory.User
			var err error
			if assign {
				u, err = s.Directory.AssignRole(r.Context(), principal(r), id, role)
			} else {
				u, err = s.Directory.RemoveRole(r.Context(), principal(r), id, role)
			}
			if err != nil {
				return err
			}
			return writeUser(w, http.StatusOK, u)
		}
	}
	s.handle(Route{Method: "PUT", Path: "/api/v1/users/{id}/roles/{role}", Summary: "Assign an admin role to a user", Tag: "roles",
		Response: directory.User{}}, roleChange(true))
	s.handle(Route{Method: "DELETE", Path: "/api/v1/users/{id}/roles/{role}", Summary: "Remove an admin role from a user", Tag: "roles",
		Response: directory.User{}}, roleChange(false))
}
