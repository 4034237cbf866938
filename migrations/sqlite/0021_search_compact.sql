-- PostgreSQL packs its search table and keeps each product's column names
-- in an array in this migration; SQLite's FTS5 search is unchanged.
-- Nothing changes here: the file keeps both lists of migrations aligned.
SELECT 1;
