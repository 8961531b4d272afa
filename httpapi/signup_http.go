package httpapi

import (
	"net/http"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/directory"
)

type signupAdmin struct {
	ID       atrium.UserID `json:"id"`
	Username string        `json:"username"`
}

type signupResponse struct {
	Organization directory.Organization `json:"organization"`
	Admin        signupAdmin            `json:"admin"`
}

func (s *Server) registerSignup() {
	s.handle(Route{Method: "POST", Path: "/api/v1/signup", Summary: "Sign up a new organization and its first Global administrator", Tag: "organizations",
		Public: true, Request: directory.SignupInput{}, Response: signupResponse{}, Status: http.StatusCreated},
		func(w http.ResponseWriter, r *http.Request) error {
			if ok, wait := s.signups.Take(ClientIP(r), s.Clock.Now()); !ok {
				return RateLimited(wait, "Too many sign-ups from your address.")
			}
			var in directory.SignupInput
			if err := decode(w, r, &in); err != nil {
				return err
			}
			res, err := s.Directory.Signup(r.Context(), in)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusCreated, signupResponse{Organization: res.Organization,
				Admin: signupAdmin{ID: res.Admin.ID, Username: res.Admin.Username}})
		})
}
