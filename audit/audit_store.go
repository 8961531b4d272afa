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

// newestFirst is the order of every audit read. The indexes audit_log_org_at,
// audit_log_org_actor and audit_log_org_target all end in (at, id), so the keyset's row
// comparison bounds whichever of them the filter picks.
var newestFirst = store.Keyset{Columns: []string{"at", "id"}, Desc: true}

// List returns one page of entries matching f, newest first, keyset-paginated. It
// returns invalid for a malformed cursor.
func List(ctx context.Context, db *store.DB, f Filter) (Page, error) {
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	page := Page{Items: []Entry{}}
	q, err := readPage(ctx, db, f, f.Cursor, limit, func(r *row) error {
		e, err := r.entry()
		if err != nil {
			return err
		}
		page.Items = append(page.Items, e)
		return nil
	})
	if err != nil {
		return Page{}, err
	}
	page.Items, page.NextCursor = store.NextPage(q, page.Items, func(e Entry) []any { return []any{store.Micros(e.At), e.ID} })
	return page, nil
}

// row is one audit_log row as stored; the summaries stay JSON text.
type row struct {
	id, org                                         string
	at                                              int64
	actorID, actorName, action                      string
	targetType, targetID, targetName, before, after string
	sourceIP                                        string
}

// entry decodes r; a summary that is not JSON is an internal error (Record wrote it).
func (r *row) entry() (Entry, error) {
	e := Entry{ID: r.id, Org: atrium.OrgID(r.org), At: store.Time(r.at), ActorID: r.actorID, ActorName: r.actorName, Action: r.action,
		TargetType: r.targetType, TargetID: r.targetID, TargetName: r.targetName, SourceIP: r.sourceIP}
	if err := json.Unmarshal([]byte(r.before), &e.Before); err != nil {
		return Entry{}, atrium.Internal(fmt.Errorf("audit: decode summary before of entry %s: %w", r.id, err))
	}
	if err := json.Unmarshal([]byte(r.after), &e.After); err != nil {
		return Entry{}, atrium.Internal(fmt.Errorf("audit: decode summary after of entry %s: %w", r.id, err))
	}
	return e, nil
}

// readPage runs the query for the page of up to size entries matching f after cursor and
// calls fn with each row as it is read, including the row beyond the page (so fn sees
// up to size+1 rows; the returned query's More says whether the last was that row). The
// row is reused between calls. It returns invalid for a malformed cursor, and fn's error.
func readPage(ctx context.Context, db *store.DB, f Filter, cursor string, size int, fn func(*row) error) (store.PageQuery, error) {
	query, q, err := pageSQL(f, cursor, size)
	if err != nil {
		return store.PageQuery{}, err
	}
	rows, err := db.Read().QueryContext(ctx, query, q.Args...)
	if err != nil {
		return store.PageQuery{}, store.Translate(err)
	}
	defer rows.Close()
	var r row
	for rows.Next() {
		if err := rows.Scan(&r.id, &r.org, &r.at, &r.actorID, &r.actorName, &r.action, &r.targetType, &r.targetID, &r.targetName,
			&r.before, &r.after, &r.sourceIP); err != nil {
			return store.PageQuery{}, store.Translate(err)
		}
		if err := fn(&r); err != nil {
			return store.PageQuery{}, err
		}
	}
	if err := rows.Err(); err != nil {
		return store.PageQuery{}, store.Translate(err)
	}
	return q, nil
}

// pageSQL returns the query of the page of size entries matching f after cursor, and its
// arguments; invalid for a malformed cursor.
func pageSQL(f Filter, cursor string, size int) (string, store.PageQuery, error) {
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
	var at int64
	var id string
	q, err := newestFirst.Page(args, cursor, size, &at, &id)
	if err != nil {
		return "", store.PageQuery{}, err
	}
	where = append(where, q.Where)
	return `SELECT id, org_id, at, actor_id, actor_name, action, target_type, target_id, target_name, before_json, after_json, source_ip
		FROM audit_log WHERE ` + strings.Join(where, " AND ") + ` ` + q.OrderLimit, q, nil
}
