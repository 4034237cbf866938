-- Events for every change ([M11]): each state change appends one CloudEvent
-- here in its own transaction (the feed `GET /api/v1/events?after=`), and
-- enqueues one `event.deliver` outbox job per matching event hook.
-- `event_id` is the CloudEvents id, derived from the change (a retried
-- operation inserts nothing); `id` is the feed's order. Writers take an
-- advisory transaction lock before inserting, so ids commit in order and a
-- reader paging by `id` never skips a row committed late.
CREATE TABLE events (
    id          BIGSERIAL PRIMARY KEY,
    event_id    TEXT NOT NULL UNIQUE,
    type        TEXT NOT NULL,
    subject     TEXT,
    at          TEXT NOT NULL,
    data        TEXT NOT NULL
);

-- Where events go besides the feed (admins register them).
CREATE TABLE event_hooks (
    id          BIGSERIAL PRIMARY KEY,
    channel     TEXT NOT NULL CHECK (channel IN ('webhook', 'sns')),
    target      TEXT NOT NULL,
    types       TEXT NOT NULL DEFAULT '[]',   -- JSON list of type prefixes; empty: all
    secret      TEXT,                         -- webhook signing secret
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    removed_at  TEXT
);

-- The end date a grant's `io.steward.access.expiring` was announced for (a
-- renewed grant gets a new end date and is announced again).
ALTER TABLE grants ADD COLUMN expiry_announced TEXT;
