package directory

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// TestExportUsersMatchesTheList: the CSV export holds exactly the users the list shows
// for the same search, sort and deleted filter, in the same order, across many pages,
// with only the caller's organization, formula cells defused, and roles read once.
func TestExportUsersMatchesTheList(t *testing.T) {
	storetest.Each(t, append(append([]store.Migration{}, Migrations...), access.Migrations...), func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		orgA, orgB := testSearchOrg(t, db, "a"), testSearchOrg(t, db, "b")
		seedTestUsers(t, db, orgA, "a.test", 1, 300)
		seedTestUsers(t, db, orgB, "b.test", 1, 50)
		s := &Service{db: db, clock: atrium.SystemClock{}}
		evil := &User{Org: orgA, Username: "evil@a.test", DisplayName: "=HYPERLINK(\"x\")", ContactEmail: "evil@mail.test"}
		if err := db.Tx(ctx, func(tx *store.Tx) error { return s.insertUser(ctx, tx, evil, "x", false) }); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Write().ExecContext(ctx, `UPDATE users SET deleted_at = created_at + 1 WHERE org_id = $1 AND username_key LIKE 'user%7@a.test'`, string(orgA)); err != nil {
			t.Fatal(err)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := access.Assign(ctx, tx, tx.Now(), orgA, evil.ID, access.UserAdmin, access.OrgScope(orgA))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		defer func(old int) { exportPageSize = old }(exportPageSize)
		exportPageSize = 7
		p := &access.Principal{UserID: "x", Org: orgA, Grants: []access.Grant{{Role: access.GlobalReader, Scope: access.OrgScope(orgA)}}}
		for _, uq := range []UserQuery{{}, {Sort: SortUsername, Desc: true}, {Sort: SortCreated}, {Q: "son"}, {Q: "zzzz"}, {Deleted: true}, {Q: "1", Deleted: true}} {
			var buf bytes.Buffer
			if err := s.ExportUsers(ctx, p, uq, &buf); err != nil {
				t.Fatalf("%+v: %v", uq, err)
			}
			recs, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(recs[0], ExportColumns) {
				t.Fatalf("header = %v", recs[0])
			}
			var got []string
			for _, r := range recs[1:] {
				got = append(got, r[0])
				if r[0] == "evil@a.test" && (r[1] != `'=HYPERLINK("x")` || r[8] != "user_admin") {
					t.Errorf("evil's row = %v", r)
				}
				if strings.HasSuffix(r[0], "@b.test") {
					t.Fatalf("another organization's user %s in the export", r[0])
				}
			}
			want := usernamesOf(t, db, naiveSearch(t, db, orgA, uq.Q, uq.Sort, uq.Desc, uq.Deleted))
			if !slices.Equal(got, want) {
				t.Errorf("%+v: export has %d users, the list %d\n got %v\nwant %v", uq, len(got), len(want), head(got), head(want))
			}
		}
		if err := s.ExportUsers(ctx, &access.Principal{UserID: "y", Org: orgA}, UserQuery{}, &bytes.Buffer{}); atrium.ErrorCode(err) != atrium.CodeForbidden {
			t.Errorf("export without user.read: %v", err)
		}
	})
}

func usernamesOf(t *testing.T, db *store.DB, ids []string) []string {
	t.Helper()
	var out []string
	for _, id := range ids {
		var u string
		if err := db.Read().QueryRowContext(context.Background(), `SELECT username FROM users WHERE id = $1`, id).Scan(&u); err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}
