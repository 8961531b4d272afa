-- One- and two-character searches match the start of a word (user_search.go). The FTS5
-- index gains a token per word start, the organization key, "zz" and the word's first one
-- or two characters (atrium_search_grams, search_sqlite.go), so a rare start ("qz") is
-- found from the index instead of by reading the whole organization. The tokens of every
-- existing user are rewritten.
INSERT INTO users_search (users_search) VALUES ('delete-all');
INSERT INTO users_search (rowid, grams) SELECT rowid, atrium_search_grams(org_id, search) FROM users;
