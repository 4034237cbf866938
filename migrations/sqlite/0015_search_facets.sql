-- Search facets from a narrow table (docs/performance.md, [M9]): counting
-- the domains and tags of up to 1,001 matches joined each match to its
-- `products` row, whose `detail` JSON makes it about a page wide, so one
-- facet pass read ~1,000 pages (4-12 ms) and a filtered query made two or
-- three passes. This table holds only what the counts read, keyed by the
-- products rowid (which the FTS row shares): ~100 rows to a page.
-- `tags` is the JSON list of the product's tags as written (deduplicated).
CREATE TABLE product_facets (
    product_rowid INTEGER PRIMARY KEY,
    domain        TEXT NOT NULL,
    tags          TEXT NOT NULL
);
INSERT INTO product_facets (product_rowid, domain, tags)
SELECT p.rowid, p.domain,
       COALESCE((SELECT json_group_array(t.tag) FROM product_tags t WHERE t.product_key = p.product_key), '[]')
FROM products p;
