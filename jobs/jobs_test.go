package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/jobs"
	"github.com/atrium-admin/atrium/store"
	"github.com/atrium-admin/atrium/store/storetest"
)

// t0 is the start of every manual clock: half past ten, inside an hourly interval.
var t0 = time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)

// waitLimit bounds every wait for another goroutine.
const waitLimit = 20 * time.Second

func newQueue(db *store.DB, clock atrium.Clock) *jobs.Queue {
	return jobs.New(db, clock, slog.New(slog.DiscardHandler))
}

// openShared returns n handles, each with its own connection pool (as n processes would
// have), on one new migrated database of dialect d.
func openShared(t *testing.T, d store.Dialect, n int) []*store.DB {
	t.Helper()
	dsn := storetest.DSN(t, d)
	ctx := context.Background()
	dbs := make([]*store.DB, n)
	for i := range dbs {
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	if err := dbs[0].Migrate(ctx, jobs.Migrations); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return dbs
}

// runs counts handler executions by a key (the job id or a payload field).
type runs struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *runs) add(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[key]++
}

func (r *runs) get(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[key]
}

func (r *runs) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := 0
	for _, n := range r.n {
		t += n
	}
	return t
}

// jobRow is a job's stored state.
type jobRow struct {
	ID          string
	State       string
	Attempts    int
	RunAt       time.Time
	LastError   string
	LockedBy    string
	LockedUntil time.Time
}

// jobsOf returns the stored jobs of kind.
func jobsOf(t *testing.T, db *store.DB, kind jobs.Kind) []jobRow {
	t.Helper()
	rows, err := db.Read().QueryContext(context.Background(),
		`SELECT id, state, attempts, run_at, last_error, locked_by, locked_until FROM jobs WHERE kind = $1 ORDER BY id`, string(kind))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []jobRow
	for rows.Next() {
		var r jobRow
		var runAt, lockedUntil int64
		if err := rows.Scan(&r.ID, &r.State, &r.Attempts, &runAt, &r.LastError, &r.LockedBy, &lockedUntil); err != nil {
			t.Fatal(err)
		}
		r.RunAt, r.LockedUntil = store.Time(runAt), store.Time(lockedUntil)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func enqueue(t *testing.T, db *store.DB, q *jobs.Queue, kind jobs.Kind, payload any) {
	t.Helper()
	if err := db.Tx(context.Background(), func(tx *store.Tx) error {
		return q.Enqueue(context.Background(), tx, kind, payload, time.Time{})
	}); err != nil {
		t.Fatalf("enqueue %s: %v", kind, err)
	}
}

func runDue(t *testing.T, q *jobs.Queue, want int) {
	t.Helper()
	n, err := q.RunDue(context.Background())
	if err != nil {
		t.Fatalf("RunDue: %v", err)
	}
	if n != want {
		t.Fatalf("RunDue ran %d jobs, want %d", n, want)
	}
}

func checkCounts(t *testing.T, q *jobs.Queue, depth, failed int) {
	t.Helper()
	ctx := context.Background()
	if n, err := q.Depth(ctx); err != nil || n != depth {
		t.Errorf("Depth = %d, %v; want %d", n, err, depth)
	}
	if n, err := q.Failed(ctx); err != nil || n != failed {
		t.Errorf("Failed = %d, %v; want %d", n, err, failed)
	}
}

// wait blocks until ch is closed or receives, failing the test after waitLimit.
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		t.Fatalf("gave up waiting for %s", what)
		panic("unreachable")
	}
}

// waitUntil polls cond until it holds, failing the test after waitLimit.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

type greeting struct {
	To string `json:"to"`
}

