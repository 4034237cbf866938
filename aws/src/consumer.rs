//! The consumer side of a share (`steward shares accept`): make what the
//! governance account shared usable in the consumer account.
//!
//! On AWS the governance side's Lake Formation grant *is* the share: Lake
//! Formation puts the granted databases and tables in a RAM share of its own,
//! named `LakeFormation-…`
//! (https://docs.aws.amazon.com/lake-formation/latest/dg/cross-account-permissions.html).
//! What reaches the consumer then depends on where it is
//! (https://docs.aws.amazon.com/lake-formation/latest/dg/viewing-shared-resources.html):
//!
//! * **In the governance account's AWS Organization** (with RAM sharing with
//!   Organizations enabled) the resources are there at once and there is *no*
//!   invitation. So discovery never depends on invitations: it asks RAM what
//!   other accounts share with this one (`ListResources(resourceOwner =
//!   OTHER-ACCOUNTS)` for `glue:Database` and `glue:Table`) and Glue which
//!   databases are shared into this catalog (`GetDatabases(ResourceShareType
//!   = FOREIGN)`, which also sees LF-Tag grants that, under cross-account
//!   versions 1 and 2, go through a Glue resource policy instead of RAM), and
//!   keeps what the governance account owns.
//! * **Outside it** the consumer's data-lake administrator must accept a RAM
//!   invitation first. Only invitations that look like Lake Formation's are
//!   accepted: sent by the governance account, PENDING, share name
//!   `LakeFormation*` (the only shares the grantor policy
//!   `AWSLakeFormationCrossAccountManager` lets it manage), and every resource
//!   a `glue:` type (`ListPendingInvitationResources` shows them before
//!   accepting). Anything else the same account sends (a VPC subnet, a share
//!   not made by Lake Formation) is reported and left pending: accepting it
//!   is a decision for a human, not for a data-catalog tool. RAM lists the
//!   resources of a just-accepted share only after a while (eventual
//!   consistency; AWS's own sample sleeps before `ListResources`), so
//!   discovery is retried with a backoff until they show up.
//!
//! Query engines in the consumer account see a shared database only through a
//! Glue *resource link*, a local database whose `TargetDatabase` points at the
//! governance catalog
//! (https://docs.aws.amazon.com/lake-formation/latest/dg/resource-links-about.html).
//! Links get a local name with a prefix, by default `steward_<governance
//! account>_`, so that two governance (or producer) accounts' `sales`
//! databases cannot collide in one consumer catalog.
//!
//! A link alone gives nobody access. With [`AcceptOptions::grant_to`] the
//! consumer's data-lake administrator passes the shared permissions on to the
//! roles that query: DESCRIBE on each link (in the consumer's catalog) and
//! SELECT + DESCRIBE on the shared tables themselves (catalog id = governance
//! account) — "The data lake administrator must re-grant to the principal the
//! Lake Formation SELECT permission that account A granted on the shared
//! table" (https://docs.aws.amazon.com/lake-formation/latest/dg/cross-account-read-data.html;
//! https://docs.aws.amazon.com/lake-formation/latest/dg/granting-link-permissions.html).
//! The governance side grants tables by name, so they are re-granted by name;
//! a database shared without any table listed gets a `TableWildcard` grant.
//!
//! [`ConsumerShares::accept`] is idempotent: a link that exists and points at
//! the right database is kept (any other database of that name is a
//! [`AwsError::Conflict`]), and permissions a role already holds
//! (`ListPermissions`) are not granted again.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_glue::types::{DatabaseIdentifier, DatabaseInput, ResourceShareType};
use aws_sdk_lakeformation::types::{
    DataLakePrincipal, DatabaseResource, Permission, Resource, TableResource, TableWildcard,
};
use aws_sdk_ram::types::{ResourceOwner, ResourceShareInvitationStatus};
use serde::{Deserialize, Serialize};

use crate::error::AwsError;
use crate::retry::Backoff;

/// The name prefix of the RAM shares Lake Formation makes (`LakeFormation-V3-…`
/// and earlier `LakeFormation-…`); the only shares accepted from invitations.
pub const LAKE_FORMATION_SHARE_PREFIX: &str = "LakeFormation";

/// The default local-name prefix of resource links: `steward_<governance account>_`.
pub fn default_link_prefix(governance_account: &str) -> String {
    format!("steward_{governance_account}_")
}

