//! LF-Tags: Lake Formation's tag-based access control, the sharing mode AWS
//! recommends at scale (`aws.sharing = tags`).
//!
//! Steward tags each product database with [`PRODUCT`] and [`DOMAIN`] (tables
//! inherit the database's tags), and columns that carry their own
//! classification (PII columns) with [`CLASSIFICATION`] at column level. An
//! approved access request then becomes one grant of the expression
//! `product = <key>` to the consumer (LF guide, "Granting data lake permissions
//! using the LF-TBAC method"), so the tables a later version adds are shared
//! with no new grant.
//!
//! An LF-Tag key must exist, with every value it is given, before a resource
//! can carry it (`CreateLFTag` takes 1 to 1,000 values; `UpdateLFTag` adds
//! more). [`ensure_lf_tag`] creates the key or adds the missing values, and is
//! what `steward aws setup` and the publish job both use.

use aws_sdk_lakeformation::Client;

use crate::error::AwsError;

/// The LF-Tag key whose value is the product key (e.g. `sales.orders`).
pub const PRODUCT: &str = "product";
/// The LF-Tag key whose value is the product's domain.
pub const DOMAIN: &str = "domain";
/// The LF-Tag key whose value is a classification level (product or column).
pub const CLASSIFICATION: &str = "classification";
/// Every key Steward uses, in the order `steward aws doctor` reports them.
pub const KEYS: [&str; 3] = [PRODUCT, DOMAIN, CLASSIFICATION];

/// The values `key` has in `catalog_id`, or `None` when the key does not exist.
///
/// AWS answers a missing key with `EntityNotFoundException`; moto answers an
/// empty value list. A key that exists always has a value (`CreateLFTag`:
/// `TagValues`, minimum 1 item; `UpdateLFTag` cannot delete the last), so an
/// empty list means missing too.
pub async fn lf_tag_values(lf: &Client, catalog_id: &str, key: &str) -> Result<Option<Vec<String>>, AwsError> {
    match lf.get_lf_tag().catalog_id(catalog_id).tag_key(key).send().await {
        Ok(out) if out.tag_values().is_empty() => Ok(None),
        Ok(out) => Ok(Some(out.tag_values().to_vec())),
        Err(e) => {
            let e = AwsError::sdk("lakeformation", "GetLFTag", e);
            if e.code() == Some("EntityNotFoundException") { Ok(None) } else { Err(e) }
        }
    }
}

/// Makes sure LF-Tag `key` exists in `catalog_id` with (at least) `values`:
/// creates it, or adds the values it lacks. Lake Formation stores keys and
/// values in lower case, so they are compared that way.
pub async fn ensure_lf_tag(lf: &Client, catalog_id: &str, key: &str, values: &[String]) -> Result<(), AwsError> {
    let wanted: Vec<String> = {
        let mut v: Vec<String> = values.iter().map(|x| x.to_lowercase()).collect();
        v.sort();
        v.dedup();
        v
    };
    if wanted.is_empty() {
        return Err(AwsError::Invalid(format!("LF-Tag {key} needs at least one value")));
    }
    match lf_tag_values(lf, catalog_id, key).await? {
        None => {
            let created = lf
                .create_lf_tag()
                .catalog_id(catalog_id)
                .tag_key(key)
                .set_tag_values(Some(wanted.clone()))
                .send()
                .await
                .map_err(|e| AwsError::sdk("lakeformation", "CreateLFTag", e));
            match created {
                Ok(_) => {
                    tracing::info!(key, "created LF-Tag");
                    Ok(())
                }
                // Another replica made it first: add to what it made.
                Err(e) if e.code() == Some("AlreadyExistsException") => {
                    Box::pin(ensure_lf_tag(lf, catalog_id, key, values)).await
                }
                Err(e) => Err(e),
            }
        }
        Some(existing) => {
            let missing: Vec<String> =
                wanted.into_iter().filter(|w| !existing.iter().any(|e| e.eq_ignore_ascii_case(w))).collect();
            if missing.is_empty() {
                return Ok(());
            }
            lf.update_lf_tag()
                .catalog_id(catalog_id)
                .tag_key(key)
                .set_tag_values_to_add(Some(missing))
                .send()
                .await
                .map_err(|e| AwsError::sdk("lakeformation", "UpdateLFTag", e))?;
            Ok(())
        }
    }
}
