//! The governance side of sharing a product with a consumer account, in the
//! "direct RAM" mode: one RAM resource share per (product database, consumer
//! account), holding the database and table ARNs, plus Lake Formation grants
//! (DESCRIBE on the database, SELECT and DESCRIBE on each table) to the
//! consumer account. docs/aws.md explains this mode against the Lake
//! Formation-managed one (cross-account sharing versions 3 and 4).
//!
//! Both [`Shares::grant`] and [`Shares::revoke`] are idempotent: the share is
//! found by name before anything is created, only missing principals and
//! resources are associated, and revoking what is already gone succeeds.

use std::collections::BTreeSet;

use aws_sdk_lakeformation::types::{DataLakePrincipal, DatabaseResource, Permission, Resource, TableResource};
use aws_sdk_ram::types::{ResourceOwner, ResourceShareAssociationType};
use serde::{Deserialize, Serialize};

use crate::error::AwsError;

/// A share of one product database (and some of its tables) with one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareGrant {
    /// The RAM share name, e.g. `steward-sales-orders-111122223333`.
    pub share_name: String,
    /// The consumer account id.
    pub consumer_account: String,
    /// The shared Glue database.
    pub database: String,
    /// The shared tables of that database.
    pub tables: Vec<String>,
}

/// The result of [`Shares::grant`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareReceipt {
    /// ARN of the RAM resource share.
    pub share_arn: String,
}

/// A RAM share and the Lake Formation permissions of its principals on its resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareState {
    /// ARN of the RAM resource share.
    pub share_arn: String,
    /// Associated (or associating) principals.
    pub principals: Vec<String>,
    /// Associated (or associating) resource ARNs.
    pub resource_arns: Vec<String>,
    /// `(principal, resource, permissions)`; resources read `database:<db>` or
    /// `table:<db>.<table>`; permissions are sorted LF names (`DESCRIBE`, `SELECT`).
    pub lf_permissions: Vec<LfPermission>,
}

/// One Lake Formation grant: `(principal, resource description, permissions)`.
pub type LfPermission = (String, String, Vec<String>);

/// RAM shares and Lake Formation grants of the governance account.
#[derive(Debug, Clone)]
pub struct Shares {
    ram: aws_sdk_ram::Client,
    lakeformation: aws_sdk_lakeformation::Client,
    region: String,
    governance: String,
}

/// Statuses of a share that still exists.
fn live(status: Option<&aws_sdk_ram::types::ResourceShareStatus>) -> bool {
    use aws_sdk_ram::types::ResourceShareStatus as S;
    matches!(status, Some(S::Active | S::Pending))
}

impl Shares {
    /// Shares owned by `governance_account_id` (the account of `cfg`'s credentials).
    pub fn new(cfg: &aws_config::SdkConfig, governance_account_id: &str) -> Self {
        Shares {
            ram: aws_sdk_ram::Client::new(cfg),
            lakeformation: aws_sdk_lakeformation::Client::new(cfg),
            region: crate::region_of(cfg),
            governance: governance_account_id.to_owned(),
        }
    }

    /// `arn:aws:glue:{region}:{gov}:database/{db}`.
    pub fn database_arn(&self, database: &str) -> String {
        format!("arn:aws:glue:{}:{}:database/{database}", self.region, self.governance)
    }

    /// `arn:aws:glue:{region}:{gov}:table/{db}/{table}`.
    pub fn table_arn(&self, database: &str, table: &str) -> String {
        format!("arn:aws:glue:{}:{}:table/{database}/{table}", self.region, self.governance)
    }

    fn arns(&self, g: &ShareGrant) -> Vec<String> {
        std::iter::once(self.database_arn(&g.database))
            .chain(g.tables.iter().map(|t| self.table_arn(&g.database, t)))
            .collect()
    }

