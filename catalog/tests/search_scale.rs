//! Search at a size where PostgreSQL chooses plans from a sample of the table
//! (at least 100 sampled rows: 80,000 small products) and where broad
//! queries are ranked by tier, on both databases: the pages must be the ones
//! plain rules give (names matches first, then key order; counts capped at
//! 1,000), before and after the planner has statistics.

mod common;

use common::databases;
use sqlx::Connection;
use steward_catalog::service::catalog::{COUNT_CAP, SearchPage, SearchQuery};
use steward_catalog::service::{Service, ServiceBuilder};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Sqlite,
    Postgres,
}

/// The test's own connection to the service's database, and its dialect.
async fn connect(url: &str) -> (sqlx::AnyConnection, Dialect) {
    sqlx::any::install_default_drivers();
    let dialect = if url.starts_with("postgres") { Dialect::Postgres } else { Dialect::Sqlite };
    (sqlx::AnyConnection::connect(url).await.unwrap(), dialect)
}

const N: i64 = 80_000;

/// Product `i`: key `dom{i % 20}.p{i:06}`; `alpha` in the name of even ones
/// and `zeta` in the name of every 40th from the 4th (half of `dom4`),
/// `beta gamma` in every description, `delta` in the columns of every 100th.
fn key(i: i64) -> String {
    format!("dom{}.p{i:06}", i % 20)
}

/// Loads the products with one statement per table (the publish path is
/// covered elsewhere; here only the search rows matter), written directly
/// into the tables the service searches.
async fn load(conn: &mut sqlx::AnyConnection, dialect: Dialect) {
    let series = match dialect {
        Dialect::Postgres => format!("SELECT i FROM generate_series(1, {N}) AS g(i)"),
        Dialect::Sqlite => {
            format!("WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {N}) SELECT i FROM g")
        }
    };
    let name = match dialect {
        Dialect::Postgres => "'p' || lpad(i::text, 6, '0')",
        Dialect::Sqlite => "'p' || substr('000000' || i, -6, 6)",
    };
    let names = format!(
        "{name} || CASE WHEN i % 2 = 0 THEN ' alpha' ELSE '' END || CASE WHEN i % 40 = 4 THEN ' zeta' ELSE '' END"
    );
    let columns = "CASE WHEN i % 100 = 0 THEN 'delta' ELSE 'epsilon' END";
    let sql = format!(
        "INSERT INTO products (product_key, domain, product, version, status, name, description, owner_team,
                               classification, tags, detail, contract, commit_id, proposal_id,
                               published_at)
         SELECT 'dom' || (i % 20) || '.' || {name}, 'dom' || (i % 20), {name}, '1.0.0', 'active', {name}, 'beta gamma',
                'team', 'internal', '[]', '{{}}', '', 'c0', NULL, '2026-11-01T00:00:00.000000Z'
         FROM ({series}) s"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await.unwrap();
    let index = match dialect {
        // The narrow search rows (migrations 0020, 0021), as `products::publish` writes them.
        Dialect::Postgres => {
            let search = format!(
                "INSERT INTO product_search (product_key, domain, classification, owner_team, tag_keys, tag_names, search_doc,
                                             search_names, search_keys)
                 SELECT p.product_key, p.domain, p.classification, p.owner_team, '{{}}', '{{}}',
                        setweight(to_tsvector('simple', {names}), 'A') || setweight(to_tsvector('simple', 'beta gamma'), 'C')
                          || setweight(to_tsvector('simple', {columns}), 'B'),
                        strip(to_tsvector('simple', {names})),
                        array_to_tsvector(ARRAY[search_key('d', p.domain), search_key('c', p.classification),
                                                search_key('o', lower(p.owner_team))])
                 FROM products p JOIN ({series}) s ON p.product_key = 'dom' || (i % 20) || '.' || {name}"
            );
            sqlx::query(sqlx::AssertSqlSafe(search)).execute(&mut *conn).await.unwrap();
            "INSERT INTO search_lexemes (lexeme)
             SELECT DISTINCT l FROM product_search, unnest(tsvector_to_array(search_doc)) AS l ON CONFLICT DO NOTHING"
                .to_owned()
        }
        Dialect::Sqlite => format!(
            "INSERT INTO product_search (rowid, product_key, domain, classification, names, descriptions, columns)
             SELECT p.rowid, p.product_key, lower(hex(p.domain)), lower(hex(p.classification)), {names}, 'beta gamma', {columns}
             FROM products p JOIN ({series}) s ON p.product_key = 'dom' || (i % 20) || '.' || {name}"
        ),
    };
    sqlx::query(sqlx::AssertSqlSafe(index)).execute(&mut *conn).await.unwrap();
    if dialect == Dialect::Sqlite {
        // What search facets count, as `products::publish` writes it (migration 0015),
        // and the vocabulary prefixes expand from, as migration 0016 fills it.
        for sql in [
            "INSERT INTO product_facets (product_rowid, domain, tags) SELECT rowid, domain, '[]' FROM products",
            "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, product_search, 'col')",
            "INSERT INTO search_lexemes (lexeme) SELECT DISTINCT term FROM temp.v
             WHERE col IN ('names', 'descriptions', 'columns') ON CONFLICT DO NOTHING",
            "DROP TABLE temp.v",
        ] {
            sqlx::query(sql).execute(&mut *conn).await.unwrap();
        }
    }
}

