//! One-time preparation of the governance account for Lake Formation
//! sharing: `steward aws doctor` (read-only) and `steward aws setup`.
//!
//! Why this exists: on a fresh account Steward's grants fail or do nothing
//! until its role is a data-lake administrator, the cross-account version
//! allows grants to IAM roles and LF-Tag sharing through RAM, the
//! `IAMAllowedPrincipals` defaults are off (Lake Formation mode), and the
//! data locations are registered (LF guide, "Cross-account data sharing
//! prerequisites"; research page §1.3). None of this is per product, so the
//! service does not do it on its own; an operator runs `setup --apply` once
//! (or does the same by hand) and `doctor` says what is still missing.
//!
//! Both read the same state ([`LakeFormationAccount`]): the caller
//! (`sts:GetCallerIdentity`), `GetDataLakeSettings`, `ListResources` and, in
//! LF-Tag mode, the LF-Tags. [`diagnose`] turns it into [`Check`]s, each
//! finding with the reason (an AWS doc) and the fix; [`setup::plan`] into the
//! changes `setup --apply` makes. `PutDataLakeSettings` replaces the whole
//! settings object, so setup writes back what it read with only its own
//! changes: other admins, read-only admins, trusted owners, parameters and
//! the rest survive.
//!
//! What setup cannot do (IAM policies, RAM sharing with the Organization,
//! which only the management account may turn on) it prints; the policy
//! documents come from [`policies`], which the docs quote too.

pub mod policies;
pub mod setup;

use aws_sdk_lakeformation::types::{DataLakeSettings, PrincipalPermissions, ResourceInfo};
use serde::Serialize;

use crate::error::AwsError;
use crate::glue::{GlueCatalog, s3_arn_in};
use crate::tags::{CLASSIFICATION, KEYS, lf_tag_values};
use crate::{AwsSettings, SharingMode};

/// The `DataLakeSettings.Parameters` key of the cross-account version.
pub const CROSS_ACCOUNT_VERSION: &str = "CROSS_ACCOUNT_VERSION";
/// The version `setup` sets (AWS's best-practice guide: use the newest; 4 is
/// the lowest that shares hybrid-access resources).
pub const RECOMMENDED_VERSION: u32 = 4;
/// The principal of the "Use only IAM access control" defaults.
pub const IAM_ALLOWED_PRINCIPALS: &str = "IAM_ALLOWED_PRINCIPALS";

/// AWS documentation each check cites.
pub mod docs {
    /// Who may grant to other accounts: data-lake administrators.
    pub const ADMIN: &str = "https://docs.aws.amazon.com/lake-formation/latest/dg/implicit-permissions.html";
    /// What each cross-account version changes.
    pub const VERSION: &str = "https://docs.aws.amazon.com/lake-formation/latest/dg/optimize-ram.html";
    /// Hybrid access mode needs version 4 (or 5) to share cross-account.
    pub const HYBRID: &str = "https://docs.aws.amazon.com/lake-formation/latest/dg/hybrid-access-prerequisites.html";
    /// `IAMAllowedPrincipals` must go before cross-account grants (LF mode).
    pub const DEFAULTS: &str = "https://docs.aws.amazon.com/lake-formation/latest/dg/cross-account-prereqs.html";
    /// In-org shares need no invitation when RAM shares with the Organization.
    pub const ORG: &str = "https://docs.aws.amazon.com/lake-formation/latest/dg/viewing-shared-resources.html";
    /// Registering an S3 location.
    pub const REGISTER: &str = "https://docs.aws.amazon.com/lake-formation/latest/dg/register-location.html";
    /// When a custom registration role is required.
    pub const ROLE: &str = "https://docs.aws.amazon.com/lake-formation/latest/dg/registration-role.html";
    /// LF-Tags and tag-based access control.
    pub const TAGS: &str = "https://docs.aws.amazon.com/lake-formation/latest/dg/tag-based-access-control.html";
    /// `sts:GetCallerIdentity`.
    pub const CALLER: &str = "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html";
}

/// Who the credentials are (`sts:GetCallerIdentity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caller {
    /// The account of the credentials.
    pub account: String,
    /// The caller's ARN as STS reports it (an `assumed-role` session ARN for roles).
    pub arn: String,
}

