-- Search, SQLite ([M9], docs/performance.md "SQLite: a page of hits reads narrow rows").
--
-- The column names a search hit shows come from `product_column_names`, one
-- narrow row a product (a JSON list of names, ~240 bytes), as they have on
-- PostgreSQL since 0021, instead of parsing the columns JSON of each of the
-- page's tables in `catalog_tables` (~1,100 bytes of JSON a table, column
-- types and descriptions included): every page of hits read ~100 rows of
-- that table, scattered over its ~300 MB at 100,000 products.
--
-- Names in the order the JSON lookup showed them: tables in name order,
-- columns in contract order. `products::publish` keeps the row.
CREATE TABLE product_column_names (
    product_key TEXT PRIMARY KEY REFERENCES products (product_key) ON DELETE CASCADE,
    names       TEXT NOT NULL
) WITHOUT ROWID;

INSERT INTO product_column_names (product_key, names)
SELECT c.product_key, json_group_array(json_extract(j.value, '$.name') ORDER BY c.table_name, j.key)
FROM catalog_tables c, json_each(c.columns) j
WHERE json_extract(j.value, '$.name') IS NOT NULL
GROUP BY c.product_key
ORDER BY c.product_key;
