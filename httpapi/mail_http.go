package httpapi

import (
	"net/http"

	"github.com/atrium-admin/atrium/mail"
)

func (s *Server) registerMail() {
	s.handle(Route{Method: "GET", Path: "/api/v1/outgoing-mail", Summary: "Outgoing mail in the outbox, newest first (operator staff)", Tag: "mail",
		Query: []string{"q", "limit", "cursor"}, Response: List[mail.Rendered]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			limit, err := Limit(r)
			if err != nil {
				return err
			}
			list, next, err := s.Outbox.ListFor(r.Context(), principal(r), mail.ListFilter{To: r.URL.Query().Get("q"), Limit: limit, Cursor: r.URL.Query().Get("cursor")})
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, List[mail.Rendered]{Items: list, NextCursor: next})
		})
	s.handle(Route{Method: "POST", Path: "/api/v1/outgoing-mail/{id}/resend",
		Summary: "Send a message again: a copy with a new id is queued for the SMTP server (operator staff)", Tag: "mail",
		Response: mail.Rendered{}, Status: http.StatusCreated},
		func(w http.ResponseWriter, r *http.Request) error {
			m, err := s.Outbox.ResendFor(r.Context(), principal(r), r.PathValue("id"))
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusCreated, m)
		})
}