impl Caller {
    /// The IAM principal Lake Formation knows the caller as (see [`iam_principal`]).
    pub fn principal(&self) -> String {
        iam_principal(&self.arn)
    }
}

/// The IAM ARN of a caller ARN: an STS session
/// `arn:aws:sts::ACCT:assumed-role/NAME/SESSION` becomes
/// `arn:aws:iam::ACCT:role/NAME` (`DataLakeAdmins` holds IAM ARNs, not
/// sessions); anything else is returned as is. A session ARN does not carry
/// the role's path, so a role with a path (e.g. IAM Identity Center's
/// `aws-reserved/sso.amazonaws.com/`) must be named with `--role-arn`.
pub fn iam_principal(arn: &str) -> String {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if let [_, partition, "sts", _, account, resource] = parts.as_slice()
        && let Some(rest) = resource.strip_prefix("assumed-role/")
    {
        let name = rest.split('/').next().unwrap_or(rest);
        return format!("arn:{partition}:iam::{account}:role/{name}");
    }
    arn.to_owned()
}

/// What the doctor and setup check against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// The IAM ARN of Steward's principal (the role the service runs as).
    pub principal: String,
    /// S3 prefixes (`s3://bucket/prefix`) that must be registered.
    pub locations: Vec<String>,
    /// The classification levels the `classification` LF-Tag must have
    /// (the policy's `classifications`; used in LF-Tag mode).
    pub classifications: Vec<String>,
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// As it should be.
    Ok,
    /// Must be fixed before sharing works; `doctor` exits 1.
    Finding,
    /// Works, but not as configured or recommended.
    Warning,
    /// Information (e.g. what only another account can check).
    Note,
}

/// One line of the doctor's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// A stable id (`data-lake-admin`, `cross-account-version`, ...).
    pub id: &'static str,
    /// How it came out.
    pub status: Status,
    /// What the check is about when there are several of a kind (a location, a tag key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// What was found.
    pub message: String,
    /// Why it matters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// The AWS documentation behind `why`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<&'static str>,
    /// How to fix it: the setup step or the command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn new(id: &'static str, status: Status, message: impl Into<String>) -> Self {
        Check { id, status, subject: None, message: message.into(), why: None, doc: None, fix: None }
    }

    fn subject(mut self, s: impl Into<String>) -> Self {
        self.subject = Some(s.into());
        self
    }

    fn why(mut self, why: impl Into<String>, doc: &'static str) -> Self {
        self.why = Some(why.into());
        self.doc = Some(doc);
        self
    }

    fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// The doctor's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoctorReport {
    /// The governance account (`aws.governance_account_id`).
    pub account: String,
    /// The principal checked.
    pub principal: String,
    /// `aws.sharing`.
    pub sharing: SharingMode,
    /// `aws.hybrid_access`.
    pub hybrid_access: bool,
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// How many checks are findings.
    pub findings: usize,
    /// How many are warnings.
    pub warnings: usize,
}

impl DoctorReport {
    /// The checks that are findings.
    pub fn findings(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == Status::Finding)
    }
}

/// A location Lake Formation has registered (`ListResources`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registered {
    /// `arn:aws:s3:::bucket/prefix`.
    pub arn: String,
    /// The registration role; `None` or a service-linked role ARN for the service-linked role.
    pub role_arn: Option<String>,
    /// `HybridAccessEnabled`, when reported.
    pub hybrid: Option<bool>,
}

impl Registered {
    /// Registered with Lake Formation's service-linked role?
    pub fn service_linked(&self) -> bool {
        self.role_arn.as_deref().is_none_or(|r| r.contains(":role/aws-service-role/"))
    }

    /// Does this registration cover `arn` (the same path or a parent at a `/`)?
    pub fn covers(&self, arn: &str) -> bool {
        let have = self.arn.trim_end_matches('/');
        arn == have || arn.strip_prefix(have).is_some_and(|rest| rest.starts_with('/'))
    }
}

