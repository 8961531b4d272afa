-- Content packages of engagements and their files. A file's content is kept in chunks
-- of at most 1 MiB (collab_file_chunks), written as it is uploaded and read back one
-- chunk at a time (packages.go).
CREATE TABLE collab_packages (
	id TEXT PRIMARY KEY,
	engagement_id TEXT NOT NULL,
	name TEXT NOT NULL,
	description TEXT NOT NULL,
	type TEXT NOT NULL,
	-- keywords, one per line.
	keywords TEXT NOT NULL,
	-- search is name, description and keywords, case and accents folded.
	search TEXT NOT NULL,
	publish_at BIGINT NOT NULL,
	created_by TEXT NOT NULL,
	created_by_name TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	downloads BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX collab_packages_engagement ON collab_packages (engagement_id, publish_at, id);
CREATE INDEX collab_packages_creator ON collab_packages (created_by);

CREATE TABLE collab_package_files (
	id TEXT PRIMARY KEY,
	package_id TEXT NOT NULL,
	engagement_id TEXT NOT NULL,
	name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	-- sha256 is the hex SHA-256 of the content.
	sha256 TEXT NOT NULL,
	downloads BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL
);
CREATE INDEX collab_package_files_package ON collab_package_files (package_id, name, id);
CREATE INDEX collab_package_files_engagement ON collab_package_files (engagement_id);

CREATE TABLE collab_file_chunks (
	file_id TEXT NOT NULL,
	seq INTEGER NOT NULL,
	data BLOB NOT NULL,
	PRIMARY KEY (file_id, seq)
);
