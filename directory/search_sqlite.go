package directory

import (
	"database/sql/driver"
	"slices"
	"unicode/utf8"

	"modernc.org/sqlite"
)

// On SQLite the user search's trigram index holds organization-qualified tokens: for
// each distinct trigram of a user's search text, a token made of a short key of the
// user's organization and the trigram (appendSearchToken). Every posting list then holds
// one organization's rows (bar org-key collisions), so a search's candidates are that
// organization's only and its cost does not grow with the other tenants' users. A
// collision of two organizations' keys (40 bits) only costs speed: every candidate is
// still re-checked with the org condition and the LIKE.
//
// The index also holds a token per start of a display-name word (name_prefix.go): the
// organization key, "zy" for the first word or "zz" for the others, and the word's first
// one or two characters.
//
// The index (migration 009) is an FTS5 table of these tokens, kept by triggers on users
// that call searchGramsFunc. The function, and those of name_prefix.go, which index
// expressions of migration 011 call, are registered with the driver here, at package
// init, before any connection opens or any migration runs. A program that writes users
// on a connection without them (the sqlite3 shell, say) fails with "no such function:
// atrium_search_grams".

// searchGramsFunc is the SQL name of searchGrams: atrium_search_grams(org_id, search).
const searchGramsFunc = "atrium_search_grams"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(searchGramsFunc, 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		org, _ := args[0].(string)
		return searchGrams(org, textArg(args[1])), nil
	})
	sqlite.MustRegisterDeterministicScalarFunction(nameStartFunc, 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		n, _ := args[1].(int64)
		return nameStart(textArg(args[0]), int(n)), nil
	})
	sqlite.MustRegisterDeterministicScalarFunction(nameMatchFunc, 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		return int64(nameMatch(textArg(args[0]), textArg(args[1]))), nil
	})
}

// textArg is SQL value v as text: a string, the bytes of a blob, or "".
func textArg(v driver.Value) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

// searchOrgKeyLen is the length of the organization key that starts every token: 10 hex
// digits, the top 40 bits of the FNV-64a hash of the organization ID.
const searchOrgKeyLen = 10

// searchOrgKey returns org's key.
func searchOrgKey(org string) string {
	v := uint64(14695981039346656037) // FNV-64a
	for i := 0; i < len(org); i++ {
		v = (v ^ uint64(org[i])) * 1099511628211
	}
	const digits = "0123456789abcdef"
	var b [searchOrgKeyLen]byte
	for i := range b {
		b[i] = digits[v>>60]
		v <<= 4
	}
	return string(b[:])
}

// searchTrigrams returns the trigrams (three characters) of text in order, as
// substrings of it, repeats included (see eachTrigram).
func searchTrigrams(text string) []string {
	text = asciiLower(text)
	out := make([]string, 0, len(text))
	eachTrigram(text, func(start, end int) { out = append(out, text[start:end]) })
	return out
}

