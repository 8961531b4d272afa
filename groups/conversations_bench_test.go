package groups_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/groups"
	"github.com/atrium-admin/atrium/store/storetest"
)

// BenchmarkPostMailFanout: one post in a group of 10,000 followers, mailed by the post
// mail job (batches of 500 followers, each in its own transaction) into the outbox. An
// op is one post's whole fan-out: the job from its first batch to its last. It reports
// the mails written per second and checks that every follower got exactly one.
//
//	go test ./groups -run '^$' -bench PostMailFanout -benchtime 3x
func BenchmarkPostMailFanout(b *testing.B) {
	const followers = 10_000
	for _, d := range storetest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			e := apptest.Start(b, d)
			ctx := context.Background()
			seeded, err := app.Seed(ctx, e.Main, app.SeedOptions{Org: "Fanout Co", Users: followers + 1, Password: apptest.Password, Out: io.Discard})
			if err != nil {
				b.Fatal(err)
			}
			org := seeded.Org.ID
			ids := e.Strings(`SELECT id FROM users WHERE org_id = $1 AND username LIKE 'user%' ORDER BY username`, string(org))
			if len(ids) != followers+1 {
				b.Fatalf("seeded %d users, want %d", len(ids), followers+1)
			}
			svc := app.Need[*groups.Service](e.Main.Kernel)
			owner := atrium.UserID(ids[0])
			g, err := svc.Create(ctx, seeded.Admin, groups.Input{Name: "Everyone", MailNickname: "everyone", Visibility: groups.Public,
				OwnerIDs: []atrium.UserID{owner}})
			if err != nil {
				b.Fatal(err)
			}
			for i := 1; i < len(ids); i += groups.MaxBulk {
				batch := make([]atrium.UserID, 0, groups.MaxBulk)
				for _, id := range ids[i:min(i+groups.MaxBulk, len(ids))] {
					batch = append(batch, atrium.UserID(id))
				}
				if _, err := svc.AddMembers(ctx, seeded.Admin, g.ID, batch); err != nil {
					b.Fatal(err)
				}
			}
			author := &access.Principal{Org: org, UserID: owner, Name: "Owner"}
			e.RunJobs()
			var mailing time.Duration
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				if _, err := e.Main.DB.Write().ExecContext(ctx, `DELETE FROM mail_outbox`); err != nil {
					b.Fatal(err)
				}
				if _, err := svc.CreateThread(ctx, author, g.ID, groups.ThreadInput{Topic: fmt.Sprintf("News %d", i), Body: "<p>All hands at <b>ten</b>.</p>"}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				e.RunJobs()
				mailing += time.Since(start)
				b.StopTimer()
				if n := e.Count(`SELECT count(*) FROM mail_outbox WHERE template = 'group_post'`); n != followers {
					b.Fatalf("post %d mailed %d followers, want %d", i, n, followers)
				}
				if n := e.Count(`SELECT count(DISTINCT to_addr) FROM mail_outbox WHERE template = 'group_post'`); n != followers {
					b.Fatalf("post %d mailed %d distinct addresses, want %d", i, n, followers)
				}
				b.StartTimer()
			}
			b.StopTimer()
			b.ReportMetric(float64(followers)*float64(b.N)/mailing.Seconds(), "mails/s")
			b.ReportMetric(mailing.Seconds()/float64(b.N), "s/fanout")
		})
	}
}