/// How [`ConsumerShares::accept`] names links and whom it grants to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcceptOptions {
    /// Prefix of the local resource-link names: `None` is
    /// [`default_link_prefix`]; `Some("")` keeps the governance database names.
    pub link_prefix: Option<String>,
    /// IAM role ARNs of the consumer account to grant DESCRIBE on each link
    /// and SELECT + DESCRIBE on the shared tables to.
    pub grant_to: Vec<String>,
}

/// What one run of [`ConsumerShares::accept`] found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptReport {
    /// This (consumer) account.
    pub consumer_account: String,
    /// The governance account whose shares were looked at.
    pub governance_account: String,
    /// Invitations accepted by this run.
    pub accepted_invitations: Vec<InvitationOutcome>,
    /// Pending invitations from the governance account left pending, with why.
    pub skipped_invitations: Vec<InvitationOutcome>,
    /// One resource link per shared database, created or found.
    pub links: Vec<ResourceLink>,
    /// Permissions for `--grant-to` roles, granted or found held.
    pub grants: Vec<RoleGrant>,
    /// Resources of invitations accepted by this run that RAM did not list yet
    /// after the retries (run again a little later to link them).
    pub not_yet_listed: Vec<String>,
}

/// A RAM invitation from the governance account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationOutcome {
    /// The invitation ARN.
    pub invitation_arn: String,
    /// The share it is for.
    pub share_arn: String,
    /// The share's name.
    pub share_name: String,
    /// RAM resource types of what it shares (e.g. `glue:Table`), sorted.
    pub resource_types: Vec<String>,
    /// Why it was not accepted (`None` for accepted ones).
    pub reason: Option<String>,
}

/// A Glue resource link in the consumer catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceLink {
    /// The local database name.
    pub name: String,
    /// The governance account (the target's catalog id).
    pub target_catalog_id: String,
    /// The database in the governance catalog.
    pub target_database: String,
    /// The target's region, when RAM's ARNs told it.
    pub region: Option<String>,
    /// Shared tables of the database (names), as RAM lists them.
    pub tables: Vec<String>,
    /// RAM shares the database or its tables came through (empty when only
    /// Glue's `FOREIGN` listing showed it).
    pub share_arns: Vec<String>,
    /// Made by this run (else it existed with the right target).
    pub created: bool,
}

/// Lake Formation permissions of one role on one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleGrant {
    /// The IAM role ARN.
    pub role: String,
    /// The catalog of the resource: the consumer's for a link, the
    /// governance account's for a shared table.
    pub catalog_id: String,
    /// The database (the link's local name, or the governance database).
    pub database: String,
    /// The table name, `*` for all tables (`TableWildcard`); `None` for the database.
    pub table: Option<String>,
    /// The permissions, e.g. `["SELECT", "DESCRIBE"]`.
    pub permissions: Vec<String>,
    /// Granted by this run (else the role already held them).
    pub granted: bool,
}

/// RAM invitations, Glue resource links and Lake Formation re-grants of a
/// consumer account.
#[derive(Debug, Clone)]
pub struct ConsumerShares {
    ram: aws_sdk_ram::Client,
    glue: aws_sdk_glue::Client,
    lakeformation: aws_sdk_lakeformation::Client,
    account: String,
    partition: &'static str,
    discovery: Backoff,
}

/// A database shared by the governance account, as discovery saw it.
#[derive(Debug, Default)]
struct Shared {
    region: Option<String>,
    tables: BTreeSet<String>,
    shares: BTreeSet<String>,
}

impl ConsumerShares {
    /// The consumer `consumer_account` (the account of `cfg`'s credentials).
    pub fn new(cfg: &aws_config::SdkConfig, consumer_account: &str) -> Self {
        ConsumerShares {
            ram: aws_sdk_ram::Client::new(cfg),
            glue: aws_sdk_glue::Client::new(cfg),
            lakeformation: aws_sdk_lakeformation::Client::new(cfg),
            account: consumer_account.to_owned(),
            partition: crate::arn_partition(&crate::region_of(cfg)),
            discovery: Backoff {
                base: std::time::Duration::from_secs(1),
                max_delay: std::time::Duration::from_secs(8),
                max_attempts: 5,
            },
        }
    }

    /// The same, with another schedule for listing just-accepted resources
    /// again (`max_attempts` listings in all, waiting `base`, `2 * base`, …
    /// up to `max_delay` in between; no jitter).
    pub fn with_discovery_backoff(self, discovery: Backoff) -> Self {
        ConsumerShares { discovery, ..self }
    }

