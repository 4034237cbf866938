-- Portal sessions of people signed in through single sign-on (OIDC), see
-- docs/identity.md. Only what a session and audit need is kept: no user
-- database. The cookie holds a random secret; only its SHA-256 is stored.
-- `roles` is the JSON list of roles and scopes the person's claims mapped to
-- at sign-in (a change of groups takes effect at the next sign-in).
-- `provider_sid` is the provider's session id (`sid`), for its logout.
-- Timestamps are RFC 3339 UTC text like the rest (`store::ts`).
CREATE TABLE portal_sessions (
    secret_hash   TEXT PRIMARY KEY,
    issuer        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    email         TEXT NOT NULL,
    roles         TEXT NOT NULL,
    provider_sid  TEXT,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
CREATE INDEX portal_sessions_subject ON portal_sessions (issuer, subject);
CREATE INDEX portal_sessions_expiry ON portal_sessions (expires_at);
