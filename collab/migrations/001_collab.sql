-- Programs of the operator organization, and the engagements in them.
CREATE TABLE collab_programs (
	id TEXT PRIMARY KEY,
	-- org_id is the operator organization, whose staff run the program.
	org_id TEXT NOT NULL,
	name TEXT NOT NULL,
	-- sort_name is i18n.SortKey of the name in the operator organization's language.
	sort_name TEXT NOT NULL,
	description TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX collab_programs_name ON collab_programs (sort_name, id);

CREATE TABLE collab_engagements (
	id TEXT PRIMARY KEY,
	program_id TEXT NOT NULL REFERENCES collab_programs (id),
	org_id TEXT NOT NULL,
	name TEXT NOT NULL,
	sort_name TEXT NOT NULL,
	description TEXT NOT NULL,
	-- search is name and description, case and accents folded (i18n.Fold).
	search TEXT NOT NULL,
	-- terms is the current version of the terms of use; collab_terms keeps every one.
	terms TEXT NOT NULL,
	terms_version INTEGER NOT NULL,
	join_policy TEXT NOT NULL,
	-- all_orgs: every organization may see the engagement; else those of
	-- collab_engagement_orgs.
	all_orgs BOOLEAN NOT NULL,
	feedback_enabled BOOLEAN NOT NULL,
	state TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX collab_engagements_program ON collab_engagements (program_id, sort_name, id);
CREATE INDEX collab_engagements_name ON collab_engagements (sort_name, id);

CREATE TABLE collab_engagement_orgs (
	engagement_id TEXT NOT NULL REFERENCES collab_engagements (id),
	org_id TEXT NOT NULL,
	PRIMARY KEY (engagement_id, org_id)
);
CREATE INDEX collab_engagement_orgs_org ON collab_engagement_orgs (org_id, engagement_id);

-- Every version of an engagement's terms of use, so an acceptance names the text.
CREATE TABLE collab_terms (
	engagement_id TEXT NOT NULL REFERENCES collab_engagements (id),
	version INTEGER NOT NULL,
	text TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (engagement_id, version)
);

-- Members of an engagement's groups (participant, power_user, owner) and of a program's
-- (program_owner, engagement_creator, package_publisher), with a copy of the names they
-- are listed and found by (kept in step with user.updated). scope_id is the
-- engagement's or the program's id.
CREATE TABLE collab_members (
	scope_id TEXT NOT NULL,
	grp TEXT NOT NULL,
	user_id TEXT NOT NULL,
	org_id TEXT NOT NULL,
	org_name TEXT NOT NULL,
	username TEXT NOT NULL,
	display_name TEXT NOT NULL,
	email TEXT NOT NULL,
	sort_name TEXT NOT NULL,
	search TEXT NOT NULL,
	added_at BIGINT NOT NULL,
	added_by TEXT NOT NULL,
	-- last_access_at is when the member last opened the engagement, downloaded or gave
	-- feedback, written at most once an hour; 0 before the first time.
	last_access_at BIGINT NOT NULL DEFAULT 0,
	-- state is active or deactivated (automatic deactivation after inactivity).
	state TEXT NOT NULL DEFAULT 'active',
	deactivated_at BIGINT,
	-- The terms a participant accepted on joining, when they joined themselves.
	terms_version INTEGER,
	accepted_at BIGINT,
	PRIMARY KEY (scope_id, grp, user_id)
);
CREATE INDEX collab_members_name ON collab_members (scope_id, grp, sort_name, user_id);
CREATE INDEX collab_members_org ON collab_members (scope_id, grp, org_id, sort_name, user_id);
CREATE INDEX collab_members_added ON collab_members (scope_id, grp, added_at, user_id);
CREATE INDEX collab_members_access ON collab_members (scope_id, grp, last_access_at, user_id);
CREATE INDEX collab_members_user ON collab_members (user_id, scope_id);
CREATE INDEX collab_members_member_org ON collab_members (org_id);

-- Requests for access to an engagement. One pending request per user and engagement.
CREATE TABLE collab_requests (
	id TEXT PRIMARY KEY,
	engagement_id TEXT NOT NULL REFERENCES collab_engagements (id),
	user_id TEXT NOT NULL,
	org_id TEXT NOT NULL,
	org_name TEXT NOT NULL,
	username TEXT NOT NULL,
	display_name TEXT NOT NULL,
	justification TEXT NOT NULL,
	terms_version INTEGER NOT NULL,
	state TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	decided_at BIGINT,
	decided_by TEXT NOT NULL DEFAULT '',
	decided_by_name TEXT NOT NULL DEFAULT '',
	message TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX collab_requests_pending ON collab_requests (engagement_id, user_id) WHERE state = 'pending';
CREATE INDEX collab_requests_engagement ON collab_requests (engagement_id, state, created_at, id);
CREATE INDEX collab_requests_user ON collab_requests (user_id, created_at, id);
CREATE INDEX collab_requests_expiry ON collab_requests (created_at) WHERE state = 'pending';
CREATE INDEX collab_requests_org ON collab_requests (org_id);

-- A person's use of the collaboration area, for automatic deactivation: when they last
-- used it, which notice before deactivation they were sent last, and when their
-- memberships were deactivated.
CREATE TABLE collab_people (
	user_id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL,
	last_access_at BIGINT NOT NULL,
	-- notice is the days-before-deactivation of the last notice sent (0: none yet).
	notice INTEGER NOT NULL DEFAULT 0,
	deactivated_at BIGINT
);
CREATE INDEX collab_people_access ON collab_people (last_access_at, user_id) WHERE deactivated_at IS NULL;
CREATE INDEX collab_people_org ON collab_people (org_id);
