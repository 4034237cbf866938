//! A search may run independent statements on a second connection
//! (`spare`); the answer must be the one it gives on one, on both databases.

use sqlx::{Connection, Row};
use steward_testkit::generate::{self, Rng, Shape};

use super::{SearchQuery, Viewer, search};
use crate::store::products::{self, Provenance};
use crate::store::{Dialect, Store};

#[tokio::test]
async fn a_spare_connection_changes_no_answer_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("steward.db").display());
    spare_changes_no_answer(Dialect::Sqlite, &url).await;
}

#[tokio::test]
async fn a_spare_connection_changes_no_answer_on_postgres() {
    let Some(db) = steward_testkit::postgres().await else { return };
    spare_changes_no_answer(Dialect::Postgres, db.url()).await;
}

async fn spare_changes_no_answer(dialect: Dialect, url: &str) {
    let store = Store::connect(url).await.unwrap();
    let mut rng = Rng(7);
    let mut tx = store.begin().await.unwrap();
    for i in 0..240 {
        let generated = generate::contract(i, &mut rng, Shape { columns: 4, detailed: true });
        let (_, contract) = steward_schemas::parse_contract(&generated.yaml).unwrap();
        let key = steward_schemas::ProductKey::parse(&generated.key).unwrap();
        let detail = crate::model::build(&key, &contract, "internal");
        let from = Provenance { contract: &generated.yaml, commit: "c0", proposal_id: None, now: chrono::Utc::now() };
        products::publish(&mut tx, dialect, &detail, &from).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let mut spare = sqlx::AnyConnection::connect(url).await.unwrap();
    let viewer = Viewer { accounts: vec!["123456789012".into()], now: chrono::Utc::now() };
    let queries = [
        ("orders", vec![], vec![]),
        ("orders", vec!["domain_1", "DOMAIN_2"], vec![]),
        ("revenue customer", vec![], vec!["Invoice"]),
        ("ord", vec!["domain_3"], vec!["orders", "refund"]),
        ("nothing_matches_this", vec!["domain_1"], vec!["orders"]),
    ];
    let mut hits = 0;
    for (words, domains, tags) in queries {
        let q = SearchQuery {
            q: Some(words.to_owned()),
            domains: domains.iter().map(|d| (*d).to_owned()).collect(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            limit: 10,
            ..Default::default()
        };
        let alone = search(&mut conn, None, dialect, &q, &viewer).await.unwrap();
        let beside = search(&mut conn, Some(&mut spare), dialect, &q, &viewer).await.unwrap();
        assert_eq!(alone, beside, "{dialect:?}: {words} {domains:?} {tags:?}");
        hits += alone.items.len();
        if !domains.is_empty() && alone.total > 0 {
            // The other domains are counted too (by the spare connection).
            assert!(alone.facets.domains.iter().any(|d| !d.selected && d.count > 0), "{:?}", alone.facets);
        }
    }
    assert!(hits > 0, "the queries find something");
    if dialect == Dialect::Sqlite {
        return;
    }

    // Classification and owner filters with words go through the filter
    // lexemes too: a product's own values (owner in another case) find it.
    let row = sqlx::query(
        "SELECT product_key, classification, upper(owner_team) FROM product_search
         WHERE search_doc @@ to_tsquery('simple', 'customer') ORDER BY product_key LIMIT 1",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let (key, classification, owner): (String, String, String) =
        (row.try_get(0).unwrap(), row.try_get(1).unwrap(), row.try_get(2).unwrap());
    let q = SearchQuery {
        q: Some("customer".into()),
        classification: Some(classification),
        owner: Some(owner),
        limit: 50,
        ..Default::default()
    };
    let page = search(&mut conn, None, Dialect::Postgres, &q, &viewer).await.unwrap();
    assert!(page.items.iter().any(|p| p.key == key), "{key} in {:?}", page.items);
}

/// The filter lexemes the query builds are the ones migration 0020's
/// `search_key` writes, for any text (non-ASCII, quotes, spaces).
#[tokio::test]
async fn filter_lexemes_match_the_database_function() {
    let Some(db) = steward_testkit::postgres().await else { return };
    let _store = Store::connect(db.url()).await.unwrap();
    let mut conn = sqlx::AnyConnection::connect(db.url()).await.unwrap();
    for value in ["sales", "Café crème", "it's \\ \"quoted\"", "日本語", ""] {
        let row = sqlx::query("SELECT search_key('t', $1)").bind(value).fetch_one(&mut conn).await.unwrap();
        let in_db: String = row.try_get(0).unwrap();
        assert_eq!(in_db, super::postgres::filter_lexeme('t', value), "{value:?}");
    }
}
