-- The user search's trigram index, qualified by organization. Migration 002's index
-- spanned every organization, so a search in a small organization read, and dropped,
-- the candidates of every other one; with enough of them it exceeded the candidate bound
-- and fell back to walking. Here every token is an organization key followed by one
-- trigram (atrium_search_grams, search_sqlite.go), so each posting list holds one
-- organization's rows and listUsers asks only for the searching organization's.
--
-- Contentless (the tokens are not the text of any column), with contentless_delete so
-- the triggers can delete a row by rowid; keyed by users.rowid. The triggers call
-- atrium_search_grams, a Go function the directory package registers with the SQLite
-- driver: a tool that writes users without it (the sqlite3 shell, say) fails the trigger
-- with "no such function". SQLite documents that VACUUM may renumber the rowids of a
-- table without an INTEGER PRIMARY KEY; after a VACUUM refill the index:
--   DELETE FROM users_search;
--   INSERT INTO users_search (rowid, grams) SELECT rowid, atrium_search_grams(org_id, search) FROM users;

DROP TRIGGER users_search_insert;
DROP TRIGGER users_search_delete;
DROP TRIGGER users_search_update;
DROP TABLE users_search;

CREATE VIRTUAL TABLE users_search USING fts5(
	grams,
	content = '',
	contentless_delete = 1,
	tokenize = 'ascii',
	detail = 'none'
);

CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
	INSERT INTO users_search (rowid, grams) VALUES (new.rowid, atrium_search_grams(new.org_id, new.search));
END;

CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
	DELETE FROM users_search WHERE rowid = old.rowid;
END;

CREATE TRIGGER users_search_update AFTER UPDATE OF search, org_id ON users
WHEN old.search IS NOT new.search OR old.org_id IS NOT new.org_id BEGIN
	DELETE FROM users_search WHERE rowid = old.rowid;
	INSERT INTO users_search (rowid, grams) VALUES (new.rowid, atrium_search_grams(new.org_id, new.search));
END;

INSERT INTO users_search (rowid, grams) SELECT rowid, atrium_search_grams(org_id, search) FROM users;
