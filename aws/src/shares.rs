//! The governance side of sharing a product with a consumer account: Lake
//! Formation grants with the grant option, named resources (DESCRIBE on the
//! database, SELECT and DESCRIBE on each table), to the consumer account or,
//! under cross-account version 3 and later, directly to consumer IAM roles.
//!
//! On AWS the Lake Formation grant *is* the share: granting to an external
//! account makes Lake Formation create or extend its own `LakeFormation-…`
//! RAM resource share (LF guide, "Sharing Data Catalog tables and databases
//! across AWS accounts"), whose ARN `ListPermissions` reports in
//! `AdditionalDetails.ResourceShare` (botocore model, shape `DetailsMap`).
//! Steward therefore never calls RAM `CreateResourceShare`,
//! `AssociateResourceShare` or `DeleteResourceShare`: the AWS-managed grantor
//! policy `AWSLakeFormationCrossAccountManager` only lets it manage
//! `LakeFormation*` shares anyway.
//!
//! With `aws.sharing = tags` the grant is an LF-Tag expression instead
//! (`product = <key>`: DESCRIBE on matching databases, SELECT and DESCRIBE on
//! matching tables, and DESCRIBE on the tag itself so the consumer's admin can
//! see and re-grant it; LF guide, "Granting data lake permissions using the
//! LF-TBAC method"). The publish job tags what it creates ([`crate::tags`]).
//!
//! With `aws.hybrid_access` each principal granted to is also opted in
//! (`CreateLakeFormationOptIn`) on the resources, so Lake Formation enforces its
//! permissions while IAM-only users of the same data keep working (LF guide,
//! "Hybrid access mode"); the revoke deletes the opt-ins.
//!
//! Both [`Shares::grant`] and [`Shares::revoke`] are idempotent: only missing
//! grants are sent (named mode; a repeated LF-Tag grant changes nothing), and
//! revoking what is already gone succeeds.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_lakeformation::types::{
    BatchPermissionsRequestEntry, DataLakePrincipal, DatabaseResource, LfTag, LfTagKeyResource, LfTagPolicyResource,
    Permission, Resource, ResourceType, TableResource,
};
use serde::{Deserialize, Serialize};

use crate::SharingMode;
use crate::error::AwsError;
use crate::retry::{Backoff, EntryError, batched};

/// Entries per `BatchGrantPermissions`/`BatchRevokePermissions` call.
const BATCH: usize = 20;

/// A share of one product database (and some of its tables) with one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareGrant {
    /// A name for the share in logs, e.g. `steward-sales-orders-111122223333`
    /// (Lake Formation names the RAM share itself).
    pub share_name: String,
    /// The consumer account id.
    pub consumer_account: String,
    /// The shared Glue database.
    pub database: String,
    /// The shared tables of that database.
    pub tables: Vec<String>,
    /// The product key (`domain.product`): the `product` LF-Tag value in tags mode.
    #[serde(default)]
    pub product: String,
}

/// The ARN of the RAM share Lake Formation made for a grant, when it reported
/// one (`None` on moto, and for grants within one account).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ShareArn(pub Option<String>);

impl ShareArn {
    /// The ARN, if any.
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl std::fmt::Display for ShareArn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.as_deref().unwrap_or("(no RAM share reported)"))
    }
}

/// The result of [`Shares::grant`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareReceipt {
    /// The Lake Formation-made RAM share (`AdditionalDetails.ResourceShare`).
    pub share_arn: ShareArn,
}

/// The Lake Formation grants of a share's principals on its database and tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareState {
    /// The Lake Formation-made RAM share, when reported.
    pub share_arn: ShareArn,
    /// Principals holding any permission.
    pub principals: Vec<String>,
    /// Glue ARNs of the database and tables any principal holds permissions on.
    pub resource_arns: Vec<String>,
    /// `(principal, resource, permissions)`; resources read `database:<db>` or
    /// `table:<db>.<table>`; permissions are sorted LF names (`DESCRIBE`, `SELECT`).
    pub lf_permissions: Vec<LfPermission>,
    /// The same triples for the permissions held with the grant option.
    pub grantable: Vec<LfPermission>,
}

/// One Lake Formation grant: `(principal, resource description, permissions)`.
pub type LfPermission = (String, String, Vec<String>);

