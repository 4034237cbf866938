//! A catalog published before migrations 0020 to 0022 stays searchable
//! after them, on both databases. On PostgreSQL 0020 moves the search
//! documents out of `products` into the narrow `product_search` table and
//! 0021 packs it and copies the column names out of `catalog_tables`
//! (docs/performance.md); on SQLite 0022 copies the column names the same
//! way. The products are written at schema version
//! 19 in that version's own layout (as `products::publish` wrote it then),
//! then the service starts, migrates, and searches them.

mod common;

use std::path::Path;

use common::databases;
use sqlx::{AssertSqlSafe, Connection, Row};
use steward_catalog::service::ServiceBuilder;
use steward_catalog::service::catalog::SearchQuery;

/// `(key, name, description, tags)`: "orders" in one name, "revenue" a tag of both.
const PRODUCTS: [(&str, &str, &str, &str); 2] = [
    ("sales.orders", "Sales orders", "Every order placed.", r#"["Revenue"]"#),
    ("finance.ledger", "General ledger", "Postings, including orders.", r#"["revenue", "Audit"]"#),
];

async fn at_version_19(url: &str, postgres: bool) {
    sqlx::any::install_default_drivers();
    // The service creates a SQLite file at start; here it exists before.
    let create = if postgres { url.to_owned() } else { format!("{url}?mode=rwc") };
    let mut conn = sqlx::AnyConnection::connect(&create).await.unwrap();
    let dir = if postgres { "postgres" } else { "sqlite" };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations").join(dir);
    let migrator = sqlx::migrate::Migrator::new(path).await.unwrap();
    migrator.run_to(19, &mut conn).await.unwrap();
    for (key, name, description, tags) in PRODUCTS {
        let (domain, product) = key.split_once('.').unwrap();
        let (doc_columns, doc_values) = if postgres {
            (
                ", search_doc, search_names, tag_keys",
                ", setweight(to_tsvector('simple', $4), 'A') || setweight(to_tsvector('simple', $5), 'C'),
                   setweight(to_tsvector('simple', $4), 'A'),
                   ARRAY(SELECT DISTINCT lower(j.v) FROM json_array_elements_text($6::json) AS j(v))",
            )
        } else {
            ("", "")
        };
        let sql = format!(
            "INSERT INTO products (product_key, domain, product, version, status, name, description, owner_team,
                                   classification, tags, detail, contract, commit_id, proposal_id, published_at{doc_columns})
             VALUES ($1, $2, $3, '1.0.0', 'active', $4, $5, 'team', 'internal', $6, '{{}}', '', 'c0', NULL,
                     '2026-11-01T00:00:00.000000Z'{doc_values})"
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(key)
            .bind(domain)
            .bind(product)
            .bind(name)
            .bind(description)
            .bind(tags)
            .execute(&mut conn)
            .await
            .unwrap();
        // Two tables, written in reverse name order: the hit shows the
        // columns of `a_lines` before those of `b_orders`.
        for (table, columns) in [
            ("b_orders", r#"[{"name":"order_id","logicalType":"string"},{"name":"placed_at"}]"#),
            ("a_lines", r#"[{"name":"order_line","logicalType":"integer"}]"#),
        ] {
            sqlx::query(
                "INSERT INTO catalog_tables (product_key, database_name, table_name, description, location, format, columns,
                                             partition_keys, parameters)
                 VALUES ($1, $2, $3, '', '', 'parquet', $4, '[]', '{}')",
            )
            .bind(key)
            .bind(domain)
            .bind(table)
            .bind(columns)
            .execute(&mut conn)
            .await
            .unwrap();
        }
        let tag_list: Vec<String> = serde_json::from_str(tags).unwrap();
        for tag in &tag_list {
            sqlx::query("INSERT INTO product_tags (product_key, tag) VALUES ($1, $2)")
                .bind(key)
                .bind(tag)
                .execute(&mut conn)
                .await
                .unwrap();
        }
        if !postgres {
            let hex_tags: Vec<String> = tag_list.iter().map(|t| hex::encode(t.to_lowercase())).collect();
            sqlx::query(
                "INSERT INTO product_search (rowid, product_key, domain, classification, names, descriptions, columns, tags)
                 SELECT rowid, product_key, $2, $3, $4, $5, '', $6 FROM products WHERE product_key = $1",
            )
            .bind(key)
            .bind(hex::encode(domain))
            .bind(hex::encode("internal"))
            .bind(name)
            .bind(description)
            .bind(hex_tags.join(" "))
            .execute(&mut conn)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO product_facets (product_rowid, domain, tags) SELECT rowid, domain, $2 FROM products WHERE product_key = $1",
            )
            .bind(key)
            .bind(tags)
            .execute(&mut conn)
            .await
            .unwrap();
        }
    }
    let lexemes = if postgres {
        "INSERT INTO search_lexemes (lexeme) SELECT DISTINCT l FROM products, unnest(tsvector_to_array(search_doc)) AS l"
    } else {
        "INSERT INTO search_lexemes (lexeme) VALUES ('sales'), ('orders'), ('general'), ('ledger'), ('every'), ('order'),
         ('placed'), ('postings'), ('including')"
    };
    sqlx::query(lexemes).execute(&mut conn).await.unwrap();
}

#[tokio::test]
async fn products_published_before_the_narrow_search_table_are_found_after_it() {
    let probe = tempfile::tempdir().unwrap();
    for (backend, url) in databases(probe.path()).await {
        let postgres = backend == "postgres";
        at_version_19(&url, postgres).await;
        let dir = tempfile::tempdir().unwrap();
        let service = ServiceBuilder::new(url.to_string(), dir.path().join("registry.git")).build().await.unwrap();
        let who = common::reader();
        let search = |q: &str, tags: &[&str]| {
            let query = SearchQuery {
                q: Some(q.to_owned()),
                tags: tags.iter().map(|t| (*t).to_owned()).collect(),
                limit: 20,
                ..Default::default()
            };
            let service = &service;
            let who = &who;
            async move { service.search(who, &query).await.unwrap() }
        };
        let ctx = backend;
        // Names first: the product named for the word, then the one that says it.
        let page = search("orders", &[]).await;
        let keys: Vec<&str> = page.items.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["sales.orders", "finance.ledger"], "{ctx}");
        assert_eq!(page.total, 2, "{ctx}");
        // Matching column names, read from the migrated rows
        // (`product_column_names`: 0021 on PostgreSQL, 0022 on SQLite),
        // tables in name order.
        assert_eq!(page.items[0].matched_columns, ["order_line", "order_id"], "{ctx}");
        // The tag facet, counted from the migrated rows, case folded.
        let revenue = page.facets.tags.iter().find(|t| t.value.eq_ignore_ascii_case("revenue")).expect("tag facet");
        assert_eq!(revenue.count, 2, "{ctx}: {:?}", page.facets.tags);
        // The tag filter and a prefix still being typed.
        let audit = search("ord", &["AUDIT"]).await;
        let keys: Vec<&str> = audit.items.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["finance.ledger"], "{ctx}");
        if postgres {
            // The documents live in one place only.
            let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
            let columns: i64 = sqlx::query(
                "SELECT COUNT(*) FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = 'products' AND column_name LIKE 'search%'",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
            assert_eq!(columns, 0, "products keeps no search document");
            let moved: i64 =
                sqlx::query("SELECT COUNT(*) FROM product_search WHERE search_doc @@ to_tsquery('simple', 'orders')")
                    .fetch_one(&mut conn)
                    .await
                    .unwrap()
                    .try_get(0)
                    .unwrap();
            assert_eq!(moved, 2);
        }
    }
}