/// Everything the checks look at, read in one go.
#[derive(Debug, Clone)]
pub struct AccountState {
    /// Who the credentials are.
    pub caller: Caller,
    /// `GetDataLakeSettings` as read (the base of setup's read-modify-write).
    pub settings: DataLakeSettings,
    /// Registered locations.
    pub registered: Vec<Registered>,
    /// In LF-Tag mode, each of [`KEYS`] with its values (`None`: no such key).
    pub tags: Vec<(&'static str, Option<Vec<String>>)>,
}

impl AccountState {
    /// The cross-account version; a missing parameter is version 1 (a fresh
    /// account). `None` when the value is not a number.
    pub fn cross_account_version(&self) -> Option<u32> {
        match self.settings.parameters.as_ref().and_then(|p| p.get(CROSS_ACCOUNT_VERSION)) {
            None => Some(1),
            Some(v) => v.trim().parse().ok(),
        }
    }

    /// Is `principal` a data-lake administrator?
    pub fn is_admin(&self, principal: &str) -> bool {
        self.settings.data_lake_admins().iter().any(|a| a.data_lake_principal_identifier() == Some(principal))
    }

    /// The default-permission lists that grant to `IAM_ALLOWED_PRINCIPALS`
    /// (`CreateDatabaseDefaultPermissions`, `CreateTableDefaultPermissions`).
    pub fn iam_allowed_defaults(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if grants_iam_allowed(self.settings.create_database_default_permissions()) {
            out.push("CreateDatabaseDefaultPermissions");
        }
        if grants_iam_allowed(self.settings.create_table_default_permissions()) {
            out.push("CreateTableDefaultPermissions");
        }
        out
    }

    fn tag(&self, key: &str) -> Option<&[String]> {
        self.tags.iter().find(|(k, _)| *k == key).and_then(|(_, v)| v.as_deref())
    }
}

pub(crate) fn grants_iam_allowed(list: &[PrincipalPermissions]) -> bool {
    list.iter().any(is_iam_allowed)
}

pub(crate) fn is_iam_allowed(p: &PrincipalPermissions) -> bool {
    p.principal().and_then(|x| x.data_lake_principal_identifier()) == Some(IAM_ALLOWED_PRINCIPALS)
}

/// The governance account's Lake Formation set-up.
#[derive(Debug, Clone)]
pub struct LakeFormationAccount {
    pub(crate) lf: aws_sdk_lakeformation::Client,
    sts: aws_sdk_sts::Client,
    pub(crate) catalog: GlueCatalog,
    pub(crate) settings: AwsSettings,
    pub(crate) partition: &'static str,
}

impl LakeFormationAccount {
    /// The account of `settings` through `cfg` (from [`crate::sdk_config`]).
    pub fn new(cfg: &aws_config::SdkConfig, settings: &AwsSettings) -> Self {
        LakeFormationAccount {
            lf: aws_sdk_lakeformation::Client::new(cfg),
            sts: aws_sdk_sts::Client::new(cfg),
            catalog: GlueCatalog::with_settings(cfg, settings),
            settings: settings.clone(),
            partition: crate::arn_partition(&crate::region_of(cfg)),
        }
    }

    /// Who the credentials are.
    pub async fn caller(&self) -> Result<Caller, AwsError> {
        let out =
            self.sts.get_caller_identity().send().await.map_err(|e| AwsError::sdk("sts", "GetCallerIdentity", e))?;
        Ok(Caller {
            account: out.account().unwrap_or_default().to_owned(),
            arn: out.arn().unwrap_or_default().to_owned(),
        })
    }

    /// Reads the caller, the data-lake settings, the registered locations and
    /// (in LF-Tag mode) the LF-Tags, in that order.
    pub async fn read(&self) -> Result<AccountState, AwsError> {
        let caller = self.caller().await?;
        let catalog = &self.settings.governance_account_id;
        let settings = self
            .lf
            .get_data_lake_settings()
            .catalog_id(catalog)
            .send()
            .await
            .map_err(|e| AwsError::sdk("lakeformation", "GetDataLakeSettings", e))?
            .data_lake_settings
            .unwrap_or_else(|| DataLakeSettings::builder().build());
        let registered = self.registered().await?;
        let mut tags = Vec::new();
        if self.settings.sharing == SharingMode::Tags {
            for key in KEYS {
                // A key always has 1 to 1,000 values (`CreateLFTag`), so an
                // empty answer is no key (moto answers a missing key so).
                let values = lf_tag_values(&self.lf, catalog, key).await?.filter(|v| !v.is_empty());
                tags.push((key, values));
            }
        }
        Ok(AccountState { caller, settings, registered, tags })
    }

