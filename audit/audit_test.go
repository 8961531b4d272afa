package audit

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// seedEntries records n entries in org: actions alternate between user.create and
// role.assign, actors between ada and bob, and only four distinct times, so most page
// boundaries fall between entries of the same time. It returns them newest first, as
// the log lists them (by time, then id).
func seedEntries(t *testing.T, db *store.DB, org atrium.OrgID, n int) []Entry {
	t.Helper()
	ctx := WithActor(context.Background(), Actor{ID: "ada-id", Name: "ada", SourceIP: "192.0.2.1"})
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for i := range n {
			e := Entry{Org: org, At: t0.Add(time.Duration(i%4) * time.Second), Action: []string{"user.create", "role.assign"}[i%2],
				TargetType: "user", TargetID: fmt.Sprintf("u%03d", i), TargetName: fmt.Sprintf("=user %d", i),
				After: map[string]any{"n": i, "name": fmt.Sprintf("user %d", i)}}
			if i%3 == 0 {
				e.ActorID, e.ActorName = "bob-id", "bob"
			}
			if err := Record(ctx, tx, t0, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	all, err := List(context.Background(), db, Filter{Org: org, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Items) != n || all.NextCursor != "" {
		t.Fatalf("seeded %d entries, one page of 200 lists %d (next %q)", n, len(all.Items), all.NextCursor)
	}
	for i := 1; i < len(all.Items); i++ {
		a, b := all.Items[i-1], all.Items[i]
		if a.At.Before(b.At) || a.At.Equal(b.At) && a.ID <= b.ID {
			t.Fatalf("entries %d and %d are out of order: (%v, %s) then (%v, %s)", i-1, i, a.At, a.ID, b.At, b.ID)
		}
	}
	return all.Items
}

func ids(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func TestListPagesEveryEntryOnce(t *testing.T) {
	storetest.Each(t, Migrations, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		all := seedEntries(t, db, "org-a", 37)
		seedEntries(t, db, "org-b", 5)
		cases := []struct {
			name string
			f    Filter
			keep func(Entry) bool
		}{
			{"everything", Filter{}, func(Entry) bool { return true }},
			{"actor by name", Filter{Actor: "bob"}, func(e Entry) bool { return e.ActorName == "bob" }},
			{"actor by id", Filter{Actor: "ada-id"}, func(e Entry) bool { return e.ActorID == "ada-id" }},
			{"action prefix", Filter{Action: "role."}, func(e Entry) bool { return e.Action == "role.assign" }},
			{"exact action", Filter{Action: "user.create"}, func(e Entry) bool { return e.Action == "user.create" }},
			{"target", Filter{Target: "u007"}, func(e Entry) bool { return e.TargetID == "u007" }},
			{"time range", Filter{Since: t0.Add(time.Second), Until: t0.Add(3 * time.Second)}, func(e Entry) bool {
				return !e.At.Before(t0.Add(time.Second)) && e.At.Before(t0.Add(3*time.Second))
			}},
		}
		for _, c := range cases {
			for _, limit := range []int{1, 4, 50} {
				t.Run(fmt.Sprintf("%s/limit %d", c.name, limit), func(t *testing.T) {
					var want []Entry
					for _, e := range all {
						if c.keep(e) {
							want = append(want, e)
						}
					}
					f := c.f
					f.Org, f.Limit = "org-a", limit
					var got []Entry
					for pages := 1; ; pages++ {
						page, err := List(ctx, db, f)
						if err != nil {
							t.Fatal(err)
						}
						if len(page.Items) > limit || page.NextCursor != "" && len(page.Items) != limit {
							t.Fatalf("page %d: %d entries, next %q, limit %d", pages, len(page.Items), page.NextCursor, limit)
						}
						got = append(got, page.Items...)
						if page.NextCursor == "" {
							break
						}
						if pages > len(all) {
							t.Fatal("paging does not end")
						}
						f.Cursor = page.NextCursor
					}
					if !slices.Equal(ids(got), ids(want)) {
						t.Errorf("paged entries\n%v\nwant\n%v", ids(got), ids(want))
					}
				})
			}
		}
		t.Run("entry fields", func(t *testing.T) {
			e := all[len(all)-1]
			if e.Org != "org-a" || e.ActorName == "" || e.SourceIP != "192.0.2.1" || e.After["name"] == nil || e.Before == nil {
				t.Errorf("entry = %+v", e)
			}
		})
	})
}

func TestListRejectsMalformedCursor(t *testing.T) {
	storetest.Each(t, Migrations, func(t *testing.T, db *store.DB) {
		_, err := List(context.Background(), db, Filter{Org: "org-a", Cursor: store.EncodeCursor("not", "a time")})
		var ae *atrium.Error
		if !errors.As(err, &ae) || ae.Code != atrium.CodeInvalid || ae.Fields["cursor"] == "" {
			t.Fatalf("List with a malformed cursor: error = %v, want invalid on field cursor", err)
		}
	})
}

func TestListReportsCorruptSummary(t *testing.T) {
	storetest.Each(t, Migrations, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedEntries(t, db, "org-a", 3)
		if _, err := db.Write().ExecContext(ctx, `UPDATE audit_log SET after_json = 'not json' WHERE target_id = 'u001'`); err != nil {
			t.Fatal(err)
		}
		if _, err := List(ctx, db, Filter{Org: "org-a"}); atrium.ErrorCode(err) != atrium.CodeInternal {
			t.Fatalf("List over a corrupt summary: error = %v, want internal", err)
		}
	})
}

func TestExportCSVStreamsEveryEntry(t *testing.T) {
	storetest.Each(t, Migrations, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		all := seedEntries(t, db, "org-a", 37)
		seedEntries(t, db, "org-b", 5)
		admin := &access.Principal{UserID: "ada-id", Org: "org-a", Grants: []access.Grant{{Role: access.GlobalAdmin, Scope: access.OrgScope("org-a")}}}
		for _, c := range []struct {
			name string
			f    Filter
			size int
			want []Entry
		}{
			{"pages of 1", Filter{}, 1, all},
			{"pages of 5", Filter{}, 5, all},
			{"pages as long as the log", Filter{}, 37, all},
			{"one page", Filter{}, 1000, all},
			{"filtered", Filter{Actor: "bob"}, 4, slices.DeleteFunc(slices.Clone(all), func(e Entry) bool { return e.ActorName != "bob" })},
			{"nothing matches", Filter{Action: "org."}, 5, nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				var buf bytes.Buffer
				f := c.f
				f.Org = "org-a"
				if err := exportCSV(ctx, db, f, &buf, c.size); err != nil {
					t.Fatal(err)
				}
				recs, err := csv.NewReader(&buf).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				if len(recs) != len(c.want)+1 || recs[0][0] != "time" || recs[0][9] != "source_ip" {
					t.Fatalf("export has %d records (header %v), want a header and %d entries", len(recs), recs[0], len(c.want))
				}
				for i, e := range c.want {
					wantRec := []string{e.At.Format(time.RFC3339Nano), e.ActorID, e.ActorName, e.Action, e.TargetType, e.TargetID,
						"'" + e.TargetName, "{}", fmt.Sprintf(`{"n":%v,"name":%q}`, e.After["n"], e.After["name"]), "192.0.2.1"}
					if !slices.Equal(recs[i+1], wantRec) {
						t.Fatalf("record %d = %q, want %q", i+1, recs[i+1], wantRec)
					}
				}
			})
		}
		t.Run("through the service", func(t *testing.T) {
			var buf bytes.Buffer
			// The service exports the principal's organization whatever the filter says.
			if err := NewService(db).ExportCSV(ctx, admin, Filter{Org: "org-b", Limit: 2, Cursor: "ignored"}, &buf); err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(all)+1 || recs[1][5] != all[0].TargetID || recs[len(all)][5] != all[len(all)-1].TargetID {
				t.Errorf("service export has %d records, want %d from org-a", len(recs), len(all)+1)
			}
		})
		t.Run("forbidden", func(t *testing.T) {
			var buf bytes.Buffer
			member := &access.Principal{UserID: "u", Org: "org-a"}
			if err := NewService(db).ExportCSV(ctx, member, Filter{}, &buf); atrium.ErrorCode(err) != atrium.CodeForbidden || buf.Len() != 0 {
				t.Errorf("export without audit.read: error %v, %d bytes written; want forbidden and nothing", err, buf.Len())
			}
		})
		t.Run("write error stops the export", func(t *testing.T) {
			w := &failingWriter{after: 3000}
			err := exportCSV(ctx, db, Filter{Org: "org-a"}, w, 5)
			if !errors.Is(err, errWrite) {
				t.Fatalf("export into a failing writer: error %v, want the write error", err)
			}
			if w.calls != 1 {
				t.Errorf("export kept writing after the error: %d failed writes", w.calls)
			}
		})
	})
}

var errWrite = errors.New("client went away")

// failingWriter accepts after bytes, then fails every write.
type failingWriter struct {
	after, written, calls int
}

func (w *failingWriter) Write(b []byte) (int, error) {
	if w.written+len(b) > w.after {
		w.calls++
		return 0, errWrite
	}
	w.written += len(b)
	return len(b), nil
}
