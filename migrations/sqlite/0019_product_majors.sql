-- Parallel majors ([M11]): a product's majors side by side. Each row holds
-- the newest version of one major (its catalog detail, with the database
-- that major is published as), written with every publish. When a newer
-- major is published, the older ones get their end of support and end of
-- life (ODCS `slaProperties` `endOfSupport` / `endOfLife` of the old
-- contract, or the policy's defaults); the monitor reminds their grantees
-- before the end of support (`reminded_at`) and retires them at the end of
-- life (`retired_at`: grants revoked, shares removed, holders told).
CREATE TABLE product_majors (
    product_key     TEXT NOT NULL,
    major           INTEGER NOT NULL,
    version         TEXT NOT NULL,
    commit_id       TEXT NOT NULL,
    detail          TEXT NOT NULL,
    published_at    TEXT NOT NULL,
    end_of_support  TEXT,
    end_of_life     TEXT,
    reminded_at     TEXT,
    retired_at      TEXT,
    PRIMARY KEY (product_key, major)
);
CREATE INDEX product_majors_end_of_life ON product_majors (end_of_life) WHERE retired_at IS NULL;

-- Every published product has its current major.
INSERT INTO product_majors (product_key, major, version, commit_id, detail, published_at)
SELECT product_key, CAST(substr(version, 1, instr(version, '.') - 1) AS INTEGER), version, commit_id, detail, published_at
FROM products WHERE instr(version, '.') > 1;

-- A grant's holder may acknowledge a new major instead of migrating: they
-- stay on their grant's major knowingly until its end of life. The newest
-- major acknowledged (reviewers see who has migrated, who acknowledged).
ALTER TABLE grants ADD COLUMN acknowledged_major INTEGER;