    async fn registered(&self) -> Result<Vec<Registered>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .lf
                .list_resources()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::sdk("lakeformation", "ListResources", e))?;
            out.extend(page.resource_info_list().iter().filter_map(registered_of));
            token = page.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    /// The doctor: reads the account and checks it against `target`.
    pub async fn doctor(&self, target: &Target) -> Result<DoctorReport, AwsError> {
        let state = self.read().await?;
        diagnose(&state, target, &self.settings, self.partition)
    }
}

fn registered_of(r: &ResourceInfo) -> Option<Registered> {
    Some(Registered {
        arn: r.resource_arn()?.to_owned(),
        role_arn: r.role_arn().filter(|s| !s.is_empty()).map(str::to_owned),
        hybrid: r.hybrid_access_enabled(),
    })
}

/// The checks of `state` against `target` and `settings` (`partition`: the
/// ARN partition of the region). Fails only on a malformed location.
pub fn diagnose(
    state: &AccountState,
    target: &Target,
    settings: &AwsSettings,
    partition: &str,
) -> Result<DoctorReport, AwsError> {
    let mut checks = Vec::new();
    let account = &settings.governance_account_id;
    if &state.caller.account == account {
        checks.push(Check::new(
            "caller-account",
            Status::Ok,
            format!("credentials are for the governance account {account} ({})", state.caller.arn),
        ));
    } else {
        checks.push(
            Check::new(
                "caller-account",
                Status::Finding,
                format!(
                    "credentials are for account {} ({}), but aws.governance_account_id is {account}",
                    state.caller.account, state.caller.arn
                ),
            )
            .why("Lake Formation settings are per account: only the governance account's own principals can read or change them", docs::CALLER)
            .fix(format!("run with credentials of account {account} (AWS_PROFILE, ...), or correct aws.governance_account_id")),
        );
    }
    admin_check(state, target, &mut checks);
    version_check(state, settings, &mut checks);
    defaults_check(state, settings, &mut checks);
    checks.push(
        Check::new(
            "org-sharing",
            Status::Note,
            "RAM sharing with the AWS Organization cannot be checked from here (it is a setting of the Organization's management account)",
        )
        .why(
            "with it on, consumers in the Organization see Lake Formation shares at once with no RAM invitation; \
             consumers outside it (or with it off) must accept an invitation (`steward shares accept`)",
            docs::ORG,
        )
        .fix("in the management account: aws ram enable-sharing-with-aws-organization"),
    );
    location_checks(state, target, settings, partition, &mut checks)?;
    if settings.sharing == SharingMode::Tags {
        tag_checks(state, target, &mut checks);
    }
    let findings = checks.iter().filter(|c| c.status == Status::Finding).count();
    let warnings = checks.iter().filter(|c| c.status == Status::Warning).count();
    Ok(DoctorReport {
        account: account.clone(),
        principal: target.principal.clone(),
        sharing: settings.sharing,
        hybrid_access: settings.hybrid_access,
        checks,
        findings,
        warnings,
    })
}

fn admin_check(state: &AccountState, target: &Target, checks: &mut Vec<Check>) {
    let p = &target.principal;
    if state.is_admin(p) {
        checks.push(Check::new("data-lake-admin", Status::Ok, format!("{p} is a data-lake administrator")));
        return;
    }
    let others = state.settings.data_lake_admins().len();
    checks.push(
        Check::new(
            "data-lake-admin",
            Status::Finding,
            format!("{p} is not a data-lake administrator ({others} other admins)"),
        )
        .why(
            "only data-lake administrators may grant Lake Formation permissions to other accounts, \
                 and a non-admin lacks DATA_LOCATION_ACCESS to create tables under registered locations",
            docs::ADMIN,
        )
        .fix(format!(
            "steward aws setup --apply (adds {p} to DataLakeAdmins, keeping the existing admins); \
                 or the Lake Formation console: Administrative roles and tasks > Data lake administrators > Add"
        )),
    );
}

