-- Filters with their product key: listings and broad searches are ordered by
-- key, and product keys begin with the domain, so a domain's products sit
-- together in key order. With an index on the filter alone, a filtered page
-- "ORDER BY product_key LIMIT 20" was planned as a walk of the primary key that
-- expected matches spread evenly, and read 90,000 rows before the domain's
-- block (215 ms at 100,000 products). With the key in the index the page is
-- read in order from the filter's own entries.
CREATE INDEX products_domain_key ON products (domain, product_key);
DROP INDEX products_domain;
CREATE INDEX products_classification_key ON products (classification, product_key);
DROP INDEX products_classification;
CREATE INDEX product_tags_tag_key ON product_tags (tag, product_key);
DROP INDEX product_tags_tag;
