-- One- and two-character searches match the start of a display-name word
-- (name_prefix.go). The first word's start is an index expression in the display-name
-- order, so a page of the users whose first name starts with "er" is one range of an
-- index; the other words' starts become FTS5 tokens (the organization key, "zz" and the
-- start; the first word's "zy"), written by atrium_search_grams, so the tokens of every
-- existing user are rewritten. atrium_name_start is a Go function (search_sqlite.go).
CREATE INDEX users_org_start1 ON users (org_id, atrium_name_start(search, 1), sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX users_org_start2 ON users (org_id, atrium_name_start(search, 2), sort_name, id) WHERE deleted_at IS NULL;

INSERT INTO users_search (users_search) VALUES ('delete-all');
INSERT INTO users_search (rowid, grams) SELECT rowid, atrium_search_grams(org_id, search) FROM users;
