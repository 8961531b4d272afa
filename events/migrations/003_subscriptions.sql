-- Event subscriptions: an organization's order to receive its events at a sink (a
-- webhook URL for now). Secrets are sealed by the secrets keyring, never stored in the
-- clear. lease_until/lease_owner let one node at a time push a subscription's events, in
-- order, whatever the number of nodes; failures and next_attempt_at are its backoff while
-- the sink fails.
CREATE TABLE event_subscriptions (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL,
	name TEXT NOT NULL,
	event_types TEXT NOT NULL,
	sink_type TEXT NOT NULL,
	sink_url TEXT NOT NULL,
	secret_sealed TEXT NOT NULL,
	prev_secret_sealed TEXT,
	prev_secret_until BIGINT,
	state TEXT NOT NULL,
	disabled_reason TEXT NOT NULL DEFAULT '',
	failing_since BIGINT,
	failures INTEGER NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL DEFAULT 0,
	lease_until BIGINT NOT NULL DEFAULT 0,
	lease_owner TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX event_subscriptions_org ON event_subscriptions (org_id, created_at, id);

-- The events a subscription still has to deliver, written in the publishing
-- transaction: an event committed late (after a later one) is still delivered, never
-- skipped by a cursor.
CREATE TABLE event_pending (
	subscription_id TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	event_id TEXT NOT NULL,
	first_failed_at BIGINT,
	PRIMARY KEY (subscription_id, created_at, event_id)
);
CREATE INDEX event_pending_event ON event_pending (event_id);

-- Every delivery attempt, newest last, for the subscription's delivery log.
CREATE TABLE event_deliveries (
	id TEXT PRIMARY KEY,
	subscription_id TEXT NOT NULL,
	org_id TEXT NOT NULL,
	event_id TEXT NOT NULL,
	event_type TEXT NOT NULL,
	attempted_at BIGINT NOT NULL,
	ok BOOLEAN NOT NULL,
	status_code INTEGER NOT NULL,
	latency_us BIGINT NOT NULL,
	response TEXT NOT NULL,
	error TEXT NOT NULL
);
CREATE INDEX event_deliveries_sub ON event_deliveries (subscription_id, attempted_at, id);
