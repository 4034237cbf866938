-- The SLO monitor's pass reads only what can have changed: products published
-- or refreshed since its last pass, and entries whose next deadline has
-- passed. Each state keeps that deadline ('' = unknown, judged at the next
-- pass; '9999-...' = the schedule never comes due again).
ALTER TABLE slo_state ADD COLUMN next_deadline TEXT NOT NULL DEFAULT '';
CREATE INDEX slo_state_next_deadline ON slo_state (next_deadline);
CREATE INDEX products_published_at ON products (published_at);
