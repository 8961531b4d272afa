-- The user list's case-insensitive substring search. A B-tree cannot answer
-- search LIKE '%x%'; a pg_trgm GIN index can, for fragments of three or more
-- characters. The planner chooses between it and the display-name index per query (see
-- user_search.go).
--
-- The extension is created in public, which every schema's search_path includes
-- (the test suites run each test in its own schema with search_path "schema,public").
-- Creating it needs a role allowed to; on a managed database create it once beforehand.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE INDEX users_search_trgm ON users USING gin (search public.gin_trgm_ops);

-- The planner estimates LIKE '%x%' from the column's histogram; a larger sample makes
-- the estimate for rare fragments less coarse.
ALTER TABLE users ALTER COLUMN search SET STATISTICS 1000;

-- When a fragment is common, the planner walks the display-name index and keeps the rows
-- whose search text matches; with search included, that walk is an index-only scan. It
-- replaces users_org_name, whose key it keeps.
DROP INDEX users_org_name;
CREATE INDEX users_org_name_search ON users (org_id, sort_name, id) INCLUDE (search) WHERE deleted_at IS NULL;
