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
    search_names   TSVECTOR NOT NULL
);
INSERT INTO product_search (product_key, domain, classification, owner_team, tag_keys, tag_names, search_doc, search_names)
SELECT p.product_key, p.domain, p.classification, p.owner_team, t.keys, t.names, p.search_doc, p.search_names
FROM products p,
     LATERAL (SELECT COALESCE(array_agg(k ORDER BY n0), '{}'), COALESCE(array_agg(shown ORDER BY n0), '{}')
              FROM (SELECT lower(v) AS k, MIN(n) AS n0, (array_agg(v ORDER BY n))[1] AS shown
                    FROM json_array_elements_text(p.tags::json) WITH ORDINALITY AS e(v, n) GROUP BY lower(v)) x
             ) AS t(keys, names);
CREATE INDEX product_search_doc ON product_search USING GIN (search_doc);
CREATE INDEX product_search_names ON product_search USING GIN (search_names);
CREATE INDEX product_search_tag_keys ON product_search USING GIN (tag_keys);
-- With the key: a page of one domain in key order reads that domain's rows
-- in order and stops. Keys sort by domain, so a key-order scan of the whole
-- table reached the last domains only after reading the others (150 ms).
CREATE INDEX product_search_domain ON product_search (domain, product_key);

DROP INDEX products_search;
DROP INDEX products_search_names;
ALTER TABLE products DROP COLUMN search_doc, DROP COLUMN search_names;
