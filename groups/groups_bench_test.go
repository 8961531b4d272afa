package groups_test

import (
	"context"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/groups"
	"github.com/atrium-admin/atrium/store/storetest"
)

// reportLatency reports the p50 and p99 of took in milliseconds.
func reportLatency(b *testing.B, took []time.Duration) {
	b.Helper()
	slices.Sort(took)
	ms := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Microseconds()) / 1000 }
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}

// BenchmarkGroupMembers: a group of 100,000 members. first-page is the first page of
// its member list (50, by name); search is a partial-match search of the members by a
// fragment of a name, which matches 1 in about 10,000 of them (the worst case for a
// LIKE walk: it reads the whole group); common-search a fragment most names hold.
// Each reports p50 and p99 over its calls.
//
//	go test ./groups -run '^$' -bench GroupMembers -benchtime 200x
func BenchmarkGroupMembers(b *testing.B) {
	const members = 100_000
	for _, d := range storetest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			e := apptest.Start(b, d)
			ctx := context.Background()
			seeded, err := app.Seed(ctx, e.Main, app.SeedOptions{Org: "Members Co", Users: members, Password: apptest.Password, Out: io.Discard})
			if err != nil {
				b.Fatal(err)
			}
			org := seeded.Org.ID
			ids := e.Strings(`SELECT id FROM users WHERE org_id = $1 ORDER BY id`, string(org))
			svc := app.Need[*groups.Service](e.Main.Kernel)
			g, err := svc.Create(ctx, seeded.Admin, groups.Input{Name: "Everyone", MailNickname: "everyone", Visibility: groups.Private,
				OwnerIDs: []atrium.UserID{atrium.UserID(ids[0])}})
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < len(ids); i += groups.MaxBulk {
				batch := make([]atrium.UserID, 0, groups.MaxBulk)
				for _, id := range ids[i:min(i+groups.MaxBulk, len(ids))] {
					batch = append(batch, atrium.UserID(id))
				}
				if _, err := svc.AddMembers(ctx, seeded.Admin, g.ID, batch); err != nil {
					b.Fatal(err)
				}
			}
			if n := e.Count(`SELECT count(*) FROM group_members WHERE group_id = $1`, g.ID); n < members {
				b.Fatalf("%d members, want %d", n, members)
			}
			// A fragment of one seeded user's name: rare among the others.
			var rare string
			if err := e.Main.DB.Read().QueryRowContext(ctx, `SELECT display_name FROM users WHERE org_id = $1 ORDER BY id LIMIT 1 OFFSET 4321`,
				string(org)).Scan(&rare); err != nil {
				b.Fatal(err)
			}
			for _, c := range []struct {
				name, q string
			}{{"first-page", ""}, {"search", rare}, {"common-search", "a"}} {
				b.Run(c.name, func(b *testing.B) {
					var took []time.Duration
					for b.Loop() {
						start := time.Now()
						page, err := svc.Members(ctx, seeded.Admin, g.ID, false, groups.ListQuery{Q: c.q, Limit: 50})
						took = append(took, time.Since(start))
						if err != nil || len(page.Items) == 0 {
							b.Fatalf("members q=%q: %d, %v", c.q, len(page.Items), err)
						}
					}
					reportLatency(b, took)
				})
			}
		})
	}
}

// BenchmarkMyGroups: a user in 1,000 groups asks for the first page of My groups (50,
// by name). It reports p50 and p99.
//
//	go test ./groups -run '^$' -bench MyGroups -benchtime 500x
func BenchmarkMyGroups(b *testing.B) {
	const count = 1000
	for _, d := range storetest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			e := apptest.Start(b, d)
			ctx := context.Background()
			seeded, err := app.Seed(ctx, e.Main, app.SeedOptions{Org: "Many Groups Co", Users: 2, Password: apptest.Password, Out: io.Discard})
			if err != nil {
				b.Fatal(err)
			}
			svc := app.Need[*groups.Service](e.Main.Kernel)
			user := atrium.UserID(e.Strings(`SELECT id FROM users WHERE org_id = $1 AND username LIKE 'user%' ORDER BY id LIMIT 1`, string(seeded.Org.ID))[0])
			for i := range count {
				if _, err := svc.Create(ctx, seeded.Admin, groups.Input{Name: fmt.Sprintf("Group %04d", i), MailNickname: fmt.Sprintf("group-%04d", i),
					Visibility: groups.Private, OwnerIDs: []atrium.UserID{user}}); err != nil {
					b.Fatal(err)
				}
			}
			p := &access.Principal{Org: seeded.Org.ID, UserID: user, Name: "User"}
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				page, err := svc.Mine(ctx, p, groups.ListQuery{Limit: 50})
				took = append(took, time.Since(start))
				if err != nil || len(page.Items) != 50 {
					b.Fatalf("my groups: %d, %v", len(page.Items), err)
				}
			}
			reportLatency(b, took)
		})
	}
}
