package directory

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
)

// A search of one or two letters or digits ("ma", "ł", "7") matches the users with a
// word of the display name starting with it: what an administrator typing the first
// letters of a name means. Inside words, two letters match a third of the users; no
// index narrows that, and a rare pair ("qz") had to read the whole organization.
//
// Words are the runs between ASCII characters that are not letters or digits (space,
// ".", "-", "'"...); letters of every script are word characters. The display name is
// the search text up to its first newline (searchKey). hasNamePrefix is the definition;
// migration 011 writes the same in SQL for PostgreSQL.
//
// Word starts are clustered in the list's order: the display-name order is first-name
// order, so the users named Eric are one run of the sort index, late in the alphabet.
// Walking the index to a run costs what precedes it (a whole organization for "ti"), and
// sorting a run found elsewhere costs its size. So the start of the first word and the
// starts of the other words are indexed apart:
//
//   - the first word's first one and two characters are index expressions,
//     atrium_name_start(search, n), in an index of the display-name order (org_id,
//     atrium_name_start(search, n), sort_name, id): a page of the users whose first name
//     starts with q is a range of that index, in order, however long the run is.
//   - the other words' starts (surnames, middle names) are spread over the list: on
//     SQLite tokens of the FTS5 index (the organization key, "zz" and the start; the
//     first word's are "zy"); on PostgreSQL a regular expression (otherWordRegexp), which
//     pg_trgm's index narrows by its word-start trigram. Rare ones come from the index,
//     common ones are dense and a walk finds a page quickly.
//
// In the display-name order a page is the first limit rows of the union of both parts
// (nameStartPage); the other orders use the whole condition (searchCondition) with the
// usual plans.

// maxPrefixRunes is the length up to which a fragment of word characters matches the
// start of a word rather than anywhere.
const maxPrefixRunes = 2

// Function names the SQL calls. On SQLite they are Go functions registered with the
// driver (search_sqlite.go); on PostgreSQL, SQL functions of migration 011.
const (
	nameStartFunc = "atrium_name_start" // atrium_name_start(search, n): the first word's first n characters, or ''
	nameMatchFunc = "atrium_name_match" // SQLite only: atrium_name_match(search, q): see nameMatch
)

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

// displayNameOf returns the display-name part of search text text.
func displayNameOf(text string) string {
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		return text[:i]
	}
	return text
}

// eachNameWordStart calls fn with the byte offsets of the first one and the first two
// characters of every word of text's display name (one only for a one-character word),
// in order, repeats included; first says whether the word is the first.
func eachNameWordStart(text string, fn func(start, end int, first bool)) {
	name := displayNameOf(text)
	first := true
	for i := 0; i < len(name); {
		if isWordSeparator(name[i]) {
			i++
			continue
		}
		_, w1 := utf8.DecodeRuneInString(name[i:])
		fn(i, i+w1, first)
		j := i + w1
		if j < len(name) && !isWordSeparator(name[j]) {
			_, w2 := utf8.DecodeRuneInString(name[j:])
			fn(i, j+w2, first)
		}
		for i = j; i < len(name) && !isWordSeparator(name[i]); i++ {
		}
		first = false
	}
}

// nameStart returns the first n characters of the first word of text's display name,
// or "" when it has no word.
func nameStart(text string, n int) string {
	name := displayNameOf(text)
	i := 0
	for i < len(name) && isWordSeparator(name[i]) {
		i++
	}
	j := i
	for k := 0; k < n && j < len(name) && !isWordSeparator(name[j]); k++ {
		_, w := utf8.DecodeRuneInString(name[j:])
		j += w
	}
	return name[i:j]
}

// nameMatch says how text's display name matches prefix fragment q: the sum of
// matchFirst when its first word starts with q and matchOther when another word does.
func nameMatch(text, q string) int {
	name := displayNameOf(text)
	m := 0
	if nameStart(name, utf8.RuneCountInString(q)) == q {
		m = matchFirst
	}
	// Every start of a word after the first: q preceded by a separator.
	for i := firstWordStart(name) + 1; i < len(name); {
		k := strings.Index(name[i:], q)
		if k < 0 {
			break
		}
		if at := i + k; isWordSeparator(name[at-1]) {
			return m | matchOther
		} else {
			i = at + 1
		}
	}
	return m
}

const (
	matchOther = 1
	matchFirst = 2
)

// firstWordStart returns the offset of the first word of name (len(name) if none).
func firstWordStart(name string) int {
	i := 0
	for i < len(name) && isWordSeparator(name[i]) {
		i++
	}
	return i
}

// hasNamePrefix is the definition of a prefix fragment's match: a word of the display
// name of folded search text text starts with q.
func hasNamePrefix(text, q string) bool { return nameMatch(text, q) > 0 }

// nameStartExpr is the indexed expression of the first word's start for fragment q.
func nameStartExpr(q string) string {
	return fmt.Sprintf("%s(search, %d)", nameStartFunc, utf8.RuneCountInString(q))
}