func TestEnqueueInTransaction(t *testing.T) {
	storetest.Each(t, jobs.Migrations, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := atrium.NewManualClock(t0)
		q := newQueue(db, clock)
		var r runs
		q.Register("greet", func(ctx context.Context, j *jobs.Job) error {
			var p greeting
			if err := j.Decode(&p); err != nil {
				return err
			}
			if j.Attempt != 1 || j.Attempts != 3 {
				t.Errorf("job %s: attempt %d of %d, want 1 of 3", p.To, j.Attempt, j.Attempts)
			}
			r.add(p.To)
			return nil
		}, jobs.Options{MaxAttempts: 3})

		errAbort := errors.New("abort")
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if err := q.Enqueue(ctx, tx, "greet", greeting{To: "rolled-back"}, time.Time{}); err != nil {
				return err
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatalf("Tx = %v, want abort", err)
		}
		checkCounts(t, q, 0, 0)
		runDue(t, q, 0)

		enqueue(t, db, q, "greet", greeting{To: "committed"})
		checkCounts(t, q, 1, 0)
		runDue(t, q, 1)
		runDue(t, q, 0)
		clock.Advance(24 * time.Hour)
		runDue(t, q, 0)

		if n := r.get("committed"); n != 1 {
			t.Errorf("committed job ran %d times, want 1", n)
		}
		if n := r.get("rolled-back"); n != 0 {
			t.Errorf("rolled-back job ran %d times, want 0", n)
		}
		if rows := jobsOf(t, db, "greet"); len(rows) != 0 {
			t.Errorf("jobs left after success: %+v", rows)
		}
		checkCounts(t, q, 0, 0)
	})
}

func TestEnqueueLater(t *testing.T) {
	storetest.Each(t, jobs.Migrations, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clock := atrium.NewManualClock(t0)
		q := newQueue(db, clock)
		var r runs
		q.Register("later", func(ctx context.Context, j *jobs.Job) error { r.add(j.ID); return nil }, jobs.Options{})
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			return q.Enqueue(ctx, tx, "later", nil, t0.Add(time.Hour))
		}); err != nil {
			t.Fatal(err)
		}
		runDue(t, q, 0)
		clock.Advance(time.Hour - time.Microsecond)
		runDue(t, q, 0)
		clock.Advance(time.Microsecond)
		runDue(t, q, 1)
		if r.total() != 1 {
			t.Errorf("ran %d times, want 1", r.total())
		}
	})
}

func TestRetryWithBackoff(t *testing.T) {
	cases := []struct {
		name        string
		maxAttempts int
		// fail says whether attempt n fails, and how.
		fail      func(n int) error
		wantRuns  int
		wantState string // "" when the job succeeded and is gone
		wantError string
	}{
		{"fails every time", 4, func(int) error { return errors.New("smtp down") }, 4, "failed", "smtp down"},
		{"succeeds on the third attempt", 5, func(n int) error {
			if n < 3 {
				return errors.New("not yet")
			}
			return nil
		}, 3, "", ""},
		{"panics every time", 2, func(int) error { panic("handler bug") }, 2, "failed", "panic: handler bug"},
		{"one attempt only", 1, func(int) error { return errors.New("once") }, 1, "failed", "once"},
	}
	storetest.Each(t, jobs.Migrations, func(t *testing.T, db *store.DB) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				clock := atrium.NewManualClock(t0)
				q := newQueue(db, clock)
				kind := jobs.Kind("retry." + strings.ReplaceAll(c.name, " ", "_"))
				var attempts []int
				q.Register(kind, func(ctx context.Context, j *jobs.Job) error {
					attempts = append(attempts, j.Attempt)
					if j.Attempts != c.maxAttempts {
						t.Errorf("Attempts = %d, want %d", j.Attempts, c.maxAttempts)
					}
					return c.fail(j.Attempt)
				}, jobs.Options{MaxAttempts: c.maxAttempts})
				enqueue(t, db, q, kind, nil)

				for n := 1; ; n++ {
					runDue(t, q, 1)
					rows := jobsOf(t, db, kind)
					if n == c.wantRuns {
						break
					}
					if len(rows) != 1 {
						t.Fatalf("after attempt %d: %d job rows, want 1", n, len(rows))
					}
					j := rows[0]
					if j.State != "pending" || j.Attempts != n || j.LastError == "" || j.LockedBy != "" {
						t.Fatalf("after failed attempt %d: %+v, want pending with %d attempts and an error", n, j, n)
					}
					// The retry waits Backoff(n): not before, and not much longer.
					lo, hi := clock.Now().Add(baseBackoff(n)), clock.Now().Add(baseBackoff(n)*6/5)
					if j.RunAt.Before(lo) || j.RunAt.After(hi) {
						t.Errorf("after attempt %d: retry at %v, want within [%v, %v]", n, j.RunAt, lo, hi)
					}
					checkCounts(t, q, 1, 0)
					runDue(t, q, 0)
					clock.Advance(j.RunAt.Sub(clock.Now()) - time.Microsecond)
					runDue(t, q, 0)
					clock.Advance(time.Microsecond)
				}

				rows := jobsOf(t, db, kind)
				if c.wantState == "" {
					if len(rows) != 0 {
						t.Errorf("job left after success: %+v", rows)
					}
					checkCounts(t, q, 0, 0)
				} else {
					if len(rows) != 1 || rows[0].State != c.wantState || rows[0].Attempts != c.wantRuns || !strings.Contains(rows[0].LastError, c.wantError) {
						t.Fatalf("job rows = %+v, want one %s after %d attempts with error %q", rows, c.wantState, c.wantRuns, c.wantError)
					}
					checkCounts(t, q, 0, 1)
					// A failed job never runs again.
					clock.Advance(48 * time.Hour)
					runDue(t, q, 0)
					// Clean up so that the next case counts only its own failure.
					if _, err := db.Write().ExecContext(context.Background(), `DELETE FROM jobs WHERE kind = $1`, string(kind)); err != nil {
						t.Fatal(err)
					}
				}
				if len(attempts) != c.wantRuns {
					t.Errorf("handler ran %d times (%v), want %d", len(attempts), attempts, c.wantRuns)
				}
				for i, a := range attempts {
					if a != i+1 {
						t.Errorf("run %d saw Attempt %d", i+1, a)
					}
				}
			})
		}
	})
}

