-- One- and two-character searches match the start of a word (user_search.go). Word
-- starts are indexed as an array of "org_id start" strings, the first one and two
-- characters of every word, so a search reads only its own organization's posting list
-- however many users the other organizations have. The list query's condition is
-- atrium_search_prefixes(org_id, search) @> ARRAY['<org_id> <fragment>'], the indexed
-- expression itself, and that is the definition: words are the runs between ASCII
-- characters that are not letters or digits (the class below; directory.isWordSeparator
-- and the SQLite GLOB class say the same), in characters, not bytes.
CREATE FUNCTION atrium_search_prefixes(org text, search text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT coalesce(array_agg(DISTINCT org || ' ' || p), '{}')
	FROM regexp_split_to_table(search, '[\x01-/:-@[-`{-\x7f]+') AS w,
		LATERAL (VALUES (left(w, 1)), (left(w, 2))) AS v (p)
	WHERE w <> ''
$$;

CREATE INDEX users_search_prefix ON users USING gin (atrium_search_prefixes(org_id, search));

-- The planner estimates the condition from the expression's statistics, which ANALYZE
-- gathers for an index expression.
ANALYZE users;
