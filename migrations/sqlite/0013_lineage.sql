-- OpenLineage [M13]. Datasets a contract maps to its tables explicitly
-- (the top-level custom property `openlineage.datasets`), rewritten with
-- the product on every publish; and lineage edges (input dataset -> output
-- dataset, per job) learnt from run events, with the products the two
-- datasets matched when the event arrived.
CREATE TABLE lineage_datasets (
    namespace   TEXT NOT NULL,
    name        TEXT NOT NULL,
    product_key TEXT NOT NULL REFERENCES products (product_key) ON DELETE CASCADE,
    table_name  TEXT NOT NULL,
    PRIMARY KEY (namespace, name, product_key, table_name)
);
CREATE INDEX lineage_datasets_product ON lineage_datasets (product_key);

CREATE TABLE lineage_edges (
    -- sha256 of the job and the two datasets: the six names may be long.
    edge_key         TEXT PRIMARY KEY,
    job_namespace    TEXT NOT NULL,
    job_name         TEXT NOT NULL,
    input_namespace  TEXT NOT NULL,
    input_name       TEXT NOT NULL,
    output_namespace TEXT NOT NULL,
    output_name      TEXT NOT NULL,
    input_product    TEXT,
    output_product   TEXT,
    last_run_id      TEXT NOT NULL,
    last_event_type  TEXT NOT NULL,
    reported_by      TEXT NOT NULL,
    first_seen       TEXT NOT NULL,
    last_seen        TEXT NOT NULL
);
CREATE INDEX lineage_edges_input_product ON lineage_edges (input_product);
CREATE INDEX lineage_edges_output_product ON lineage_edges (output_product);
CREATE INDEX lineage_edges_input ON lineage_edges (input_namespace, input_name);
CREATE INDEX lineage_edges_output ON lineage_edges (output_namespace, output_name);

-- Matching an event's datasets to tables: by location, and by Glue name.
CREATE INDEX catalog_tables_location ON catalog_tables (location);
CREATE INDEX catalog_tables_database_table ON catalog_tables (database_name, table_name);
