package store

import (
	"context"
	"database/sql"
	"sync/atomic"
)

// QueryCount counts the statements run with a context that CountQueries returned, on
// the pools and in transactions. Tests use it to show that a list costs the same number
// of queries for a page of 5 rows as for a page of 50 (no query per row).
type QueryCount struct{ n atomic.Int64 }

type queryCountKey struct{}

// CountQueries returns a context that counts the statements run with it, and the count.
func CountQueries(ctx context.Context) (context.Context, *QueryCount) {
	c := &QueryCount{}
	return context.WithValue(ctx, queryCountKey{}, c), c
}

// WithQueryCount returns a context that counts the statements run with it in c.
func WithQueryCount(ctx context.Context, c *QueryCount) context.Context {
	return context.WithValue(ctx, queryCountKey{}, c)
}

// N returns how many statements ran so far.
func (c *QueryCount) N() int { return int(c.n.Load()) }

// Reset sets the count back to zero.
func (c *QueryCount) Reset() { c.n.Store(0) }

func countQuery(ctx context.Context) {
	if c, ok := ctx.Value(queryCountKey{}).(*QueryCount); ok {
		c.n.Add(1)
	}
}

// pool is a connection pool that counts statements for CountQueries. It holds only the
// pointer, so returning it as a Querier does not allocate.
type pool struct{ *sql.DB }

func (p pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	countQuery(ctx)
	return p.DB.ExecContext(ctx, query, args...)
}

func (p pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	countQuery(ctx)
	return p.DB.QueryContext(ctx, query, args...)
}

func (p pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	countQuery(ctx)
	return p.DB.QueryRowContext(ctx, query, args...)
}

// ExecContext runs a statement in the transaction.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	countQuery(ctx)
	return tx.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the transaction.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	countQuery(ctx)
	return tx.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query that returns at most one row in the transaction.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	countQuery(ctx)
	return tx.Tx.QueryRowContext(ctx, query, args...)
}
