package collab_test

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/app"
	"github.com/atrium-admin/atrium/app/apptest"
	"github.com/atrium-admin/atrium/collab"
	"github.com/atrium-admin/atrium/store"
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

// principalOf is user as the authenticator makes them: their grants, read now.
func principalOf(b *testing.B, e *apptest.Env, org atrium.OrgID, user atrium.UserID) *access.Principal {
	b.Helper()
	grants, err := access.GrantsOf(context.Background(), e.Main.DB.Read(), user)
	if err != nil {
		b.Fatal(err)
	}
	return &access.Principal{Org: org, UserID: user, Name: string(user), Grants: grants}
}

// operatorEngagement is a program and an invitation-only engagement of the operator,
// and the operator's administrator.
func operatorEngagement(b *testing.B, e *apptest.Env, svc *collab.Service, name string) (*access.Principal, *collab.Engagement) {
	b.Helper()
	ctx := context.Background()
	var org, admin string
	if err := e.Main.DB.Read().QueryRowContext(ctx, `SELECT o.id, u.id FROM organizations o JOIN users u ON u.org_id = o.id WHERE o.operator = TRUE ORDER BY u.created_at LIMIT 1`).
		Scan(&org, &admin); err != nil {
		b.Fatal(err)
	}
	op := principalOf(b, e, atrium.OrgID(org), atrium.UserID(admin))
	prog, err := svc.CreateProgram(ctx, op, collab.ProgramInput{Name: "Bench program " + name})
	if err != nil {
		b.Fatal(err)
	}
	eng, err := svc.CreateEngagement(ctx, op, collab.EngagementInput{ProgramID: prog.ID, Name: name, TermsOfUse: "Terms", JoinPolicy: collab.Invitation})
	if err != nil {
		b.Fatal(err)
	}
	return op, eng
}

// BenchmarkCollabParticipants: an engagement with 100,000 participants from 1,000
// organizations, added 1,000 at a time (add-1k reports p50 and p99 of those requests).
// Then the participant list's first page and partial-match searches (a rare fragment,
// one person's name; a common one, "a"), as the operator and as a power user of one
// organization (their organization only); the CSV export of all of them (rows/s and
// the heap it allocates); and copying 10,000 participants into another engagement.
//
//	go test ./collab -run '^$' -bench CollabParticipants -benchtime 200x -timeout 60m
func BenchmarkCollabParticipants(b *testing.B) {
	const orgs, perOrg = 1000, 100
	for _, d := range storetest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			e := apptest.Start(b, d)
			ctx := context.Background()
			svc := app.Need[*collab.Service](e.Main.Kernel)
			op, eng := operatorEngagement(b, e, svc, "Participants")
			var users []atrium.UserID
			var firstOrg atrium.OrgID
			seedStart := time.Now()
			for i := range orgs {
				s, err := app.Seed(ctx, e.Main, app.SeedOptions{Org: fmt.Sprintf("Partner %04d", i), Users: perOrg, Password: apptest.Password, Out: io.Discard})
				if err != nil {
					b.Fatal(err)
				}
				if i == 0 {
					firstOrg = s.Org.ID
				}
			}
			for _, id := range e.Strings(`SELECT u.id FROM users u JOIN organizations o ON o.id = u.org_id WHERE o.operator = FALSE AND u.username LIKE 'user%' ORDER BY u.id`) {
				users = append(users, atrium.UserID(id))
			}
			b.Logf("seeded %d users in %d organizations in %s", len(users), orgs, time.Since(seedStart).Round(time.Second))
			var adds []time.Duration
			for i := 0; i < len(users); i += collab.MaxBulk {
				start := time.Now()
				res, err := svc.AddMembers(ctx, op, eng.ID, collab.Participant, users[i:min(i+collab.MaxBulk, len(users))], false)
				adds = append(adds, time.Since(start))
				if err != nil || res[0].Status != collab.Added {
					b.Fatalf("add: %v %+v", err, res[:1])
				}
			}
			b.Run("add-1k", func(b *testing.B) {
				for b.Loop() {
				}
				reportLatency(b, adds)
			})
			// A power user of the first organization.
			var pu atrium.UserID
			for _, u := range users {
				if n := e.Count(`SELECT count(*) FROM users WHERE id = $1 AND org_id = $2`, string(u), string(firstOrg)); n == 1 {
					pu = u
					break
				}
			}
			if _, err := svc.AddMembers(ctx, op, eng.ID, collab.PowerUser, []atrium.UserID{pu}, false); err != nil {
				b.Fatal(err)
			}
			power := principalOf(b, e, firstOrg, pu)
			var rare string
			if err := e.Main.DB.Read().QueryRowContext(ctx, `SELECT display_name FROM users WHERE id = $1`, string(users[43210])).Scan(&rare); err != nil {
				b.Fatal(err)
			}
			for _, c := range []struct {
				name string
				p    *access.Principal
				q    string
			}{{"first-page", op, ""}, {"search-rare", op, rare}, {"search-common", op, "a"},
				{"power-user-first-page", power, ""}, {"power-user-search", power, "a"}} {
				b.Run(c.name, func(b *testing.B) {
					var took []time.Duration
					for b.Loop() {
						start := time.Now()
						page, err := svc.Members(ctx, c.p, eng.ID, collab.Participant, collab.MemberQuery{ListQuery: collab.ListQuery{Q: c.q, Limit: 50}})
						took = append(took, time.Since(start))
						if err != nil || len(page.Items) == 0 {
							b.Fatalf("members q=%q: %d, %v", c.q, len(page.Items), err)
						}
					}
					reportLatency(b, took)
				})
			}
			b.Run("export", func(b *testing.B) {
				var rows float64
				var took time.Duration
				var before, after runtime.MemStats
				for b.Loop() {
					runtime.GC()
					runtime.ReadMemStats(&before)
					w := &lineCounter{}
					start := time.Now()
					if err := svc.ExportMembers(ctx, op, eng.ID, collab.Participant, w); err != nil {
						b.Fatal(err)
					}
					took += time.Since(start)
					runtime.ReadMemStats(&after)
					rows += float64(w.lines.Load() - 1)
				}
				b.ReportMetric(rows/took.Seconds(), "rows/s")
				b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), "alloc-MB/export")
				b.ReportMetric(float64(after.HeapInuse)/(1<<20), "heap-inuse-MB")
			})
			b.Run("copy-10k", func(b *testing.B) {
				var took []time.Duration
				for b.Loop() {
					_, dst := operatorEngagement(b, e, svc, fmt.Sprintf("Copy %d", len(took)))
					start := time.Now()
					res, err := svc.CopyMembers(ctx, op, dst.ID, eng.ID, users[:10_000], false)
					took = append(took, time.Since(start))
					if err != nil || res.Added != 10_000 {
						b.Fatalf("copy: %+v, %v", res, err)
					}
				}
				reportLatency(b, took)
			})
		})
	}
}

