-- `search_text` (names, descriptions and columns run together) has been unused
-- since search moved to weighted documents (PostgreSQL) and the FTS5 table
-- (SQLite); it was ~15% of every product row that search reads.
ALTER TABLE products DROP COLUMN search_text;
