package events

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/store"
)

// The pull API lets an integration read its organization's events itself, in commit
// order, from a cursor: one that was down catches up on what it missed, for as long as
// the outbox keeps the events (the retention period).
//
// The cursor is (tx_id, seq) of the last event returned (migration 004). On SQLite the
// single writer makes insert order commit order, so tx_id is always 0 and seq is that
// order. On PostgreSQL a transaction that took a lower seq can commit after one with a
// higher seq was read, so a read takes only the rows of transactions below its
// snapshot's xmin: all of them have finished, and any event not visible yet belongs to a
// transaction at or above that xmin, hence sorts after every cursor given out. A
// long-running transaction holds the newest events back until it ends.

// ReadEvents is the action of reading the organization's events through the pull API.
var ReadEvents = access.RegisterActions("events", access.ActionDef{
	Name:        "events.read",
	Description: "read the organization's events through the pull API",
	Grant:       []string{"global_admin"},
})[0]

// committedOnly is the PostgreSQL condition that keeps the events of transactions that
// may still be running, or that began after the snapshot, out of a pull.
const committedOnly = ` AND tx_id < pg_snapshot_xmin(pg_current_snapshot())::text::bigint`

// Pull returns up to limit (at least 1) of p's organization's events after the cursor
// after ("" for the oldest kept), in commit order, each rendered as a sink receives it
// (Render), and the cursor to pull from next: the position after the last event
// returned, or after itself when there was none, so that a consumer polls with it
// again. types filters as a subscription does (exact types, prefixes such as user.*);
// none takes every declared type. Only declared types (Declare) are ever returned.
func (s *Sinks) Pull(ctx context.Context, p *access.Principal, after string, types []string, limit int) ([]json.RawMessage, string, error) {
	if err := access.Require(p, ReadEvents, access.Resource{Org: p.Org}); err != nil {
		return nil, "", err
	}
	var txID, seq int64
	if after != "" && (!store.DecodeCursor(after, &txID, &seq) || txID < 0 || seq < 0) {
		return nil, "", atrium.FieldError("after", "is not a cursor from next_cursor; leave it out to start from the oldest event kept")
	}
	want, err := s.pullTypes(types)
	if err != nil {
		return nil, "", err
	}
	items := []json.RawMessage{}
	if len(want) == 0 {
		return items, after, nil
	}
	args, in := store.In([]any{string(p.Org), txID, seq}, want)
	args = append(args, max(limit, 1))
	q := `SELECT tx_id, seq, id, type, org_id, subject, data, created_at FROM events
		WHERE org_id = $1 AND (tx_id, seq) > ($2, $3) AND type IN (` + in + `)`
	if s.db.Dialect == store.Postgres {
		q += committedOnly
	}
	q += fmt.Sprintf(` ORDER BY tx_id, seq LIMIT $%d`, len(args))
	rows, err := s.db.Read().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", store.Translate(fmt.Errorf("events: pull: %w", err))
	}
	defer rows.Close()
	next := after
	for rows.Next() {
		var e Event
		var data string
		var at int64
		if err := rows.Scan(&txID, &seq, &e.ID, &e.Type, &e.Org, &e.Subject, &data, &at); err != nil {
			return nil, "", store.Translate(fmt.Errorf("events: pull: %w", err))
		}
		e.Data, e.Time = json.RawMessage(data), store.Time(at)
		body, err := s.Render(&e)
		if err != nil {
			return nil, "", atrium.Internal(fmt.Errorf("events: render %s %s: %w", e.Type, e.ID, err))
		}
		items = append(items, body)
		next = store.EncodeCursor(txID, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, "", store.Translate(fmt.Errorf("events: pull: %w", err))
	}
	return items, next, nil
}

// pullTypes returns the declared types filter takes, sorted (every declared type for an
// empty filter), or an invalid error on the field "type" when the filter breaks the
// rules of a subscription's event types.
func (s *Sinks) pullTypes(filter []string) ([]Type, error) {
	if len(filter) > 0 {
		probs := atrium.Problems{}
		s.checkEventTypes(filter, probs)
		if len(probs) > 0 {
			// The first problem, in the order of the filter: event_types[2] before
			// event_types[10].
			fields := slices.SortedFunc(maps.Keys(probs), func(a, b string) int {
				return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
			})
			return nil, atrium.Problems{"type": probs[fields[0]]}.Err()
		}
	}
	s.bus.mu.RLock()
	out := make([]Type, 0, len(s.bus.external))
	for t := range s.bus.external {
		if len(filter) == 0 || matches(filter, t) {
			out = append(out, t)
		}
	}
	s.bus.mu.RUnlock()
	slices.Sort(out)
	return out, nil
}