    /// Checks the arguments of [`ConsumerShares::accept`] without any call:
    /// 12-digit account ids, a link prefix Glue and Athena take (lower-case
    /// letters, digits, `_`), and roles that are IAM role ARNs of this account
    /// (`arn:<partition>:iam::<consumer>:role/…`).
    pub fn check(&self, governance_account: &str, options: &AcceptOptions) -> Result<(), AwsError> {
        for (what, id) in [("consumer account", self.account.as_str()), ("governance account", governance_account)] {
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AwsError::Invalid(format!("{what} {id:?} is not a 12-digit AWS account id")));
            }
        }
        if governance_account == self.account {
            return Err(AwsError::Invalid(format!(
                "the governance account {governance_account} is this account: nothing is shared with oneself"
            )));
        }
        if let Some(p) = &options.link_prefix
            && !p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(AwsError::Invalid(format!(
                "link prefix {p:?} may hold only lower-case letters, digits and `_` (Glue and Athena database names)"
            )));
        }
        let prefix = format!("arn:{}:iam::{}:role/", self.partition, self.account);
        for r in &options.grant_to {
            if !r.starts_with(&prefix) || r.len() == prefix.len() {
                return Err(AwsError::Invalid(format!(
                    "{r:?} is not an IAM role ARN of account {} ({prefix}NAME)",
                    self.account
                )));
            }
        }
        Ok(())
    }

    /// Accepts the governance account's Lake Formation invitations (outside
    /// an Organization), discovers everything it shares with this account
    /// (with or without invitations), creates or checks one resource link per
    /// shared database, and grants `options.grant_to` roles DESCRIBE on the
    /// links and SELECT + DESCRIBE on the shared tables.
    pub async fn accept(&self, governance_account: &str, options: &AcceptOptions) -> Result<AcceptReport, AwsError> {
        self.check(governance_account, options)?;
        let gov = governance_account;
        let prefix = options.link_prefix.clone().unwrap_or_else(|| default_link_prefix(gov));
        let mut report = AcceptReport {
            consumer_account: self.account.clone(),
            governance_account: gov.to_owned(),
            ..AcceptReport::default()
        };

        // 1. Invitations (out-of-org consumers only get any).
        let mut expected = BTreeSet::new();
        for inv in self.pending_invitations(gov).await? {
            let resources = self.pending_resources(&inv.invitation_arn).await?;
            let mut types: Vec<String> = resources.iter().map(|(_, t)| t.clone()).collect();
            types.sort();
            types.dedup();
            let reason = if !inv.share_name.starts_with(LAKE_FORMATION_SHARE_PREFIX) {
                Some(format!("not a Lake Formation share (its name does not start with {LAKE_FORMATION_SHARE_PREFIX})"))
            } else if resources.is_empty() {
                Some("it shares no resources".to_owned())
            } else {
                let other = types.iter().find(|t| !t.starts_with("glue:"));
                other.map(|t| format!("it shares {t} resources, not only Glue catalog resources"))
            };
            let outcome = InvitationOutcome {
                invitation_arn: inv.invitation_arn.clone(),
                share_arn: inv.share_arn.clone(),
                share_name: inv.share_name.clone(),
                resource_types: types,
                reason,
            };
            if outcome.reason.is_some() {
                tracing::warn!(invitation = %inv.invitation_arn, share = %inv.share_name, reason = ?outcome.reason, "left a RAM invitation pending");
                report.skipped_invitations.push(outcome);
                continue;
            }
            let accepted = self
                .ram
                .accept_resource_share_invitation()
                .resource_share_invitation_arn(&inv.invitation_arn)
                .send()
                .await;
            match accepted.map_err(|e| AwsError::sdk("ram", "AcceptResourceShareInvitation", e)) {
                Ok(_) => {}
                // Accepted meanwhile (a concurrent run): the same end state.
                Err(e) if e.code() == Some("ResourceShareInvitationAlreadyAcceptedException") => {}
                Err(e) => return Err(e),
            }
            tracing::info!(share = %inv.share_arn, consumer = %self.account, "accepted RAM invitation");
            expected
                .extend(resources.into_iter().map(|(arn, _)| arn).filter(|arn| glue_database_of(arn, gov).is_some()));
            report.accepted_invitations.push(outcome);
        }

        // 2. Discovery, independent of invitations; retried while RAM does
        //    not list yet what was just accepted.
        let mut attempt = 0;
        let listed = loop {
            let listed = self.shared_resources(gov).await?;
            let missing = expected.iter().any(|arn| !listed.contains_key(arn));
            attempt += 1;
            if !missing || attempt >= self.discovery.max_attempts.max(1) {
                break listed;
            }
            let wait = self.discovery.ceiling(attempt - 1);
            tracing::info!(attempt, ?wait, "RAM does not list the accepted resources yet; listing again");
            tokio::time::sleep(wait).await;
        };
        report.not_yet_listed = expected.iter().filter(|arn| !listed.contains_key(*arn)).cloned().collect();
        let mut databases: BTreeMap<String, Shared> = BTreeMap::new();
        for (arn, share) in listed {
            let Some((db, table)) = glue_database_of(&arn, gov) else { continue };
            let entry = databases.entry(db).or_default();
            if entry.region.is_none() {
                entry.region = arn.split(':').nth(3).filter(|r| !r.is_empty()).map(str::to_owned);
            }
            entry.tables.extend(table);
            entry.shares.extend(share);
        }
        for db in self.foreign_databases(gov).await? {
            databases.entry(db).or_default();
        }

        // 3. Resource links.
        for (db, shared) in &databases {
            let name = format!("{prefix}{db}");
            let created = self.link(&name, gov, db, shared.region.as_deref()).await?;
            report.links.push(ResourceLink {
                name,
                target_catalog_id: gov.to_owned(),
                target_database: db.clone(),
                region: shared.region.clone(),
                tables: shared.tables.iter().cloned().collect(),
                share_arns: shared.shares.iter().cloned().collect(),
                created,
            });
        }

        // 4. Re-grants to the roles that query.
        for role in &options.grant_to {
            for link in &report.links {
                let mut wanted = vec![(
                    database_resource(&self.account, &link.name)?,
                    self.account.clone(),
                    link.name.clone(),
                    None,
                    vec![Permission::Describe],
                )];
                let tables: Vec<Option<&str>> = if link.tables.is_empty() {
                    vec![None]
                } else {
                    link.tables.iter().map(|t| Some(t.as_str())).collect()
                };
                for t in tables {
                    wanted.push((
                        table_resource(gov, &link.target_database, t)?,
                        gov.to_owned(),
                        link.target_database.clone(),
                        Some(t.unwrap_or("*").to_owned()),
                        vec![Permission::Select, Permission::Describe],
                    ));
                }
                for (resource, catalog_id, database, table, permissions) in wanted {
                    let granted = self.ensure_granted(role, resource, &permissions).await?;
                    report.grants.push(RoleGrant {
                        role: role.clone(),
                        catalog_id,
                        database,
                        table,
                        permissions: permissions.iter().map(|p| p.as_str().to_owned()).collect(),
                        granted,
                    });
                }
            }
        }
        Ok(report)
    }

    /// PENDING invitations sent by `sender` to this account.
    async fn pending_invitations(&self, sender: &str) -> Result<Vec<Invitation>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .ram
                .get_resource_share_invitations()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::sdk("ram", "GetResourceShareInvitations", e))?;
            for i in page.resource_share_invitations() {
                if i.sender_account_id() != Some(sender)
                    || !matches!(i.status(), Some(ResourceShareInvitationStatus::Pending))
                {
                    continue;
                }
                if let (Some(invitation_arn), Some(share_arn)) =
                    (i.resource_share_invitation_arn(), i.resource_share_arn())
                {
                    out.push(Invitation {
                        invitation_arn: invitation_arn.to_owned(),
                        share_arn: share_arn.to_owned(),
                        share_name: i.resource_share_name().unwrap_or_default().to_owned(),
                    });
                }
            }
            token = page.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    /// `(arn, RAM type)` of what a pending invitation would share.
    async fn pending_resources(&self, invitation_arn: &str) -> Result<Vec<(String, String)>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .ram
                .list_pending_invitation_resources()
                .resource_share_invitation_arn(invitation_arn)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::sdk("ram", "ListPendingInvitationResources", e))?;
            for r in page.resources() {
                if let Some(arn) = r.arn() {
                    let kind = r.r#type().map_or_else(|| resource_type(arn), str::to_owned);
                    out.push((arn.to_owned(), kind));
                }
            }
            token = page.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    /// Glue databases and tables of `owner` that RAM lists as shared with
    /// this account, with the share each came through.
    async fn shared_resources(&self, owner: &str) -> Result<BTreeMap<String, Option<String>>, AwsError> {
        let mut out = BTreeMap::new();
        for kind in ["glue:Database", "glue:Table"] {
            let mut token = None;
            loop {
                let page = self
                    .ram
                    .list_resources()
                    .resource_owner(ResourceOwner::OtherAccounts)
                    .resource_type(kind)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| AwsError::sdk("ram", "ListResources", e))?;
                for r in page.resources() {
                    if let Some(arn) = r.arn().filter(|arn| glue_database_of(arn, owner).is_some()) {
                        let share = r.resource_share_arn().map(str::to_owned);
                        let slot = out.entry(arn.to_owned()).or_insert(None);
                        if slot.is_none() {
                            *slot = share;
                        }
                    }
                }
                token = page.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
                if token.is_none() {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Databases of `owner` that Glue lists as shared into this catalog
    /// (`GetDatabases(ResourceShareType = FOREIGN)`).
    async fn foreign_databases(&self, owner: &str) -> Result<Vec<String>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .glue
                .get_databases()
                .resource_share_type(ResourceShareType::Foreign)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::sdk("glue", "GetDatabases", e))?;
            for d in page.database_list() {
                // Links are local databases with a target; keep the owner's own.
                if d.catalog_id() == Some(owner) && d.target_database().is_none() {
                    out.push(d.name().to_owned());
                }
            }
            token = page.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    /// Creates the resource link `name` -> `owner`'s `database`, or checks the
    /// existing database `name` is that link. True when created.
    async fn link(&self, name: &str, owner: &str, database: &str, region: Option<&str>) -> Result<bool, AwsError> {
        if name.is_empty() || name.chars().count() > 255 {
            return Err(AwsError::Invalid(format!(
                "resource link name {name:?} is not 1 to 255 characters (a shorter --link-prefix helps)"
            )));
        }
        let target = DatabaseIdentifier::builder()
            .catalog_id(owner)
            .database_name(database)
            .set_region(region.map(str::to_owned))
            .build();
        let input = DatabaseInput::builder()
            .name(name)
            .target_database(target)
            .build()
            .map_err(|e| AwsError::Invalid(e.to_string()))?;
        let created = self.glue.create_database().database_input(input).send().await;
        match created.map_err(|e| AwsError::sdk("glue", "CreateDatabase", e)) {
            Ok(_) => {
                tracing::info!(link = name, owner, database, consumer = %self.account, "created Glue resource link");
                Ok(true)
            }
            Err(e) if e.code() == Some("AlreadyExistsException") => {
                let existing = self
                    .glue
                    .get_database()
                    .name(name)
                    .send()
                    .await
                    .map_err(|e| AwsError::sdk("glue", "GetDatabase", e))?;
                let t = existing.database().and_then(|d| d.target_database());
                let same = t.is_some_and(|t| {
                    t.catalog_id() == Some(owner)
                        && t.database_name() == Some(database)
                        && (region.is_none() || t.region().is_none() || t.region() == region)
                });
                if same {
                    Ok(false)
                } else {
                    let what = match t {
                        Some(t) => format!(
                            "a resource link to {}:{}",
                            t.catalog_id().unwrap_or("?"),
                            t.database_name().unwrap_or("?")
                        ),
                        None => "a local database".to_owned(),
                    };
                    Err(AwsError::Conflict(format!(
                        "database {name} exists in account {} as {what}, not as a link to {owner}:{database} \
                         (drop it or choose another --link-prefix)",
                        self.account
                    )))
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Grants `permissions` on `resource` to `role` in this account's Lake
    /// Formation unless `ListPermissions` shows them held. True when granted.
    async fn ensure_granted(
        &self,
        role: &str,
        resource: Resource,
        permissions: &[Permission],
    ) -> Result<bool, AwsError> {
        let principal = DataLakePrincipal::builder().data_lake_principal_identifier(role).build();
        let mut held = BTreeSet::new();
        let mut token = None;
        loop {
            let out = self
                .lakeformation
                .list_permissions()
                .catalog_id(&self.account)
                .principal(principal.clone())
                .resource(resource.clone())
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::sdk("lakeformation", "ListPermissions", e))?;
            for p in out.principal_resource_permissions() {
                held.extend(p.permissions().iter().map(|x| x.as_str().to_owned()));
            }
            token = out.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        if permissions.iter().all(|p| held.contains(p.as_str())) {
            return Ok(false);
        }
        self.lakeformation
            .grant_permissions()
            .catalog_id(&self.account)
            .principal(principal)
            .resource(resource)
            .set_permissions(Some(permissions.to_vec()))
            .send()
            .await
            .map_err(|e| AwsError::sdk("lakeformation", "GrantPermissions", e))?;
        tracing::info!(role, ?permissions, "granted Lake Formation permissions on a shared resource");
        Ok(true)
    }
}

struct Invitation {
    invitation_arn: String,
    share_arn: String,
    share_name: String,
}

fn database_resource(catalog: &str, database: &str) -> Result<Resource, AwsError> {
    let db = DatabaseResource::builder()
        .catalog_id(catalog)
        .name(database)
        .build()
        .map_err(|e| AwsError::Invalid(e.to_string()))?;
    Ok(Resource::builder().database(db).build())
}

/// A table of `catalog`'s `database`, or all its tables (`TableWildcard`) for `None`.
fn table_resource(catalog: &str, database: &str, table: Option<&str>) -> Result<Resource, AwsError> {
    let t = TableResource::builder().catalog_id(catalog).database_name(database);
    let t = match table {
        Some(name) => t.name(name),
        None => t.table_wildcard(TableWildcard::builder().build()),
    };
    Ok(Resource::builder().table(t.build().map_err(|e| AwsError::Invalid(e.to_string()))?).build())
}

/// The RAM resource type of an ARN, e.g. `glue:Table`, when RAM gives none.
fn resource_type(arn: &str) -> String {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let (service, resource) = (parts.get(2).copied().unwrap_or(""), parts.get(5).copied().unwrap_or(""));
    let kind = resource.split(['/', ':']).next().unwrap_or("");
    let mut chars = kind.chars();
    let kind = chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default();
    format!("{service}:{kind}")
}

/// The database (and table, for a table ARN) named by a Glue ARN of `owner`.
fn glue_database_of(arn: &str, owner: &str) -> Option<(String, Option<String>)> {
    let mut parts = arn.splitn(6, ':');
    let (_, _, service, _, account, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if service != "glue" || account != owner {
        return None;
    }
    if let Some(db) = resource.strip_prefix("database/") {
        return (!db.is_empty() && !db.contains('/')).then(|| (db.to_owned(), None));
    }
    let (db, table) = resource.strip_prefix("table/")?.split_once('/')?;
    (!db.is_empty() && !table.is_empty()).then(|| (db.to_owned(), Some(table.to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn databases_and_tables_from_arns() {
        let gov = "123456789012";
        let of = |arn| glue_database_of(arn, gov);
        assert_eq!(of("arn:aws:glue:eu-west-1:123456789012:database/sales"), Some(("sales".into(), None)));
        assert_eq!(
            of("arn:aws:glue:eu-west-1:123456789012:table/sales/orders"),
            Some(("sales".into(), Some("orders".into())))
        );
        assert_eq!(of("arn:aws:glue:eu-west-1:999999999999:database/sales"), None);
        assert_eq!(of("arn:aws:glue:eu-west-1:123456789012:catalog"), None);
        assert_eq!(of("arn:aws:s3:::bucket"), None);
        assert_eq!(resource_type("arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-1"), "ec2:Subnet");
    }

    #[tokio::test]
    async fn arguments_are_checked_before_any_call() {
        let cfg = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-1"))
            .build();
        let c = ConsumerShares::new(&cfg, "111122223333");
        let ok = AcceptOptions {
            link_prefix: Some("team_a_".into()),
            grant_to: vec!["arn:aws:iam::111122223333:role/analyst".into()],
        };
        c.check("123456789012", &ok).unwrap();
        c.check("123456789012", &AcceptOptions { link_prefix: Some(String::new()), ..ok.clone() }).unwrap();
        let bad = |gov: &str, o: AcceptOptions| c.check(gov, &o).unwrap_err().to_string();
        assert!(bad("12345", ok.clone()).contains("12-digit"));
        assert!(bad("111122223333", ok.clone()).contains("this account"));
        assert!(
            bad("123456789012", AcceptOptions { link_prefix: Some("Team-".into()), ..ok.clone() }).contains("prefix")
        );
        for role in [
            "arn:aws:iam::999999999999:role/analyst",
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:iam::111122223333:role/",
            "arn:aws-cn:iam::111122223333:role/analyst",
        ] {
            let o = AcceptOptions { grant_to: vec![role.into()], ..ok.clone() };
            assert!(bad("123456789012", o).contains("not an IAM role ARN of account 111122223333"), "{role}");
        }
        assert_eq!(default_link_prefix("123456789012"), "steward_123456789012_");
    }
}
