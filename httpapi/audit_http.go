package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/audit"
)

// AuditFilter reads the audit log filters from r's query.
func AuditFilter(r *http.Request) (audit.Filter, error) {
	q := r.URL.Query()
	f := audit.Filter{Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target"), Cursor: q.Get("cursor")}
	for field, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		v := q.Get(field)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.Parse("2006-01-02", v); err != nil {
				return f, atrium.FieldError(field, "must be a time such as 2026-11-21T10:00:00Z or a date such as 2026-11-21")
			}
		}
		*dst = t
	}
	for field, v := range map[string]string{"actor": f.Actor, "action": f.Action, "target": f.Target} {
		if len(v) > 256 {
			return f, atrium.FieldError(field, "must be at most 256 characters")
		}
	}
	limit, err := Limit(r)
	f.Limit = limit
	return f, err
}

func (s *Server) registerAudit() {
	reader := audit.NewService(s.DB)
	s.handle(Route{Method: "GET", Path: "/api/v1/audit-log", Summary: "The organization's audit log, newest first; format=csv streams it all",
		Tag: "audit", Query: []string{"actor", "action", "target", "since", "until", "limit", "cursor", "format"}, Response: audit.Page{}},
		func(w http.ResponseWriter, r *http.Request) error {
			f, err := AuditFilter(r)
			if err != nil {
				return err
			}
			if r.URL.Query().Get("format") == "csv" || strings.Contains(r.Header.Get("Accept"), "text/csv") {
				if err := reader.ExportCSV(r.Context(), principal(r), audit.Filter{Org: f.Org, Actor: f.Actor, Action: f.Action, Target: f.Target,
					Since: f.Since, Until: f.Until}, discardUntilWrite{w: w}); err != nil {
					return err
				}
				return nil
			}
			page, err := reader.List(r.Context(), principal(r), f)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, page)
		})
}

// discardUntilWrite sets the CSV headers on the first write, so a permission error
// before any row still becomes a problem+json response.
type discardUntilWrite struct{ w http.ResponseWriter }

func (d discardUntilWrite) Write(b []byte) (int, error) {
	h := d.w.Header()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="audit-log.csv"`)
	}
	return d.w.Write(b)
}
