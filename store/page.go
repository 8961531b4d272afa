package store

import (
	"encoding/base64"
	"encoding/json"
	"strings"
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
	}
	return true
}

// EscapeLike escapes the LIKE wildcards in s, for use with ESCAPE '\'.
func EscapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
