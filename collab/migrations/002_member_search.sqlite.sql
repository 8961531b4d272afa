-- An engagement's member list's case-insensitive substring search (see members.go). A B-tree
-- cannot answer search LIKE '%x%', so an FTS5 trigram index over collab_members.search
-- finds the candidate rows of fragments of three or more characters; the list re-checks
-- every candidate with the LIKE itself, so the index only has to never miss a row.
--
-- External content, keyed by collab_members.rowid, kept in step by the triggers below.
-- SQLite documents that VACUUM may renumber the rowids of a table without an INTEGER
-- PRIMARY KEY; after a VACUUM run
--   INSERT INTO collab_members_search (collab_members_search) VALUES ('rebuild');

CREATE VIRTUAL TABLE collab_members_search USING fts5(
	search,
	content = 'collab_members',
	content_rowid = 'rowid',
	tokenize = 'trigram'
);

CREATE TRIGGER collab_members_search_insert AFTER INSERT ON collab_members BEGIN
	INSERT INTO collab_members_search (rowid, search) VALUES (new.rowid, new.search);
END;

CREATE TRIGGER collab_members_search_delete AFTER DELETE ON collab_members BEGIN
	INSERT INTO collab_members_search (collab_members_search, rowid, search) VALUES ('delete', old.rowid, old.search);
END;

CREATE TRIGGER collab_members_search_update AFTER UPDATE OF search ON collab_members WHEN old.search IS NOT new.search BEGIN
	INSERT INTO collab_members_search (collab_members_search, rowid, search) VALUES ('delete', old.rowid, old.search);
	INSERT INTO collab_members_search (rowid, search) VALUES (new.rowid, new.search);
END;

INSERT INTO collab_members_search (collab_members_search) VALUES ('rebuild');