/// What `ListPermissions` says a principal holds on a resource.
#[derive(Debug, Default)]
struct Held {
    permissions: BTreeSet<String>,
    grantable: BTreeSet<String>,
    shares: Vec<String>,
}

/// Lake Formation grants of the governance account.
#[derive(Debug, Clone)]
pub struct Shares {
    lakeformation: aws_sdk_lakeformation::Client,
    region: String,
    partition: &'static str,
    governance: String,
    backoff: Backoff,
    mode: SharingMode,
    hybrid: bool,
    consumer_roles: BTreeMap<String, Vec<String>>,
}

impl Shares {
    /// Shares owned by `governance_account_id` (the account of `cfg`'s
    /// credentials): named resources, to consumer accounts, no hybrid opt-ins.
    pub fn new(cfg: &aws_config::SdkConfig, governance_account_id: &str) -> Self {
        let region = crate::region_of(cfg);
        Shares {
            lakeformation: aws_sdk_lakeformation::Client::new(cfg),
            partition: crate::arn_partition(&region),
            region,
            governance: governance_account_id.to_owned(),
            backoff: Backoff::default(),
            mode: SharingMode::Named,
            hybrid: false,
            consumer_roles: BTreeMap::new(),
        }
    }

    /// Shares as `settings` say: the governance account, the sharing mode,
    /// hybrid access, and the consumer roles to grant to instead of accounts.
    pub fn with_settings(cfg: &aws_config::SdkConfig, settings: &crate::AwsSettings) -> Self {
        Shares {
            mode: settings.sharing,
            hybrid: settings.hybrid_access,
            consumer_roles: settings.consumer_roles.clone(),
            ..Self::new(cfg, &settings.governance_account_id)
        }
    }

    /// The sharing mode.
    pub fn mode(&self) -> SharingMode {
        self.mode
    }

    /// The same, with another backoff for throttled or conflicting calls.
    pub fn with_backoff(self, backoff: Backoff) -> Self {
        Shares { backoff, ..self }
    }

    /// `arn:{partition}:glue:{region}:{gov}:database/{db}`.
    pub fn database_arn(&self, database: &str) -> String {
        format!("arn:{}:glue:{}:{}:database/{database}", self.partition, self.region, self.governance)
    }

    /// `arn:{partition}:glue:{region}:{gov}:table/{db}/{table}`.
    pub fn table_arn(&self, database: &str, table: &str) -> String {
        format!("arn:{}:glue:{}:{}:table/{database}/{table}", self.partition, self.region, self.governance)
    }

    /// Grants `g` to the consumer roles configured for its account
    /// (`aws.consumer_roles`), else to the consumer account.
    pub async fn grant(&self, g: &ShareGrant) -> Result<ShareReceipt, AwsError> {
        self.grant_to(g, self.roles_of(g)).await
    }

    fn roles_of(&self, g: &ShareGrant) -> &[String] {
        self.consumer_roles.get(&g.consumer_account).map_or(&[], Vec::as_slice)
    }

    /// Grants `g` to `roles` (IAM role ARNs of the consumer account; cross-account
    /// version 3 or later), or to the consumer account when `roles` is empty.
    /// Every permission carries the grant option: "When granting permissions
    /// to an external account or organization, you must include the grant
    /// option" (LF guide, "Granting database permissions using the named resource method").
    pub async fn grant_to(&self, g: &ShareGrant, roles: &[String]) -> Result<ShareReceipt, AwsError> {
        let principals = self.principals(g, roles)?;
        let mut entries = Vec::new();
        for p in &principals {
            for (resource, permissions) in self.lf_resources(g)? {
                if self.mode == SharingMode::Tags {
                    // Granting what is held changes nothing; no need to look first.
                    entries.push(entry(entries.len(), p, resource, permissions)?);
                    continue;
                }
                // Grant only what is missing: a repeat then makes no LF write.
                let held = self.held(p, resource.clone()).await?;
                let covered = |set: &BTreeSet<String>| permissions.iter().all(|x| set.contains(x.as_str()));
                if covered(&held.permissions) && covered(&held.grantable) {
                    continue;
                }
                entries.push(entry(entries.len(), p, resource, permissions)?);
            }
        }
        let lf = &self.lakeformation;
        let gov = &self.governance;
        batched("BatchGrantPermissions", &entries, BATCH, &self.backoff, |chunk| async move {
            let out = lf
                .batch_grant_permissions()
                .catalog_id(gov)
                .set_entries(Some(chunk.clone()))
                .send()
                .await
                .map_err(|e| AwsError::sdk("lakeformation", "BatchGrantPermissions", e))?;
            entry_errors(&chunk, out.failures())
        })
        .await?;
        if !entries.is_empty() {
            tracing::info!(share = %g.share_name, grants = entries.len(), "granted Lake Formation permissions");
        }
        if self.hybrid {
            self.set_opt_ins(g, &principals, true).await?;
        }
        if self.mode == SharingMode::Tags {
            // LF-Tag grants are not reported with a resource share per resource.
            return Ok(ShareReceipt { share_arn: ShareArn(None) });
        }
        let mut share = None;
        for p in &principals {
            let held = self.held(p, database_resource(&self.governance, &g.database)).await?;
            if let Some(arn) = held.shares.into_iter().next() {
                share = Some(arn);
                break;
            }
        }
        Ok(ShareReceipt { share_arn: ShareArn(share) })
    }

