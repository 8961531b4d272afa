package directory

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/access"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// envBenchExportUsers overrides how many users BenchmarkUserExport seeds (1,000,000).
const envBenchExportUsers = "ATRIUM_BENCH_EXPORT_USERS"

// BenchmarkUserExport exports one organization's whole user list as CSV through
// ExportUsers (Users > Active users > Export users), on SQLite and (with
// ATRIUM_TEST_DATABASE_URL) on PostgreSQL, after seeding 1,000,000 users of the
// organization and 100,000 of another outside the timed part. It reports rows/s and
// the peak HeapInuse sampled during the export.
//
//	go test -run '^$' -bench UserExport -benchtime 1x -timeout 30m ./directory/
func BenchmarkUserExport(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv(envBenchExportUsers); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("%s=%q: want a positive number", envBenchExportUsers, v)
		}
	}
	for _, d := range storetest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d, append(append([]store.Migration{}, Migrations...), access.Migrations...))
			ctx := context.Background()
			org, other := testSearchOrg(b, db, "a"), testSearchOrg(b, db, "b")
			start := time.Now()
			if err := SeedUsers(ctx, db, SeedInput{Org: org, Domain: "a.test", PasswordHash: "x", From: 1, To: n}); err != nil {
				b.Fatal(err)
			}
			if err := SeedUsers(ctx, db, SeedInput{Org: other, Domain: "b.test", PasswordHash: "x", From: 1, To: n / 10}); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: seeded %d + %d users in %s", d, n, n/10, time.Since(start).Round(time.Millisecond))
			s := &Service{db: db, clock: atrium.SystemClock{}}
			p := &access.Principal{UserID: "bench", Org: org, Grants: []access.Grant{{Role: access.GlobalReader, Scope: access.OrgScope(org)}}}
			// By display name (the list's default: an index walk, then each row from
			// the table out of its stored order) and by creation (close to stored order).
			for _, sort := range []SortField{SortDisplayName, SortCreated} {
				b.Run("sort="+string(sort), func(b *testing.B) {
					var lines int
					var heap uint64
					for b.Loop() {
						runtime.GC()
						w := &countingWriter{}
						stop := sampleHeap(&heap)
						if err := s.ExportUsers(ctx, p, UserQuery{Sort: sort}, w); err != nil {
							b.Fatal(err)
						}
						stop()
						lines = w.lines
					}
					if lines != n+1 {
						b.Fatalf("export has %d lines, want a header and %d users", lines, n)
					}
					b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
					b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MiB")
				})
			}
		})
	}
}

type countingWriter struct{ lines int }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.lines += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

// sampleHeap records the peak HeapInuse in *peak until the returned stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			*peak = max(*peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
