package licensing

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/atrium-admin/atrium"
	"github.com/atrium-admin/atrium/store"
)

// Seat accounting. An organization's seats of a product are split over seatStripes rows
// of seat_stripes, each with a capacity and an assigned count that never exceeds it. A
// seat is taken or freed by a conditional update of one stripe; on PostgreSQL the
// stripe is picked with FOR UPDATE SKIP LOCKED, so concurrent assignments of one product
// lock different rows and commit side by side instead of waiting for each other. The
// pool's purchased and assigned counts are the sums over its stripes. SQLite has one
// writer, so there every update runs alone anyway.

// seatStripes is how many stripes a pool is split into.
const seatStripes = 8

func (s *Service) lockClause() string {
	if s.db.Dialect == store.Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// addSeats grows org's pool of product by n seats, spread evenly over its stripes, and
// re-arms the low-seat warning.
func addSeats(ctx context.Context, tx *store.Tx, org atrium.OrgID, product string, n int) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO seat_pools (org_id, product_id) VALUES ($1, $2)
		ON CONFLICT (org_id, product_id) DO UPDATE SET low_seat_warned = FALSE`, string(org), product); err != nil {
		return err
	}
	for i := range seatStripes {
		share := n / seatStripes
		if i < n%seatStripes {
			share++
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO seat_stripes (org_id, product_id, stripe, capacity, assigned) VALUES ($1, $2, $3, $4, 0)
			ON CONFLICT (org_id, product_id, stripe) DO UPDATE SET capacity = seat_stripes.capacity + excluded.capacity`,
			string(org), product, i, share); err != nil {
			return err
		}
	}
	return nil
}

type stripe struct {
	n, capacity, assigned int
}

// removeSeats shrinks org's pool of product by n seats. Unless force, it refuses (with a
// conflict saying how many licenses are assigned) to leave fewer seats than assigned
// licenses; with force (a subscription ending) it removes them anyway and the caller
// trims the assignments.
func removeSeats(ctx context.Context, tx *store.Tx, org atrium.OrgID, product string, n int, force bool) error {
	lock := ""
	if tx.Dialect == store.Postgres {
		lock = " FOR UPDATE"
	}
	rows, err := tx.QueryContext(ctx, `SELECT stripe, capacity, assigned FROM seat_stripes WHERE org_id = $1 AND product_id = $2 ORDER BY stripe`+lock,
		string(org), product)
	if err != nil {
		return err
	}
	var stripes []stripe
	purchased, assigned := 0, 0
	for rows.Next() {
		var st stripe
		if err := rows.Scan(&st.n, &st.capacity, &st.assigned); err != nil {
			rows.Close()
			return err
		}
		stripes = append(stripes, st)
		purchased += st.capacity
		assigned += st.assigned
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if !force && purchased-n < assigned {
		msg := fmt.Sprintf("%d licenses of this product are assigned, so the quantity cannot go below %d. ", assigned, assigned)
		id, args := "err.licensing.quantity_in_use", []any{"Count", assigned}
		if free := max(0, purchased-assigned); free == 0 {
			msg += "Every seat is in use: remove licenses first."
		} else {
			msg += fmt.Sprintf("You can remove up to %d unused seats now, or remove licenses first.", free)
			id, args = "err.licensing.quantity_free", append(args, "Free", free)
		}
		e := atrium.FieldErrorf("quantity", "err.licensing.assigned", "{{.Count}} licenses are assigned", "Count", assigned)
		if assigned == 1 {
			e = atrium.FieldErrorf("quantity", "err.licensing.assigned", "{{.Count}} license is assigned", "Count", assigned)
		}
		e.Code, e.Message, e.ID, e.Args = atrium.CodeConflict, msg, id, args
		return e
	}
	// Free seats go first, from the stripes with most of them; with force, then any.
	sort.Slice(stripes, func(i, j int) bool {
		return stripes[i].capacity-stripes[i].assigned > stripes[j].capacity-stripes[j].assigned
	})
	left := n
	for i := range stripes {
		take := min(left, max(0, stripes[i].capacity-stripes[i].assigned))
		stripes[i].capacity -= take
		left -= take
	}
	for i := range stripes {
		if !force || left == 0 {
			break
		}
		take := min(left, stripes[i].capacity)
		stripes[i].capacity -= take
		left -= take
	}
	for _, st := range stripes {
		if _, err := tx.ExecContext(ctx, `UPDATE seat_stripes SET capacity = $1 WHERE org_id = $2 AND product_id = $3 AND stripe = $4`,
			st.capacity, string(org), product, st.n); err != nil {
			return err
		}
	}
	return nil
}

// seatCounts returns the purchased and assigned seats of org's pool of product.
func seatCounts(ctx context.Context, q store.Querier, org atrium.OrgID, product string) (purchased, assigned int, err error) {
	err = q.QueryRowContext(ctx, `SELECT COALESCE(SUM(capacity), 0), COALESCE(SUM(assigned), 0) FROM seat_stripes WHERE org_id = $1 AND product_id = $2`,
		string(org), product).Scan(&purchased, &assigned)
	return purchased, assigned, err
}

// takeSeat takes one seat of product from org's pool, or returns no_seats_available.
// The conditional update of a stripe is what keeps a pool from being oversold under any
// concurrency. When the seats left drop to 10% or less, billing administrators get one
// warning mail (again only after a purchase re-arms it).
func (s *Service) takeSeat(ctx context.Context, tx *store.Tx, org atrium.OrgID, product, name string) error {
	// Read before taking the seat, so the stripe's lock is held only from the update to
	// the commit; the warning may come one assignment early or late under concurrency.
	var purchased, assigned int
	var warned bool
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(ss.capacity), 0), COALESCE(SUM(ss.assigned), 0), sp.low_seat_warned
		FROM seat_pools sp LEFT JOIN seat_stripes ss ON ss.org_id = sp.org_id AND ss.product_id = sp.product_id
		WHERE sp.org_id = $1 AND sp.product_id = $2 GROUP BY sp.low_seat_warned`, string(org), product).Scan(&purchased, &assigned, &warned)
	if err != nil && atrium.ErrorCode(store.Translate(err)) != atrium.CodeNotFound {
		return err
	}
	ok, err := s.moveSeat(ctx, tx, org, product, `assigned < capacity`, `assigned = assigned + 1`)
	if err != nil {
		return err
	}
	if !ok {
		return &atrium.Error{Code: atrium.CodeNoSeatsAvailable, Message: fmt.Sprintf("no %s licenses are available; buy more seats or free one", name),
			ID: "err.licensing.no_seats", Args: []any{"Product", name}}
	}
	if warned || !LowOnSeats(purchased, assigned+1) {
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE seat_pools SET low_seat_warned = TRUE WHERE org_id = $1 AND product_id = $2 AND low_seat_warned = FALSE`,
		string(org), product)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // another assignment sent the warning
	}
	return s.warnLowSeats(ctx, tx, org, product, name, purchased, assigned+1)
}