    /// Revokes `g` from the principals [`Shares::grant`] granted it to.
    pub async fn revoke(&self, g: &ShareGrant) -> Result<(), AwsError> {
        self.revoke_from(g, self.roles_of(g)).await
    }

    /// Revokes what [`Shares::grant_to`] granted. Entries that AWS answers with
    /// "No permissions revoked…" or "Grantee has no permissions…" (compared
    /// case-insensitively), or `EntityNotFoundException`, count as done; Lake
    /// Formation shrinks or deletes its RAM share itself.
    pub async fn revoke_from(&self, g: &ShareGrant, roles: &[String]) -> Result<(), AwsError> {
        let principals = self.principals(g, roles)?;
        let mut entries = Vec::new();
        for p in &principals {
            let mut all = g.clone();
            if self.mode == SharingMode::Named {
                // Also the tables of the database a previous version shared and
                // the current one no longer lists.
                let mut tables: BTreeSet<String> = g.tables.iter().cloned().collect();
                tables.extend(self.granted_tables(p, &g.database).await?);
                all.tables = tables.into_iter().collect();
            }
            for (resource, permissions) in self.lf_resources(&all)? {
                entries.push(entry(entries.len(), p, resource, permissions)?);
            }
        }
        let lf = &self.lakeformation;
        let gov = &self.governance;
        batched("BatchRevokePermissions", &entries, BATCH, &self.backoff, |chunk| async move {
            let out = lf
                .batch_revoke_permissions()
                .catalog_id(gov)
                .set_entries(Some(chunk.clone()))
                .send()
                .await
                .map_err(|e| AwsError::sdk("lakeformation", "BatchRevokePermissions", e));
            let out = match out {
                Ok(out) => out,
                Err(e) if already_revoked(e.code().unwrap_or_default(), &e.to_string()) => return Ok(Vec::new()),
                Err(e) => return Err(e),
            };
            let errors = entry_errors(&chunk, out.failures())?;
            Ok(errors.into_iter().filter(|e| !already_revoked(&e.code, &e.message)).collect())
        })
        .await?;
        if self.hybrid {
            self.set_opt_ins(g, &principals, false).await?;
        }
        tracing::info!(share = %g.share_name, "revoked Lake Formation permissions");
        Ok(())
    }

