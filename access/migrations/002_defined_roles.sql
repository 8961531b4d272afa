CREATE TABLE defined_roles (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL,
	name TEXT NOT NULL,
	description TEXT NOT NULL,
	actions TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	UNIQUE (org_id, name)
);
CREATE INDEX role_assignments_role ON role_assignments (role);