// searchCondition returns the SQL condition for folded fragment q, whose first
// argument is number n, and its arguments: the whole definition, for any order.
func searchCondition(d store.Dialect, org atrium.OrgID, q string, n int) (string, []any) {
	if !isPrefixFragment(q) {
		return fmt.Sprintf("search LIKE $%d ESCAPE '\\'", n), []any{"%" + store.EscapeLike(q) + "%"}
	}
	if d == store.Postgres {
		rest, args := restCondition(d, org, q, n+1)
		return fmt.Sprintf("(%s = $%d OR %s)", nameStartExpr(q), n, rest), append([]any{q}, args...)
	}
	// instr first: the C function rejects most rows before the Go one is called.
	return fmt.Sprintf("instr(search, $%d) > 0 AND %s(search, $%d) > 0", n, nameMatchFunc, n), []any{q}
}

// firstWordCondition and restCondition split searchCondition for nameStartIDs: the
// users whose first word starts with q, and those with another word starting with q.
// Some are both; the rest part does not leave them out, or a walk for it would have to
// read past every run of first names starting with q.
func firstWordCondition(q string, n int) (string, []any) {
	return fmt.Sprintf("%s = $%d", nameStartExpr(q), n), []any{q}
}

func restCondition(d store.Dialect, org atrium.OrgID, q string, n int) (string, []any) {
	if d == store.Postgres {
		// pg_trgm's GIN index narrows it for rare starts: a separator then q is its
		// word-start trigram " q" (or "  q"); the planner walks for common ones.
		return fmt.Sprintf("search ~ $%d", n), []any{otherWordRegexp(q)}
	}
	return fmt.Sprintf("instr(search, $%d) > 0 AND %s(search, $%d) & %d <> 0", n, nameMatchFunc, n, matchOther), []any{q}
}

// Separator classes of PostgreSQL regular expressions: every ASCII character but letters
// and digits, and the same without the newline (NUL, which no text holds, aside).
const (
	regexpSeparator          = "[\\x01-/:-@[-`{-\\x7f]"
	regexpSeparatorNoNewline = "[\\x01-\\x09\\x0b-/:-@[-`{-\\x7f]"
)

// otherWordRegexp returns the PostgreSQL regular expression of a display name (the text
// up to the first newline) with a word after the first starting with prefix fragment q,
// which holds no metacharacter (they are all separators).
func otherWordRegexp(q string) string {
	return "^" + regexpSeparator + "*[^\\x01-/:-@[-`{-\\x7f]+[^\\n]*" + regexpSeparatorNoNewline + q
}

// nameStartIDs returns the query of the IDs of a display-name-ordered page of org's
// active users matching prefix fragment q, and its arguments: where and args are the
// list's conditions and arguments without the search ($1 is the organization), order
// its ORDER BY, limit the rows wanted. The page is the first limit rows of two parts,
// each read in order and cut at limit: the users whose first word starts with q (a
// range of the first-word index) and the other matches (from the other words' index
// when there are at most bound of them, else a walk of the display-name index).
func nameStartIDs(ctx context.Context, db *store.DB, org atrium.OrgID, q, where string, args []any, order string, limit, bound int) (string, []any, error) {
	args = append(args, limit)
	lim := fmt.Sprintf(" LIMIT $%d", len(args))
	first, firstArgs := firstWordCondition(q, len(args)+1)
	args = append(args, firstArgs...)
	from := "users"
	if db.Dialect == store.SQLite {
		// Without statistics SQLite prefers the covering display-name index and tests
		// every row; the first-word index reads only the range.
		from = fmt.Sprintf("users INDEXED BY users_org_start%d", utf8.RuneCountInString(q))
	}
	firstPart := `SELECT id, sort_name FROM ` + from + ` WHERE org_id = $1` + where + ` AND ` + first + ` ` + order + lim
	rest, restArgs := restCondition(db.Dialect, org, q, len(args)+1)
	args = append(args, restArgs...)
	orgCond := "org_id = $1"
	if db.Dialect == store.SQLite {
		rowids, n, complete, err := searchCandidates(ctx, db, restMatchQuery(string(org), q), bound)
		if err != nil {
			return "", nil, err
		}
		switch {
		case complete && n == 0:
			return `SELECT id FROM (` + firstPart + `) AS f`, args, nil
		case complete:
			args = append(args, rowids)
			orgCond = "+org_id = $1" // look the candidates up by rowid; see listUsersBounded
			rest += fmt.Sprintf(" AND rowid IN (SELECT value FROM json_each($%d))", len(args))
		}
	}
	restPart := `SELECT id, sort_name FROM users WHERE ` + orgCond + where + ` AND ` + rest + ` ` + order + lim
	return `SELECT id FROM (SELECT id, sort_name FROM (` + firstPart + `) AS f UNION SELECT id, sort_name FROM (` + restPart + `) AS r) AS m ` +
		order + lim, args, nil
}
