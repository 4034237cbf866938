-- Search [M9]: an exact product name (any case) ranks first; tag and owner
-- filters and the tag facet compare without regard to case. All are lookups
-- of lower(...), which these indexes serve (domains are lower case by the
-- key rules and keep their index).
CREATE INDEX products_name_lower ON products (lower(name));
CREATE INDEX products_owner_lower ON products (lower(owner_team), product_key);
CREATE INDEX product_tags_lower_key ON product_tags (lower(tag), product_key);
