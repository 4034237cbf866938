-- Change without breakage ([M11]): every grant and subscription records the
-- contract major version it was approved against, so a new major can be
-- published beside the old one and each consumer moved on its own. Existing
-- rows take the product's current major (the only one there has been).
ALTER TABLE grants ADD COLUMN major BIGINT NOT NULL DEFAULT 1;
UPDATE grants g SET major = COALESCE(
    (SELECT split_part(p.version, '.', 1)::bigint FROM products p WHERE p.product_key = g.product_key), 1);
ALTER TABLE subscriptions ADD COLUMN major BIGINT NOT NULL DEFAULT 1;
UPDATE subscriptions s SET major = COALESCE(
    (SELECT split_part(p.version, '.', 1)::bigint FROM products p WHERE p.product_key = s.product_key), 1);
