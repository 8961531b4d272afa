-- The member list's case-insensitive substring search (see members.go). A pg_trgm GIN
-- index answers search LIKE '%x%' for fragments of three or more characters; the
-- planner chooses between it and walking the name index per query. The extension is
-- created by the directory's migrations (002_user_search).
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE INDEX group_members_search_trgm ON group_members USING gin (search public.gin_trgm_ops);

-- The planner estimates LIKE '%x%' from the column's histogram; a larger sample makes
-- the estimate for rare fragments less coarse.
ALTER TABLE group_members ALTER COLUMN search SET STATISTICS 1000;

-- When a fragment is common, the planner walks the name index and keeps the rows whose
-- search text matches; with search included, that walk is an index-only scan.
DROP INDEX group_members_name;
CREATE INDEX group_members_name ON group_members (group_id, sort_name, user_id) INCLUDE (search);