type lineCounter struct{ lines atomic.Int64 }

func (w *lineCounter) Write(p []byte) (int, error) {
	for _, c := range p {
		if c == '\n' {
			w.lines.Add(1)
		}
	}
	return len(p), nil
}

// BenchmarkCollabSweep: 1,000,000 memberships of 500,000 people (two engagements
// each), of whom 1 in 100 is due for a notice and 1 in 100 for deactivation. It reports
// the sweep's duration and its longest transaction.
//
//	go test ./collab -run '^$' -bench CollabSweep -benchtime 1x -timeout 60m
func BenchmarkCollabSweep(b *testing.B) {
	const people = 500_000
	for _, d := range storetest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			e := apptest.Start(b, d)
			ctx := context.Background()
			svc := app.Need[*collab.Service](e.Main.Kernel)
			_, one := operatorEngagement(b, e, svc, "Sweep one")
			_, two := operatorEngagement(b, e, svc, "Sweep two")
			s, err := app.Seed(ctx, e.Main, app.SeedOptions{Org: "Sweep Co", Users: people, Password: apptest.Password, Out: io.Discard})
			if err != nil {
				b.Fatal(err)
			}
			now := e.Clock.Now()
			recent := store.Micros(now.Add(-10 * 24 * time.Hour))
			noticeDue := store.Micros(now.Add(-160 * 24 * time.Hour))
			deactivationDue := store.Micros(now.Add(-181 * 24 * time.Hour))
			// Memberships and people as the module writes them, in bulk: the module's
			// own add path is measured above.
			if err := e.Main.DB.Tx(ctx, func(tx *store.Tx) error {
				for _, eng := range []string{one.ID, two.ID} {
					if _, err := tx.ExecContext(ctx, `INSERT INTO collab_members (scope_id, grp, user_id, org_id, org_name, username, display_name, email,
						sort_name, search, added_at, added_by, last_access_at)
						SELECT $1, 'participant', id, org_id, 'Sweep Co', username, display_name, contact_email, lower(display_name), lower(display_name), $2, 'bench', $2
						FROM users WHERE org_id = $3 AND username LIKE 'user%'`, eng, recent, string(s.Org.ID)); err != nil {
						return err
					}
				}
				_, err := tx.ExecContext(ctx, `INSERT INTO collab_people (user_id, org_id, last_access_at)
					SELECT id, org_id, CASE WHEN username LIKE '%00@%' THEN CAST($1 AS BIGINT) WHEN username LIKE '%50@%' THEN CAST($2 AS BIGINT) ELSE CAST($3 AS BIGINT) END
					FROM users WHERE org_id = $4 AND username LIKE 'user%'`, deactivationDue, noticeDue, recent, string(s.Org.ID))
				return err
			}); err != nil {
				b.Fatal(err)
			}
			if n := e.Count(`SELECT count(*) FROM collab_members`); n < 2*people {
				b.Fatalf("%d memberships", n)
			}
			for b.Loop() {
				start := time.Now()
				res, err := svc.SweepInactive(ctx)
				took := time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(took.Seconds(), "sweep-s")
				b.ReportMetric(float64(res.LongestTx.Microseconds())/1000, "longest-tx-ms")
				b.ReportMetric(float64(res.People), "deactivated")
				b.ReportMetric(float64(res.Notices[30]), "notices")
			}
		})
	}
}
