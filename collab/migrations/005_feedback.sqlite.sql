-- Feedback on engagements: items that participants and owners submit, their comments
-- and their attachments (stored here with their SHA-256). org_id and org_name are the
-- author's organization, as they were when the item or comment was written: a
-- participant sees names only of people of their own organization, and an
-- organization's purge deletes what its people wrote by org_id. author_id is empty and
-- author_name audit.PurgedName once the author is purged.
CREATE TABLE collab_feedback (
	id TEXT PRIMARY KEY,
	engagement_id TEXT NOT NULL,
	org_id TEXT NOT NULL,
	org_name TEXT NOT NULL,
	author_id TEXT NOT NULL,
	author_name TEXT NOT NULL,
	title TEXT NOT NULL,
	-- search is the title, case and accents folded (i18n.Fold), for the list's q.
	search TEXT NOT NULL,
	description TEXT NOT NULL,
	-- type is bug, suggestion or question; state new, in_review, planned, resolved or declined.
	type TEXT NOT NULL,
	state TEXT NOT NULL,
	comments INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	version BIGINT NOT NULL DEFAULT 1
);
-- The list: an engagement's items newest first, all of them or of one state or type.
CREATE INDEX collab_feedback_list ON collab_feedback (engagement_id, created_at, id);
CREATE INDEX collab_feedback_state ON collab_feedback (engagement_id, state, created_at, id);
CREATE INDEX collab_feedback_type ON collab_feedback (engagement_id, type, created_at, id);
CREATE INDEX collab_feedback_author ON collab_feedback (author_id);
CREATE INDEX collab_feedback_org ON collab_feedback (org_id);

CREATE TABLE collab_feedback_comments (
	id TEXT PRIMARY KEY,
	feedback_id TEXT NOT NULL,
	engagement_id TEXT NOT NULL,
	org_id TEXT NOT NULL,
	org_name TEXT NOT NULL,
	author_id TEXT NOT NULL,
	author_name TEXT NOT NULL,
	body TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
-- An item's comments, oldest first.
CREATE INDEX collab_feedback_comments_list ON collab_feedback_comments (feedback_id, created_at, id);
CREATE INDEX collab_feedback_comments_author ON collab_feedback_comments (author_id);
CREATE INDEX collab_feedback_comments_org ON collab_feedback_comments (org_id);

CREATE TABLE collab_feedback_attachments (
	id TEXT PRIMARY KEY,
	feedback_id TEXT NOT NULL,
	engagement_id TEXT NOT NULL,
	org_id TEXT NOT NULL,
	name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	-- sha256 is the hex SHA-256 of data.
	sha256 TEXT NOT NULL,
	data BLOB NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX collab_feedback_attachments_item ON collab_feedback_attachments (feedback_id, id);
CREATE INDEX collab_feedback_attachments_org ON collab_feedback_attachments (org_id);
