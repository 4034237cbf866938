-- SQLite reads a search hit's column names from a narrow row in this
-- migration; PostgreSQL has had one (`product_column_names`) since 0021.
-- Nothing changes here: the file keeps both lists of migrations aligned.
SELECT 1;
