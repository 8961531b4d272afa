package directory

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// TestSearchGrams checks the SQLite index's tokens: the same for the same text, distinct
// for distinct organizations, one per distinct trigram, only [0-9a-z], and a fragment's
// query tokens among those of every text containing it.
func TestSearchGrams(t *testing.T) {
	orgA, orgB := uuid.Must(uuid.NewV7()).String(), uuid.Must(uuid.NewV7()).String()
	text := searchKey("Zoë Ångström-Smith", "zoe@a.test", "Zoë \"Q\" O'Brien 100%")
	a1, a2, b := searchGrams(orgA, text), searchGrams(orgA, text), searchGrams(orgB, text)
	if a1 != a2 {
		t.Fatalf("the same arguments gave two results:\n%s\n%s", a1, a2)
	}
	ta, tb := strings.Fields(a1), strings.Fields(b)
	distinct := map[string]bool{}
	for _, g := range searchTrigrams(text) {
		distinct[g] = true
	}
	// The display name's words: the first one's starts, and the others'.
	name, _, _ := strings.Cut(text, "\n")
	firstStarts, restStarts := map[string]bool{}, map[string]bool{}
	for i, w := range strings.FieldsFunc(name, naiveSeparator) {
		r := []rune(w)
		set := restStarts
		if i == 0 {
			set = firstStarts
		}
		set[string(r[:1])] = true
		set[string(r[:min(2, len(r))])] = true
	}
	if n := len(distinct) + len(firstStarts) + len(restStarts); len(ta) != n || len(tb) != n {
		t.Fatalf("%d and %d tokens for %d distinct trigrams and %d+%d word starts", len(ta), len(tb), len(distinct), len(firstStarts), len(restStarts))
	}
	for p := range restStarts {
		if q := strings.Trim(restMatchQuery(orgA, p), `"`); !slices.Contains(ta, q) {
			t.Fatalf("word start %q: query token %s is not in the text's tokens", p, q)
		}
	}
	for p := range firstStarts {
		if q := strings.Split(searchMatchQuery(orgA, p), " OR ")[0]; !slices.Contains(ta, strings.Trim(q, `"`)) {
			t.Fatalf("first word's start %q: query token %s is not in the text's tokens", p, q)
		}
		if nameStart(text, utf8.RuneCountInString(p)) != p {
			t.Fatalf("nameStart(%q, %d) is not %q", text, utf8.RuneCountInString(p), p)
		}
	}
	for _, tok := range ta {
		if strings.Trim(tok, "0123456789abcdefghijklmnopqrstuvwxyz") != "" {
			t.Fatalf("token %q has characters outside [0-9a-z]", tok)
		}
		if slices.Contains(tb, tok) {
			t.Fatalf("token %q is in both organizations' text", tok)
		}
	}
	h := fnv.New64a()
	h.Write([]byte(orgA))
	if got, want := searchOrgKey(orgA), fmt.Sprintf("%016x", h.Sum64())[:searchOrgKeyLen]; got != want {
		t.Fatalf("searchOrgKey = %s, want the FNV-64a prefix %s", got, want)
	}
	// Distinct trigrams have distinct tokens, escapes included.
	tokens := map[string]string{}
	for _, g := range []string{"abc", "z20", " 20", "z7a", "zzz", "zz ", "a b", "a\nb", "ab\n", "é a", "e a", "ea ", "000", "0 0", "\"'%"} {
		tok := string(appendSearchToken(nil, searchOrgKey(orgA), g))
		if other, dup := tokens[tok]; dup {
			t.Fatalf("trigrams %q and %q share the token %s", g, other, tok)
		}
		tokens[tok] = g
	}
	if searchOrgKey(orgA) == searchOrgKey(orgB) {
		t.Fatalf("two organizations share the key %s", searchOrgKey(orgA))
	}
	if got, want := searchGrams(orgA, "ab c"), searchOrgKey(orgA)+"abz20 "+searchOrgKey(orgA)+"bz20c "+searchOrgKey(orgA)+"zya "+searchOrgKey(orgA)+"zyab "+searchOrgKey(orgA)+"zzc"; got != want {
		t.Fatalf("searchGrams(\"ab c\") = %q, want its trigrams and word starts %q", got, want)
	}
	// A word start and a trigram never share a token, nor do two word starts.
	for _, p := range []string{"a", "ab", "z", "za", "z7", "7a", "ł", "łu", "é"} {
		for _, first := range []bool{true, false} {
			tok := string(appendPrefixToken(nil, searchOrgKey(orgA), p, first))
			if other, dup := tokens[tok]; dup {
				t.Fatalf("word start %q and %q share the token %s", p, other, tok)
			}
			tokens[tok] = p
		}
	}
	if got, want := searchGrams(orgA, "ABC"), searchGrams(orgA, "abc"); got != want {
		t.Fatalf("ASCII case is not ignored: %q, %q", got, want)
	}
	// Every fragment of the text, long ones included (sampled trigrams), asks only for
	// tokens the text has.
	runes := []rune(text)
	for i := range runes {
		for j := i + 3; j <= len(runes); j++ {
			q := searchMatchQuery(orgA, string(runes[i:j]))
			for tok := range strings.SplitSeq(q, " AND ") {
				if !slices.Contains(ta, strings.Trim(tok, `"`)) {
					t.Fatalf("fragment %q: query token %s is not in the text's tokens", string(runes[i:j]), tok)
				}
			}
			if n := strings.Count(q, " AND ") + 1; n > maxSearchTrigrams {
				t.Fatalf("fragment %q: %d tokens, at most %d", string(runes[i:j]), n, maxSearchTrigrams)
			}
		}
	}
	if q := searchMatchQuery(orgB, "smith"); strings.Contains(a1, strings.Trim(strings.Split(q, " AND ")[0], `"`)) {
		t.Fatalf("organization B's query %s matches organization A's text", q)
	}
}

