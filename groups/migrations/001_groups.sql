-- Groups of an organization. The table is org_groups: "groups" is a keyword of both
-- databases' window frames.
CREATE TABLE org_groups (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL,
	name TEXT NOT NULL,
	-- sort_name is i18n.SortKey of the name in the organization's language.
	sort_name TEXT NOT NULL,
	description TEXT NOT NULL,
	mail_nickname TEXT NOT NULL,
	nickname_key TEXT NOT NULL,
	visibility TEXT NOT NULL,
	classification TEXT NOT NULL DEFAULT '',
	-- search is name, nickname and description, case and accents folded (i18n.Fold).
	search TEXT NOT NULL,
	created_by TEXT NOT NULL,
	members INTEGER NOT NULL DEFAULT 0,
	owners INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	deleted_at BIGINT,
	-- A deleted group keeps its nickname until it is purged: restoring it must not clash.
	UNIQUE (org_id, nickname_key)
);
CREATE INDEX org_groups_org_name ON org_groups (org_id, sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX org_groups_deleted ON org_groups (org_id, deleted_at, id) WHERE deleted_at IS NOT NULL;
CREATE INDEX org_groups_purge ON org_groups (deleted_at) WHERE deleted_at IS NOT NULL;

-- Members of a group, owners among them, with a copy of the names they are listed and
-- found by (kept in step with user.updated).
CREATE TABLE group_members (
	group_id TEXT NOT NULL,
	user_id TEXT NOT NULL,
	org_id TEXT NOT NULL,
	owner BOOLEAN NOT NULL DEFAULT FALSE,
	following BOOLEAN NOT NULL DEFAULT TRUE,
	username TEXT NOT NULL,
	display_name TEXT NOT NULL,
	sort_name TEXT NOT NULL,
	search TEXT NOT NULL,
	added_at BIGINT NOT NULL,
	PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_name ON group_members (group_id, sort_name, user_id);
CREATE INDEX group_members_owner ON group_members (group_id, sort_name, user_id) WHERE owner;
CREATE INDEX group_members_user ON group_members (user_id, group_id);

-- The memberships of deleted users, given back if the user is restored.
CREATE TABLE group_departed_members (
	group_id TEXT NOT NULL,
	user_id TEXT NOT NULL,
	org_id TEXT NOT NULL,
	owner BOOLEAN NOT NULL DEFAULT FALSE,
	following BOOLEAN NOT NULL DEFAULT TRUE,
	username TEXT NOT NULL,
	display_name TEXT NOT NULL,
	sort_name TEXT NOT NULL,
	search TEXT NOT NULL,
	added_at BIGINT NOT NULL,
	PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_departed_members_user ON group_departed_members (user_id);

-- Requests to join a private group. One pending request per user and group.
CREATE TABLE group_join_requests (
	id TEXT PRIMARY KEY,
	group_id TEXT NOT NULL,
	org_id TEXT NOT NULL,
	user_id TEXT NOT NULL,
	username TEXT NOT NULL,
	display_name TEXT NOT NULL,
	message TEXT NOT NULL,
	state TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	decided_at BIGINT,
	decided_by TEXT NOT NULL DEFAULT '',
	reply TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX group_join_requests_pending ON group_join_requests (group_id, user_id) WHERE state = 'pending';
CREATE INDEX group_join_requests_group ON group_join_requests (group_id, created_at, id);
CREATE INDEX group_join_requests_user ON group_join_requests (user_id);

-- The organization's group settings: who may create groups, the classification labels.
CREATE TABLE group_settings (
	org_id TEXT PRIMARY KEY,
	creators_group_id TEXT NOT NULL DEFAULT '',
	classifications TEXT NOT NULL DEFAULT '[]',
	updated_at BIGINT NOT NULL
);
