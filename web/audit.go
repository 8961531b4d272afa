package web

import (
	"net/http"
	"net/url"

	"github.com/atrium-admin/atrium/audit"
	"github.com/atrium-admin/atrium/httpapi"
)

// auditPage is the data of the audit log page.
type auditPage struct {
	Entries []audit.Entry
	Pager   pager
	// ExportURL downloads every entry matching the filters as CSV from the API.
	ExportURL string
}

var auditFields = []string{"actor", "action", "target", "since", "until"}

// auditList shows the audit log with filters and paging, and links the CSV export.
func (c *console) auditList(w http.ResponseWriter, r *http.Request) error {
	s := sessionFrom(r.Context())
	v := c.newView(r, "Audit log")
	q := r.URL.Query()
	for _, f := range auditFields {
		v.Form.Set(f, q.Get(f))
	}
	export := url.Values{"format": {"csv"}}
	for _, f := range auditFields {
		if val := q.Get(f); val != "" {
			export.Set(f, val)
		}
	}
	data := auditPage{ExportURL: "/api/v1/audit-log?" + export.Encode()}
	f, err := httpapi.AuditFilter(r)
	if err == nil {
		var page audit.Page
		page, err = c.audit.List(r.Context(), s.P(), f)
		data.Entries, data.Pager = page.Items, pageLinks(r, page.NextCursor)
	}
	status := http.StatusOK
	if err != nil {
		if !v.formError(err, auditFields...) {
			return err
		}
		status = statusOf(err)
	}
	v.Data = data
	c.render(w, r, status, "audit.html", v)
	return nil
}
