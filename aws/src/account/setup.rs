//! `steward aws setup`: the changes that make the doctor's findings go away,
//! as a plan (without `--apply`) or made (with it).
//!
//! `PutDataLakeSettings` replaces the whole settings object, and a wrong
//! write can lock every other administrator out of the data lake. So the
//! new settings are always what `GetDataLakeSettings` just returned with
//! only Steward's changes: its principal added to `DataLakeAdmins` (no admin
//! dropped), `CROSS_ACCOUNT_VERSION` raised to 4 (never lowered), and in
//! Lake Formation mode the `IAM_ALLOWED_PRINCIPALS` entries removed from the
//! two default-permission lists (other entries kept). Everything else
//! (read-only admins, trusted owners, other parameters, external filtering)
//! goes back as it was. Applying twice changes nothing the second time.

use std::collections::HashMap;

use aws_sdk_lakeformation::types::{DataLakePrincipal, DataLakeSettings};
use serde::Serialize;

use super::{
    AccountState, CROSS_ACCOUNT_VERSION, IAM_ALLOWED_PRINCIPALS, LakeFormationAccount, RECOMMENDED_VERSION, Target,
    is_iam_allowed, missing_levels,
};
use crate::error::AwsError;
use crate::glue::s3_arn_in;
use crate::tags::{CLASSIFICATION, ensure_lf_tag};
use crate::{AwsSettings, SharingMode};

/// One change setup makes (or would make).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The doctor check it fixes (`data-lake-admin`, `cross-account-version`, ...).
    pub id: &'static str,
    /// What changes, in words.
    pub action: String,
    /// The AWS call that makes it, e.g. `lakeformation:PutDataLakeSettings`.
    pub call: &'static str,
}

/// What setup changes in the account.
#[derive(Debug, Clone, Default)]
pub struct SetupPlan {
    /// The changes, in the order they are made.
    pub changes: Vec<Change>,
    /// The settings to put, when they change.
    settings: Option<DataLakeSettings>,
    /// The classification levels to make sure of, in LF-Tag mode.
    classification: Option<Vec<String>>,
    /// Locations to register.
    register: Vec<String>,
}

impl SetupPlan {
    /// Nothing to change?
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The data-lake settings setup would put, if any.
    pub fn new_settings(&self) -> Option<&DataLakeSettings> {
        self.settings.as_ref()
    }
}

/// The settings `current` becomes for `principal`: read-modify-write, so
/// every field not named here is kept. `None` when nothing changes.
pub fn desired_settings(
    current: &DataLakeSettings,
    principal: &str,
    hybrid_access: bool,
) -> (Option<DataLakeSettings>, Vec<Change>) {
    let mut next = current.clone();
    let mut changes = Vec::new();
    let admins = next.data_lake_admins.get_or_insert_with(Vec::new);
    if !admins.iter().any(|a| a.data_lake_principal_identifier() == Some(principal)) {
        admins.push(DataLakePrincipal::builder().data_lake_principal_identifier(principal).build());
        changes.push(Change {
            id: "data-lake-admin",
            action: format!("add {principal} to DataLakeAdmins (keeping {} existing)", admins.len() - 1),
            call: "lakeformation:PutDataLakeSettings",
        });
    }
    let params = next.parameters.get_or_insert_with(HashMap::new);
    let version = params.get(CROSS_ACCOUNT_VERSION).map(|v| v.trim().parse::<u32>().ok());
    let shown = params.get(CROSS_ACCOUNT_VERSION).cloned().unwrap_or_else(|| "1 (not set)".to_owned());
    // Missing is version 1; a value that is not a number is replaced.
    if version.is_none_or(|v| v.is_none_or(|v| v < RECOMMENDED_VERSION)) {
        params.insert(CROSS_ACCOUNT_VERSION.to_owned(), RECOMMENDED_VERSION.to_string());
        changes.push(Change {
            id: "cross-account-version",
            action: format!("set {CROSS_ACCOUNT_VERSION} from {shown} to {RECOMMENDED_VERSION}"),
            call: "lakeformation:PutDataLakeSettings",
        });
    }
    if !hybrid_access {
        for (name, list) in [
            ("CreateDatabaseDefaultPermissions", &mut next.create_database_default_permissions),
            ("CreateTableDefaultPermissions", &mut next.create_table_default_permissions),
        ] {
            if let Some(l) = list
                && l.iter().any(is_iam_allowed)
            {
                l.retain(|p| !is_iam_allowed(p));
                changes.push(Change {
                    id: "default-permissions",
                    action: format!("remove {IAM_ALLOWED_PRINCIPALS} from {name} (leaving {} entries)", l.len()),
                    call: "lakeformation:PutDataLakeSettings",
                });
            }
        }
    }
    if changes.is_empty() { (None, changes) } else { (Some(next), changes) }
}

