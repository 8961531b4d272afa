package directory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// TestUserSearchMatchesLike checks that the planned user search (index candidates or a
// walk of the sort index) returns exactly what the definition returns (the plain LIKE
// query, or a word start for one or two letters), in the same order, page by page, for
// common, rare, empty, short and metacharacter fragments, every sort order and both plans.
func TestUserSearchMatchesLike(t *testing.T) {
	storetest.Each(t, withAccess(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		orgA := testSearchOrg(t, db, "a")
		orgB := testSearchOrg(t, db, "b")
		// Org B holds the same generated people, so a trigram index that mixed the
		// organizations (or colliding organization keys) would return candidates that
		// tenant isolation must drop.
		// Under the race detector fewer users still drive both plans (bounds 1 and 60
		// below the matches, the real bound above them) and every cursor.
		nA, nB := 2000, 400
		if raceBuild {
			nA, nB = 300, 60
		}
		seedTestUsers(t, db, orgA, "a.test", 1, nA)
		seedTestUsers(t, db, orgB, "b.test", 1, nB)
		// And the first seeded user with a rare surname, when the range holds none.
		rareN := 1
		for !SeedHasRareSurname(rareN) {
			rareN++
		}
		if rareN > nA {
			seedTestUsers(t, db, orgA, "a.test", rareN, rareN)
		}
		rare := strings.ToLower(SeedRareSurname(rareN))
		s := &Service{db: db, clock: atrium.SystemClock{}}
		specials := []string{"100% Sure", "under_score Person", `Back\Slash Person`, `Quote"d Person`, "Seán O'Brien", "O'Brien Junior",
			"Zoë Ångström", "ΣΊΣΥΦΟΣ Papadopoulos", "Percent%Underscore_", "Ann Son", "Anne Sonnet", "x y z",
			"Łukasz Qzwonek", "Xqi-Ło Zen", "7even Up"}
		for i, name := range specials {
			u := &User{Org: orgA, Username: fmt.Sprintf("special%d@a.test", i), DisplayName: name, ContactEmail: fmt.Sprintf("s%d@mail.test", i)}
			if err := db.Tx(ctx, func(tx *store.Tx) error { return s.insertUser(ctx, tx, u, "x", false) }); err != nil {
				t.Fatalf("insert %q: %v", name, err)
			}
		}
		// Soft-delete every 25th seeded user of A, for the deleted list and for the
		// active list's filter.
		if _, err := db.Write().ExecContext(ctx, `UPDATE users SET deleted_at = created_at + 1 WHERE org_id = $1 AND username_key LIKE 'user%25@a.test'`, string(orgA)); err != nil {
			t.Fatal(err)
		}
		fragments := []string{"", "an", "son", "SON", "  son  ", "a", "e", "jo", "smith", "johnson", "000123", "0001", "user00", rare,
			rare[:4], "%", "_", `\`, "'", `"`, "o'b", "100%", "r_", `k\s`, `e"d`, "zoë", "ångs", "σίσυφος", "ς", "n s", "ann son",
			"@mail.test", ".test", "zzzzq", "a.test\nuser", "nnet", "ma", "qz", "xq", "ł", "LU", "ło", "7", "7e", "s0", "x", "z", "σί", "ë"}
		type variant struct {
			sort    SortField
			desc    bool
			deleted bool
		}
		variants := []variant{{SortDisplayName, false, false}, {SortDisplayName, true, false}, {SortUsername, false, false},
			{SortCreated, true, false}, {"", false, true}}
		for _, frag := range fragments {
			want := naiveSearchSet(t, db, orgA, frag)
			for _, v := range variants {
				expect := naiveSearch(t, db, orgA, frag, v.sort, v.desc, v.deleted)
				if !v.deleted && !sameSet(expect, want) {
					t.Fatalf("q=%q: the SQL definition returned %d users, the Go one %d", frag, len(expect), len(want))
				}
				for _, bound := range []int{1, 60, searchCandidateLimit} {
					got := pageAll(t, db, orgA, UserQuery{Q: frag, Sort: v.sort, Desc: v.desc, Deleted: v.deleted, Limit: 17}, bound)
					if !slices.Equal(got, expect) {
						t.Fatalf("q=%q sort=%s desc=%v deleted=%v bound=%d: got %d users, want %d\n got %v\nwant %v",
							frag, v.sort, v.desc, v.deleted, bound, len(got), len(expect), head(got), head(expect))
					}
				}
			}
		}

		// The trigram index follows renames and deletes.
		var id, oldName string
		if err := db.Read().QueryRowContext(ctx, `SELECT id, display_name FROM users WHERE org_id = $1 AND deleted_at IS NULL ORDER BY id LIMIT 1`,
			string(orgA)).Scan(&id, &oldName); err != nil {
			t.Fatal(err)
		}
		u, err := getUserNoRoles(ctx, db, orgA, atrium.UserID(id))
		if err != nil {
			t.Fatal(err)
		}
		u.DisplayName = "Quintessa Xylophone"
		if _, err := db.Write().ExecContext(ctx, `UPDATE users SET display_name = $1, sort_name = $2, search = $3 WHERE id = $4`,
			u.DisplayName, sortName("en", u.DisplayName), searchText(u), id); err != nil {
			t.Fatal(err)
		}
		for _, bound := range []int{1, searchCandidateLimit} {
			if got := pageAll(t, db, orgA, UserQuery{Q: "xylophone"}, bound); !slices.Equal(got, []string{id}) {
				t.Fatalf("after rename, bound %d: search found %v, want [%s]", bound, got, id)
			}
		}
		if _, err := db.Write().ExecContext(ctx, `DELETE FROM users WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		for _, bound := range []int{1, searchCandidateLimit} {
			if got := pageAll(t, db, orgA, UserQuery{Q: "xylophone"}, bound); len(got) != 0 {
				t.Fatalf("after delete, bound %d: search found %v", bound, got)
			}
		}
	})
}

// TestListUsersRejectsBadInput checks the list's validation errors.
func TestListUsersRejectsBadInput(t *testing.T) {
	storetest.Each(t, withAccess(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := testSearchOrg(t, db, "a")
		for name, uq := range map[string]UserQuery{
			"sort":   {Sort: "password_hash"},
			"q":      {Q: strings.Repeat("x", MaxQueryLength+1)},
			"cursor": {Cursor: "not-a-cursor"},
		} {
			if _, err := listUsers(ctx, db, org, uq); atrium.ErrorCode(err) != atrium.CodeInvalid {
				t.Errorf("%s: got %v, want invalid", name, err)
			}
		}
	})
}

func testSearchOrg(t testing.TB, db *store.DB, prefix string) atrium.OrgID {
	t.Helper()
	id := atrium.OrgID(uuid.Must(uuid.NewV7()).String())
	now := store.Micros(time.Now())
	_, err := db.Write().ExecContext(context.Background(), `INSERT INTO organizations (id, name, name_key, domain_prefix, initial_domain, state, contact_email, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, 'active', 'c@example.com', $6, $6)`, string(id), "Org "+prefix, "org "+prefix, prefix, prefix+".test", now)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func seedTestUsers(t *testing.T, db *store.DB, org atrium.OrgID, domain string, from, to int) {
	t.Helper()
	if err := SeedUsers(context.Background(), db, SeedInput{Org: org, Domain: domain, PasswordHash: "x", From: from, To: to}); err != nil {
		t.Fatalf("seed: %v", err)
	}
}

func getUserNoRoles(ctx context.Context, db *store.DB, org atrium.OrgID, id atrium.UserID) (*User, error) {
	return scanUser(db.Read().QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 AND org_id = $2`, string(id), string(org)))
}

// pageAll follows the cursor through every page of uq and returns the user IDs.
func pageAll(t *testing.T, db *store.DB, org atrium.OrgID, uq UserQuery, bound int) []string {
	t.Helper()
	var ids []string
	for range 10_000 {
		page, err := listUsersBounded(context.Background(), db, org, uq, bound)
		if err != nil {
			t.Fatalf("list %+v: %v", uq, err)
		}
		if len(page.Items) > max(uq.Limit, 1) {
			t.Fatalf("list %+v: %d items on a page", uq, len(page.Items))
		}
		for _, u := range page.Items {
			ids = append(ids, string(u.ID))
		}
		if page.NextCursor == "" {
			return ids
		}
		uq.Cursor = page.NextCursor
	}
	t.Fatalf("list %+v: the cursor never ends", uq)
	return nil
}

// naiveSearch is the definition: the plain LIKE query over every row, sorted; for a
// fragment of one or two letters, every row sorted and kept when a word starts with it
// (naiveMatch).
func naiveSearch(t *testing.T, db *store.DB, org atrium.OrgID, q string, sort SortField, desc, deleted bool) []string {
	t.Helper()
	col := map[SortField]string{"": "sort_name", SortDisplayName: "sort_name", SortUsername: "username_key", SortCreated: "created_at"}[sort]
	where := "deleted_at IS NULL"
	if deleted {
		where, col = "deleted_at IS NOT NULL", "deleted_at"
	}
	dir := "ASC"
	if desc {
		dir = "DESC"
	}
	q = SearchFragment(q)
	like := "%" + store.EscapeLike(q) + "%"
	prefix := naivePrefixFragment(q)
	if prefix {
		like = "%"
	}
	rows, err := db.Read().QueryContext(context.Background(), `SELECT id, search FROM users WHERE org_id = $1 AND `+where+
		` AND search LIKE $2 ESCAPE '\' ORDER BY `+col+` `+dir+`, id `+dir, string(org), like)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id, search string
		if err := rows.Scan(&id, &search); err != nil {
			t.Fatal(err)
		}
		if !prefix || naiveMatch(search, q) {
			ids = append(ids, id)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ids) == 0 {
		return nil
	}
	return ids
}

// naivePrefixFragment: one or two characters, none an ASCII character other than a
// letter or digit.
func naivePrefixFragment(q string) bool {
	n := utf8.RuneCountInString(q)
	return n >= 1 && n <= 2 && strings.IndexFunc(q, naiveSeparator) < 0
}

func naiveSeparator(r rune) bool {
	return r < 0x80 && !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

// naiveMatch is the definition of a match of folded text and fragment q, in the
// simplest words: a word of the display name (the first line) starts with a short
// fragment, the text contains a longer one.
func naiveMatch(text, q string) bool {
	if !naivePrefixFragment(q) {
		return strings.Contains(text, q)
	}
	name, _, _ := strings.Cut(text, "\n")
	for _, w := range strings.FieldsFunc(name, naiveSeparator) {
		if strings.HasPrefix(w, q) {
			return true
		}
	}
	return false
}

// naiveSearchSet is the definition again, without SQL: the active users whose
// display name, username or contact email matches q (naiveMatch), ignoring case.
func naiveSearchSet(t *testing.T, db *store.DB, org atrium.OrgID, q string) map[string]bool {
	t.Helper()
	rows, err := db.Read().QueryContext(context.Background(), `SELECT id, display_name, username, contact_email FROM users WHERE org_id = $1 AND deleted_at IS NULL`, string(org))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	q = SearchFragment(q)
	set := map[string]bool{}
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.DisplayName, &u.Username, &u.ContactEmail); err != nil {
			t.Fatal(err)
		}
		if naiveMatch(searchText(&u), q) {
			set[string(u.ID)] = true
		}
	}
	return set
}

