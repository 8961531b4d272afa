package directory

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/store"
)

// exportPageSize is how many users ExportUsers reads per query: one index range scan
// bounded by the keyset's row comparison, so the export runs as fast at its end as at
// its start, memory stays flat, and no query holds its snapshot for long.
var exportPageSize = 10000

// ExportColumns are the columns of the user export, in order.
var ExportColumns = []string{"username", "display_name", "first_name", "last_name", "contact_email", "job_title", "department",
	"usage_location", "roles", "blocked", "created_at", "last_sign_in_at"}

// ExportUsers streams p's organization's users matching uq (its search, sort and
// deleted filter; Limit and Cursor are ignored) to w as CSV, written as they are read.
// Roles are read once for the organization, not per user. It returns forbidden without
// user.read and invalid for a bad sort or search, before anything is written.
func (s *Service) ExportUsers(ctx context.Context, p *access.Principal, uq UserQuery, w io.Writer) error {
	if err := access.Require(p, access.UserRead, access.Resource{Org: p.Org}); err != nil {
		return err
	}
	col, ok := sortColumn[uq.Sort]
	switch {
	case uq.Sort == "" && uq.Deleted:
		col, ok = "deleted_at", true // as the deleted list: by deletion
	case uq.Sort == "":
		col, ok = sortColumn[SortDisplayName], true
	}
	if !ok {
		return atrium.FieldError("sort", "must be one of display_name, username, created_at")
	}
	if len(uq.Q) > MaxQueryLength {
		return atrium.FieldError("q", "must be at most 256 characters")
	}
	assignments, err := access.OrgAssignments(ctx, s.db.Read(), p.Org)
	if err != nil {
		return store.Translate(err)
	}
	roles := map[string][]string{}
	for _, a := range assignments {
		roles[string(a.User)] = append(roles[string(a.User)], a.Role.String())
	}
	where := "org_id = $1 AND deleted_at IS NULL"
	if uq.Deleted {
		where = "org_id = $1 AND deleted_at IS NOT NULL"
	}
	filter, err := filterSQL(uq.Filter)
	if err != nil {
		return err
	}
	where += filter
	args := []any{string(p.Org)}
	if q := SearchFragment(uq.Q); q != "" {
		// An export reads the organization's users anyway: the list's condition runs on
		// each, with no candidate search first.
		cond, condArgs := searchCondition(s.db.Dialect, p.Org, q, 2)
		args = append(args, condArgs...)
		where += " AND " + cond
	}
	ks := store.Keyset{Columns: []string{col, "id"}, Desc: uq.Desc}
	cw := csv.NewWriter(w)
	cw.Write(ExportColumns) // buffered until the first page is read: a failed query can still be an error response
	rec := make([]string, len(ExportColumns))
	var buf []byte
	cursor := ""
	for {
		var key any = new(string)
		if col == "created_at" || col == "deleted_at" {
			key = new(int64)
		}
		var id string
		q, err := ks.Page(append([]any(nil), args...), cursor, exportPageSize, key, &id)
		if err != nil {
			return err
		}
		rows, err := s.db.Read().QueryContext(ctx, `SELECT id, username, display_name, first_name, last_name, contact_email, job_title, department,
			usage_location, blocked, created_at, last_sign_in_at, `+col+` FROM users WHERE `+where+` AND `+q.Where+` `+q.OrderLimit, s.db.OneShot(q.Args...)...)
		if err != nil {
			return store.Translate(err)
		}
		n := 0
		var lastKey any
		var lastID string
		for rows.Next() {
			if n++; n > q.Size {
				break // the row beyond the page; the next page starts with it
			}
			var blocked bool
			var created int64
			var signIn *int64
			var sortKey any
			if err := rows.Scan(&lastID, &rec[0], &rec[1], &rec[2], &rec[3], &rec[4], &rec[5], &rec[6], &rec[7], &blocked, &created, &signIn, &sortKey); err != nil {
				rows.Close()
				return store.Translate(err)
			}
			if b, ok := sortKey.([]byte); ok {
				sortKey = string(b)
			}
			lastKey = sortKey
			for i := 1; i <= 6; i++ {
				rec[i] = atrium.CSVCell(rec[i])
			}
			rec[8] = strings.Join(roles[lastID], " ")
			rec[9] = strconv.FormatBool(blocked)
			buf = store.Time(created).AppendFormat(buf[:0], time.RFC3339)
			rec[10] = string(buf)
			rec[11] = ""
			if signIn != nil {
				rec[11] = store.Time(*signIn).Format(time.RFC3339)
			}
			if err := cw.Write(rec); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return store.Translate(err)
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if !q.More(n) {
			return nil
		}
		cursor = store.EncodeCursor(lastKey, lastID)
	}
}
