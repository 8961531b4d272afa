package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// rankedRow is a row of the keyset test table: k repeats, id breaks ties.
type rankedRow struct {
	k  int64
	id string
}

func rankedMigrations() []store.Migration {
	sql := `CREATE TABLE ranked (grp TEXT NOT NULL, k BIGINT NOT NULL, id TEXT PRIMARY KEY);
CREATE INDEX ranked_grp_k_id ON ranked (grp, k, id)`
	return []store.Migration{{Module: "pagetest", Version: 1, Name: "ranked", SQL: map[store.Dialect]string{store.SQLite: sql, store.Postgres: sql}}}
}

// listRanked is a list as a module writes it with store.Keyset: one group, a page after cursor.
func listRanked(ctx context.Context, db *store.DB, ks store.Keyset, grp, cursor string, size int) ([]rankedRow, string, error) {
	var k int64
	var id string
	page, err := ks.Page([]any{grp}, cursor, size, &k, &id)
	if err != nil {
		return nil, "", err
	}
	rows, err := db.Read().QueryContext(ctx, `SELECT k, id FROM ranked WHERE grp = $1 AND `+page.Where+` `+page.OrderLimit, page.Args...)
	if err != nil {
		return nil, "", store.Translate(err)
	}
	defer rows.Close()
	var out []rankedRow
	for rows.Next() {
		var r rankedRow
		if err := rows.Scan(&r.k, &r.id); err != nil {
			return nil, "", store.Translate(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", store.Translate(err)
	}
	out, next := store.NextPage(page, out, func(r rankedRow) []any { return []any{r.k, r.id} })
	return out, next, nil
}

func TestKeysetPagesEqualKeysExactlyOnce(t *testing.T) {
	storetest.Each(t, rankedMigrations(), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// 23 rows in group "a" over only 4 distinct k values, so most page boundaries fall
		// between rows with the same k; group "b" interleaves and must never appear.
		var want []rankedRow
		err := db.Tx(ctx, func(tx *store.Tx) error {
			for i := range 23 {
				r := rankedRow{k: int64(i % 4), id: fmt.Sprintf("a%02d", (i*7)%23)}
				want = append(want, r)
				if _, err := tx.ExecContext(ctx, `INSERT INTO ranked (grp, k, id) VALUES ('a', $1, $2), ('b', $1, $3)`, r.k, r.id, "b"+r.id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		asc := slices.Clone(want)
		slices.SortFunc(asc, func(x, y rankedRow) int {
			if x.k != y.k {
				return int(x.k - y.k)
			}
			return compareStrings(x.id, y.id)
		})
		desc := slices.Clone(asc)
		slices.Reverse(desc)
		for _, c := range []struct {
			name string
			ks   store.Keyset
			want []rankedRow
		}{
			{"ascending", store.Keyset{Columns: []string{"k", "id"}}, asc},
			{"descending", store.Keyset{Columns: []string{"k", "id"}, Desc: true}, desc},
		} {
			for _, size := range []int{1, 2, 3, 5, 22, 23, 24, 200} {
				t.Run(fmt.Sprintf("%s/size %d", c.name, size), func(t *testing.T) {
					var got []rankedRow
					cursor, pages := "", 0
					for {
						items, next, err := listRanked(ctx, db, c.ks, "a", cursor, size)
						if err != nil {
							t.Fatalf("page %d: %v", pages, err)
						}
						pages++
						if len(items) > size {
							t.Fatalf("page %d has %d rows, more than %d", pages, len(items), size)
						}
						if next != "" && len(items) != size {
							t.Fatalf("page %d has %d rows and a next cursor; only a full page may", pages, len(items))
						}
						got = append(got, items...)
						if next == "" {
							break
						}
						if pages > len(c.want)+1 {
							t.Fatalf("still paging after %d pages", pages)
						}
						cursor = next
					}
					if !slices.Equal(got, c.want) {
						t.Errorf("pages gave\n%v\nwant\n%v", got, c.want)
					}
					if wantPages := max(1, (len(c.want)+size-1)/size); pages != wantPages {
						t.Errorf("%d pages, want %d", pages, wantPages)
					}
				})
			}
		}
	})
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestKeysetRejectsMalformedCursor(t *testing.T) {
	ks := store.Keyset{Columns: []string{"k", "id"}, Desc: true}
	for _, c := range []struct {
		name   string
		cursor string
	}{
		{"not base64", "!!!"},
		{"wrong types", store.EncodeCursor("k", 1)},
		{"too few values", store.EncodeCursor(int64(1))},
		{"another list's cursor", store.EncodeCursor(int64(1), "a", "b")},
	} {
		t.Run(c.name, func(t *testing.T) {
			var k int64
			var id string
			_, err := ks.Page([]any{"a"}, c.cursor, 10, &k, &id)
			var ae *atrium.Error
			if !errors.As(err, &ae) || ae.Code != atrium.CodeInvalid || ae.Fields["cursor"] == "" {
				t.Fatalf("Page(%q) error = %v, want invalid on field cursor", c.cursor, err)
			}
		})
	}
	// And through a real query on each database: the error comes before any SQL runs.
	storetest.Each(t, rankedMigrations(), func(t *testing.T, db *store.DB) {
		_, _, err := listRanked(context.Background(), db, ks, "a", "garbage", 10)
		var ae *atrium.Error
		if !errors.As(err, &ae) || ae.Code != atrium.CodeInvalid || ae.Fields["cursor"] == "" {
			t.Fatalf("list with a malformed cursor: error = %v, want invalid on field cursor", err)
		}
	})
}

func TestKeysetSQL(t *testing.T) {
	var k int64
	var id string
	cases := []struct {
		name                 string
		ks                   store.Keyset
		cursor               string
		wantWhere, wantOrder string
		wantArgs             []any
	}{
		{"first page", store.Keyset{Columns: []string{"at", "id"}, Desc: true}, "",
			"TRUE", "ORDER BY at DESC, id DESC LIMIT $2", []any{"org", 51}},
		{"descending after a cursor", store.Keyset{Columns: []string{"at", "id"}, Desc: true}, store.EncodeCursor(int64(7), "x"),
			"(at, id) < ($2, $3)", "ORDER BY at DESC, id DESC LIMIT $4", []any{"org", int64(7), "x", 51}},
		{"ascending after a cursor", store.Keyset{Columns: []string{"at", "id"}}, store.EncodeCursor(int64(7), "x"),
			"(at, id) > ($2, $3)", "ORDER BY at ASC, id ASC LIMIT $4", []any{"org", int64(7), "x", 51}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := c.ks.Page([]any{"org"}, c.cursor, 50, &k, &id)
			if err != nil {
				t.Fatal(err)
			}
			if q.Where != c.wantWhere || q.OrderLimit != c.wantOrder || !slices.Equal(q.Args, c.wantArgs) || q.Size != 50 {
				t.Errorf("Page = %q, %q, %v, size %d; want %q, %q, %v, size 50", q.Where, q.OrderLimit, q.Args, q.Size, c.wantWhere, c.wantOrder, c.wantArgs)
			}
		})
	}
}
