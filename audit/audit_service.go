package audit

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"time"

	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/store"
)

// Service reads the audit log on behalf of principals.
type Service struct {
	db *store.DB
}

// NewService returns the audit reader.
func NewService(db *store.DB) *Service { return &Service{db: db} }

// List returns a page of p's organization's audit log; forbidden without audit.read.
func (s *Service) List(ctx context.Context, p *access.Principal, f Filter) (Page, error) {
	if err := access.Require(p, access.AuditRead, access.Resource{Org: p.Org}); err != nil {
		return Page{}, err
	}
	f.Org = p.Org
	return List(ctx, s.db, f)
}

// ExportCSV streams every entry of p's organization matching f to w as CSV, newest
// first, one page at a time so memory stays flat however long the log is.
func (s *Service) ExportCSV(ctx context.Context, p *access.Principal, f Filter, w io.Writer) error {
	if err := access.Require(p, access.AuditRead, access.Resource{Org: p.Org}); err != nil {
		return err
	}
	f.Org, f.Limit, f.Cursor = p.Org, 200, ""
	cw := csv.NewWriter(w)
	cw.Write([]string{"time", "actor_id", "actor_name", "action", "target_type", "target_id", "target_name", "before", "after", "source_ip"})
	for {
		page, err := List(ctx, s.db, f)
		if err != nil {
			return err
		}
		for _, e := range page.Items {
			before, _ := json.Marshal(e.Before)
			after, _ := json.Marshal(e.After)
			cw.Write([]string{e.At.Format(time.RFC3339Nano), e.ActorID, csvSafe(e.ActorName), e.Action, e.TargetType, e.TargetID,
				csvSafe(e.TargetName), string(before), string(after), e.SourceIP})
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if page.NextCursor == "" {
			return nil
		}
		f.Cursor = page.NextCursor
	}
}

// csvSafe defuses spreadsheet formula injection in user-controlled cells.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}
