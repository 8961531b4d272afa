-- atrium: rebuild (foreign keys off)
-- A position in commit order, for the pull API (GET /api/v1/events). SQLite has one
-- writer, so insert order is commit order; seq is AUTOINCREMENT because the implicit
-- rowid is taken again when the newest row is deleted (events.Forget), which would put
-- a new event behind a cursor already given out. tx_id stays 0: the cursor is (tx_id,
-- seq) on both databases. SQLite cannot add such a column, so the table is rebuilt.
CREATE TABLE events_new (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	id TEXT NOT NULL UNIQUE,
	type TEXT NOT NULL,
	org_id TEXT NOT NULL,
	subject TEXT NOT NULL,
	data TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	tx_id INTEGER NOT NULL DEFAULT 0
);
INSERT INTO events_new (id, type, org_id, subject, data, created_at)
	SELECT id, type, org_id, subject, data, created_at FROM events ORDER BY created_at, id;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_created ON events (created_at, id);
CREATE INDEX events_org ON events (org_id, created_at, id);
CREATE INDEX events_subject ON events (subject);
CREATE INDEX events_org_seq ON events (org_id, tx_id, seq);
