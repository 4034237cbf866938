-- Search, PostgreSQL ([M9], docs/performance.md): the lower-cased tags in
-- the product row, with a GIN index, for the tag filter
-- (`tag_keys && ARRAY[...]`). Filtering through `product_tags` with
-- `EXISTS` was planned as a hash semi-join over a scan of `products` that
-- read ~37,000 rows to count the matches of a common word with a tag on 5%
-- of the products (85 ms at 100,000). `product_tags` stays: the tag facet
-- of listings and the tag index of other readers use it.
-- (../sqlite/0016_search_tags_lexemes.sql does the same in the FTS table.)
ALTER TABLE products ADD COLUMN tag_keys TEXT[] NOT NULL DEFAULT '{}';
UPDATE products p SET tag_keys = ARRAY(SELECT DISTINCT lower(t.tag) FROM product_tags t WHERE t.product_key = p.product_key);
CREATE INDEX products_tag_keys ON products USING GIN (tag_keys);
