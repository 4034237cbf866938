-- Steward schema, SQLite dialect. Keep in step with ../postgres/0001_init.sql.
-- Timestamps are RFC 3339 UTC strings with microseconds (sortable as text).

CREATE TABLE tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    email       TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'reviewer', 'producer', 'consumer')),
    scopes      TEXT NOT NULL,            -- JSON array: domains (producer) or accounts (consumer)
    token_hash  TEXT NOT NULL UNIQUE,     -- SHA-256 of the secret, hex
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE proposals (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    product_key    TEXT NOT NULL,
    version        TEXT NOT NULL,
    status         TEXT NOT NULL,
    contract       TEXT NOT NULL,
    findings       TEXT NOT NULL,         -- JSON array of findings
    breaking       INTEGER NOT NULL DEFAULT 0,
    submitted_by   TEXT NOT NULL,
    submitted_at   TEXT NOT NULL,
    decided_by     TEXT,
    decided_at     TEXT,
    comment        TEXT,
    branch_commit  TEXT,
    merge_commit   TEXT
);
CREATE INDEX proposals_status ON proposals (status, id);
CREATE INDEX proposals_product ON proposals (product_key, id);

CREATE TABLE products (
    product_key     TEXT PRIMARY KEY,
    domain          TEXT NOT NULL,
    product         TEXT NOT NULL,
    version         TEXT NOT NULL,
    status          TEXT NOT NULL,
    name            TEXT NOT NULL,
    description     TEXT NOT NULL,
    owner_team      TEXT NOT NULL,
    classification  TEXT NOT NULL,
    tags            TEXT NOT NULL,        -- JSON array
    detail          TEXT NOT NULL,        -- JSON: contacts, servers, SLO, tables with columns
    contract        TEXT NOT NULL,
    commit_id       TEXT NOT NULL,
    proposal_id     INTEGER,
    published_at    TEXT NOT NULL,
    search_text     TEXT NOT NULL
);
CREATE INDEX products_domain ON products (domain);
CREATE INDEX products_classification ON products (classification);

CREATE TABLE product_tags (
    product_key TEXT NOT NULL REFERENCES products (product_key) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    PRIMARY KEY (product_key, tag)
);
CREATE INDEX product_tags_tag ON product_tags (tag);

-- One catalog database per product, one table per schema object (as in Glue).
CREATE TABLE catalog_tables (
    product_key    TEXT NOT NULL REFERENCES products (product_key) ON DELETE CASCADE,
    database_name  TEXT NOT NULL,
    table_name     TEXT NOT NULL,
    description    TEXT NOT NULL,
    location       TEXT NOT NULL,
    format         TEXT NOT NULL,
    columns        TEXT NOT NULL,         -- JSON array of columns
    partition_keys TEXT NOT NULL,         -- JSON array of column names, in order
    parameters     TEXT NOT NULL,         -- JSON object: owner, contact, classification, slo, contract version
    PRIMARY KEY (product_key, table_name)
);

CREATE TABLE product_versions (
    product_key  TEXT NOT NULL,
    version      TEXT NOT NULL,
    commit_id    TEXT NOT NULL,
    proposal_id  INTEGER,
    published_at TEXT NOT NULL,
    PRIMARY KEY (product_key, version)
);

CREATE TABLE audit_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    before  TEXT,
    after   TEXT
);
CREATE INDEX audit_target ON audit_events (target, id);
CREATE INDEX audit_actor ON audit_events (actor, id);

-- Full-text search over names, descriptions, column names and tags.
-- Identifiers are indexed split at `_` (so `customer` finds `customer_email`
-- and prefixes stay cheap); `domain` and `classification` hold the hex of the
-- value, one exact token each, so filters resolve inside the index.
CREATE VIRTUAL TABLE product_search USING fts5 (
    product_key UNINDEXED, domain, classification, names, descriptions, columns,
    tokenize = 'unicode61'
);
