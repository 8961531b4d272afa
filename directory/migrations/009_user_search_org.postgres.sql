-- SQLite only: its trigram index becomes organization-qualified (see the SQLite file).
-- PostgreSQL's pg_trgm index is unchanged; its planner filters by organization itself.
SELECT 1;
