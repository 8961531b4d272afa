// Package jobs runs durable background work: jobs are rows written in the same
// transaction as the change that needs them, claimed with a lease (FOR UPDATE SKIP LOCKED
// on PostgreSQL) that the worker renews while the handler runs, retried with exponential
// backoff, and reclaimed when a process dies holding one. Any number of processes may run
// a Queue on one database.
package jobs

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrations are the jobs module's schema changes.
var Migrations = store.LoadMigrations("jobs", migrationFS, "migrations")

// Kind names a kind of job; each kind has one handler.
type Kind string

// Job is a claimed job handed to its handler.
type Job struct {
	ID       string
	Kind     Kind
	Payload  json.RawMessage
	Attempt  int // 1 on the first run
	Attempts int // the most runs allowed
}

// Decode unmarshals the job's payload into v.
func (j *Job) Decode(v any) error { return json.Unmarshal(j.Payload, v) }

// Handler does a job. It must be idempotent: a process can die after the work and before
// the job is marked done, and then the job runs again. A returned error retries the job
// with backoff until its attempts are spent.
type Handler func(ctx context.Context, j *Job) error

// Options tune a kind of job.
type Options struct {
	MaxAttempts int // default 10
	// Timeout bounds one run; default 1 minute. It may be longer than the queue's lease,
	// which the worker renews while the handler runs.
	Timeout time.Duration
}

// ErrLeaseLost is the cause (see context.Cause) of a handler's context ending because
// its worker no longer holds the job: the lease ran out before a renewal and another
// worker reclaimed the job, or the job's row was changed or removed under it. The handler
// should stop; whatever it returns is not recorded.
var ErrLeaseLost = errors.New("jobs: lease lost")

type kindConfig struct {
	handler Handler
	opts    Options
}

// Queue enqueues and runs jobs.
type Queue struct {
	db       *store.DB
	clock    atrium.Clock
	log      *slog.Logger
	worker   string
	lease    time.Duration // on the injected clock
	renew    time.Duration // real time between lease renewals of a running job
	poll     time.Duration
	workers  int
	wake     chan struct{}
	mu       sync.RWMutex
	kinds    map[Kind]kindConfig
	periodic []periodic
}

type periodic struct {
	kind  Kind
	every time.Duration
}

// New returns a queue on db. Register handlers before Run.
func New(db *store.DB, clock atrium.Clock, log *slog.Logger) *Queue {
	return &Queue{
		db: db, clock: clock, log: log,
		worker:  uuid.NewString(),
		lease:   5 * time.Minute,
		renew:   5 * time.Minute / 3,
		poll:    time.Second,
		workers: 4,
		wake:    make(chan struct{}, 1),
		kinds:   map[Kind]kindConfig{},
	}
}

// Register sets the handler for kind.
func (q *Queue) Register(kind Kind, h Handler, opts Options) {
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 10
	}
	if opts.Timeout <= 0 {
		opts.Timeout = time.Minute
	}
	q.mu.Lock()
	q.kinds[kind] = kindConfig{handler: h, opts: opts}
	q.mu.Unlock()
}

// Every makes Run enqueue kind once per interval across all processes: each process
// tries to advance the kind's row in job_schedules to the current interval, and only the
// one whose conditional update succeeds enqueues the job (in the same transaction, under
// a deterministic id). A process whose clock lags never schedules an earlier interval.
func (q *Queue) Every(kind Kind, interval time.Duration) {
	q.mu.Lock()
	q.periodic = append(q.periodic, periodic{kind: kind, every: interval})
	q.mu.Unlock()
}

// Enqueue adds a job to tx, due at runAt (now when zero). The job becomes visible when
// tx commits; a local worker is woken then.
func (q *Queue) Enqueue(ctx context.Context, tx *store.Tx, kind Kind, payload any, runAt time.Time) error {
	return q.enqueue(ctx, tx, uuid.NewString(), kind, payload, runAt)
}

func (q *Queue) enqueue(ctx context.Context, tx store.Querier, id string, kind Kind, payload any, runAt time.Time) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("jobs: encode %s payload: %w", kind, err)
	}
	q.mu.RLock()
	cfg, ok := q.kinds[kind]
	q.mu.RUnlock()
	maxAttempts := 10
	if ok {
		maxAttempts = cfg.opts.MaxAttempts
	}
	now := q.clock.Now()
	if runAt.IsZero() {
		runAt = now
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO jobs (id, kind, payload, state, run_at, max_attempts, created_at, updated_at)
		VALUES ($1, $2, $3, 'pending', $4, $5, $6, $6) ON CONFLICT (id) DO NOTHING`,
		id, string(kind), string(body), store.Micros(runAt), maxAttempts, store.Micros(now))
	if err != nil {
		return fmt.Errorf("jobs: enqueue %s: %w", kind, err)
	}
	if t, ok := tx.(*store.Tx); ok {
		t.AfterCommit(q.Wake)
	}
	return nil
}

// Wake makes a running worker look for due jobs now instead of at its next poll.
func (q *Queue) Wake() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Depth returns the number of jobs waiting or running.
func (q *Queue) Depth(ctx context.Context) (int, error) {
	var n int
	err := q.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE state IN ('pending', 'running')`).Scan(&n)
	return n, err
}

