CREATE TABLE mail_outbox (
	id TEXT PRIMARY KEY,
	org_id TEXT NOT NULL,
	to_addr TEXT NOT NULL,
	template TEXT NOT NULL,
	subject TEXT NOT NULL,
	text_body TEXT NOT NULL,
	html_body TEXT NOT NULL,
	state TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	sent_at BIGINT
);
CREATE INDEX mail_outbox_created ON mail_outbox (created_at, id);
CREATE INDEX mail_outbox_to ON mail_outbox (to_addr, created_at);
