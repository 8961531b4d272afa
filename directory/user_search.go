package directory

import (
	"context"
	"strconv"
	"unicode/utf8"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
)

// The user list's search is a case-insensitive substring match on users.search (display
// name, username and contact email, lower-cased). A B-tree cannot find '%x%', so a query
// runs one of two ways:
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
// The LIKE is the definition in both plans; the index only narrows which rows it runs on,
// so results are exactly those of the plain query.

// searchCandidateLimit bounds how many candidates the SQLite trigram index may return
// before listUsers walks the sort index instead. Around sqrt(limit × users × walk cost /
// lookup cost) balances the two plans' worst cases; 2,000 suits organizations up to
// about a million users.
const searchCandidateLimit = 2000

// maxSearchTrigrams bounds the trigrams of a long fragment that go to the SQLite index;
// a few spread over the fragment narrow the candidates as well as all of them would.
const maxSearchTrigrams = 8

// useTrigramCandidates reports whether listUsers should ask the trigram index for
// candidates for q, a lower-cased fragment, on dialect d.
func useTrigramCandidates(d store.Dialect, q string) bool {
	return d == store.SQLite && utf8.ValidString(q) && utf8.RuneCountInString(q) >= 3
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
