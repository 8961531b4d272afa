package store_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/atrium-admin/atrium/store"
)

// FuzzCursor: DecodeCursor never panics on what a client sends as ?cursor=, and a key it
// accepts, in the shapes lists use ((name, id), (time, id), (number, id)), encodes back
// to a cursor that decodes to the same key. Every key of text encodes to a cursor that
// decodes to it.
func FuzzCursor(f *testing.F) {
	for _, seed := range []string{
		store.EncodeCursor("Ada Lovelace", "01a2"), store.EncodeCursor(time.Date(2031, 3, 14, 9, 26, 53, 0, time.UTC), "01a2"),
		store.EncodeCursor(int64(42), "x"), store.EncodeCursor("x"), store.EncodeCursor(nil, "x"),
		"", "garbage", "W10", "WyJ4Il0", "bnVsbA", "WyJhIiwiYiIsImMiXQ", "WyJcdTAwMDAiLCJ4Il0", "WyJhXHVkODAwIiwieCJd",
		"WzEsMl0", "WyIyMDMxLTEzLTQ1VDAwOjAwOjAwWiIsIngiXQ", "WyJ4IiwibnVsbCJd", "W251bGwsIngiXQ", "%00", "WyJ4Iiwi\x00",
	} {
		f.Add(seed, "Zoë", int64(7))
	}
	f.Fuzz(func(t *testing.T, cursor, text string, n int64) {
		var name, id string
		if store.DecodeCursor(cursor, &name, &id) {
			if strings.IndexByte(name+id, 0) >= 0 || !utf8.ValidString(name+id) {
				t.Fatalf("%q decodes to (%q, %q): a key no database text holds", cursor, name, id)
			}
			var name2, id2 string
			if !store.DecodeCursor(store.EncodeCursor(name, id), &name2, &id2) || name2 != name || id2 != id {
				t.Fatalf("%q decodes to (%q, %q), which does not round-trip: (%q, %q)", cursor, name, id, name2, id2)
			}
		}
		var at time.Time
		if store.DecodeCursor(cursor, &at, &id) {
			var at2 time.Time
			var id2 string
			if !store.DecodeCursor(store.EncodeCursor(at, id), &at2, &id2) || !at2.Equal(at) || id2 != id {
				t.Fatalf("%q decodes to (%v, %q), which does not round-trip: (%v, %q)", cursor, at, id, at2, id2)
			}
		}
		var num int64
		if store.DecodeCursor(cursor, &num, &id) {
			var num2 int64
			var id2 string
			if !store.DecodeCursor(store.EncodeCursor(num, id), &num2, &id2) || num2 != num || id2 != id {
				t.Fatalf("%q decodes to (%d, %q), which does not round-trip: (%d, %q)", cursor, num, id, num2, id2)
			}
		}
		// Keys the lists write: a text (valid UTF-8 without NUL, as stored) and a number.
		if utf8.ValidString(text) && strings.IndexByte(text, 0) < 0 {
			var text2 string
			var n2 int64
			if !store.DecodeCursor(store.EncodeCursor(text, n), &text2, &n2) || text2 != text || n2 != n {
				t.Fatalf("(%q, %d) encodes to a cursor that decodes to (%q, %d)", text, n, text2, n2)
			}
		}
	})
}
