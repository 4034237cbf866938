//! Reading Lake Formation permissions back in tests.

use aws_sdk_lakeformation::types::{DataLakePrincipal, DatabaseResource, Resource, TableResource};

/// A database of catalog `gov`.
pub fn database(gov: &str, db: &str) -> Resource {
    Resource::builder().database(DatabaseResource::builder().catalog_id(gov).name(db).build().unwrap()).build()
}

/// A table of catalog `gov`.
pub fn table(gov: &str, db: &str, t: &str) -> Resource {
    let t = TableResource::builder().catalog_id(gov).database_name(db).name(t).build().unwrap();
    Resource::builder().table(t).build()
}

/// What `who` holds on `resource`, sorted (moto filters by principal only
/// with a resource, and returns other principals' rows too: they are left out).
pub async fn permissions(lf: &aws_sdk_lakeformation::Client, gov: &str, who: &str, resource: Resource) -> Vec<String> {
    let out = lf
        .list_permissions()
        .catalog_id(gov)
        .principal(DataLakePrincipal::builder().data_lake_principal_identifier(who).build())
        .resource(resource)
        .send()
        .await
        .unwrap();
    let mut perms: Vec<String> = out
        .principal_resource_permissions()
        .iter()
        .filter(|p| p.principal().and_then(|x| x.data_lake_principal_identifier()) == Some(who))
        .flat_map(|p| p.permissions().iter().map(|x| x.as_str().to_owned()))
        .collect();
    perms.sort();
    perms.dedup();
    perms
}
