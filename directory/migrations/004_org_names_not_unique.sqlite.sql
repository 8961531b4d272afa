-- atrium: rebuild (foreign keys off)
-- Two companies may share a name: only the domain prefix is unique. SQLite cannot drop
-- a column's UNIQUE constraint, so the table is rebuilt without it.
CREATE TABLE organizations_new (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	name_key TEXT NOT NULL,
	domain_prefix TEXT NOT NULL UNIQUE,
	initial_domain TEXT NOT NULL,
	state TEXT NOT NULL,
	operator BOOLEAN NOT NULL DEFAULT FALSE,
	seats_planned INTEGER NOT NULL DEFAULT 0,
	contact_email TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	deleted_at BIGINT
);
INSERT INTO organizations_new (id, name, name_key, domain_prefix, initial_domain, state, operator, seats_planned, contact_email,
	created_at, updated_at, version, deleted_at)
	SELECT id, name, name_key, domain_prefix, initial_domain, state, operator, seats_planned, contact_email,
		created_at, updated_at, version, deleted_at FROM organizations;
DROP TABLE organizations;
ALTER TABLE organizations_new RENAME TO organizations;
CREATE INDEX organizations_name ON organizations (name_key, id);
CREATE INDEX organizations_deleted ON organizations (deleted_at, id) WHERE deleted_at IS NOT NULL;
