package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
)

// Filter selects audit entries of one organization. Zero fields match everything.
type Filter struct {
	Org    atrium.OrgID
	Actor  string // actor id or exact actor name
	Action string // exact action, or a prefix ending in "." ("user.")
	Target string // target id or exact target name
	Since  time.Time
	Until  time.Time
	Limit  int
	Cursor string
}

// Page is one page of entries, newest first.
type Page struct {
	Items      []Entry `json:"items"`
	NextCursor string  `json:"next_cursor"`
}

// List returns one page of entries matching f, newest first, keyset-paginated. It
// returns invalid for a malformed cursor.
func List(ctx context.Context, db *store.DB, f Filter) (Page, error) {
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	where := []string{"org_id = $1"}
	args := []any{string(f.Org)}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Actor != "" {
		add("(actor_id = ? OR actor_name = ?)", f.Actor)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			add("action LIKE ? ESCAPE '\\'", store.EscapeLike(f.Action)+"%")
		} else {
			add("action = ?", f.Action)
		}
	}
	if f.Target != "" {
		add("(target_id = ? OR target_name = ?)", f.Target)
	}
	if !f.Since.IsZero() {
		add("at >= ?", store.Micros(f.Since))
	}
	if !f.Until.IsZero() {
		add("at < ?", store.Micros(f.Until))
	}
	if f.Cursor != "" {
		var at int64
		var id string
		if !store.DecodeCursor(f.Cursor, &at, &id) {
			return Page{}, atrium.FieldError("cursor", "is not a cursor this list gave out")
		}
		args = append(args, at, id)
		n := len(args)
		where = append(where, fmt.Sprintf("(at < $%d OR (at = $%d AND id < $%d))", n-1, n-1, n))
	}
	args = append(args, limit+1)
	q := `SELECT id, org_id, at, actor_id, actor_name, action, target_type, target_id, target_name, before_json, after_json, source_ip
		FROM audit_log WHERE ` + strings.Join(where, " AND ") + ` ORDER BY at DESC, id DESC LIMIT $` + strconv.Itoa(len(args))
	rows, err := db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return Page{}, store.Translate(err)
	}
	defer rows.Close()
	page := Page{Items: []Entry{}}
	for rows.Next() {
		var e Entry
		var at int64
		var before, after string
		if err := rows.Scan(&e.ID, &e.Org, &at, &e.ActorID, &e.ActorName, &e.Action, &e.TargetType, &e.TargetID, &e.TargetName, &before, &after, &e.SourceIP); err != nil {
			return Page{}, store.Translate(err)
		}
		e.At = store.Time(at)
		_ = json.Unmarshal([]byte(before), &e.Before)
		_ = json.Unmarshal([]byte(after), &e.After)
		page.Items = append(page.Items, e)
	}
	if err := rows.Err(); err != nil {
		return Page{}, store.Translate(err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = store.EncodeCursor(store.Micros(last.At), last.ID)
	}
	return page, nil
}