// TestSearchSmallOrgBesideBigOne: a search in a small organization returns exactly its
// own matching users, never the other organization's, when the other holds many more
// users containing the fragment than the candidate bound; on SQLite the trigram index's
// candidates are the small organization's only.
func TestSearchSmallOrgBesideBigOne(t *testing.T) {
	storetest.Each(t, withAccess(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		small := testSearchOrg(t, db, "small")
		big := testSearchOrg(t, db, "big")
		// The same generated people: every fragment of a small-org user is in the big
		// organization many times over.
		seedTestUsers(t, db, small, "small.test", 1, 40)
		seedTestUsers(t, db, big, "big.test", 1, 1500)
		s := &Service{db: db, clock: atrium.SystemClock{}}
		u := &User{Org: big, Username: "only@big.test", DisplayName: "Quillon Vexworth"}
		if err := db.Tx(ctx, func(tx *store.Tx) error { return s.insertUser(ctx, tx, u, "x", false) }); err != nil {
			t.Fatal(err)
		}
		const bound = 100
		bigIDs := map[string]bool{}
		for _, id := range pageAll(t, db, big, UserQuery{Limit: 200}, bound) {
			bigIDs[id] = true
		}
		for _, frag := range []string{"son", "smith", "john", "user00", "user000007", "small.test", "mail", "an", "big.test", "quillon", "vexworth"} {
			want := naiveSearch(t, db, small, frag, SortDisplayName, false, false)
			inBig := len(naiveSearch(t, db, big, frag, SortDisplayName, false, false))
			for _, b := range []int{bound, searchCandidateLimit} {
				got := pageAll(t, db, small, UserQuery{Q: frag, Limit: 17}, b)
				if !slices.Equal(got, want) {
					t.Fatalf("q=%q bound=%d: got %d users, want %d (the big organization has %d)", frag, b, len(got), len(want), inBig)
				}
				for _, id := range got {
					if bigIDs[id] {
						t.Fatalf("q=%q: the small organization's search returned the big organization's user %s", frag, id)
					}
				}
			}
			q := SearchFragment(frag)
			if !useTrigramCandidates(db.Dialect, q) {
				continue
			}
			// The index's candidates are the small organization's: complete under the
			// bound, and no more than its users, however many the big one matches.
			_, n, complete, err := searchCandidates(ctx, db, searchMatchQuery(string(small), q), bound)
			if err != nil {
				t.Fatal(err)
			}
			if !complete || n > 40 || n < len(want) {
				t.Fatalf("q=%q: %d candidates (complete %v) for %d matches in the small organization, %d in the big one", frag, n, complete, len(want), inBig)
			}
			if inBig > bound {
				_, nb, completeBig, err := searchCandidates(ctx, db, searchMatchQuery(string(big), q), bound)
				if err != nil {
					t.Fatal(err)
				}
				if completeBig {
					t.Fatalf("q=%q: the big organization's %d matches gave %d candidates, complete", frag, inBig, nb)
				}
			}
		}
		// Moving a user to the other organization moves its index tokens.
		if _, err := db.Write().ExecContext(ctx, `UPDATE users SET org_id = $1 WHERE id = $2`, string(small), string(u.ID)); err != nil {
			t.Fatal(err)
		}
		for _, b := range []int{1, searchCandidateLimit} {
			if got := pageAll(t, db, small, UserQuery{Q: "vexworth"}, b); !slices.Equal(got, []string{string(u.ID)}) {
				t.Fatalf("after the move, bound %d: the small organization found %v, want [%s]", b, got, u.ID)
			}
			if got := pageAll(t, db, big, UserQuery{Q: "vexworth"}, b); len(got) != 0 {
				t.Fatalf("after the move, bound %d: the big organization found %v", b, got)
			}
		}
	})
}

