-- PostgreSQL moves its search documents into a narrow `product_search`
-- table in this migration; SQLite has had one (FTS5) from the start.
-- Nothing changes here: the file keeps both lists of migrations aligned.
SELECT 1;
