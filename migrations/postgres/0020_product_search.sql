-- Search, PostgreSQL ([M9], docs/performance.md "a narrow search table").
--
-- What a search reads to match, count and facet moves out of `products`
-- into its own narrow table: the key, the filter columns (domain,
-- classification, owner, the tags lower-cased and as written) and the two
-- documents. Counting the first 1,001 matches of a
-- word read ~1,800 `products` rows at 6 to a page (the row also holds the
-- detail JSON and the contract); here a page holds two to three times as
-- many, and the table with its indexes stays in a modest `shared_buffers`,
-- so the count reads memory, not disk. `products` keeps `tag_keys` for the
-- listings that filter without words.
-- A filter value as a lexeme of `search_keys`: a kind letter (d domain,
-- c classification, o owner lower-cased, t tag lower-cased) and 128 bits of
-- the value's SHA-256 in hex, so any value fits a lexeme and needs no
-- quoting. `steward_catalog::store::search::postgres::filter_lexeme` builds
-- the same on the query side.
CREATE FUNCTION search_key(kind TEXT, value TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT kind || left(encode(sha256(convert_to(value, 'UTF8')), 'hex'), 32) $$;

CREATE TABLE product_search (
    product_key    TEXT PRIMARY KEY REFERENCES products (product_key) ON DELETE CASCADE,
    domain         TEXT NOT NULL,
    classification TEXT NOT NULL,
    owner_team     TEXT NOT NULL,
    -- Each tag once, lower-cased (the filter), and as first written (the
    -- facet shows it), in the same order: the tag facet unnests the two
    -- arrays side by side, where parsing the JSON list of every match cost
    -- more than finding the matches.
    tag_keys       TEXT[] NOT NULL,
    tag_names      TEXT[] NOT NULL,
    search_doc     TSVECTOR NOT NULL,
    search_names   TSVECTOR NOT NULL,
    -- The filter values as lexemes, indexed with `search_doc` in one GIN
    -- index: a word with a filter is one index scan, and GIN steps through
    -- the common word's long posting list by the filter's short one (a
    -- domain's 2,500 rows) instead of reading it whole.
    search_keys    TSVECTOR NOT NULL
);
INSERT INTO product_search (product_key, domain, classification, owner_team, tag_keys, tag_names, search_doc, search_names,
                            search_keys)
SELECT p.product_key, p.domain, p.classification, p.owner_team, t.keys, t.names, p.search_doc, p.search_names,
       array_to_tsvector(ARRAY[search_key('d', p.domain), search_key('c', p.classification), search_key('o', lower(p.owner_team))]
                         || ARRAY(SELECT search_key('t', k) FROM unnest(t.keys) AS k))
FROM products p,
     LATERAL (SELECT COALESCE(array_agg(k ORDER BY n0), '{}'), COALESCE(array_agg(shown ORDER BY n0), '{}')
              FROM (SELECT lower(v) AS k, MIN(n) AS n0, (array_agg(v ORDER BY n))[1] AS shown
                    FROM json_array_elements_text(p.tags::json) WITH ORDINALITY AS e(v, n) GROUP BY lower(v)) x
             ) AS t(keys, names);
CREATE INDEX product_search_doc ON product_search USING GIN (search_doc, search_keys);
CREATE INDEX product_search_names ON product_search USING GIN (search_names);
-- Pages filter by the plain columns (a tag's page is read from this index).
CREATE INDEX product_search_tag_keys ON product_search USING GIN (tag_keys);
-- With the key: a page of one domain in key order reads that domain's rows
-- in order and stops. Keys sort by domain, so a key-order scan of the whole
-- table reached the last domains only after reading the others (150 ms).
CREATE INDEX product_search_domain ON product_search (domain, product_key);

DROP INDEX products_search;
DROP INDEX products_search_names;
ALTER TABLE products DROP COLUMN search_doc, DROP COLUMN search_names;
