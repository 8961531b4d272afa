-- A product's seats in an organization are split over stripes: a seat is taken by a
-- conditional update of one stripe (never more assigned than its capacity), so
-- concurrent assignments of one hot product lock different rows instead of queueing on
-- one. The pool's totals are the sums over its stripes; seat_pools keeps only the
-- low-seat warning flag.
CREATE TABLE seat_stripes (
	org_id TEXT NOT NULL,
	product_id TEXT NOT NULL,
	stripe INTEGER NOT NULL,
	capacity INTEGER NOT NULL,
	assigned INTEGER NOT NULL,
	PRIMARY KEY (org_id, product_id, stripe),
	FOREIGN KEY (org_id, product_id) REFERENCES seat_pools (org_id, product_id)
);

INSERT INTO seat_stripes (org_id, product_id, stripe, capacity, assigned)
	SELECT org_id, product_id, 0, purchased, assigned FROM seat_pools;

ALTER TABLE seat_pools DROP COLUMN purchased;
ALTER TABLE seat_pools DROP COLUMN assigned;