fn version_check(state: &AccountState, settings: &AwsSettings, checks: &mut Vec<Check>) {
    let raw = state.settings.parameters.as_ref().and_then(|p| p.get(CROSS_ACCOUNT_VERSION)).cloned();
    let shown = raw.clone().unwrap_or_else(|| "1 (not set: a fresh account)".to_owned());
    let needed = if settings.hybrid_access { 4 } else { 3 };
    let fix = format!(
        "steward aws setup --apply (sets {CROSS_ACCOUNT_VERSION} to {RECOMMENDED_VERSION}, keeping the other settings); \
         or the Lake Formation console: Data Catalog settings > Cross-account version settings"
    );
    let (why, doc) = if settings.hybrid_access {
        ("hybrid access mode (aws.hybrid_access) shares cross-account only at version 4 or 5", docs::HYBRID)
    } else {
        (
            "version 3 or later is needed to grant to IAM roles in other accounts and to share LF-Tag \
             expressions through RAM; earlier versions make one RAM share per grant",
            docs::VERSION,
        )
    };
    let check = match state.cross_account_version() {
        None => Check::new(
            "cross-account-version",
            Status::Finding,
            format!("{CROSS_ACCOUNT_VERSION} is {shown:?}, not a number"),
        )
        .why(why, doc)
        .fix(fix),
        Some(v) if v < needed => Check::new(
            "cross-account-version",
            Status::Finding,
            format!("{CROSS_ACCOUNT_VERSION} is {shown}; Steward needs {needed} or later"),
        )
        .why(why, doc)
        .fix(fix),
        Some(v) if v < RECOMMENDED_VERSION => Check::new(
            "cross-account-version",
            Status::Note,
            format!("{CROSS_ACCOUNT_VERSION} is {v}; {RECOMMENDED_VERSION} is recommended (AWS: use the newest)"),
        )
        .why("version 4 adds sharing of hybrid-access resources", docs::VERSION)
        .fix(fix),
        Some(v) => Check::new("cross-account-version", Status::Ok, format!("{CROSS_ACCOUNT_VERSION} is {v}")),
    };
    checks.push(check);
}

fn defaults_check(state: &AccountState, settings: &AwsSettings, checks: &mut Vec<Check>) {
    let lists = state.iam_allowed_defaults();
    let check = if lists.is_empty() {
        Check::new(
            "default-permissions",
            Status::Ok,
            "new databases and tables get no IAM_ALLOWED_PRINCIPALS permissions",
        )
    } else if settings.hybrid_access {
        Check::new(
            "default-permissions",
            Status::Ok,
            format!("{} grant to IAM_ALLOWED_PRINCIPALS: kept in hybrid access mode", lists.join(" and ")),
        )
    } else {
        Check::new(
            "default-permissions",
            Status::Finding,
            format!("{} grant ALL to IAM_ALLOWED_PRINCIPALS (\"Use only IAM access control\")", lists.join(" and ")),
        )
        .why(
            "in Lake Formation mode a cross-account grant on a resource that IAMAllowedPrincipals has permissions \
             on fails with AccessDeniedException; new databases and tables must not get them",
            docs::DEFAULTS,
        )
        .fix(
            "steward aws setup --apply (removes IAM_ALLOWED_PRINCIPALS from both lists, keeping the other settings); \
             or set aws.hybrid_access: true to keep IAM access alongside Lake Formation",
        )
    };
    checks.push(check);
}

