-- Change without breakage ([M11]): every grant and subscription records the
-- contract major version it was approved against, so a new major can be
-- published beside the old one and each consumer moved on its own. Existing
-- rows take the product's current major (the only one there has been).
ALTER TABLE grants ADD COLUMN major INTEGER NOT NULL DEFAULT 1;
UPDATE grants SET major = COALESCE(
    (SELECT CAST(substr(p.version, 1, instr(p.version, '.') - 1) AS INTEGER) FROM products p
     WHERE p.product_key = grants.product_key), 1);
ALTER TABLE subscriptions ADD COLUMN major INTEGER NOT NULL DEFAULT 1;
UPDATE subscriptions SET major = COALESCE(
    (SELECT CAST(substr(p.version, 1, instr(p.version, '.') - 1) AS INTEGER) FROM products p
     WHERE p.product_key = subscriptions.product_key), 1);