// baseBackoff is Backoff without its jitter: 5s doubling per attempt, capped at 1h.
func baseBackoff(attempt int) time.Duration {
	return min(5*time.Second<<(attempt-1), time.Hour)
}

func TestBackoff(t *testing.T) {
	cases := []struct {
		attempt int
		base    time.Duration
	}{
		{1, 5 * time.Second},
		{2, 10 * time.Second},
		{3, 20 * time.Second},
		{9, 1280 * time.Second},
		{10, 2560 * time.Second},
		{11, time.Hour},
		{12, time.Hour},
		{1000, time.Hour},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint("attempt ", c.attempt), func(t *testing.T) {
			for range 200 {
				d := jobs.Backoff(c.attempt)
				if d < c.base || d > c.base+c.base/5 {
					t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", c.attempt, d, c.base, c.base+c.base/5)
				}
			}
		})
	}
}

func TestUnknownKindFails(t *testing.T) {
	storetest.Each(t, jobs.Migrations, func(t *testing.T, db *store.DB) {
		q := newQueue(db, atrium.NewManualClock(t0))
		enqueue(t, db, q, "nobody.handles.this", nil)
		runDue(t, q, 1)
		rows := jobsOf(t, db, "nobody.handles.this")
		if len(rows) != 1 || rows[0].State != "pending" || !strings.Contains(rows[0].LastError, "no handler") {
			t.Errorf("rows = %+v, want pending with a no-handler error", rows)
		}
	})
}

func TestTimeoutCancelsHandler(t *testing.T) {
	storetest.Each(t, jobs.Migrations, func(t *testing.T, db *store.DB) {
		q := newQueue(db, atrium.NewManualClock(t0))
		q.Register("slow", func(ctx context.Context, j *jobs.Job) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(waitLimit):
				return errors.New("the timeout never cancelled the handler's context")
			}
		}, jobs.Options{MaxAttempts: 1, Timeout: time.Millisecond})
		enqueue(t, db, q, "slow", nil)
		runDue(t, q, 1)
		rows := jobsOf(t, db, "slow")
		if len(rows) != 1 || rows[0].State != "failed" || !strings.Contains(rows[0].LastError, context.DeadlineExceeded.Error()) {
			t.Errorf("rows = %+v, want failed by deadline", rows)
		}
	})
}

