-- Search, PostgreSQL ([M9], docs/performance.md "what a search reads").
--
-- At 100,000 products the search table (130 MB) and the tables a page of
-- hits reads beside it did not stay in a modest `shared_buffers`, and the
-- p99 of filtered searches was where pages came from the OS (or, once paged
-- out, the disk). This migration makes what a search touches smaller:
--
-- * The filter lexemes keep 64 bits of the value's SHA-256 (16 hex digits)
--   instead of 128: a chance collision among even a million distinct values
--   is about 3e-8, and `search_keys` shrinks from ~190 to ~110 bytes a row.
--   `filter_lexeme` in `store/search/postgres.rs` builds the same.
-- * `search_names` loses its positions (`strip`): it only ever matches (the
--   names-first tier), ranking reads `search_doc`. ~190 to ~130 bytes.
-- * The names index also holds the filter lexemes (below).
-- * The column names a hit shows come from `product_column_names`, an array
--   a row (~240 bytes), instead of parsing the columns JSON of each of the
--   page's tables in `catalog_tables` (~1,100 bytes of JSON a table, 313 MB
--   at 100,000 products: 100 random pages a page of hits).
--
-- The table is rebuilt rather than updated, so it comes out packed (an
-- update of every row leaves the old versions behind until `VACUUM FULL`).
CREATE OR REPLACE FUNCTION search_key(kind TEXT, value TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT kind || left(encode(sha256(convert_to(value, 'UTF8')), 'hex'), 16) $$;

CREATE TABLE product_search_packed (
    product_key    TEXT PRIMARY KEY REFERENCES products (product_key) ON DELETE CASCADE,
    domain         TEXT NOT NULL,
    classification TEXT NOT NULL,
    owner_team     TEXT NOT NULL,
    tag_keys       TEXT[] NOT NULL,
    tag_names      TEXT[] NOT NULL,
    search_doc     TSVECTOR NOT NULL,
    search_names   TSVECTOR NOT NULL,
    search_keys    TSVECTOR NOT NULL
);
-- In key order: a window of the first keys reads consecutive pages.
INSERT INTO product_search_packed (product_key, domain, classification, owner_team, tag_keys, tag_names, search_doc,
                                   search_names, search_keys)
SELECT product_key, domain, classification, owner_team, tag_keys, tag_names, search_doc, strip(search_names),
       array_to_tsvector(ARRAY[search_key('d', domain), search_key('c', classification), search_key('o', lower(owner_team))]
                         || ARRAY(SELECT search_key('t', k) FROM unnest(tag_keys) AS k))
FROM product_search ORDER BY product_key;
DROP TABLE product_search;
ALTER TABLE product_search_packed RENAME TO product_search;
ALTER INDEX product_search_packed_pkey RENAME TO product_search_pkey;
ALTER TABLE product_search RENAME CONSTRAINT product_search_packed_product_key_fkey TO product_search_product_key_fkey;
-- The indexes of 0020, but the names with the filter lexemes as well: a
-- page of the names-first tier with a filter, read from the index, is one
-- GIN scan that steps through the word's posting list by the filter's (two
-- domains and a common word: 0.3 ms, where AND-ing the names index's 9,600
-- rows with the domain index's 5,000 took 3.8 ms).
CREATE INDEX product_search_doc ON product_search USING GIN (search_doc, search_keys);
CREATE INDEX product_search_names ON product_search USING GIN (search_names, search_keys);
CREATE INDEX product_search_tag_keys ON product_search USING GIN (tag_keys);
CREATE INDEX product_search_domain ON product_search (domain, product_key);

-- Each product's column names, tables in name order, columns in contract
-- order (the order the JSON lookup showed them in).
CREATE TABLE product_column_names (
    product_key TEXT PRIMARY KEY REFERENCES products (product_key) ON DELETE CASCADE,
    names       TEXT[] NOT NULL
);
INSERT INTO product_column_names (product_key, names)
SELECT c.product_key, array_agg(j.col ->> 'name' ORDER BY c.table_name, j.n)
FROM catalog_tables c, jsonb_array_elements(c.columns::jsonb) WITH ORDINALITY AS j(col, n)
WHERE j.col ->> 'name' IS NOT NULL
GROUP BY c.product_key
ORDER BY c.product_key;
