CREATE TABLE organizations (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	name_key TEXT NOT NULL UNIQUE,
	domain_prefix TEXT NOT NULL UNIQUE,
	initial_domain TEXT NOT NULL,
	state TEXT NOT NULL,
	operator BOOLEAN NOT NULL DEFAULT FALSE,
	seats_planned INTEGER NOT NULL DEFAULT 0,
	contact_email TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX organizations_name ON organizations (name_key, id);

CREATE TABLE domains (
	name TEXT PRIMARY KEY,
	org_id TEXT NOT NULL REFERENCES organizations (id),
	initial BOOLEAN NOT NULL,
	verified BOOLEAN NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX domains_org ON domains (org_id);

CREATE TABLE users (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL REFERENCES organizations (id),
	username TEXT NOT NULL,
	username_key TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL,
	sort_name TEXT NOT NULL,
	first_name TEXT NOT NULL DEFAULT '',
	last_name TEXT NOT NULL DEFAULT '',
	contact_email TEXT NOT NULL DEFAULT '',
	job_title TEXT NOT NULL DEFAULT '',
	department TEXT NOT NULL DEFAULT '',
	usage_location TEXT NOT NULL DEFAULT '',
	search TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
	blocked BOOLEAN NOT NULL DEFAULT FALSE,
	deleted_at BIGINT,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	last_sign_in_at BIGINT,
	last_activity_at BIGINT,
	version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX users_org_name ON users (org_id, sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX users_org_username ON users (org_id, username_key, id) WHERE deleted_at IS NULL;
CREATE INDEX users_org_created ON users (org_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX users_org_deleted ON users (org_id, deleted_at, id) WHERE deleted_at IS NOT NULL;
