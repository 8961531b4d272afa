package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/atrium-admin/atrium"
)

// Lists are keyset-paginated: a cursor encodes the sort key of the last row a page
// showed, and the next page starts after it. Cursors are opaque to clients.

// EncodeCursor packs the sort key values of a row into a cursor.
func EncodeCursor(key ...any) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor unpacks a cursor into dst (pointers, in the order EncodeCursor was given
// the values). It reports false for anything that is not such a cursor.
func DecodeCursor(cursor string, dst ...any) bool {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return false
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil || len(parts) != len(dst) {
		return false
	}
	for i, p := range parts {
		// json.Unmarshal accepts null for anything and leaves dst as it was.
		if string(p) == "null" {
			return false
		}
		if err := json.Unmarshal(p, dst[i]); err != nil {
			return false
		}
		// A key is compared with stored text: NUL or invalid UTF-8 cannot be in it,
		// and PostgreSQL refuses them as parameters.
		if v, ok := dst[i].(*string); ok && (strings.IndexByte(*v, 0) >= 0 || !utf8.ValidString(*v)) {
			return false
		}
	}
	return true
}

// EscapeLike escapes the LIKE wildcards in s, for use with ESCAPE '\'.
func EscapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Keyset is the sort order of a keyset-paginated list: its columns, most significant
// first, ending with a unique one (usually id) so that every row has its own key, all
// sorted in one direction. The column names are SQL written by the list, never input.
//
// The rows after a cursor are selected by one row comparison, (at, id) < ($2, $3), which
// both PostgreSQL and SQLite (3.15 and later) use as a bound on an index over those
// columns (after any equality columns, such as (org_id, at, id) for org_id = $1). The
// equivalent at < $2 OR (at = $2 AND id < $3) is only a filter to PostgreSQL: each page
// then reads every row before the cursor again.
//
// A mixed order (one column ascending, another descending) is not a row comparison, so
// Keyset does not describe it; such a list needs an index whose order matches one
// direction (for instance on a negated or inverted column) or its own condition.
//
// A list adopts it in a few lines:
//
//	var byTime = store.Keyset{Columns: []string{"at", "id"}, Desc: true}
//
//	var at int64
//	var id string
//	page, err := byTime.Page(args, cursor, limit, &at, &id)
//	if err != nil {
//		return err // invalid, field "cursor"
//	}
//	rows, err := db.Read().QueryContext(ctx, `SELECT … WHERE org_id = $1 AND `+page.Where+` `+page.OrderLimit, page.Args...)
//	… scan into items …
//	items, next := store.NextPage(page, items, func(e Entry) []any { return []any{store.Micros(e.At), e.ID} })
type Keyset struct {
	Columns []string
	Desc    bool
}

// PageQuery is the SQL of one page of a Keyset list.
type PageQuery struct {
	// Where selects the rows after the cursor: a row comparison, or TRUE on the first page.
	Where string
	// OrderLimit is the ORDER BY and LIMIT clauses; the limit is one more than the page
	// size, so that the row beyond the page tells whether there is a next page.
	OrderLimit string
	// Args are the arguments the page was built from, followed by the cursor's key
	// values and the limit, numbered in that order.
	Args []any
	// Size is the page size: the number of rows the page shows.
	Size int
}

// Page returns the SQL of the page of size rows (at least 1) that follows cursor ("" for
// the first page). The cursor's key values are decoded into key, one pointer per column
// in Columns order (as NextPage encoded them), and bound as parameters numbered after
// args, which Page extends. It returns an invalid error on the field "cursor" when the
// cursor is not one this list gave out. It panics when key does not match Columns.
func (k Keyset) Page(args []any, cursor string, size int, key ...any) (PageQuery, error) {
	if len(k.Columns) == 0 || len(key) != len(k.Columns) {
		panic(fmt.Sprintf("store: keyset over %d columns given %d key values", len(k.Columns), len(key)))
	}
	size = max(size, 1)
	q := PageQuery{Where: "TRUE", Args: args, Size: size}
	if cursor != "" {
		if !DecodeCursor(cursor, key...) {
			return PageQuery{}, atrium.FieldError("cursor", "is not a cursor this list gave out")
		}
		params := make([]string, len(key))
		for i, p := range key {
			q.Args = append(q.Args, reflect.ValueOf(p).Elem().Interface())
			params[i] = "$" + strconv.Itoa(len(q.Args))
		}
		op := " > "
		if k.Desc {
			op = " < "
		}
		q.Where = "(" + strings.Join(k.Columns, ", ") + ")" + op + "(" + strings.Join(params, ", ") + ")"
	}
	dir := " ASC"
	if k.Desc {
		dir = " DESC"
	}
	q.Args = append(q.Args, size+1)
	q.OrderLimit = "ORDER BY " + strings.Join(k.Columns, dir+", ") + dir + " LIMIT $" + strconv.Itoa(len(q.Args))
	return q, nil
}

// More reports whether fetched, the number of rows the page's query returned, includes
// the row beyond the page, that is whether a next page exists.
func (q PageQuery) More(fetched int) bool { return fetched > q.Size }

// NextPage cuts items, the rows the page's query returned in order, to the page size and
// returns the cursor of the next page, or "" when this is the last one. key returns a
// row's sort key values in Columns order, in stored form (store.Micros for times), as
// Page decodes them.
func NextPage[T any](q PageQuery, items []T, key func(T) []any) ([]T, string) {
	if !q.More(len(items)) {
		return items, ""
	}
	items = items[:q.Size]
	return items, EncodeCursor(key(items[q.Size-1])...)
}