// A worker that stops while holding a job (its process died or hangs) keeps the lease
// until it runs out; then another queue reclaims the job and runs it, and whatever the
// stale worker reports afterwards changes nothing. Worker A's handler stands for the dead
// process: with the default 5-minute lease its renewals, every 100 seconds of real time,
// do not come round during the test.
func TestReclaimAfterLeaseExpires(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dbs := openShared(t, d, 2)
			clock := atrium.NewManualClock(t0)
			qa, qb := newQueue(dbs[0], clock), newQueue(dbs[1], clock)
			var ra, rb runs
			startedA, releaseA, doneA := make(chan struct{}), make(chan struct{}), make(chan struct{})
			qa.Register("work", func(ctx context.Context, j *jobs.Job) error {
				ra.add(j.ID)
				close(startedA)
				<-releaseA
				return errors.New("stale worker reports a failure")
			}, jobs.Options{})
			qb.Register("work", func(ctx context.Context, j *jobs.Job) error {
				rb.add(j.ID)
				if j.Attempt != 2 {
					t.Errorf("reclaimed job has Attempt %d, want 2", j.Attempt)
				}
				// Let the stale worker finish while this one holds the job.
				close(releaseA)
				select {
				case <-doneA:
				case <-time.After(waitLimit):
					return errors.New("stale worker did not finish")
				}
				return nil
			}, jobs.Options{})
			enqueue(t, dbs[0], qa, "work", nil)

			var aRan int
			go func() {
				defer close(doneA)
				aRan, _ = qa.RunDue(context.Background())
			}()
			wait(t, startedA, "worker A to start")
			if rows := jobsOf(t, dbs[1], "work"); len(rows) != 1 || rows[0].State != "running" {
				t.Fatalf("rows = %+v, want one running", rows)
			}

			clock.Advance(4 * time.Minute) // the 5-minute lease still holds
			runDue(t, qb, 0)
			clock.Advance(2 * time.Minute)
			runDue(t, qb, 1)
			wait(t, doneA, "worker A to return")

			if aRan != 1 || rb.total() != 1 || ra.total() != 1 {
				t.Errorf("A ran %d (RunDue %d), B ran %d; want 1 each", ra.total(), aRan, rb.total())
			}
			if rows := jobsOf(t, dbs[0], "work"); len(rows) != 0 {
				t.Errorf("job left after B finished it: %+v", rows)
			}
			checkCounts(t, qa, 0, 0)
			clock.Advance(24 * time.Hour)
			runDue(t, qa, 0)
			runDue(t, qb, 0)
		})
	}
}

// A job whose worker stopped during its last attempt is failed, not handed on: a job that
// kills its process would otherwise kill every process in turn, forever.
func TestLeaseExpiresOnLastAttempt(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dbs := openShared(t, d, 2)
			clock := atrium.NewManualClock(t0)
			qa, qb := newQueue(dbs[0], clock), newQueue(dbs[1], clock)
			started, release, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
			qa.Register("poison", func(ctx context.Context, j *jobs.Job) error {
				close(started)
				<-release
				return nil
			}, jobs.Options{MaxAttempts: 1})
			var rb runs
			qb.Register("poison", func(ctx context.Context, j *jobs.Job) error { rb.add(j.ID); return nil }, jobs.Options{MaxAttempts: 1})
			enqueue(t, dbs[0], qa, "poison", nil)
			go func() {
				defer close(done)
				qa.RunDue(context.Background())
			}()
			wait(t, started, "worker A to start")
			clock.Advance(6 * time.Minute)
			runDue(t, qb, 0)
			rows := jobsOf(t, dbs[1], "poison")
			if len(rows) != 1 || rows[0].State != "failed" || !strings.Contains(rows[0].LastError, "lease expired") {
				t.Errorf("rows = %+v, want failed because the lease expired", rows)
			}
			checkCounts(t, qb, 0, 1)
			close(release)
			wait(t, done, "worker A to return")
			// The stale worker's late success does not resurrect or remove the job.
			if rows := jobsOf(t, dbs[1], "poison"); len(rows) != 1 || rows[0].State != "failed" {
				t.Errorf("after the stale worker returned: %+v, want still failed", rows)
			}
			if rb.total() != 0 {
				t.Errorf("B ran the job %d times, want 0", rb.total())
			}
		})
	}
}