// eachTrigram calls fn with the byte offsets of every trigram of text, in order. A byte
// that is not valid UTF-8 counts as one character, as the bytes are kept. Callers
// lower-case ASCII letters first (asciiLower), as SQLite's LIKE ignores their case: the
// search text and fragments are folded already, so that only keeps the index a superset
// of the LIKE for a row written unfolded.
func eachTrigram(text string, fn func(start, end int)) {
	var starts [3]int // byte offsets of the last three characters
	n := 0
	for i := 0; i < len(text); {
		_, w := utf8.DecodeRuneInString(text[i:])
		starts[0], starts[1], starts[2] = starts[1], starts[2], i
		n++
		i += w
		if n >= 3 {
			fn(starts[0], i)
		}
	}
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// appendSearchToken appends the token of trigram t in the organization whose key is
// orgKey: the key, then t's bytes, each of [0-9a-y] as itself and any other as 'z' and
// its two hex digits. So a token is only [0-9a-z] (one token for FTS5's ascii tokenizer
// whatever t holds), distinct trigrams have distinct tokens, and the common trigrams of
// letters and digits cost three bytes, not six.
func appendSearchToken(b []byte, orgKey, t string) []byte {
	return appendEncoded(append(b, orgKey...), t)
}

// appendPrefixToken appends the token of word start p (one or two characters, see
// eachNameWordStart) in the organization whose key is orgKey: the key, "zy" for the
// first word or "zz" for another, and p encoded as appendSearchToken encodes. No
// trigram's token holds "zy" or "zz" (a 'z' is followed by a hex digit), so word starts
// and trigrams never share a token.
func appendPrefixToken(b []byte, orgKey, p string, first bool) []byte {
	marker := "zz"
	if first {
		marker = "zy"
	}
	return appendEncoded(append(append(b, orgKey...), marker...), p)
}

func appendEncoded(b []byte, t string) []byte {
	const digits = "0123456789abcdef"
	for i := 0; i < len(t); i++ {
		if c := t[i]; 'a' <= c && c <= 'y' || '0' <= c && c <= '9' {
			b = append(b, c)
		} else {
			b = append(b, 'z', digits[c>>4], digits[c&15])
		}
	}
	return b
}

// searchGrams returns the index text of a user of org whose search text is text: the
// tokens of its distinct trigrams (searchTrigrams), then those of the starts of its
// display name's words (eachNameWordStart: the first word's, then the others' that
// differ from them), space-separated, in order of first occurrence. The same for the
// same arguments.
func searchGrams(org, text string) string {
	text = asciiLower(text)
	if text == "" {
		return ""
	}
	key := searchOrgKey(org)
	b := make([]byte, 0, len(text)*(searchOrgKeyLen+6))
	// The trigrams and word starts seen, as start<<32 | end offsets in text, in a small
	// open-addressing set: it runs once per user written, and a sort of the strings cost
	// more than all the rest. A trigram never equals a word start (three characters, not
	// one or two), and there are fewer than 2*len(text) of both.
	size := 16
	for size < 4*len(text) {
		size *= 2
	}
	var buf [512]uint64
	var set []uint64
	if size <= len(buf) {
		set = buf[:size]
	} else {
		set = make([]uint64, size)
	}
	mask := uint32(size - 1)
	// firstSeen records text[start:end] and reports whether it is new. A set entry is
	// start<<32 | end+1, never zero.
	firstSeen := func(start, end int) bool {
		t := text[start:end]
		h := uint32(2166136261)
		for j := 0; j < len(t); j++ {
			h = (h ^ uint32(t[j])) * 16777619
		}
		for h &= mask; set[h] != 0; h = (h + 1) & mask {
			if e := set[h]; text[e>>32:uint32(e)-1] == t {
				return false
			}
		}
		set[h] = uint64(start)<<32 | uint64(end+1)
		if len(b) > 0 {
			b = append(b, ' ')
		}
		return true
	}
	var restBuf [16]string
	rest := restBuf[:0] // a name has few words
	restSeen := func(start, end int) bool {
		t := text[start:end]
		if slices.Contains(rest, t) {
			return false
		}
		rest = append(rest, t)
		if len(b) > 0 {
			b = append(b, ' ')
		}
		return true
	}
	eachTrigram(text, func(start, end int) {
		if firstSeen(start, end) {
			b = appendSearchToken(b, key, text[start:end])
		}
	})
	// A start of the first word and the same start of another are both indexed: the
	// list's display-name plan asks for the other words' starts alone. The set keeps the
	// others' apart by offset +len(text) (a trigram never equals a start anyway).
	eachNameWordStart(text, func(start, end int, first bool) {
		if first {
			if firstSeen(start, end) {
				b = appendPrefixToken(b, key, text[start:end], true)
			}
		} else if restSeen(start, end) {
			b = appendPrefixToken(b, key, text[start:end], false)
		}
	})
	return string(b)
}

// restMatchQuery returns the FTS5 query for org's rows with a display-name word other
// than the first starting with prefix fragment q.
func restMatchQuery(org, q string) string {
	return `"` + string(appendPrefixToken(nil, searchOrgKey(org), asciiLower(q), false)) + `"`
}

// searchMatchQuery returns the FTS5 query for org's rows containing every trigram of
// q (at least three characters), or, for a prefix fragment (isPrefixFragment), those
// with a display-name word starting with q. The index is detail=none, which keeps it small but
// answers no phrase queries, so this is an AND of single tokens: a superset of the rows
// containing q, which the LIKE then narrows. For a long fragment it takes
// maxSearchTrigrams trigrams spread over it. Each token is a quoted string.
func searchMatchQuery(org, q string) string {
	if isPrefixFragment(q) {
		key, q := searchOrgKey(org), asciiLower(q)
		return `"` + string(appendPrefixToken(nil, key, q, true)) + `" OR "` + string(appendPrefixToken(nil, key, q, false)) + `"`
	}
	all := searchTrigrams(q)
	n := len(all)
	picks := make([]string, 0, maxSearchTrigrams)
	if n <= maxSearchTrigrams {
		picks = append(picks, all...)
	} else {
		for i := range maxSearchTrigrams {
			picks = append(picks, all[i*(n-1)/(maxSearchTrigrams-1)])
		}
	}
	key := searchOrgKey(org)
	var b []byte
	seen := make(map[string]bool, len(picks))
	for _, t := range picks {
		if seen[t] {
			continue
		}
		seen[t] = true
		if len(b) > 0 {
			b = append(b, " AND "...)
		}
		b = append(b, '"')
		b = appendSearchToken(b, key, t)
		b = append(b, '"')
	}
	return string(b)
}
