//! Seeding for benches and scale tests: publishes generated products
//! straight into the catalog, without a proposal, review or registry
//! commit. Behind the `testing` feature, which only dev-dependencies
//! enable; a server never has it.

use crate::error::ServiceError;
use crate::model::ProductDetail;
use crate::service::Service;
use crate::store::products::{self, Provenance};

/// Publishes `products` in transactions of up to 1,000, as if each had been
/// approved (commit `0000000`, contract text `(generated)`).
pub async fn publish_generated(service: &Service, products: &[ProductDetail]) -> Result<(), ServiceError> {
    let now = service.clock.now();
    let from = Provenance { contract: "(generated)", commit: "0000000", proposal_id: None, now };
    for chunk in products.chunks(1000) {
        let mut tx = service.store.begin().await?;
        for p in chunk {
            products::publish(&mut tx, service.store.dialect, p, &from).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Refreshes the planner's statistics, as autovacuum would after a bulk load.
pub async fn analyze(service: &Service) -> Result<(), ServiceError> {
    Ok(service.store.analyze().await?)
}
