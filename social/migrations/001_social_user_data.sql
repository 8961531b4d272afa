CREATE TABLE social_settings (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL,
	user_id TEXT NOT NULL,
	name TEXT NOT NULL,
	value TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	UNIQUE (user_id, name)
);
CREATE TABLE social_alerts (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL,
	user_id TEXT NOT NULL,
	name TEXT NOT NULL,
	query TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX social_alerts_user ON social_alerts (user_id, created_at, id);
CREATE TABLE social_streams (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL,
	owner_id TEXT NOT NULL,
	name TEXT NOT NULL,
	query TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX social_streams_owner ON social_streams (owner_id, created_at, id);
CREATE TABLE social_stream_shares (
	stream_id TEXT NOT NULL REFERENCES social_streams (id) ON DELETE CASCADE,
	user_id TEXT NOT NULL,
	PRIMARY KEY (stream_id, user_id)
);
CREATE INDEX social_stream_shares_user ON social_stream_shares (user_id);
CREATE TABLE social_search_topics (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL,
	owner_id TEXT NOT NULL,
	owner_removed BOOLEAN NOT NULL DEFAULT FALSE,
	name TEXT NOT NULL,
	keywords TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX social_search_topics_org ON social_search_topics (org_id, created_at, id);
CREATE INDEX social_search_topics_owner ON social_search_topics (owner_id);
