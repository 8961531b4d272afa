-- The member list's case-insensitive substring search (see members.go). A pg_trgm GIN
-- index answers search LIKE '%x%' for fragments of three or more characters; the
-- planner chooses between it and walking the name index. The extension is created by
-- the directory's migrations (002_user_search).
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE INDEX collab_members_search_trgm ON collab_members USING gin (search public.gin_trgm_ops);
ALTER TABLE collab_members ALTER COLUMN search SET STATISTICS 1000;

-- When a fragment is common, the planner walks the name index and keeps the rows whose
-- search text matches; with search included, that walk is an index-only scan.
DROP INDEX collab_members_name;
CREATE INDEX collab_members_name ON collab_members (scope_id, grp, sort_name, user_id) INCLUDE (search);
DROP INDEX collab_members_org;
CREATE INDEX collab_members_org ON collab_members (scope_id, grp, org_id, sort_name, user_id) INCLUDE (search);