func TestEvery(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dbs := openShared(t, d, 3)
			clock := atrium.NewManualClock(t0)
			// A third process whose clock lags an hour behind.
			lagging := atrium.NewManualClock(t0.Add(-time.Hour))
			var r runs
			queues := []*jobs.Queue{newQueue(dbs[0], clock), newQueue(dbs[1], clock), newQueue(dbs[2], lagging)}
			for _, q := range queues {
				q.Register("sweep", func(ctx context.Context, j *jobs.Job) error { r.add(j.ID); return nil }, jobs.Options{})
				q.Every("sweep", time.Hour)
			}
			scheduleAll := func(qs ...*jobs.Queue) {
				t.Helper()
				var wg sync.WaitGroup
				start := make(chan struct{})
				for _, q := range qs {
					wg.Go(func() {
						<-start
						q.SchedulePeriodic(context.Background())
					})
				}
				close(start)
				wg.Wait()
			}
			pending := func(want int) {
				t.Helper()
				if rows := jobsOf(t, dbs[0], "sweep"); len(rows) != want {
					t.Fatalf("%d sweep jobs waiting, want %d: %+v", len(rows), want, rows)
				}
			}
			steps := []struct {
				name    string
				advance time.Duration
				queues  []*jobs.Queue
				pending int
				runs    int
			}{
				{"both schedule 10:30", 0, queues[:2], 1, 1},
				{"both schedule again 10:40", 10 * time.Minute, queues[:2], 0, 1},
				{"lagging process schedules 9:30", 0, queues[2:], 0, 1},
				{"both schedule 11:05", 25 * time.Minute, queues[:2], 1, 2},
				{"all schedule 11:59:59", 54*time.Minute + 59*time.Second, queues, 0, 2},
				{"both schedule 12:00", time.Second, queues[:2], 1, 3},
			}
			for _, s := range steps {
				clock.Advance(s.advance)
				scheduleAll(s.queues...)
				scheduleAll(s.queues...)
				pending(s.pending)
				for _, q := range queues[:2] {
					q.RunDue(context.Background())
				}
				if got := r.total(); got != s.runs {
					t.Fatalf("%s: %d runs in all, want %d (%v)", s.name, got, s.runs, r.n)
				}
			}
			for id, n := range r.n {
				if n != 1 {
					t.Errorf("periodic job %s ran %d times", id, n)
				}
			}
		})
	}
}

