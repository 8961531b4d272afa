-- The latest interval each periodic kind was scheduled for. A job's row is deleted when
-- it succeeds, so its deterministic id alone cannot keep an interval from running twice.
CREATE TABLE job_schedules (
	kind TEXT PRIMARY KEY,
	slot BIGINT NOT NULL
);