/// The plan for `state` against `target` (`partition`: the ARN partition).
pub fn plan(
    state: &AccountState,
    target: &Target,
    settings: &AwsSettings,
    partition: &str,
) -> Result<SetupPlan, AwsError> {
    let (new_settings, mut changes) = desired_settings(&state.settings, &target.principal, settings.hybrid_access);
    let mut classification = None;
    if settings.sharing == SharingMode::Tags {
        let have = state.tag(CLASSIFICATION);
        let missing = missing_levels(have.unwrap_or_default(), target);
        if !missing.is_empty() {
            if target.classifications.is_empty() {
                return Err(AwsError::Invalid("the policy lists no classification levels".into()));
            }
            changes.push(Change {
                id: "lf-tag-classification",
                action: match have {
                    None => format!("create LF-Tag {CLASSIFICATION} with {}", missing.join(", ")),
                    Some(_) => format!("add {} to LF-Tag {CLASSIFICATION}", missing.join(", ")),
                },
                call: if have.is_none() { "lakeformation:CreateLFTag" } else { "lakeformation:UpdateLFTag" },
            });
            classification = Some(target.classifications.clone());
        }
    }
    let mut register = Vec::new();
    for uri in &target.locations {
        let arn = s3_arn_in(partition, uri)?;
        let covered = state.registered.iter().any(|r| r.covers(&arn))
            || register.iter().any(|u: &String| s3_arn_in(partition, u).is_ok_and(|a| covers(&a, &arn)));
        if !covered {
            let with = settings
                .registration_role_arn
                .as_deref()
                .map_or_else(|| "the service-linked role".to_owned(), |r| format!("role {r}"));
            changes.push(Change {
                id: "location-unregistered",
                action: format!("register {arn} with {with}"),
                call: "lakeformation:RegisterResource",
            });
            register.push(uri.clone());
        }
    }
    Ok(SetupPlan { changes, settings: new_settings, classification, register })
}

fn covers(have: &str, arn: &str) -> bool {
    arn == have || arn.strip_prefix(have).is_some_and(|rest| rest.starts_with('/'))
}

impl LakeFormationAccount {
    /// What `setup --apply` would change now; reads, changes nothing.
    pub async fn plan(&self, target: &Target) -> Result<SetupPlan, AwsError> {
        let state = self.read().await?;
        plan(&state, target, &self.settings, self.partition)
    }

    /// Makes the changes of a fresh [`LakeFormationAccount::plan`] and
    /// returns it (empty: nothing needed changing). Settings are written
    /// from what was just read; LF-Tag values are added, never removed;
    /// locations are registered through [`crate::GlueCatalog::register_location`]
    /// (with `aws.registration_role_arn` when set, in hybrid access mode when
    /// `aws.hybrid_access`), the same code the publish job registers with.
    pub async fn apply(&self, target: &Target) -> Result<SetupPlan, AwsError> {
        let plan = self.plan(target).await?;
        if let Some(settings) = &plan.settings {
            self.lf
                .put_data_lake_settings()
                .catalog_id(&self.settings.governance_account_id)
                .data_lake_settings(settings.clone())
                .send()
                .await
                .map_err(|e| AwsError::sdk("lakeformation", "PutDataLakeSettings", e))?;
            tracing::info!(changes = plan.changes.len(), "updated the data-lake settings");
        }
        if let Some(levels) = &plan.classification {
            ensure_lf_tag(&self.lf, &self.settings.governance_account_id, CLASSIFICATION, levels).await?;
        }
        for uri in &plan.register {
            self.catalog.register_location(uri).await?;
        }
        Ok(plan)
    }
}
