package httpapi

import (
	"net/http"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/auth"
)

type tokenCreated struct {
	auth.APIToken
	// Token is the secret, shown this once.
	Token string `json:"token"`
}

func (s *Server) registerTokens() {
	s.handle(Route{Method: "GET", Path: "/api/v1/api-tokens", Summary: "List the organization's live API tokens, newest first; q searches their names", Tag: "api-tokens",
		Query: []string{"q", "limit", "cursor"}, Response: List[auth.APIToken]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			limit, err := Limit(r)
			if err != nil {
				return err
			}
			q := r.URL.Query()
			list, next, err := s.Auth.ListTokens(r.Context(), principal(r), auth.TokenQuery{Q: q.Get("q"), Limit: limit, Cursor: q.Get("cursor")})
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, List[auth.APIToken]{Items: list, NextCursor: next})
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/api-tokens", Summary: "Create an API token; its secret is shown once. It expires after 90 days unless expires_at is given or never_expires is true", Tag: "api-tokens",
		Request: auth.TokenInput{}, Response: tokenCreated{}, Status: http.StatusCreated},
		func(w http.ResponseWriter, r *http.Request) error {
			// The role is read as a pointer: the zero Role is global_admin, so a request
			// without one must not silently mint a Global administrator token.
			var in struct {
				Name         string       `json:"name"`
				Role         *access.Role `json:"role"`
				ExpiresAt    *time.Time   `json:"expires_at"`
				NeverExpires bool         `json:"never_expires"`
			}
			if err := decode(w, r, &in); err != nil {
				return err
			}
			if in.Role == nil {
				return atrium.FieldError("role", "is required; see GET /api/v1/roles")
			}
			t, secret, err := s.Auth.CreateToken(r.Context(), principal(r), auth.TokenInput{Name: in.Name, Role: *in.Role, ExpiresAt: in.ExpiresAt, NeverExpires: in.NeverExpires})
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusCreated, tokenCreated{APIToken: *t, Token: secret})
		})
	s.handle(Route{Method: "DELETE", Path: "/api/v1/api-tokens/{id}", Summary: "Revoke an API token", Tag: "api-tokens", Status: http.StatusNoContent},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := s.Auth.RevokeToken(r.Context(), principal(r), r.PathValue("id")); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		})
}