// releaseSeat frees one assigned seat of product in org's pool.
func (s *Service) releaseSeat(ctx context.Context, tx *store.Tx, org atrium.OrgID, product string) error {
	ok, err := s.moveSeat(ctx, tx, org, product, `assigned > 0`, `assigned = assigned - 1`)
	if err != nil {
		return err
	}
	if !ok {
		return atrium.Internal(fmt.Errorf("licensing: no assigned seat of %s in %s to release", product, org))
	}
	return nil
}

// moveSeat applies change to one stripe of the pool where cond holds and reports
// whether it found one. It first tries a stripe nobody holds (from a random start, so
// concurrent callers spread out); when every eligible stripe is held, it waits for them
// one by one, re-checking cond on each after the wait.
func (s *Service) moveSeat(ctx context.Context, tx *store.Tx, org atrium.OrgID, product, cond, change string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `UPDATE seat_stripes SET `+change+`
		WHERE org_id = $1 AND product_id = $2 AND `+cond+` AND stripe = (
			SELECT stripe FROM seat_stripes WHERE org_id = $1 AND product_id = $2 AND `+cond+`
			ORDER BY (stripe + $3) % `+fmt.Sprint(seatStripes)+` LIMIT 1`+s.lockClause()+`)
		RETURNING stripe`, string(org), product, rand.IntN(seatStripes)).Scan(&n)
	if err == nil {
		return true, nil
	}
	if atrium.ErrorCode(store.Translate(err)) != atrium.CodeNotFound {
		return false, err
	}
	if tx.Dialect != store.Postgres {
		return false, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT stripe FROM seat_stripes WHERE org_id = $1 AND product_id = $2 AND `+cond+` ORDER BY stripe`,
		string(org), product)
	if err != nil {
		return false, err
	}
	var candidates []int
	for rows.Next() {
		var c int
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return false, err
		}
		candidates = append(candidates, c)
	}
	rows.Close()
	for _, c := range candidates {
		res, err := tx.ExecContext(ctx, `UPDATE seat_stripes SET `+change+` WHERE org_id = $1 AND product_id = $2 AND stripe = $3 AND `+cond,
			string(org), product, c)
		if err != nil {
			return false, err
		}
		if k, _ := res.RowsAffected(); k == 1 {
			return true, nil
		}
	}
	return false, nil
}