// Several queues run every job exactly once. On PostgreSQL each queue has its own
// connection pool, as separate atrium serve processes have. SQLite serves one process
// (its writers across processes are not fair, so one can starve past busy_timeout):
// there the queues share one *store.DB.
func TestConcurrentQueuesRunEachJobOnce(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			const processes, jobCount = 4, 200
			var dbs []*store.DB
			if d == store.Postgres {
				dbs = openShared(t, d, processes)
			} else {
				db := storetest.Open(t, d, jobs.Migrations)
				dbs = []*store.DB{db, db, db, db}
			}
			var r runs
			queues := make([]*jobs.Queue, processes)
			for i := range queues {
				q := jobs.New(dbs[i], atrium.SystemClock{}, slog.New(slog.NewTextHandler(tlog{t}, nil)))
				q.SetPoll(5 * time.Millisecond)
				q.Register("count", func(ctx context.Context, j *jobs.Job) error {
					var p struct{ N int }
					if err := j.Decode(&p); err != nil {
						return err
					}
					r.add(fmt.Sprint(p.N))
					return nil
				}, jobs.Options{MaxAttempts: 1})
				queues[i] = q
			}
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			stopped := make(chan struct{})
			stop := func() {
				cancel()
				go func() { wg.Wait(); close(stopped) }()
				wait(t, stopped, "the queues to stop")
			}
			var stopOnce sync.Once
			t.Cleanup(func() { stopOnce.Do(stop) }) // also when the test fails early
			for _, q := range queues {
				wg.Go(func() { q.Run(ctx) })
			}
			// Enqueue while the queues run, from every process, in batches.
			for b := range 10 {
				db, q := dbs[b%processes], queues[b%processes]
				if err := db.Tx(ctx, func(tx *store.Tx) error {
					for n := b * jobCount / 10; n < (b+1)*jobCount/10; n++ {
						if err := q.Enqueue(ctx, tx, "count", struct{ N int }{n}, time.Time{}); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			deadline := time.Now().Add(waitLimit * 3)
			for {
				depth, err := queues[0].Depth(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if depth == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d jobs still waiting; %d runs so far", depth, r.total())
				}
				time.Sleep(10 * time.Millisecond)
			}
			stopOnce.Do(stop)

			for n := range jobCount {
				if got := r.get(fmt.Sprint(n)); got != 1 {
					t.Errorf("job %d ran %d times, want 1", n, got)
				}
			}
			if got := r.total(); got != jobCount {
				t.Errorf("%d runs in all, want %d", got, jobCount)
			}
			checkCounts(t, queues[0], 0, 0)
		})
	}
}

// Run returns after its context ends, but only once the jobs it is running finished;
// those keep a context of their own.
func TestRunWaitsForJobsInFlight(t *testing.T) {
	storetest.Each(t, jobs.Migrations, func(t *testing.T, db *store.DB) {
		clock := atrium.NewManualClock(t0)
		q := newQueue(db, clock)
		started, release := make(chan struct{}), make(chan struct{})
		var jobCtxErr error
		var r runs
		q.Register("long", func(ctx context.Context, j *jobs.Job) error {
			r.add(j.ID)
			close(started)
			<-release
			jobCtxErr = ctx.Err()
			return nil
		}, jobs.Options{})
		q.Register("late", func(ctx context.Context, j *jobs.Job) error { r.add("late"); return nil }, jobs.Options{})
		q.SetPoll(time.Millisecond)

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		runDone := make(chan struct{})
		go func() {
			defer close(runDone)
			q.Run(ctx)
		}()
		enqueue(t, db, q, "long", nil)
		wait(t, started, "the job to start")
		cancel()
		// A job enqueued after shutdown began is left for the next start.
		enqueue(t, db, q, "late", nil)
		select {
		case <-runDone:
			t.Fatal("Run returned while a job was still running")
		case <-time.After(50 * time.Millisecond):
		}
		close(release)
		wait(t, runDone, "Run to return")

		if jobCtxErr != nil {
			t.Errorf("the job's context ended with Run's: %v", jobCtxErr)
		}
		if rows := jobsOf(t, db, "long"); len(rows) != 0 {
			t.Errorf("job in flight was not recorded as done: %+v", rows)
		}
		if rows := jobsOf(t, db, "late"); len(rows) != 1 || rows[0].State != "pending" {
			t.Errorf("late job = %+v, want one pending", rows)
		}
		if r.get("late") != 0 || r.total() != 1 {
			t.Errorf("runs = %v, want only the long job", r.n)
		}
		checkCounts(t, q, 1, 0)
	})
}

// tlog writes log lines to the test's log.
type tlog struct{ t *testing.T }

func (w tlog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// A handler that runs longer than the lease keeps its job: the worker renews the lease,
// so another queue polling after the lease would have run out does not run the job again.
func TestLeaseRenewedWhileHandlerRuns(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dbs := openShared(t, d, 2)
			clock := atrium.NewManualClock(t0)
			qa, qb := newQueue(dbs[0], clock), newQueue(dbs[1], clock)
			const lease = 30 * time.Millisecond
			var ra, rb runs
			started, release, doneA := make(chan struct{}), make(chan struct{}), make(chan struct{})
			var releaseOnce sync.Once
			t.Cleanup(func() { releaseOnce.Do(func() { close(release) }); <-doneA })
			qa.SetLease(lease)
			qa.Register("export", func(ctx context.Context, j *jobs.Job) error {
				ra.add(j.ID)
				close(started)
				select {
				case <-release:
					return nil
				case <-ctx.Done():
					return context.Cause(ctx)
				}
			}, jobs.Options{Timeout: 3 * waitLimit})
			qb.SetLease(lease)
			qb.Register("export", func(ctx context.Context, j *jobs.Job) error { rb.add(j.ID); return nil }, jobs.Options{})
			enqueue(t, dbs[0], qa, "export", nil)

			var aRan int
			var aErr error
			go func() {
				defer close(doneA)
				aRan, aErr = qa.RunDue(context.Background())
			}()
			wait(t, started, "worker A to start")
			// Each step passes the lease many times over; B polls once A renewed it.
			for step := range 5 {
				clock.Advance(time.Minute)
				now := clock.Now()
				waitUntil(t, fmt.Sprintf("worker A to renew its lease (step %d)", step), func() bool {
					rows := jobsOf(t, dbs[1], "export")
					return len(rows) == 1 && rows[0].LockedUntil.After(now)
				})
				runDue(t, qb, 0)
				rows := jobsOf(t, dbs[1], "export")
				if len(rows) != 1 || rows[0].State != "running" || rows[0].Attempts != 1 {
					t.Fatalf("step %d: rows = %+v, want one running on its first attempt", step, rows)
				}
			}
			releaseOnce.Do(func() { close(release) })
			wait(t, doneA, "worker A to return")

			if aErr != nil || aRan != 1 {
				t.Errorf("A's RunDue = %d, %v; want 1, nil", aRan, aErr)
			}
			if ra.total() != 1 || rb.total() != 0 {
				t.Errorf("A ran the job %d times, B %d; want 1 and 0", ra.total(), rb.total())
			}
			if rows := jobsOf(t, dbs[0], "export"); len(rows) != 0 {
				t.Errorf("job left after A finished it: %+v", rows)
			}
			checkCounts(t, qa, 0, 0)
		})
	}
}

