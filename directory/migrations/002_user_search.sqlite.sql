-- The user list's case-insensitive substring search. A B-tree cannot answer
-- search LIKE '%x%', so an FTS5 trigram index over users.search finds the candidate
-- rows of fragments of three or more characters; listUsers re-checks every candidate
-- with the LIKE itself, so the index only has to never miss a row.
--
-- External content: the index stores no copy of the text, only the trigrams, keyed by
-- users.rowid, and the triggers below keep it in step with every insert, update and
-- delete. SQLite documents that VACUUM may renumber the rowids of a table without an
-- INTEGER PRIMARY KEY; after a VACUUM run
--   INSERT INTO users_search (users_search) VALUES ('rebuild');

CREATE VIRTUAL TABLE users_search USING fts5(
	search,
	content = 'users',
	content_rowid = 'rowid',
	tokenize = 'trigram',
	detail = 'none'
);

CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
	INSERT INTO users_search (rowid, search) VALUES (new.rowid, new.search);
END;

CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
	INSERT INTO users_search (users_search, rowid, search) VALUES ('delete', old.rowid, old.search);
END;

CREATE TRIGGER users_search_update AFTER UPDATE OF search ON users WHEN old.search IS NOT new.search BEGIN
	INSERT INTO users_search (users_search, rowid, search) VALUES ('delete', old.rowid, old.search);
	INSERT INTO users_search (rowid, search) VALUES (new.rowid, new.search);
END;

INSERT INTO users_search (users_search) VALUES ('rebuild');

-- When a fragment is common, listUsers walks the display-name index and keeps the rows
-- whose search text matches; with search in the index that walk never reads the table.
-- (deleted_at, always NULL here, is in it too: the query names it, and SQLite counts an
-- index as covering only if it holds every column the query names.) It replaces
-- users_org_name, whose columns it starts with.
DROP INDEX users_org_name;
CREATE INDEX users_org_name_search ON users (org_id, sort_name, id, search, deleted_at) WHERE deleted_at IS NULL;