    /// Opts `principals` in to (`on`) or out of Lake Formation permissions on
    /// the share's resources (hybrid access mode). Already in that state is
    /// fine: an opt-in that exists, or one already gone.
    async fn set_opt_ins(&self, g: &ShareGrant, principals: &[String], on: bool) -> Result<(), AwsError> {
        let op = if on { "CreateLakeFormationOptIn" } else { "DeleteLakeFormationOptIn" };
        for p in principals {
            for (resource, _) in self.opt_in_resources(g)? {
                let out = self
                    .backoff
                    .retry(op, || async {
                        let lf = &self.lakeformation;
                        let (who, what) = (principal(p), resource.clone());
                        if on {
                            lf.create_lake_formation_opt_in()
                                .principal(who)
                                .resource(what)
                                .send()
                                .await
                                .map(drop)
                                .map_err(|e| AwsError::sdk("lakeformation", op, e))
                        } else {
                            lf.delete_lake_formation_opt_in()
                                .principal(who)
                                .resource(what)
                                .send()
                                .await
                                .map(drop)
                                .map_err(|e| AwsError::sdk("lakeformation", op, e))
                        }
                    })
                    .await;
                match out {
                    Ok(()) => {}
                    Err(e) if on && opt_in_exists(&e) => {}
                    Err(e) if !on && e.code() == Some("EntityNotFoundException") => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// What a hybrid opt-in names: the database and its tables (named), or
    /// the LF-Tag policies (tags); never the LF-Tag itself.
    fn opt_in_resources(&self, g: &ShareGrant) -> Result<Vec<(Resource, Vec<Permission>)>, AwsError> {
        let mut r = self.lf_resources(g)?;
        r.retain(|(res, _)| res.lf_tag().is_none());
        Ok(r)
    }

    /// The permissions the consumer account (or `roles`) holds on the grant's
    /// database and tables, and the RAM share Lake Formation reports;
    /// `None` when they hold nothing.
    pub async fn describe(&self, g: &ShareGrant, roles: &[String]) -> Result<Option<ShareState>, AwsError> {
        let principals = self.principals(g, roles)?;
        let mut state = ShareState {
            share_arn: ShareArn(None),
            principals: Vec::new(),
            resource_arns: Vec::new(),
            lf_permissions: Vec::new(),
            grantable: Vec::new(),
        };
        if self.mode == SharingMode::Tags {
            return self.describe_tags(g, &principals).await;
        }
        for p in &principals {
            for (resource, _) in self.lf_resources(g)? {
                let held = self.held(p, resource.clone()).await?;
                if held.permissions.is_empty() && held.grantable.is_empty() {
                    continue;
                }
                if state.share_arn.0.is_none() {
                    state.share_arn = ShareArn(held.shares.first().cloned());
                }
                if !state.principals.contains(p) {
                    state.principals.push(p.clone());
                }
                let arn = match (resource.database(), resource.table()) {
                    (_, Some(t)) => self.table_arn(t.database_name(), t.name().unwrap_or("*")),
                    (Some(d), None) => self.database_arn(d.name()),
                    (None, None) => continue,
                };
                if !state.resource_arns.contains(&arn) {
                    state.resource_arns.push(arn);
                }
                let name = describe_resource(&resource);
                state.lf_permissions.push((p.clone(), name.clone(), held.permissions.into_iter().collect()));
                state.grantable.push((p.clone(), name, held.grantable.into_iter().collect()));
            }
        }
        Ok(Some(state).filter(|s| !s.principals.is_empty()))
    }

    /// The principals of `g`: `roles`, checked to be IAM roles of the consumer
    /// account, or else the consumer account.
    fn principals(&self, g: &ShareGrant, roles: &[String]) -> Result<Vec<String>, AwsError> {
        validate(g)?;
        if roles.is_empty() {
            return Ok(vec![g.consumer_account.clone()]);
        }
        let prefix = format!("arn:{}:iam::{}:role/", self.partition, g.consumer_account);
        for r in roles {
            if !r.starts_with(&prefix) || r.len() == prefix.len() {
                return Err(AwsError::Invalid(format!(
                    "{r:?} is not an IAM role ARN of account {}",
                    g.consumer_account
                )));
            }
        }
        Ok(roles.to_vec())
    }

    /// Tables of `database` on which `principal_id` holds explicit permissions
    /// (`ListPermissions` with `ResourceType=TABLE`, filtered here: "Resource is
    /// mandatory if Principal is set in the input").
    async fn granted_tables(&self, principal_id: &str, database: &str) -> Result<Vec<String>, AwsError> {
        let mut tables = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .lakeformation
                .list_permissions()
                .catalog_id(&self.governance)
                .resource_type(aws_sdk_lakeformation::types::DataLakeResourceType::Table)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::sdk("lakeformation", "ListPermissions", e))?;
            for p in out.principal_resource_permissions() {
                let same_principal =
                    p.principal().and_then(|x| x.data_lake_principal_identifier()) == Some(principal_id);
                if let Some(t) = p.resource().and_then(|r| r.table())
                    && same_principal
                    && t.database_name() == database
                    && t.catalog_id().is_none_or(|c| c == self.governance)
                    && let Some(name) = t.name()
                    && !tables.iter().any(|x| x == name)
                {
                    tables.push(name.to_owned());
                }
            }
            token = out.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
            if token.is_none() {
                return Ok(tables);
            }
        }
    }

    async fn held(&self, principal_id: &str, resource: Resource) -> Result<Held, AwsError> {
        let mut held = Held::default();
        let mut token = None;
        loop {
            let out = self
                .lakeformation
                .list_permissions()
                .catalog_id(&self.governance)
                .principal(principal(principal_id))
                .resource(resource.clone())
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::sdk("lakeformation", "ListPermissions", e))?;
            for p in out.principal_resource_permissions() {
                held.permissions.extend(p.permissions().iter().map(|x| x.as_str().to_owned()));
                held.grantable.extend(p.permissions_with_grant_option().iter().map(|x| x.as_str().to_owned()));
                if let Some(d) = p.additional_details() {
                    for s in d.resource_share() {
                        if !held.shares.contains(s) {
                            held.shares.push(s.clone());
                        }
                    }
                }
            }
            token = out.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
            if token.is_none() {
                return Ok(held);
            }
        }
    }

    /// Named: DESCRIBE on the database, SELECT + DESCRIBE on each table.
    /// Tags: the same on the expression `product = <key>` for databases and
    /// tables, and DESCRIBE on that tag value.
    fn lf_resources(&self, g: &ShareGrant) -> Result<Vec<(Resource, Vec<Permission>)>, AwsError> {
        if self.mode == SharingMode::Tags {
            return tag_resources(&self.governance, &g.product);
        }
        let mut out = vec![(database_resource(&self.governance, &g.database), vec![Permission::Describe])];
        for t in &g.tables {
            out.push((
                table_resource(&self.governance, &g.database, t)?,
                vec![Permission::Select, Permission::Describe],
            ));
        }
        Ok(out)
    }

    /// [`Shares::describe`] in tags mode: the LF-Tag grants of `principals`
    /// for the product. `ListPermissions` filters by principal only together
    /// with a named resource, so every page is read and filtered here.
    async fn describe_tags(&self, g: &ShareGrant, principals: &[String]) -> Result<Option<ShareState>, AwsError> {
        let wanted = tag_resources(&self.governance, &g.product)?;
        let mut state = ShareState {
            share_arn: ShareArn(None),
            principals: Vec::new(),
            resource_arns: Vec::new(),
            lf_permissions: Vec::new(),
            grantable: Vec::new(),
        };
        let mut token = None;
        loop {
            let out = self
                .lakeformation
                .list_permissions()
                .catalog_id(&self.governance)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::sdk("lakeformation", "ListPermissions", e))?;
            for p in out.principal_resource_permissions() {
                let Some(who) = p.principal().and_then(|x| x.data_lake_principal_identifier()) else { continue };
                let Some(resource) = p.resource() else { continue };
                if !principals.iter().any(|x| x == who) || !wanted.iter().any(|(w, _)| same_tag_resource(w, resource)) {
                    continue;
                }
                if !state.principals.iter().any(|x| x == who) {
                    state.principals.push(who.to_owned());
                }
                let name = describe_resource(resource);
                let sorted = |v: &[Permission]| {
                    let mut v: Vec<String> = v.iter().map(|x| x.as_str().to_owned()).collect();
                    v.sort();
                    v
                };
                state.lf_permissions.push((who.to_owned(), name.clone(), sorted(p.permissions())));
                state.grantable.push((who.to_owned(), name, sorted(p.permissions_with_grant_option())));
            }
            token = out.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        state.lf_permissions.sort();
        state.grantable.sort();
        Ok(Some(state).filter(|s| !s.principals.is_empty()))
    }
}

/// Is an entry error AWS's way of saying there was nothing to revoke?
fn already_revoked(code: &str, message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    code == "EntityNotFoundException"
        || m.contains("no permissions revoked")
        || m.contains("grantee has no permissions")
}

/// A batch entry with the permissions and the same permissions grantable.
fn entry(
    id: usize,
    principal_id: &str,
    resource: Resource,
    permissions: Vec<Permission>,
) -> Result<BatchPermissionsRequestEntry, AwsError> {
    BatchPermissionsRequestEntry::builder()
        .id(id.to_string())
        .principal(principal(principal_id))
        .resource(resource)
        .set_permissions(Some(permissions.clone()))
        .set_permissions_with_grant_option(Some(permissions))
        .build()
        .map_err(|e| AwsError::Invalid(e.to_string()))
}

/// The failures of a batch call as indexes into `chunk`.
fn entry_errors(
    chunk: &[BatchPermissionsRequestEntry],
    failures: &[aws_sdk_lakeformation::types::BatchPermissionsFailureEntry],
) -> Result<Vec<EntryError>, AwsError> {
    let mut errors = Vec::new();
    for f in failures {
        let id = f.request_entry().map(|e| e.id());
        let index = chunk.iter().position(|e| Some(e.id()) == id).ok_or_else(|| {
            AwsError::Invalid(format!("a Lake Formation batch call reported an error for unknown entry {id:?}"))
        })?;
        let detail = f.error();
        errors.push(EntryError {
            index,
            code: detail.and_then(|d| d.error_code()).unwrap_or("Unknown").to_owned(),
            message: detail.and_then(|d| d.error_message()).unwrap_or_default().to_owned(),
        });
    }
    Ok(errors)
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

/// The LF-Tag grants of one product: DESCRIBE on databases tagged
/// `product = <key>`, SELECT + DESCRIBE on such tables, DESCRIBE on the tag value.
fn tag_resources(catalog: &str, product: &str) -> Result<Vec<(Resource, Vec<Permission>)>, AwsError> {
    if product.is_empty() {
        return Err(AwsError::Invalid("an LF-Tag share needs the product key".into()));
    }
    // Lake Formation stores tag values in lower case.
    let value = product.to_lowercase();
    let expression = LfTag::builder()
        .tag_key(crate::tags::PRODUCT)
        .tag_values(&value)
        .build()
        .map_err(|e| AwsError::Invalid(e.to_string()))?;
    let policy = |kind: ResourceType| {
        LfTagPolicyResource::builder()
            .catalog_id(catalog)
            .resource_type(kind)
            .expression(expression.clone())
            .build()
            .map(|p| Resource::builder().lf_tag_policy(p).build())
            .map_err(|e| AwsError::Invalid(e.to_string()))
    };
    let tag = LfTagKeyResource::builder()
        .catalog_id(catalog)
        .tag_key(crate::tags::PRODUCT)
        .tag_values(&value)
        .build()
        .map_err(|e| AwsError::Invalid(e.to_string()))?;
    Ok(vec![
        (policy(ResourceType::Database)?, vec![Permission::Describe]),
        (policy(ResourceType::Table)?, vec![Permission::Select, Permission::Describe]),
        (Resource::builder().lf_tag(tag).build(), vec![Permission::Describe]),
    ])
}

/// Is `held` the same LF-Tag policy or tag as `wanted` (kind, key and values)?
fn same_tag_resource(wanted: &Resource, held: &Resource) -> bool {
    let policy = |r: &Resource| {
        r.lf_tag_policy().map(|p| {
            let expr: Vec<(String, Vec<String>)> =
                p.expression().iter().map(|t| (t.tag_key().to_owned(), t.tag_values().to_vec())).collect();
            (p.resource_type().as_str().to_owned(), expr)
        })
    };
    let tag = |r: &Resource| r.lf_tag().map(|t| (t.tag_key().to_owned(), t.tag_values().to_vec()));
    (policy(wanted).is_some() && policy(wanted) == policy(held)) || (tag(wanted).is_some() && tag(wanted) == tag(held))
}

/// Does `e` say the opt-in exists already?
fn opt_in_exists(e: &AwsError) -> bool {
    e.code() == Some("AlreadyExistsException")
        || (e.code() == Some("InvalidInputException") && e.to_string().to_ascii_lowercase().contains("already"))
}

fn describe_resource(r: &Resource) -> String {
    if let Some(p) = r.lf_tag_policy() {
        let expr: Vec<String> =
            p.expression().iter().map(|t| format!("{}={}", t.tag_key(), t.tag_values().join("|"))).collect();
        format!("lf-tag-policy:{}:{}", p.resource_type().as_str().to_ascii_lowercase(), expr.join(","))
    } else if let Some(t) = r.lf_tag() {
        format!("lf-tag:{}={}", t.tag_key(), t.tag_values().join("|"))
    } else if let Some(t) = r.table() {
        format!("table:{}.{}", t.database_name(), t.name().unwrap_or("*"))
    } else if let Some(d) = r.database() {
        format!("database:{}", d.name())
    } else {
        "other".to_owned()
    }
}
