-- Conversations of a group: threads, their posts and the posts' attachments. Every row
-- carries org_id, so that an organization's purge deletes it by organization.
CREATE TABLE group_threads (
	id TEXT PRIMARY KEY,
	group_id TEXT NOT NULL,
	org_id TEXT NOT NULL,
	topic TEXT NOT NULL,
	-- search is the topic, case and accents folded (i18n.Fold), for the list's q.
	search TEXT NOT NULL DEFAULT '',
	-- author_id is empty for a thread an integration started, or once its author is purged.
	author_id TEXT NOT NULL,
	locked BOOLEAN NOT NULL DEFAULT FALSE,
	posts INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	last_post_at BIGINT NOT NULL
);
-- The thread list: newest activity first.
CREATE INDEX group_threads_activity ON group_threads (group_id, last_post_at, id);
CREATE INDEX group_threads_org ON group_threads (org_id);

CREATE TABLE group_posts (
	id TEXT PRIMARY KEY,
	thread_id TEXT NOT NULL,
	group_id TEXT NOT NULL,
	org_id TEXT NOT NULL,
	-- author_id is empty for a post by an integration, which names itself in source.
	author_id TEXT NOT NULL,
	-- body is sanitized HTML (the safe subset), never the HTML as sent.
	body TEXT NOT NULL,
	source TEXT NOT NULL DEFAULT '',
	-- card is an integration's card as JSON, or ''.
	card TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	-- The group mail of the post: the followers after mail_cursor (by user_id) are still
	-- to be mailed; mail_done once all are. Written with each batch of mail, so a retried
	-- batch never mails anyone twice.
	mail_cursor TEXT NOT NULL DEFAULT '',
	mail_done BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX group_posts_thread ON group_posts (thread_id, created_at, id);
CREATE INDEX group_posts_group ON group_posts (group_id);
CREATE INDEX group_posts_author ON group_posts (author_id) WHERE author_id <> '';
CREATE INDEX group_posts_org ON group_posts (org_id);

CREATE TABLE group_post_attachments (
	id TEXT PRIMARY KEY,
	post_id TEXT NOT NULL,
	group_id TEXT NOT NULL,
	org_id TEXT NOT NULL,
	name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	-- sha256 is the hex SHA-256 of data.
	sha256 TEXT NOT NULL,
	data BLOB NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX group_post_attachments_post ON group_post_attachments (post_id, id);
CREATE INDEX group_post_attachments_group ON group_post_attachments (group_id);
CREATE INDEX group_post_attachments_org ON group_post_attachments (org_id);