// Failed returns the number of jobs that spent all their attempts.
func (q *Queue) Failed(ctx context.Context) (int, error) {
	var n int
	err := q.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE state = 'failed'`).Scan(&n)
	return n, err
}

// Run claims and runs due jobs until ctx ends, then waits for the jobs in flight to
// finish (they keep their own timeout, not ctx) and returns.
func (q *Queue) Run(ctx context.Context) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, q.workers)
	ticker := time.NewTicker(q.poll)
	defer ticker.Stop()
	lastPeriodic := time.Time{}
	for {
		if now := q.clock.Now(); now.Sub(lastPeriodic) >= time.Minute || lastPeriodic.IsZero() {
			q.schedulePeriodic(ctx)
			lastPeriodic = now
		}
		for {
			free := q.workers - len(sem)
			if free == 0 || ctx.Err() != nil {
				break
			}
			claimed, err := q.claim(ctx, free)
			if err != nil {
				if ctx.Err() == nil {
					q.log.Error("jobs: claim", "err", err)
				}
				break
			}
			for _, j := range claimed {
				sem <- struct{}{}
				wg.Add(1)
				go func() {
					// A freed worker looks again at once: a job enqueued while every
					// worker was busy would otherwise wait for the next poll.
					defer func() { <-sem; wg.Done(); q.Wake() }()
					q.run(context.WithoutCancel(ctx), j)
				}()
			}
			if len(claimed) < free {
				break
			}
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-ticker.C:
		case <-q.wake:
		}
	}
}

// RunDue runs every job due now, one after another, and returns how many ran. Tests
// and the CLI use it instead of a background worker.
func (q *Queue) RunDue(ctx context.Context) (int, error) {
	n := 0
	for {
		claimed, err := q.claim(ctx, 1)
		if err != nil {
			return n, err
		}
		if len(claimed) == 0 {
			return n, nil
		}
		q.run(ctx, claimed[0])
		n++
	}
}

// SchedulePeriodic enqueues the current interval's job of every periodic kind.
func (q *Queue) SchedulePeriodic(ctx context.Context) { q.schedulePeriodic(ctx) }

func (q *Queue) schedulePeriodic(ctx context.Context) {
	q.mu.RLock()
	list := append([]periodic(nil), q.periodic...)
	q.mu.RUnlock()
	now := q.clock.Now()
	for _, p := range list {
		slot := now.Truncate(p.every)
		err := q.db.Tx(ctx, func(tx *store.Tx) error {
			res, err := tx.ExecContext(ctx, `INSERT INTO job_schedules (kind, slot) VALUES ($1, $2)
				ON CONFLICT (kind) DO UPDATE SET slot = excluded.slot WHERE job_schedules.slot < excluded.slot`,
				string(p.kind), store.Micros(slot))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return err // this interval is already scheduled
			}
			return q.enqueue(ctx, tx, fmt.Sprintf("%s@%d", p.kind, slot.Unix()), p.kind, struct{}{}, slot)
		})
		if err != nil && ctx.Err() == nil {
			q.log.Error("jobs: schedule periodic", "kind", p.kind, "err", err)
		}
	}
}

func (q *Queue) claim(ctx context.Context, n int) ([]*Job, error) {
	now := q.clock.Now()
	lock := ""
	if q.db.Dialect == store.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var out []*Job
	err := q.db.Tx(ctx, func(tx *store.Tx) error {
		// A job whose lease ran out during its last attempt has failed: its worker
		// stopped, perhaps because of the job, and handing it on could stop the next.
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'failed', last_error = $1, locked_by = '', locked_until = 0, updated_at = $2
			WHERE state = 'running' AND locked_until < $2 AND attempts >= max_attempts`,
			"lease expired: the worker stopped during the last attempt", store.Micros(now)); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2,
				attempts = attempts + 1, updated_at = $3
			WHERE id IN (SELECT id FROM jobs
				WHERE (state = 'pending' AND run_at <= $3) OR (state = 'running' AND locked_until < $3 AND attempts < max_attempts)
				ORDER BY run_at LIMIT $4`+lock+`)
			RETURNING id, kind, payload, attempts, max_attempts`,
			q.worker, store.Micros(now.Add(q.lease)), store.Micros(now), n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j := &Job{}
			var payload string
			if err := rows.Scan(&j.ID, &j.Kind, &payload, &j.Attempt, &j.Attempts); err != nil {
				return err
			}
			j.Payload = json.RawMessage(payload)
			out = append(out, j)
		}
		return rows.Err()
	})
	return out, err
}

func (q *Queue) run(ctx context.Context, j *Job) {
	q.mu.RLock()
	cfg, ok := q.kinds[j.Kind]
	q.mu.RUnlock()
	var err error
	start := time.Now()
	if !ok {
		err = fmt.Errorf("no handler for job kind %q", j.Kind)
	} else {
		lctx, loseLease := context.WithCancelCause(ctx)
		rctx, cancel := context.WithTimeout(lctx, cfg.opts.Timeout)
		stopRenewing := q.keepLease(rctx, j, loseLease)
		err = safeRun(rctx, cfg.handler, j)
		stopRenewing()
		cancel()
		lost := errors.Is(context.Cause(lctx), ErrLeaseLost)
		loseLease(nil)
		if lost {
			// The job is another worker's now (or gone): recording this run would
			// overwrite that worker's state, and the conditional updates below would
			// match nothing anyway.
			q.log.Warn("job lost its lease", "job", j.ID, "kind", j.Kind, "attempt", j.Attempt, "duration_ms", time.Since(start).Milliseconds())
			return
		}
	}
	now := q.clock.Now()
	if err == nil {
		q.log.Info("job ran", "job", j.ID, "kind", j.Kind, "attempt", j.Attempt, "duration_ms", time.Since(start).Milliseconds())
		_, err = q.db.Write().ExecContext(ctx, `DELETE FROM jobs WHERE id = $1 AND locked_by = $2 AND attempts = $3`,
			j.ID, q.worker, j.Attempt)
		if err != nil {
			q.log.Error("jobs: mark done", "job", j.ID, "kind", j.Kind, "err", err)
		}
		return
	}
	state, runAt := "pending", now.Add(Backoff(j.Attempt))
	if j.Attempt >= j.Attempts {
		state = "failed"
	}
	q.log.Warn("job failed", "job", j.ID, "kind", j.Kind, "attempt", j.Attempt, "of", j.Attempts, "state", state,
		"duration_ms", time.Since(start).Milliseconds(), "err", err)
	msg := err.Error()
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	if _, uerr := q.db.Write().ExecContext(ctx, `UPDATE jobs SET state = $1, run_at = $2, last_error = $3, locked_by = '', locked_until = 0, updated_at = $4
		WHERE id = $5 AND locked_by = $6 AND attempts = $7`, state, store.Micros(runAt), msg, store.Micros(now), j.ID, q.worker, j.Attempt); uerr != nil {
		q.log.Error("jobs: record failure", "job", j.ID, "err", uerr)
	}
}

// keepLease renews j's lease every q.renew until stop is called or ctx ends, and calls
// lose with ErrLeaseLost (then stops) when a renewal finds the job no longer held by this
// run. ctx is the run's: once its timeout passes, renewals stop, so a handler that
// ignores its context keeps the job for one more lease at most, after which the job is
// reclaimed as if its process had died. stop returns once no renewal is in flight, so
// none can race with recording the run's outcome.
func (q *Queue) keepLease(ctx context.Context, j *Job, lose context.CancelCauseFunc) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		// The interval is real time: the injected clock only dates the lease.
		ticker := time.NewTicker(q.renew)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
			if ctx.Err() != nil {
				return // both were ready, and select chose the tick
			}
			held, err := q.renewLease(ctx, j)
			if err != nil {
				// Perhaps a passing database fault: the next renewal may still be in
				// time, and if it is not, it finds the job reclaimed.
				if ctx.Err() == nil {
					q.log.Error("jobs: renew lease", "job", j.ID, "kind", j.Kind, "err", err)
				}
				continue
			}
			if !held {
				q.log.Warn("jobs: lease lost, cancelling the handler", "job", j.ID, "kind", j.Kind, "attempt", j.Attempt)
				lose(ErrLeaseLost)
				return
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// renewLease extends j's lease by a full lease from now and reports whether this run
// still holds the job. The attempt count tells this run from a later claim of the same
// job by the same worker after the lease ran out.
func (q *Queue) renewLease(ctx context.Context, j *Job) (bool, error) {
	res, err := q.db.Write().ExecContext(ctx, `UPDATE jobs SET locked_until = $1
		WHERE id = $2 AND state = 'running' AND locked_by = $3 AND attempts = $4`,
		store.Micros(q.clock.Now().Add(q.lease)), j.ID, q.worker, j.Attempt)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

func safeRun(ctx context.Context, h Handler, j *Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return h(ctx, j)
}

// Backoff returns the wait before attempt n+1: exponential from 5 seconds, capped at
// one hour, with up to 20% jitter so retries from many jobs spread out.
func Backoff(attempt int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	d = min(d, time.Hour)
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

// SetPoll sets how often idle workers look for due jobs. Call it before Run.
func (q *Queue) SetPoll(d time.Duration) { q.poll = d }

// SetLease sets how long a claimed job stays with its worker without news from it
// (default 5 minutes, measured on the queue's clock); a running job's lease is renewed
// every third of that, in real time. A shorter lease hands the jobs of a dead process on
// sooner and costs more renewals. Call it before Run or RunDue; it panics if d is not
// positive.
func (q *Queue) SetLease(d time.Duration) {
	if d <= 0 {
		panic(fmt.Sprintf("jobs: SetLease(%v): the lease must be positive", d))
	}
	q.lease = d
	q.renew = max(d/3, time.Millisecond)
}
