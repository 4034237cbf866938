-- Search: exact lexemes for prefixes, and a names-only document, PostgreSQL dialect.
-- ../sqlite/0003_search_lexemes.sql is a no-op that keeps the numbering in step.

-- Every lexeme of every product's `search_doc` (a superset: lexemes are never
-- removed when a product drops a word). The last query word, which may be a
-- prefix still being typed, is expanded to the few exact lexemes it starts
-- (a range scan of this table), because the planner cannot estimate a prefix
-- tsquery (`word:*`) and checks it several times slower than an exact one.
-- "C" collation: byte order, so the lexemes sharing a prefix are contiguous.
CREATE TABLE search_lexemes (
    lexeme TEXT COLLATE "C" PRIMARY KEY
);
INSERT INTO search_lexemes (lexeme)
SELECT DISTINCT l FROM products, unnest(tsvector_to_array(search_doc)) AS l;

-- The names part of `search_doc` (weight A) on its own, with its own GIN index:
-- broad queries list names matches first, and a weight-restricted query
-- (`word:A`) can neither use the index for the weight nor be estimated.
ALTER TABLE products ADD COLUMN search_names TSVECTOR NOT NULL DEFAULT ''::tsvector;
UPDATE products SET search_names = ts_filter(search_doc, '{a}');
CREATE INDEX products_search_names ON products USING GIN (search_names);
