CREATE TABLE role_assignments (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL,
	user_id TEXT NOT NULL,
	role TEXT NOT NULL,
	scope_kind TEXT NOT NULL,
	scope_id TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	UNIQUE (user_id, role, scope_kind, scope_id)
);
CREATE INDEX role_assignments_org_role ON role_assignments (org_id, role, user_id);
CREATE INDEX role_assignments_scope ON role_assignments (scope_kind, scope_id);
