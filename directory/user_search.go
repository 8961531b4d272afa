package directory

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
)

// The user list's search matches users.search (display name, username and contact
// email, case and accents folded) two ways:
//
//   - a fragment of one or two letters or digits ("ma", "ł", "7") matches the start of
//     a word: what an administrator typing the first letters of a name means, and what
//     an index can find (every word's first one and two characters are indexed; inside
//     words, two letters match a third of the users and an index of them would not
//     narrow anything). Words are the runs between ASCII characters that are not
//     letters or digits (space, newline, ".", "@", "-", "'"...): "anna.nowak@a.test" has
//     the words anna, nowak, a and test. Letters of any other script are word characters.
//     hasWordPrefix is the definition.
//   - any other fragment (three characters or more, or holding a separator: "o'b",
//     "%") matches anywhere: search LIKE '%q%'.
//
// A B-tree cannot find either, so a query runs one of two ways:
//
//   - walk: read the list's sort index from the cursor on and keep the rows that match
//     the LIKE. A page costs limit/density index entries, cheap when matches are dense,
//     and the only way for fragments shorter than a trigram. For the display-name order
//     the index holds the search text, so the walk does not read the table.
//   - candidates: ask the trigram index for the rows that may match, re-check them with
//     the LIKE, sort them and cut after the cursor: cheap when matches are rare.
//
// PostgreSQL's planner makes that choice itself from the column statistics (pg_trgm GIN
// index or index scan of users_org_name_search). SQLite has no statistics for LIKE, so
// listUsers decides: it asks the FTS5 trigram index for at most searchCandidateLimit
// candidates; if there are no more, it takes the candidate plan, otherwise the fragment
// is common, its matches are dense, and the walk finds a page quickly.
//
// On SQLite the trigram index's tokens are qualified by organization (search_sqlite.go),
// so the candidates are the organization's rows only: a search costs the same however
// many users the other organizations have.
//
// Word starts are found by the same indexes: on SQLite a token per word start in the
// FTS5 index (the organization key, "zz", and the one or two characters), on PostgreSQL
// a GIN index of atrium_search_prefixes(org_id, search) (migration 011), an array of
// organization-qualified word starts, so that one tenant's search reads only its own
// posting list there too.
//
// The LIKE (or the word-start condition) is the definition in both plans; the index only narrows which rows it runs on,
// so results are exactly those of the plain query.

// searchCandidateLimit bounds how many candidates the SQLite trigram index may return
// before listUsers walks the sort index instead. Around sqrt(limit × users × walk cost /
// lookup cost) balances the two plans' worst cases; 2,000 suits organizations up to
// about a million users.
const searchCandidateLimit = 2000

// maxSearchTrigrams bounds the trigrams of a long fragment that go to the SQLite index;
// a few spread over the fragment narrow the candidates as well as all of them would.
const maxSearchTrigrams = 8

// useTrigramCandidates reports whether listUsers should ask the SQLite index for
// candidates for q, a folded fragment, on dialect d.
func useTrigramCandidates(d store.Dialect, q string) bool {
	return d == store.SQLite && utf8.ValidString(q) && (utf8.RuneCountInString(q) >= 3 || isPrefixFragment(q))
}

// maxPrefixRunes is the length up to which a fragment of word characters matches the
// start of a word rather than anywhere.
const maxPrefixRunes = 2

// isWordSeparator reports whether byte c ends a word: an ASCII character that is not a
// letter or digit. Bytes of multi-byte characters are never separators.
func isWordSeparator(c byte) bool {
	return c < 0x80 && !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9')
}

// isPrefixFragment reports whether folded fragment q matches word starts: one or two
// characters, none a separator.
func isPrefixFragment(q string) bool {
	if q == "" || utf8.RuneCountInString(q) > maxPrefixRunes {
		return false
	}
	for i := 0; i < len(q); i++ {
		if isWordSeparator(q[i]) {
			return false
		}
	}
	return true
}

// eachWordPrefix calls fn with the byte offsets of the first one and the first two
// characters of every word of text (one only for a one-character word), in order,
// repeats included.
func eachWordPrefix(text string, fn func(start, end int)) {
	for i := 0; i < len(text); {
		if isWordSeparator(text[i]) {
			i++
			continue
		}
		// text[i] starts a word.
		_, w1 := utf8.DecodeRuneInString(text[i:])
		fn(i, i+w1)
		j := i + w1
		if j < len(text) && !isWordSeparator(text[j]) {
			_, w2 := utf8.DecodeRuneInString(text[j:])
			fn(i, j+w2)
		}
		for i = j; i < len(text) && !isWordSeparator(text[i]); i++ {
		}
	}
}

// hasWordPrefix is the definition of a prefix fragment's match: some word of the
// folded search text starts with q.
func hasWordPrefix(text, q string) bool {
	for i := 0; ; {
		k := strings.Index(text[i:], q)
		if k < 0 {
			return false
		}
		if at := i + k; at == 0 || isWordSeparator(text[at-1]) {
			return true
		}
		i += k + 1
	}
}

// globSeparator is the set of separators as a SQLite GLOB class: every ASCII character
// but letters and digits (NUL, which no text holds, aside). Migration 011 writes the same
// class as a PostgreSQL regular expression.
const globSeparator = "[\x01-/:-@[-`{-\x7f]"

// searchCondition returns the SQL condition for folded fragment q, whose first
// argument is number n, and its arguments.
func searchCondition(d store.Dialect, org atrium.OrgID, q string, n int) (string, []any) {
	if !isPrefixFragment(q) {
		return fmt.Sprintf("search LIKE $%d ESCAPE '\\'", n), []any{"%" + store.EscapeLike(q) + "%"}
	}
	if d == store.Postgres {
		// The indexed expression, so the planner can use users_search_prefix.
		return fmt.Sprintf("atrium_search_prefixes(org_id, search) @> ARRAY[$%d::text]", n), []any{string(org) + " " + q}
	}
	// q holds no GLOB metacharacter: they are all separators.
	return fmt.Sprintf("(search GLOB $%d OR search GLOB $%d)", n, n+1), []any{q + "*", "*" + globSeparator + q + "*"}
}

// searchCandidates returns, as a JSON array for json_each, the rowids of at most bound
// rows that may contain q, of org (and of any organization whose key collides with
// org's, which the caller's org condition drops). complete is false when the index had
// more than bound; the rowids are then of no use.
func searchCandidates(ctx context.Context, db *store.DB, org atrium.OrgID, q string, bound int) (rowids string, n int, complete bool, err error) {
	rows, err := db.Read().QueryContext(ctx, `SELECT rowid FROM users_search WHERE users_search MATCH $1 LIMIT $2`, searchMatchQuery(string(org), q), bound+1)
	if err != nil {
		return "", 0, false, store.Translate(err)
	}
	defer rows.Close()
	b := make([]byte, 0, 256)
	b = append(b, '[')
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return "", 0, false, store.Translate(err)
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
		n++
	}
	if err := rows.Err(); err != nil {
		return "", 0, false, store.Translate(err)
	}
	return string(append(b, ']')), n, n <= bound, nil
}