// TestSearchGramsFunction checks that the SQL function the index's triggers call gives
// searchGrams's result, and that the triggers fill the index as the migration does.
func TestSearchGramsFunction(t *testing.T) {
	storetest.Each(t, withAccess(), func(t *testing.T, db *store.DB) {
		if db.Dialect != store.SQLite {
			t.Skip("the function and the index are SQLite's")
		}
		ctx := context.Background()
		org := testSearchOrg(t, db, "fn")
		seedTestUsers(t, db, org, "fn.test", 1, 50)
		var got string
		text := searchKey("Åsa Öberg", "asa@fn.test", "")
		if err := db.Read().QueryRowContext(ctx, `SELECT `+searchGramsFunc+`($1, $2)`, string(org), text).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := searchGrams(string(org), text); got != want {
			t.Fatalf("SQL function gave %q, want %q", got, want)
		}
		// Every seeded user is found by its own search text's first trigram.
		rows, err := db.Read().QueryContext(ctx, `SELECT rowid, search FROM users WHERE org_id = $1`, string(org))
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			rowid  int64
			search string
		}
		var all []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.rowid, &r.search); err != nil {
				t.Fatal(err)
			}
			all = append(all, r)
		}
		rows.Close()
		for _, r := range all {
			q := searchMatchQuery(string(org), string([]rune(r.search)[:min(len([]rune(r.search)), 12)]))
			var n int
			if err := db.Read().QueryRowContext(ctx, `SELECT count(*) FROM users_search WHERE users_search MATCH $1 AND rowid = $2`, q, r.rowid).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Fatalf("row %d (%q) is not in the index under %s", r.rowid, r.search, q)
			}
		}
		if len(all) != 50 {
			t.Fatalf("read %d seeded users, want 50", len(all))
		}
	})
}

// BenchmarkSearchGrams measures the function the index's triggers call per user written.
func BenchmarkSearchGrams(b *testing.B) {
	org := uuid.Must(uuid.NewV7()).String()
	p := SeedProfile(12345)
	text := searchKey(p.DisplayName, SeedUsername(12345, "bench-org.atrium.localhost"), p.ContactEmail)
	b.ReportAllocs()
	for b.Loop() {
		searchGrams(org, text)
	}
}
