-- Search, SQLite ([M9], docs/performance.md "exact words and tag tokens").
--
-- 1. Tags as exact tokens in the FTS row, like domain and classification: the
--    hex of each lower-cased tag in a new `tags` column, so a tag filter is a
--    column filter inside the index (`tags : "<hex>"`). It was a set of
--    rowids built from `product_tags` joined to `products` and tested against
--    every match (~12 ms per statement for one tag at 100,000 products).
--    FTS5 tables cannot gain a column: the table is rebuilt, rowids kept.
--    SQLite's lower() folds ASCII only; a product published from here on is
--    indexed with Unicode lower-casing (as the query's values are).
CREATE VIRTUAL TABLE product_search_new USING fts5 (
    product_key UNINDEXED, domain, classification, names, descriptions, columns, tags,
    tokenize = 'unicode61'
);
INSERT INTO product_search_new (rowid, product_key, domain, classification, names, descriptions, columns, tags)
SELECT s.rowid, s.product_key, s.domain, s.classification, s.names, s.descriptions, s.columns,
       COALESCE((SELECT group_concat(hex(lower(t.tag)), ' ') FROM product_tags t WHERE t.product_key = s.product_key), '')
FROM product_search s;
DROP TABLE product_search;
ALTER TABLE product_search_new RENAME TO product_search;

-- 2. The vocabulary of the words columns (as PostgreSQL has had since 0003):
--    the last query word is expanded to the exact words it starts, because
--    FTS5 materializes a prefix's merged doclist before intersecting it.
--    Filled here from FTS5's own vocabulary; kept on publish.
CREATE TABLE search_lexemes (
    lexeme TEXT PRIMARY KEY
) WITHOUT ROWID;
CREATE VIRTUAL TABLE temp.product_search_vocabulary USING fts5vocab(main, product_search, 'col');
INSERT INTO search_lexemes (lexeme)
SELECT DISTINCT term FROM temp.product_search_vocabulary WHERE col IN ('names', 'descriptions', 'columns');
DROP TABLE temp.product_search_vocabulary;
