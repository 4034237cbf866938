-- Jobs that wait for another (a refresh's notifications wait for its marker):
-- found by the job they wait for, to show a refresh's notifications and what
-- a dead job blocks.
CREATE INDEX outbox_after ON outbox (after_id) WHERE after_id IS NOT NULL;