fn location_checks(
    state: &AccountState,
    target: &Target,
    settings: &AwsSettings,
    partition: &str,
    checks: &mut Vec<Check>,
) -> Result<(), AwsError> {
    let role_of = |r: &Registered| {
        if r.service_linked() { "the service-linked role".to_owned() } else { r.role_arn.clone().unwrap_or_default() }
    };
    let listed: Vec<String> = state.registered.iter().map(|r| format!("{} ({})", r.arn, role_of(r))).collect();
    checks.push(Check::new(
        "registered-locations",
        Status::Note,
        if listed.is_empty() {
            "no S3 locations are registered with Lake Formation".to_owned()
        } else {
            format!("registered: {}", listed.join(", "))
        },
    ));
    for uri in &target.locations {
        let arn = s3_arn_in(partition, uri)?;
        match state.registered.iter().find(|r| r.covers(&arn)) {
            Some(r) => {
                checks.push(
                    Check::new("location", Status::Ok, format!("{uri} is registered ({} with {})", r.arn, role_of(r)))
                        .subject(uri.clone()),
                );
                if settings.hybrid_access && r.hybrid == Some(false) {
                    checks.push(
                        Check::new(
                            "location-hybrid",
                            Status::Warning,
                            format!("{} is registered in Lake Formation mode, but aws.hybrid_access is on", r.arn),
                        )
                        .subject(uri.clone())
                        .why("IAM-only users of a location registered without HybridAccessEnabled lose access", docs::HYBRID)
                        .fix(format!("aws lakeformation update-resource --resource-arn {} --role-arn ROLE --hybrid-access-enabled", r.arn)),
                    );
                }
            }
            None => {
                let with = settings
                    .registration_role_arn
                    .as_deref()
                    .map_or_else(|| "--use-service-linked-role".to_owned(), |role| format!("--role-arn {role}"));
                let hybrid = if settings.hybrid_access { " --hybrid-access-enabled" } else { "" };
                checks.push(
                    Check::new("location-unregistered", Status::Finding, format!("{uri} is not covered by a registered location"))
                        .subject(uri.clone())
                        .why("Lake Formation governs and vends credentials only for registered locations", docs::REGISTER)
                        .fix(format!(
                            "steward aws setup --apply --location {uri}; or aws lakeformation register-resource --resource-arn {arn} {with}{hybrid}"
                        )),
                );
            }
        }
    }
    if let Some(role) = &settings.registration_role_arn {
        for r in state.registered.iter().filter(|r| r.service_linked()) {
            checks.push(
                Check::new(
                    "location-role",
                    Status::Warning,
                    format!(
                        "{} is registered with the service-linked role, not aws.registration_role_arn {role}",
                        r.arn
                    ),
                )
                .subject(r.arn.clone())
                .why(
                    "a custom role is needed for buckets in other accounts, aws/s3-KMS encryption and EMR; \
                     the service-linked role's inline policy grows with every path",
                    docs::ROLE,
                )
                .fix(format!("aws lakeformation update-resource --resource-arn {} --role-arn {role}", r.arn)),
            );
        }
    }
    Ok(())
}

/// The classification levels of `target` that the tag lacks (lower case, as LF stores them).
pub(crate) fn missing_levels(have: &[String], target: &Target) -> Vec<String> {
    let mut out: Vec<String> = target
        .classifications
        .iter()
        .map(|c| c.to_lowercase())
        .filter(|c| !have.iter().any(|h| h.eq_ignore_ascii_case(c)))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn tag_checks(state: &AccountState, target: &Target, checks: &mut Vec<Check>) {
    for key in KEYS {
        let id = match key {
            "product" => "lf-tag-product",
            "domain" => "lf-tag-domain",
            _ => "lf-tag-classification",
        };
        let check = match (state.tag(key), key == CLASSIFICATION) {
            (Some(values), true) => {
                let missing = missing_levels(values, target);
                if missing.is_empty() {
                    Check::new(id, Status::Ok, format!("LF-Tag {key} exists ({})", values.join(", ")))
                } else {
                    Check::new(id, Status::Finding, format!("LF-Tag {key} lacks the policy's levels {}", missing.join(", ")))
                        .why("a PII column's classification can only be tagged with a value the key has", docs::TAGS)
                        .fix(format!(
                            "steward aws setup --apply; or aws lakeformation update-lf-tag --tag-key {key} --tag-values-to-add {}",
                            missing.join(" ")
                        ))
                }
            }
            (Some(values), false) => {
                Check::new(id, Status::Ok, format!("LF-Tag {key} exists ({} values)", values.len()))
            }
            (None, true) => {
                let levels: Vec<String> = target.classifications.iter().map(|c| c.to_lowercase()).collect();
                Check::new(id, Status::Finding, format!("LF-Tag {key} does not exist"))
                    .why(
                        "in LF-Tag mode (aws.sharing = tags) Steward tags PII columns with their classification; \
                         a resource can only carry an existing key and value",
                        docs::TAGS,
                    )
                    .fix(format!(
                        "steward aws setup --apply; or aws lakeformation create-lf-tag --tag-key {key} --tag-values {}",
                        levels.join(" ")
                    ))
            }
            (None, false) => Check::new(
                id,
                Status::Note,
                format!("LF-Tag {key} does not exist yet; the first publish creates it with the product's value"),
            )
            .why("its values are product keys and domains, known only when a product is published", docs::TAGS),
        };
        checks.push(check.subject(key));
    }
}

#[cfg(test)]
mod tests;