/// What a broad query must return, by plain rules: matches by name first,
/// then the rest, each in index order (PostgreSQL: by key; SQLite: the FTS
/// index's rowid order, i.e. publish order).
fn expected(
    dialect: Dialect,
    name_match: impl Fn(i64) -> bool,
    other_match: impl Fn(i64) -> bool,
    offset: usize,
) -> Vec<String> {
    let tier = |keep: &dyn Fn(i64) -> bool| {
        let mut keys: Vec<String> = (1..=N).filter(|&i| keep(i)).map(key).collect();
        if dialect == Dialect::Postgres {
            keys.sort();
        }
        keys
    };
    let first = tier(&name_match);
    let rest = tier(&|i| !name_match(i) && other_match(i));
    first.into_iter().chain(rest).skip(offset).take(20).collect()
}

async fn search(service: &Service, q: &str, domains: &[&str], offset: i64) -> SearchPage {
    let query = SearchQuery {
        q: Some(q.to_owned()),
        domains: domains.iter().map(|d| (*d).to_owned()).collect(),
        limit: 20,
        offset,
        ..Default::default()
    };
    let who = common::reader();
    service.search(&who, &query).await.unwrap()
}

fn keys(page: &SearchPage) -> Vec<String> {
    page.items.iter().map(|p| p.key.clone()).collect()
}