    /// Creates or extends the share of `g` and grants the LF permissions.
    pub async fn grant(&self, g: &ShareGrant) -> Result<ShareReceipt, AwsError> {
        validate(g)?;
        let wanted = self.arns(g);
        let share_arn = match self.find(&g.share_name).await? {
            None => {
                let out = self
                    .ram
                    .create_resource_share()
                    .name(&g.share_name)
                    .principals(&g.consumer_account)
                    .set_resource_arns(Some(wanted))
                    .allow_external_principals(true)
                    .send()
                    .await
                    .map_err(|e| AwsError::sdk("ram", "CreateResourceShare", e))?;
                let arn = out
                    .resource_share()
                    .and_then(|s| s.resource_share_arn())
                    .ok_or_else(|| AwsError::Invalid("CreateResourceShare answered without a share ARN".into()))?;
                tracing::info!(share = %g.share_name, %arn, "created RAM resource share");
                arn.to_owned()
            }
            Some(arn) => {
                let principals = self.associations(&arn, ResourceShareAssociationType::Principal).await?;
                let resources = self.associations(&arn, ResourceShareAssociationType::Resource).await?;
                let missing_principals: Vec<String> =
                    [g.consumer_account.clone()].into_iter().filter(|p| !principals.contains(p)).collect();
                let missing_resources: Vec<String> = wanted.into_iter().filter(|r| !resources.contains(r)).collect();
                if !missing_principals.is_empty() || !missing_resources.is_empty() {
                    self.ram
                        .associate_resource_share()
                        .resource_share_arn(&arn)
                        .set_principals(Some(missing_principals).filter(|v| !v.is_empty()))
                        .set_resource_arns(Some(missing_resources.clone()).filter(|v| !v.is_empty()))
                        .send()
                        .await
                        .map_err(|e| AwsError::sdk("ram", "AssociateResourceShare", e))?;
                    tracing::info!(share = %g.share_name, added = ?missing_resources, "extended RAM resource share");
                }
                arn
            }
        };
        for (resource, permissions) in self.lf_resources(&g.database, &g.tables)? {
            // Grant only what is missing: a repeat then makes no LF write at
            // all (and moto corrupts its state on some re-grants).
            let held = self.list_permissions(&g.consumer_account, resource.clone()).await?;
            let missing: Vec<Permission> =
                permissions.into_iter().filter(|p| !held.iter().any(|h| h == p.as_str())).collect();
            if missing.is_empty() {
                continue;
            }
            self.lakeformation
                .grant_permissions()
                .catalog_id(&self.governance)
                .principal(principal(&g.consumer_account))
                .resource(resource)
                .set_permissions(Some(missing))
                .send()
                .await
                .map_err(|e| AwsError::sdk("lakeformation", "GrantPermissions", e))?;
        }
        Ok(ShareReceipt { share_arn })
    }

