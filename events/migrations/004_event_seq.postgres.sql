-- A position in commit order, for the pull API (GET /api/v1/events). seq numbers the
-- rows in insert order and tx_id is the inserting transaction's id. seq alone is not
-- commit order: a transaction that took a lower number can commit after one with a
-- higher number was read. So a reader takes only the rows of transactions below its
-- snapshot's xmin, every one of them finished, and orders by (tx_id, seq): a row that
-- becomes visible later has a tx_id at or above that xmin, after every cursor given out.
ALTER TABLE events ADD COLUMN seq BIGSERIAL, ADD COLUMN tx_id BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
-- The rows already there (all of this migration's transaction) keep their created
-- order; the sequence has handed out exactly these numbers.
UPDATE events SET seq = o.n FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM events) o WHERE events.id = o.id;
CREATE INDEX events_org_seq ON events (org_id, tx_id, seq);