// A worker whose job is no longer its own (reclaimed, failed or removed under it) cancels
// the handler's context with ErrLeaseLost at its next renewal, and records nothing.
func TestLostLeaseCancelsHandler(t *testing.T) {
	cases := []struct {
		name  string
		steal string // SQL run on the job's row ($1 is its id) while the handler runs
		want  func(rows []jobRow) bool
	}{
		{"another worker reclaimed the job",
			`UPDATE jobs SET locked_by = 'another-worker', attempts = attempts + 1 WHERE id = $1`,
			func(rows []jobRow) bool {
				return len(rows) == 1 && rows[0].State == "running" && rows[0].LockedBy == "another-worker" && rows[0].Attempts == 2 && rows[0].LastError == ""
			}},
		{"this worker claimed the job again",
			`UPDATE jobs SET attempts = attempts + 1 WHERE id = $1`,
			func(rows []jobRow) bool {
				return len(rows) == 1 && rows[0].State == "running" && rows[0].Attempts == 2 && rows[0].LastError == ""
			}},
		{"the lease ran out on the last attempt",
			`UPDATE jobs SET state = 'failed', last_error = 'lease expired', locked_by = '', locked_until = 0 WHERE id = $1`,
			func(rows []jobRow) bool {
				return len(rows) == 1 && rows[0].State == "failed" && rows[0].LastError == "lease expired" && rows[0].Attempts == 1
			}},
		{"the job was removed",
			`DELETE FROM jobs WHERE id = $1`,
			func(rows []jobRow) bool { return len(rows) == 0 }},
	}
	storetest.Each(t, jobs.Migrations, func(t *testing.T, db *store.DB) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				q := newQueue(db, atrium.NewManualClock(t0))
				q.SetLease(30 * time.Millisecond)
				kind := jobs.Kind("lost." + strings.ReplaceAll(c.name, " ", "_"))
				started := make(chan struct{})
				var cause error
				q.Register(kind, func(ctx context.Context, j *jobs.Job) error {
					close(started)
					select {
					case <-ctx.Done():
						cause = context.Cause(ctx)
						return ctx.Err()
					case <-time.After(waitLimit):
						return errors.New("losing the lease never cancelled the handler's context")
					}
				}, jobs.Options{Timeout: 3 * waitLimit})
				enqueue(t, db, q, kind, nil)
				done := make(chan struct{})
				go func() {
					defer close(done)
					q.RunDue(context.Background())
				}()
				// Also when the case fails: the next case's queue must find only its own job.
				t.Cleanup(func() {
					<-done
					if _, err := db.Write().ExecContext(context.Background(), `DELETE FROM jobs WHERE kind = $1`, string(kind)); err != nil {
						t.Error(err)
					}
				})
				wait(t, started, "the handler to start")
				rows := jobsOf(t, db, kind)
				if len(rows) != 1 {
					t.Fatalf("rows = %+v, want one", rows)
				}
				if _, err := db.Write().ExecContext(context.Background(), c.steal, rows[0].ID); err != nil {
					t.Fatal(err)
				}
				wait(t, done, "the worker to return")

				if !errors.Is(cause, jobs.ErrLeaseLost) {
					t.Errorf("handler's context ended with cause %v, want %v", cause, jobs.ErrLeaseLost)
				}
				if rows := jobsOf(t, db, kind); !c.want(rows) {
					t.Errorf("rows = %+v: the worker that lost the lease changed them", rows)
				}
			})
		}
	})
}

