-- The transactional outbox of domain events: a row is written in the same transaction as
-- the change it describes, so a rolled-back change publishes nothing. In-process
-- subscribers are called from it (synchronously in that transaction, or through a job
-- after commit); the Events issue delivers the same rows to webhooks, NATS and Kafka.
CREATE TABLE events (
	id TEXT PRIMARY KEY,
	type TEXT NOT NULL,
	org_id TEXT NOT NULL,
	subject TEXT NOT NULL,
	data TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX events_created ON events (created_at, id);
CREATE INDEX events_org ON events (org_id, created_at, id);
CREATE INDEX events_subject ON events (subject);