#[tokio::test]
async fn broad_and_filtered_searches_page_by_plain_rules_at_scale() {
    let probe = tempfile::tempdir().unwrap();
    for (backend, url) in databases(probe.path()).await {
        let dir = tempfile::tempdir().unwrap();
        let service = ServiceBuilder::new(url.to_string(), dir.path().join("registry.git")).build().await.unwrap();
        let (mut conn, d) = connect(&url).await;
        load(&mut conn, d).await;
        let even = |i: i64| i % 2 == 0;
        let never = |_: i64| false;
        let always = |_: i64| true;
        // Two searches at once leave a second pooled connection idle, so the
        // searches below find one and run statements side by side on it (a
        // broad query's page beside its count): the pages must not change.
        let (a, b) = tokio::join!(search(&service, "alpha", &[], 0), search(&service, "beta", &[], 0));
        assert!(a.total > 0 && b.total > 0);
        // Before and after the planner has statistics: plans may differ, pages may not.
        for stats in [false, true] {
            if stats {
                // What autovacuum (or `steward admin rebuild-catalog`) leaves behind.
                let analyze = match d {
                    Dialect::Sqlite => "PRAGMA optimize",
                    Dialect::Postgres => "ANALYZE products, product_search, product_tags, search_lexemes",
                };
                sqlx::query(analyze).execute(&mut conn).await.unwrap();
            }
            let ctx = format!("{backend}, statistics: {stats}");
            // A word in half the names: capped count, names tier in key order, paged.
            let page = search(&service, "alpha", &[], 0).await;
            assert_eq!((page.total, page.total_capped), (COUNT_CAP, true), "{ctx}");
            assert_eq!(keys(&page), expected(d, even, never, 0), "{ctx}");
            assert_eq!(keys(&search(&service, "alpha", &[], 40).await), expected(d, even, never, 40), "{ctx}");
            // A word in every description and no name: the second tier alone.
            assert_eq!(keys(&search(&service, "beta", &[], 0).await), expected(d, never, always, 0), "{ctx}");
            // A prefix of a word in every product.
            let page = search(&service, "gam", &[], 0).await;
            assert_eq!((page.total_capped, keys(&page)), (true, expected(d, never, always, 0)), "{ctx}");
            // A common word within one domain (4,000 matches): counted and paged in the domain.
            let in_dom4 = |i: i64| i % 20 == 4;
            let page = search(&service, "alpha", &["dom4"], 0).await;
            assert_eq!((page.total, page.total_capped), (COUNT_CAP, true), "{ctx}");
            assert_eq!(keys(&page), expected(d, in_dom4, never, 0), "{ctx}");
            assert_eq!(keys(&search(&service, "alpha", &["dom4"], 20).await), expected(d, in_dom4, never, 20), "{ctx}");
            // A word in the names of half of one domain's products (2,000, 2.5%
            // of the table): PostgreSQL reads that tier from the index and sorts
            // it rather than walk the domain in key order.
            let zeta = |i: i64| i % 40 == 4;
            for offset in [0, 20, 980] {
                let page = search(&service, "zeta", &["dom4"], offset).await;
                assert_eq!(keys(&page), expected(d, zeta, never, offset as usize), "{ctx}, offset {offset}");
            }
            // The same in two domains (8,000 matches): their rows interleave in
            // key order, so the names tier is read from the index and sorted
            // (PostgreSQL: the filter as lexemes in the names' GIN scan).
            let in_dom4_or_6 = |i: i64| i % 20 == 4 || i % 20 == 6;
            for offset in [0, 20, 980] {
                let page = search(&service, "alpha", &["dom6", "dom4"], offset).await;
                assert_eq!(keys(&page), expected(d, in_dom4_or_6, never, offset as usize), "{ctx}, offset {offset}");
            }
            // A common word in a domain that never has it.
            assert_eq!(search(&service, "alpha", &["dom3"], 0).await.total, 0, "{ctx}");
            // A selective word (N / 100 = 800 matches, all in dom0): exact count, scored.
            let page = search(&service, "delta", &[], 0).await;
            assert_eq!((page.total, page.total_capped, page.items.len()), (N / 100, false, 20), "{ctx}");
            assert!(page.items.iter().all(|p| p.domain == "dom0"), "{ctx}");
            assert_eq!(search(&service, "delta", &["dom0"], 0).await.total, N / 100, "{ctx}");
            assert_eq!(search(&service, "delta", &["dom1"], 0).await.total, 0, "{ctx}");
            // Two words, both common, one in no name: an empty names tier, paged past.
            let page = search(&service, "alpha gamma", &[], 0).await;
            assert_eq!((page.total_capped, keys(&page)), (true, expected(d, never, even, 0)), "{ctx}");
            assert_eq!(keys(&search(&service, "alpha gamma", &[], 40).await), expected(d, never, even, 40), "{ctx}");
            // Both in names (and one in half of them): the names tier first.
            let both = |i: i64| i % 40 == 4;
            let page = search(&service, "zeta alpha", &[], 20).await;
            assert_eq!(keys(&page), expected(d, both, never, 20), "{ctx}");
        }
    }
}
