-- The instance's collaboration settings: one row (id 1), written when the operator first
-- changes them; until then the defaults of inactivity.go apply.
CREATE TABLE collab_settings (
	id INTEGER PRIMARY KEY,
	inactivity_days INTEGER NOT NULL,
	-- notice_days: the days before deactivation on which notices go, comma-separated.
	notice_days TEXT NOT NULL,
	version BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
-- The sweep walks the people due for a notice or deactivation in clock order.
CREATE INDEX collab_people_notice ON collab_people (notice, last_access_at) WHERE deactivated_at IS NULL;
