-- A requester may cancel a pending access request (status `cancelled`), and
-- a consumer may ask to renew an active grant: a request whose
-- `renews_grant` names the grant, which approval extends.
ALTER TABLE access_requests DROP CONSTRAINT IF EXISTS access_requests_status_check;
ALTER TABLE access_requests ADD CONSTRAINT access_requests_status_check
    CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled'));
ALTER TABLE access_requests ADD COLUMN renews_grant BIGINT;
