-- Access, refreshes, subscriptions, the outbox and the SLO monitor, SQLite dialect.
-- Keep in step with ../postgres/0002_access_refresh_outbox.sql.

-- Side effects that must happen after a commit (AWS calls, markers,
-- notifications). A row is written in the same transaction as the change that
-- implies it; workers claim due rows, execute them and mark them done, retry
-- with backoff, or dead-letter them after the last attempt.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    dedup_key       TEXT NOT NULL UNIQUE,   -- the same effect is never enqueued twice
    payload         TEXT NOT NULL,          -- JSON, per kind
    status          TEXT NOT NULL CHECK (status IN ('pending', 'done', 'dead')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    after_id        BIGINT,                 -- runs only once that row is done (notify after the marker)
    claimed_by      TEXT,
    claimed_until   TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    done_at         TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id);
CREATE INDEX outbox_kind ON outbox (kind, status);

CREATE TABLE access_requests (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    product_key    TEXT NOT NULL,
    account        TEXT NOT NULL,
    requested_by   TEXT NOT NULL,
    justification  TEXT NOT NULL,
    duration_days  BIGINT,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    requested_at   TEXT NOT NULL,
    decided_by     TEXT,
    decided_at     TEXT,
    comment        TEXT
);
-- At most one open request per product and account.
CREATE UNIQUE INDEX access_requests_open ON access_requests (product_key, account) WHERE status = 'pending';
CREATE INDEX access_requests_status ON access_requests (status, id);

CREATE TABLE grants (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    product_key  TEXT NOT NULL,
    account      TEXT NOT NULL,
    request_id   BIGINT,
    status       TEXT NOT NULL CHECK (status IN ('active', 'revoked', 'expired')),
    granted_by   TEXT NOT NULL,
    granted_at   TEXT NOT NULL,
    expires_at   TEXT,
    ended_by     TEXT,
    ended_at     TEXT
);
CREATE UNIQUE INDEX grants_active ON grants (product_key, account) WHERE status = 'active';
CREATE INDEX grants_expiry ON grants (status, expires_at);

-- One row per reported refresh; (product, idempotency key) is unique so a
-- retried report returns the first result.
CREATE TABLE refreshes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    product_key    TEXT NOT NULL,
    table_name     TEXT NOT NULL,
    idem_key       TEXT NOT NULL,
    partition_path TEXT NOT NULL,           -- `k=v/k2=v2`, or '' when unpartitioned
    partition_values TEXT NOT NULL,         -- JSON array of values in partition-key order
    snapshot_id    TEXT,
    row_count      BIGINT,
    location       TEXT NOT NULL,           -- where the `_SUCCESS` marker goes
    reported_by    TEXT NOT NULL,
    reported_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX refreshes_idem ON refreshes (product_key, idem_key);
CREATE INDEX refreshes_product ON refreshes (product_key, reported_at);
CREATE INDEX refreshes_time ON refreshes (reported_at);

CREATE TABLE partitions (
    product_key      TEXT NOT NULL,
    table_name       TEXT NOT NULL,
    partition_path   TEXT NOT NULL,
    partition_values TEXT NOT NULL,
    location         TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (product_key, table_name, partition_path)
);

CREATE TABLE subscriptions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    product_key  TEXT NOT NULL,
    account      TEXT NOT NULL,
    channel      TEXT NOT NULL CHECK (channel IN ('email', 'webhook', 'sns')),
    target       TEXT NOT NULL,
    secret       TEXT,                      -- webhook signing secret
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    removed_at   TEXT
);
CREATE INDEX subscriptions_product ON subscriptions (product_key, removed_at);

-- The SLO monitor's memory: one state per (product, SLO entry), and the
-- settled ticks that make the history.
CREATE TABLE slo_state (
    product_key  TEXT NOT NULL,
    spec_index   BIGINT NOT NULL,
    version      TEXT NOT NULL,
    schedule     TEXT NOT NULL,
    state        TEXT NOT NULL,             -- JSON (steward-slo MonitorState)
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (product_key, spec_index)
);

CREATE TABLE slo_ticks (
    product_key  TEXT NOT NULL,
    spec_index   BIGINT NOT NULL,
    table_name   TEXT,
    due          TEXT NOT NULL,
    deadline     TEXT NOT NULL,
    status       TEXT NOT NULL,
    refresh_at   TEXT,
    PRIMARY KEY (product_key, spec_index, due)
);
CREATE INDEX slo_ticks_status ON slo_ticks (status, due);

-- Work with one owner at a time across replicas (the SLO monitor).
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