    /// Revokes the LF permissions of the consumer (on the grant's tables and
    /// every table the share holds), then deletes the share.
    pub async fn revoke(&self, g: &ShareGrant) -> Result<(), AwsError> {
        validate(g)?;
        let share = self.find(&g.share_name).await?;
        let mut tables: BTreeSet<String> = g.tables.iter().cloned().collect();
        if let Some(arn) = &share {
            let prefix = format!("arn:aws:glue:{}:{}:table/{}/", self.region, self.governance, g.database);
            for r in self.associations(arn, ResourceShareAssociationType::Resource).await? {
                if let Some(t) = r.strip_prefix(&prefix) {
                    tables.insert(t.to_owned());
                }
            }
        }
        let tables: Vec<String> = tables.into_iter().collect();
        for (resource, permissions) in self.lf_resources(&g.database, &tables)? {
            let out = self
                .lakeformation
                .revoke_permissions()
                .catalog_id(&self.governance)
                .principal(principal(&g.consumer_account))
                .resource(resource)
                .set_permissions(Some(permissions))
                .send()
                .await
                .map_err(|e| AwsError::sdk("lakeformation", "RevokePermissions", e));
            match out {
                Ok(_) => {}
                // Already revoked, or the table is gone: nothing left to revoke.
                Err(e) if e.code() == Some("EntityNotFoundException") => {}
                Err(AwsError::Service { code, message, .. })
                    if code == "InvalidInputException" && message.contains("no permissions") => {}
                Err(e) => return Err(e),
            }
        }
        if let Some(arn) = share {
            let out = self.ram.delete_resource_share().resource_share_arn(&arn).send().await;
            match out.map_err(|e| AwsError::sdk("ram", "DeleteResourceShare", e)) {
                Ok(_) => tracing::info!(share = %g.share_name, %arn, "deleted RAM resource share"),
                Err(e) if e.code() == Some("UnknownResourceException") => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The share named `share_name`, its associations and the LF permissions its
    /// principals hold on its resources; `None` when there is no live share.
    pub async fn describe(&self, share_name: &str) -> Result<Option<ShareState>, AwsError> {
        let Some(share_arn) = self.find(share_name).await? else { return Ok(None) };
        let principals = self.associations(&share_arn, ResourceShareAssociationType::Principal).await?;
        let resource_arns = self.associations(&share_arn, ResourceShareAssociationType::Resource).await?;
        let db_prefix = format!("arn:aws:glue:{}:{}:database/", self.region, self.governance);
        let table_prefix = format!("arn:aws:glue:{}:{}:table/", self.region, self.governance);
        let mut lf_permissions = Vec::new();
        for arn in &resource_arns {
            let resource = if let Some(db) = arn.strip_prefix(&db_prefix) {
                database_resource(&self.governance, db)
            } else if let Some((db, table)) = arn.strip_prefix(&table_prefix).and_then(|r| r.split_once('/')) {
                table_resource(&self.governance, db, table)?
            } else {
                continue;
            };
            for p in &principals {
                let perms = self.list_permissions(p, resource.clone()).await?;
                if !perms.is_empty() {
                    lf_permissions.push((p.clone(), describe_resource(&resource), perms));
                }
            }
        }
        Ok(Some(ShareState { share_arn, principals, resource_arns, lf_permissions }))
    }

    async fn list_permissions(&self, account: &str, resource: Resource) -> Result<Vec<String>, AwsError> {
        let mut perms = BTreeSet::new();
        let mut token = None;
        loop {
            let out = self
                .lakeformation
                .list_permissions()
                .catalog_id(&self.governance)
                .principal(principal(account))
                .resource(resource.clone())
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::sdk("lakeformation", "ListPermissions", e))?;
            for p in out.principal_resource_permissions() {
                perms.extend(p.permissions().iter().map(|x| x.as_str().to_owned()));
            }
            token = out.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
            if token.is_none() {
                return Ok(perms.into_iter().collect());
            }
        }
    }

    /// The ARN of the live share named `name` owned by this account.
    async fn find(&self, name: &str) -> Result<Option<String>, AwsError> {
        let mut token = None;
        loop {
            let out = self
                .ram
                .get_resource_shares()
                .resource_owner(ResourceOwner::SelfValue)
                .name(name)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::sdk("ram", "GetResourceShares", e))?;
            // Filter again: deleted shares stay listed for a while, and some
            // implementations ignore the name filter.
            let found = out
                .resource_shares()
                .iter()
                .find(|s| s.name() == Some(name) && live(s.status()))
                .and_then(|s| s.resource_share_arn());
            if let Some(arn) = found {
                return Ok(Some(arn.to_owned()));
            }
            token = out.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
            if token.is_none() {
                return Ok(None);
            }
        }
    }

    /// Associated or associating entities of `share_arn` of one kind.
    async fn associations(&self, share_arn: &str, kind: ResourceShareAssociationType) -> Result<Vec<String>, AwsError> {
        use aws_sdk_ram::types::ResourceShareAssociationStatus as S;
        let mut entities = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .ram
                .get_resource_share_associations()
                .association_type(kind.clone())
                .resource_share_arns(share_arn)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::sdk("ram", "GetResourceShareAssociations", e))?;
            for a in out.resource_share_associations() {
                if matches!(a.status(), Some(S::Associated | S::Associating))
                    && a.resource_share_arn() == Some(share_arn)
                    && let Some(e) = a.associated_entity()
                    && !entities.iter().any(|x| x == e)
                {
                    entities.push(e.to_owned());
                }
            }
            token = out.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
            if token.is_none() {
                return Ok(entities);
            }
        }
    }

    /// DESCRIBE on the database, SELECT + DESCRIBE on each table.
    fn lf_resources(&self, database: &str, tables: &[String]) -> Result<Vec<(Resource, Vec<Permission>)>, AwsError> {
        let mut out = vec![(database_resource(&self.governance, database), vec![Permission::Describe])];
        for t in tables {
            out.push((table_resource(&self.governance, database, t)?, vec![Permission::Select, Permission::Describe]));
        }
        Ok(out)
    }
}

fn validate(g: &ShareGrant) -> Result<(), AwsError> {
    if g.consumer_account.len() != 12 || !g.consumer_account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AwsError::Invalid(format!(
            "consumer account {:?} is not a 12-digit account id",
            g.consumer_account
        )));
    }
    if g.share_name.is_empty() || g.database.is_empty() || g.tables.iter().any(String::is_empty) {
        return Err(AwsError::Invalid("share name, database and table names must not be empty".into()));
    }
    Ok(())
}

fn principal(account: &str) -> DataLakePrincipal {
    DataLakePrincipal::builder().data_lake_principal_identifier(account).build()
}

fn database_resource(catalog: &str, database: &str) -> Resource {
    let db = DatabaseResource::builder().catalog_id(catalog).name(database).build();
    // `name` is the only required field and is set above.
    Resource::builder().set_database(db.ok()).build()
}

fn table_resource(catalog: &str, database: &str, table: &str) -> Result<Resource, AwsError> {
    let t = TableResource::builder()
        .catalog_id(catalog)
        .database_name(database)
        .name(table)
        .build()
        .map_err(|e| AwsError::Invalid(e.to_string()))?;
    Ok(Resource::builder().table(t).build())
}

fn describe_resource(r: &Resource) -> String {
    if let Some(t) = r.table() {
        format!("table:{}.{}", t.database_name(), t.name().unwrap_or("*"))
    } else if let Some(d) = r.database() {
        format!("database:{}", d.name())
    } else {
        "other".to_owned()
    }
}
