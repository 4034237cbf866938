-- SQLite only (its 0015 adds a narrow facet table); kept so that both
-- dialects number their migrations alike.
SELECT 1;
