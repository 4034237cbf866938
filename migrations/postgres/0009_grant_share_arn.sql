-- The RAM share Lake Formation made for a grant (AWS share backend), as
-- ListPermissions reports it after the share job ran; NULL before, on the
-- embedded backend, and when AWS reports none.
ALTER TABLE grants ADD COLUMN share_arn TEXT;
