package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/atrium-admin/atrium"
)

// UserExport is the route that streams the user list as CSV (Users > Active users >
// Export users).
func UserExport() Module {
	return func(s *Server) {
		s.handle(Route{Method: "GET", Path: "/api/v1/users/export",
			Summary: "Every user matching the list's filters as CSV (text/csv), streamed: q, sort, order, filter as on GET /api/v1/users; deleted=true for deleted users",
			Tag:     "users", Query: []string{"q", "sort", "order", "filter", "deleted"}},
			func(w http.ResponseWriter, r *http.Request) error {
				deleted := false
				if v := r.URL.Query().Get("deleted"); v != "" {
					b, err := strconv.ParseBool(v)
					if err != nil {
						return atrium.FieldError("deleted", "must be true or false")
					}
					deleted = b
				}
				uq, err := userQuery(r, deleted)
				if err != nil && atrium.FieldMessage(err, "limit") == "" {
					return err
				}
				name := "users.csv"
				if deleted {
					name = "deleted-users.csv"
				}
				return s.Directory.ExportUsers(r.Context(), principal(r), uq, csvAttachment{w: w, name: name})
			})
	}
}

// csvAttachment sets the CSV headers on the first write, so an error before any row is
// still a problem+json response.
type csvAttachment struct {
	w    http.ResponseWriter
	name string
}

func (c csvAttachment) Write(b []byte) (int, error) {
	h := c.w.Header()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(c.name, `"`, "")+`"`)
		h.Set("Cache-Control", "no-store")
	}
	return c.w.Write(b)
}
