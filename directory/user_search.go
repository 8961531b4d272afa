package directory

import (
	"context"
	"strconv"
	"unicode/utf8"

	"github.com/atrium-admin/atrium/store"
)

// The user list's search matches users.search (display name, username and contact
// email, case and accents folded) two ways:
//
//   - a fragment of one or two letters or digits ("ma", "ł", "7") matches the start of
//     a word of the display name: what an administrator typing the first letters of a
//     name means, and what an index can find (name_prefix.go).
//   - any other fragment (three characters or more, or holding a separator: "o'b",
//     "%") matches anywhere: search LIKE '%q%'.
//
// A B-tree cannot find '%q%', so such a query runs one of two ways:
//
//   - walk: read the list's sort index from the cursor on and keep the rows that match
//     the LIKE. A page costs limit/density index entries, cheap when matches are dense.
//     For the display-name order the index holds the search text, so the walk does not
//     read the table.
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
// The condition (searchCondition) is the definition in both plans; the index only
// narrows which rows it runs on, so results are exactly those of the plain query.

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

// searchCandidates returns, as a JSON array for json_each, the rowids of at most bound
// rows that FTS5 query match finds (searchMatchQuery, restMatchQuery): the rows of an
// organization that may match, and those of any organization whose key collides with
// its, which the caller's org condition drops. complete is false when the index had more
// than bound; the rowids are then of no use.
func searchCandidates(ctx context.Context, db *store.DB, match string, bound int) (rowids string, n int, complete bool, err error) {
	rows, err := db.Read().QueryContext(ctx, `SELECT rowid FROM users_search WHERE users_search MATCH $1 LIMIT $2`, match, bound+1)
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