// Renewals stop at the run's timeout: a handler that ignores its context then holds the
// job for one more lease at most, and it is reclaimed as if its process had died.
func TestTimedOutHandlerStopsRenewing(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dbs := openShared(t, d, 2)
			clock := atrium.NewManualClock(t0)
			qa, qb := newQueue(dbs[0], clock), newQueue(dbs[1], clock)
			timedOut, release, doneA := make(chan struct{}), make(chan struct{}), make(chan struct{})
			var releaseOnce sync.Once
			t.Cleanup(func() { releaseOnce.Do(func() { close(release) }); <-doneA })
			qa.SetLease(30 * time.Millisecond)
			qa.Register("stuck", func(ctx context.Context, j *jobs.Job) error {
				<-ctx.Done()
				close(timedOut)
				<-release // ignores the timeout
				return nil
			}, jobs.Options{Timeout: 50 * time.Millisecond})
			var rb runs
			qb.SetLease(30 * time.Millisecond)
			qb.Register("stuck", func(ctx context.Context, j *jobs.Job) error {
				rb.add(j.ID)
				if j.Attempt != 2 {
					t.Errorf("reclaimed job has Attempt %d, want 2", j.Attempt)
				}
				return nil
			}, jobs.Options{})
			enqueue(t, dbs[0], qa, "stuck", nil)
			go func() {
				defer close(doneA)
				qa.RunDue(context.Background())
			}()
			wait(t, timedOut, "worker A's run to time out")
			clock.Advance(time.Minute)
			// On PostgreSQL a renewal still in flight at the timeout holds the row's lock
			// for a moment, and B's claim skips locked rows: poll until B has the job.
			waitUntil(t, "B to reclaim the job", func() bool {
				n, err := qb.RunDue(context.Background())
				if err != nil {
					t.Fatalf("RunDue: %v", err)
				}
				return n == 1
			})
			releaseOnce.Do(func() { close(release) })
			wait(t, doneA, "worker A to return")
			if rb.total() != 1 {
				t.Errorf("B ran the job %d times, want 1", rb.total())
			}
			if rows := jobsOf(t, dbs[0], "stuck"); len(rows) != 0 {
				t.Errorf("job left after B finished it: %+v", rows)
			}
		})
	}
}

// TestFreedWorkerTakesTheNextJob: a job enqueued while every worker is busy runs as
// soon as one is free, not at the next poll (an hour here).
func TestFreedWorkerTakesTheNextJob(t *testing.T) {
	storetest.Each(t, jobs.Migrations, func(t *testing.T, db *store.DB) {
		q := newQueue(db, atrium.NewManualClock(t0))
		q.SetPoll(time.Hour)
		started, release, quick := make(chan struct{}, 4), make(chan struct{}), make(chan struct{})
		q.Register("long", func(ctx context.Context, j *jobs.Job) error {
			started <- struct{}{}
			<-release
			return nil
		}, jobs.Options{})
		q.Register("quick", func(ctx context.Context, j *jobs.Job) error { close(quick); return nil }, jobs.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		runDone := make(chan struct{})
		go func() {
			defer close(runDone)
			q.Run(ctx)
		}()
		defer func() { cancel(); <-runDone }()
		for range 4 {
			enqueue(t, db, q, "long", nil)
		}
		for range 4 {
			wait(t, started, "the four workers to be busy")
		}
		enqueue(t, db, q, "quick", nil) // its wake-up finds no free worker
		close(release)
		wait(t, quick, "the quick job to run on a freed worker")
	})
}
