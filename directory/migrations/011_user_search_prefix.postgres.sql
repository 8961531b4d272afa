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

-- atrium_search_prefixes(org_id, search) holds "<org_id> <start>" for the first one and
-- two characters of every word but the first, qualified by organization so that a
-- search reads only its own organization's posting list of the GIN index below.
CREATE FUNCTION atrium_search_prefixes(org text, search text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT coalesce(array_agg(DISTINCT org || ' ' || p), '{}')
	FROM regexp_matches(split_part(search, E'\n', 1), '[^\x01-/:-@[-`{-\x7f]+', 'g') WITH ORDINALITY AS m (w, i),
		LATERAL (VALUES (left(w[1], 1)), (left(w[1], 2))) AS v (p)
	WHERE i > 1
$$;

CREATE INDEX users_org_start1 ON users (org_id, atrium_name_start(search, 1), sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX users_org_start2 ON users (org_id, atrium_name_start(search, 2), sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX users_search_prefix ON users USING gin (atrium_search_prefixes(org_id, search));

-- The planner estimates the conditions from the expressions' statistics, which ANALYZE
-- gathers for index expressions.
ANALYZE users;
