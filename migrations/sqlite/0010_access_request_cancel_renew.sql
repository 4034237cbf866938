-- A requester may cancel a pending access request (status `cancelled`), and
-- a consumer may ask to renew an active grant: a request whose
-- `renews_grant` names the grant, which approval extends.
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt
-- (same ids; the AUTOINCREMENT counter follows the copied rows).
CREATE TABLE access_requests_new (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    product_key    TEXT NOT NULL,
    account        TEXT NOT NULL,
    requested_by   TEXT NOT NULL,
    justification  TEXT NOT NULL,
    duration_days  BIGINT,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled')),
    requested_at   TEXT NOT NULL,
    decided_by     TEXT,
    decided_at     TEXT,
    comment        TEXT,
    renews_grant   BIGINT
);
INSERT INTO access_requests_new
    (id, product_key, account, requested_by, justification, duration_days, status, requested_at, decided_by, decided_at, comment)
    SELECT id, product_key, account, requested_by, justification, duration_days, status, requested_at, decided_by, decided_at, comment
    FROM access_requests;
DROP TABLE access_requests;
ALTER TABLE access_requests_new RENAME TO access_requests;
CREATE UNIQUE INDEX access_requests_open ON access_requests (product_key, account) WHERE status = 'pending';
CREATE INDEX access_requests_status ON access_requests (status, id);
