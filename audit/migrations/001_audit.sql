CREATE TABLE audit_log (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL,
	at BIGINT NOT NULL,
	actor_id TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	action TEXT NOT NULL,
	target_type TEXT NOT NULL,
	target_id TEXT NOT NULL,
	target_name TEXT NOT NULL,
	before_json TEXT NOT NULL,
	after_json TEXT NOT NULL,
	source_ip TEXT NOT NULL
);
CREATE INDEX audit_log_org_at ON audit_log (org_id, at, id);
CREATE INDEX audit_log_org_actor ON audit_log (org_id, actor_id, at, id);
CREATE INDEX audit_log_org_target ON audit_log (org_id, target_id, at, id);
