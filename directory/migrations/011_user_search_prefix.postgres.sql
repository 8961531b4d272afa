-- One- and two-character searches match the start of a display-name word
-- (name_prefix.go, which says the same in Go). Words are the runs between ASCII
-- characters that are not letters or digits (the class below), counted in characters;
-- the display name is the search text up to its first newline.
--
-- atrium_name_start(search, n) is the first word's first n characters, or ''. It is an
-- index expression in the display-name order, so a page of the users whose first name
-- starts with "er" is one range of an index however long the run of Erics is.
CREATE FUNCTION atrium_name_start(search text, n int) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT coalesce(left(substring(split_part(search, E'\n', 1) FROM '[^\x01-/:-@[-`{-\x7f]+'), n), '')
$$;

CREATE INDEX users_org_start1 ON users (org_id, atrium_name_start(search, 1), sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX users_org_start2 ON users (org_id, atrium_name_start(search, 2), sort_name, id) WHERE deleted_at IS NULL;

-- The other words' starts are a regular expression on search (name_prefix.go), which
-- the pg_trgm index of migration 002 narrows. The planner estimates the first word's
-- condition from the expression's statistics, which ANALYZE gathers for an index
-- expression.
ANALYZE users;
