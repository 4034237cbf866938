-- The published version a proposal was judged against, so a decided
-- proposal keeps the diff (and the finding positions) it was judged on after
-- later versions are published. Recorded at submission and again when a
-- reviewer decides (approval re-checks against the version published then).
-- '' in both columns: nothing was published (a new product). NULL: the
-- proposal predates this migration; the service then reconstructs the base
-- from the product's earlier published versions where it can.
ALTER TABLE proposals ADD COLUMN base_version TEXT;
ALTER TABLE proposals ADD COLUMN base_contract TEXT;
-- Queue filters: a domain is a product_key prefix, so these serve
-- `status = ? AND product_key LIKE 'domain.%'` oldest first.
CREATE INDEX proposals_status_product ON proposals (status, product_key, id);
CREATE INDEX access_requests_status_product ON access_requests (status, product_key, id);
CREATE INDEX grants_status_product ON grants (status, product_key, id);