func sameSet(ids []string, set map[string]bool) bool {
	if len(ids) != len(set) {
		return false
	}
	for _, id := range ids {
		if !set[id] {
			return false
		}
	}
	return true
}

func head(ids []string) []string {
	return ids[:min(len(ids), 5)]
}

// TestSeedUsers checks the bulk insert behind "atrium seed": rows as CreateUser would
// write them (search and sort_name included), resumable, and refusing duplicates.
func TestSeedUsers(t *testing.T) {
	storetest.Each(t, withAccess(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := testSearchOrg(t, db, "a")
		seedTestUsers(t, db, org, "a.test", 1, 300)
		seedTestUsers(t, db, org, "a.test", 301, 520)
		if n, err := CountSeededUsers(ctx, db, org); err != nil || n != 520 {
			t.Fatalf("CountSeededUsers = %d, %v; want 520", n, err)
		}
		err := SeedUsers(ctx, db, SeedInput{Org: org, Domain: "a.test", PasswordHash: "x", From: 500, To: 510})
		if atrium.ErrorCode(err) != atrium.CodeConflict {
			t.Fatalf("seeding existing users: got %v, want conflict", err)
		}
		if db.Dialect == store.SQLite {
			// The indexes a bulk insert drops are there again, even after a failed one,
			// and EnsureSearchIndexes builds one a killed seed left dropped.
			count := func() int {
				var n int
				if err := db.Read().QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN
					('users_org_start1', 'users_org_start2', 'users_org_name_search')`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := count(); n != 3 {
				t.Fatalf("%d of the 3 deferred indexes after seeding", n)
			}
			if _, err := db.Write().ExecContext(ctx, `DROP INDEX users_org_start2`); err != nil {
				t.Fatal(err)
			}
			if err := EnsureSearchIndexes(ctx, db); err != nil || count() != 3 {
				t.Fatalf("EnsureSearchIndexes: %v, %d indexes", err, count())
			}
		}
		rows, err := db.Read().QueryContext(ctx, `SELECT username, display_name, sort_name, contact_email, search, department, password_hash FROM users WHERE org_id = $1`, string(org))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		seen := 0
		for rows.Next() {
			var u User
			var sortKey, search, hash string
			if err := rows.Scan(&u.Username, &u.DisplayName, &sortKey, &u.ContactEmail, &search, &u.Department, &hash); err != nil {
				t.Fatal(err)
			}
			if search != searchText(&u) || sortKey != sortName("en", u.DisplayName) || hash != "x" || u.Department == "" {
				t.Fatalf("seeded row %+v: search %q, sort_name %q, hash %q", u, search, sortKey, hash)
			}
			seen++
		}
		if err := rows.Err(); err != nil || seen != 520 {
			t.Fatalf("read %d seeded users (%v), want 520", seen, err)
		}
		if got, want := SeedUsername(7, "a.test"), "user000007@a.test"; got != want {
			t.Errorf("SeedUsername = %q, want %q", got, want)
		}
	})
}

// withAccess is the directory's migrations with access's, whose role assignments the
// user list reads.
func withAccess() []store.Migration {
	return append(append([]store.Migration{}, Migrations...), access.Migrations...)
}

// TestSearchIgnoresAccentsAndCase: "muller" finds Müller, "lukasz" Łukasz, "OYSTEIN"
// Øystein and "strasse" Straße, on both databases; and users written before the search
// text was folded are folded by the migration.
func TestSearchIgnoresAccentsAndCase(t *testing.T) {
	storetest.Each(t, withAccess(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := testSearchOrg(t, db, "fold")
		s := &Service{db: db, clock: atrium.SystemClock{}}
		names := []string{"Jörg Müller", "Łukasz Żółć", "Øystein Ærø", "Åsa Öberg", "Hans Straße", "Plain Person"}
		ids := map[string]atrium.UserID{}
		for i, name := range names {
			u := &User{Org: org, Username: fmt.Sprintf("fold%d@fold.test", i), DisplayName: name}
			if err := db.Tx(ctx, func(tx *store.Tx) error { return s.insertUser(ctx, tx, u, "x", false) }); err != nil {
				t.Fatal(err)
			}
			ids[name] = u.ID
		}
		check := func(when string) {
			t.Helper()
			for q, want := range map[string]string{"muller": "Jörg Müller", "MÜLLER": "Jörg Müller", "lukasz": "Łukasz Żółć", "zolc": "Łukasz Żółć",
				"oystein": "Øystein Ærø", "aero": "Øystein Ærø", "asa oberg": "Åsa Öberg", "strasse": "Hans Straße", "jorg": "Jörg Müller"} {
				for _, bound := range []int{1, searchCandidateLimit} {
					got := pageAll(t, db, org, UserQuery{Q: q}, bound)
					if !slices.Equal(got, []string{string(ids[want])}) {
						t.Errorf("%s: q=%q bound=%d found %v, want %s", when, q, bound, got, want)
					}
				}
			}
		}
		check("new users")
		// Rows as the search text was before folding: lower-cased only.
		for _, name := range names {
			if _, err := db.Write().ExecContext(ctx, `UPDATE users SET search = $1 WHERE id = $2`,
				strings.ToLower(name+"\n"), string(ids[name])); err != nil {
				t.Fatal(err)
			}
		}
		if got := pageAll(t, db, org, UserQuery{Q: "muller"}, 1); len(got) != 0 {
			t.Fatalf("the unfolded row was found: %v", got)
		}
		err := db.Tx(ctx, func(tx *store.Tx) error { return foldSearch(ctx, tx.Tx, db.Dialect) })
		if err != nil {
			t.Fatal(err)
		}
		check("after the migration")
	})
}

// TestSortKeysMigration: migration 010 rewrites the sort keys written before it (the
// lower-cased display name) for each organization's language, in batches.
func TestSortKeysMigration(t *testing.T) {
	storetest.Each(t, withAccess(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		pl, sv := testSearchOrg(t, db, "pl"), testSearchOrg(t, db, "sv")
		for org, lang := range map[atrium.OrgID]string{pl: "pl", sv: "sv"} {
			if _, err := db.Write().ExecContext(ctx, `UPDATE organizations SET language = $1 WHERE id = $2`, lang, string(org)); err != nil {
				t.Fatal(err)
			}
		}
		s := &Service{db: db, clock: atrium.SystemClock{}}
		for i, name := range []string{"Łukasz", "Lucyna", "Maria", "Åsa", "Zofia"} {
			for _, org := range []atrium.OrgID{pl, sv} {
				u := &User{Org: org, Username: fmt.Sprintf("u%d@%s.test", i, org), DisplayName: name}
				if err := db.Tx(ctx, func(tx *store.Tx) error { return s.insertUser(ctx, tx, u, "x", false) }); err != nil {
					t.Fatal(err)
				}
			}
		}
		seedTestUsers(t, db, pl, "pl.test", 1, 2*sortKeyBatch+10)
		if _, err := db.Write().ExecContext(ctx, `UPDATE users SET sort_name = lower(display_name)`); err != nil {
			t.Fatal(err)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error { return sortKeys(ctx, tx.Tx, db.Dialect) }); err != nil {
			t.Fatal(err)
		}
		rows, err := db.Read().QueryContext(ctx, `SELECT u.display_name, u.sort_name, o.language FROM users u JOIN organizations o ON o.id = u.org_id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var name, key, lang string
			if err := rows.Scan(&name, &key, &lang); err != nil {
				t.Fatal(err)
			}
			if key != sortName(lang, name) {
				t.Fatalf("%s user %q: sort_name %q, want %q", lang, name, key, sortName(lang, name))
			}
			n++
		}
		if n != 10+2*sortKeyBatch+10 {
			t.Fatalf("read %d users", n)
		}
		names := func(org atrium.OrgID) []string {
			var out []string
			for _, id := range pageAll(t, db, org, UserQuery{Limit: 2}, searchCandidateLimit) {
				u, err := getUserNoRoles(ctx, db, org, atrium.UserID(id))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(u.Username, "user") {
					out = append(out, u.DisplayName)
				}
			}
			return out
		}
		if got, want := names(sv), []string{"Lucyna", "Łukasz", "Maria", "Zofia", "Åsa"}; !slices.Equal(got, want) {
			t.Errorf("Swedish organization: %q, want %q", got, want)
		}
	})
}
