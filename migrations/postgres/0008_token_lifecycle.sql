-- Token life cycle: an optional expiry set at creation, and when the token
-- last authenticated (written at most once a minute per token, see
-- store/tokens.rs). Timestamps are RFC 3339 UTC text like the rest
-- (`store::ts`), so they compare as text. `revoked_at` exists since 0001.
ALTER TABLE tokens ADD COLUMN expires_at TEXT;
ALTER TABLE tokens ADD COLUMN last_used_at TEXT;
