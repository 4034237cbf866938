//! The IAM policies `steward aws setup` cannot attach itself, as documents:
//! Steward's governance role, the role Lake Formation assumes for registered
//! locations, and the consumer account's `steward shares accept` role.
//!
//! Setup prints them and `docs/aws.md` quotes them, from these functions, so
//! the text operators paste is the text the tests check. Lake Formation's own
//! API actions take no resource-level permissions (`Resource: *`); what a
//! principal may do in the catalog is decided by Lake Formation grants.

use serde::Serialize;

use crate::AwsSettings;
use crate::glue::s3_arn_in;

/// An IAM policy document (`Version` 2012-10-17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyDocument {
    /// Always `2012-10-17`.
    #[serde(rename = "Version")]
    pub version: &'static str,
    /// The statements.
    #[serde(rename = "Statement")]
    pub statement: Vec<Statement>,
}

/// A service principal in a trust policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServicePrincipal {
    /// E.g. `lakeformation.amazonaws.com`.
    #[serde(rename = "Service")]
    pub service: Vec<String>,
}

/// One `Allow` statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// What it is for.
    #[serde(rename = "Sid")]
    pub sid: &'static str,
    /// Always `Allow`.
    #[serde(rename = "Effect")]
    pub effect: &'static str,
    /// For trust policies: who may assume the role.
    #[serde(rename = "Principal", skip_serializing_if = "Option::is_none")]
    pub principal: Option<ServicePrincipal>,
    /// The actions.
    #[serde(rename = "Action")]
    pub action: Vec<String>,
    /// The resources (absent in trust policies).
    #[serde(rename = "Resource", skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<String>,
}

fn allow(sid: &'static str, action: &[&str], resource: Vec<String>) -> Statement {
    Statement {
        sid,
        effect: "Allow",
        principal: None,
        action: action.iter().map(|a| (*a).to_owned()).collect(),
        resource,
    }
}

fn doc(statement: Vec<Statement>) -> PolicyDocument {
    PolicyDocument { version: "2012-10-17", statement }
}

/// A role's policies: what to attach and the inline policy to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RolePolicies {
    /// Which role this is and what it does.
    pub role: String,
    /// AWS managed policies to attach.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_policy_arns: Vec<String>,
    /// The inline (or customer-managed) policy.
    pub policy: PolicyDocument,
    /// The trust policy, for roles a service assumes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_policy: Option<PolicyDocument>,
}

/// The three roles' policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IamPolicies {
    /// Steward's governance role (the service's credentials).
    pub governance_role: RolePolicies,
    /// The role Lake Formation assumes to reach registered locations.
    pub registration_role: RolePolicies,
    /// The consumer account's role that runs `steward shares accept`.
    pub consumer_role: RolePolicies,
}

/// The ARN partition, region and account of `s`.
fn scope(s: &AwsSettings) -> (&'static str, &str, &str) {
    (crate::arn_partition(&s.region), &s.region, &s.governance_account_id)
}

/// `arn:aws:s3:::bucket/prefix` of each location, or a placeholder.
fn location_arns(partition: &str, locations: &[String]) -> Vec<String> {
    let arns: Vec<String> = locations.iter().filter_map(|l| s3_arn_in(partition, l).ok()).collect();
    if arns.is_empty() { vec![format!("arn:{partition}:s3:::BUCKET/PREFIX")] } else { arns }
}

fn buckets(arns: &[String]) -> Vec<String> {
    let mut out: Vec<String> = arns
        .iter()
        .map(|a| {
            let (head, path) = a.split_at(a.find(":::").map_or(0, |i| i + 3));
            format!("{head}{}", path.split('/').next().unwrap_or(path))
        })
        .collect();
    out.dedup();
    out
}

fn objects(arns: &[String]) -> Vec<String> {
    arns.iter().map(|a| format!("{a}/*")).collect()
}

/// Steward's governance role: Glue catalog writes, Lake Formation
/// administration and grants (with `GetDataAccess`), passing the
/// registration role, `_SUCCESS` markers under `locations`, SNS
/// notifications; plus the AWS managed `AWSLakeFormationCrossAccountManager`,
/// which lets Lake Formation make the RAM shares for its grants (LF guide,
/// "Cross-account data sharing prerequisites").
pub fn governance_role(s: &AwsSettings, locations: &[String]) -> RolePolicies {
    let (p, region, account) = scope(s);
    let glue = vec![
        format!("arn:{p}:glue:{region}:{account}:catalog"),
        format!("arn:{p}:glue:{region}:{account}:database/*"),
        format!("arn:{p}:glue:{region}:{account}:table/*/*"),
    ];
    let arns = location_arns(p, locations);
    let mut statement = vec![
        allow(
            "GlueCatalog",
            &[
                "glue:GetDatabase",
                "glue:GetDatabases",
                "glue:CreateDatabase",
                "glue:UpdateDatabase",
                "glue:GetTable",
                "glue:GetTables",
                "glue:CreateTable",
                "glue:UpdateTable",
                "glue:GetPartition",
                "glue:GetPartitions",
                "glue:BatchCreatePartition",
            ],
            glue,
        ),
        allow(
            "LakeFormation",
            &[
                "lakeformation:GetDataAccess",
                "lakeformation:GetDataLakeSettings",
                "lakeformation:PutDataLakeSettings",
                "lakeformation:RegisterResource",
                "lakeformation:DescribeResource",
                "lakeformation:ListResources",
                "lakeformation:GrantPermissions",
                "lakeformation:BatchGrantPermissions",
                "lakeformation:RevokePermissions",
                "lakeformation:BatchRevokePermissions",
                "lakeformation:ListPermissions",
                "lakeformation:CreateLFTag",
                "lakeformation:GetLFTag",
                "lakeformation:UpdateLFTag",
                "lakeformation:ListLFTags",
                "lakeformation:AddLFTagsToResource",
                "lakeformation:RemoveLFTagsFromResource",
                "lakeformation:GetResourceLFTags",
                "lakeformation:CreateLakeFormationOptIn",
                "lakeformation:DeleteLakeFormationOptIn",
                "lakeformation:ListLakeFormationOptIns",
            ],
            vec!["*".to_owned()],
        ),
    ];
    match &s.registration_role_arn {
        // RegisterResource with RoleArn passes the role to Lake Formation.
        Some(role) => statement.push(allow("PassRegistrationRole", &["iam:PassRole", "iam:GetRole"], vec![role.clone()])),
        // With the service-linked role, Lake Formation creates it and adds
        // each path to its inline policy as the caller (LF guide,
        // "Registering an Amazon S3 location").
        None => statement.push(allow(
            "ServiceLinkedRegistrationRole",
            &["iam:CreateServiceLinkedRole", "iam:GetRole", "iam:PutRolePolicy"],
            vec![format!(
                "arn:{p}:iam::{account}:role/aws-service-role/lakeformation.amazonaws.com/AWSServiceRoleForLakeFormationDataAccess"
            )],
        )),
    }
    statement.push(allow("Identity", &["sts:GetCallerIdentity"], vec!["*".to_owned()]));
    statement.push(allow("SuccessMarkers", &["s3:PutObject", "s3:GetObject"], objects(&arns)));
    statement.push(allow("Notifications", &["sns:Publish"], vec![format!("arn:{p}:sns:{region}:{account}:*")]));
    RolePolicies {
        role: "Steward's governance role: the credentials `steward serve` runs with; a data-lake administrator".into(),
        managed_policy_arns: vec![format!("arn:{p}:iam::aws:policy/AWSLakeFormationCrossAccountManager")],
        policy: doc(statement),
        trust_policy: None,
    }
}

/// The registration role (`aws.registration_role_arn`): read/write on the
/// registered prefixes, trusted by `lakeformation.amazonaws.com` (LF guide,
/// "Requirements for roles used to register locations").
pub fn registration_role(s: &AwsSettings, locations: &[String]) -> RolePolicies {
    let (p, _, _) = scope(s);
    let arns = location_arns(p, locations);
    let statement = vec![
        allow("ReadWriteRegisteredPrefixes", &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], objects(&arns)),
        allow("ListRegisteredBuckets", &["s3:ListBucket"], buckets(&arns)),
    ];
    let trust = Statement {
        sid: "LakeFormationAssumesRole",
        effect: "Allow",
        principal: Some(ServicePrincipal { service: vec!["lakeformation.amazonaws.com".into()] }),
        action: vec!["sts:AssumeRole".into()],
        resource: Vec::new(),
    };
    RolePolicies {
        role: format!(
            "the registration role ({}): Lake Formation assumes it to reach the registered locations",
            s.registration_role_arn.as_deref().unwrap_or("aws.registration_role_arn, not set: the service-linked role")
        ),
        managed_policy_arns: Vec::new(),
        policy: doc(statement),
        trust_policy: Some(doc(vec![trust])),
    }
}

/// The consumer account's role for `steward shares accept`: RAM
/// invitations (outside the Organization), Glue resource links, and the
/// Lake Formation grants to the roles that query.
pub fn consumer_role(s: &AwsSettings) -> RolePolicies {
    let (p, region, _) = scope(s);
    let statement = vec![
        allow(
            "RamInvitations",
            &[
                "ram:GetResourceShareInvitations",
                "ram:AcceptResourceShareInvitation",
                "ram:ListPendingInvitationResources",
                "ram:ListResources",
            ],
            vec!["*".to_owned()],
        ),
        allow(
            "ResourceLinks",
            // GetTable(s): granting on a shared table by name (`--grant-to`) reads it.
            &["glue:CreateDatabase", "glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables"],
            vec![
                format!("arn:{p}:glue:{region}:*:catalog"),
                format!("arn:{p}:glue:{region}:*:database/*"),
                format!("arn:{p}:glue:{region}:*:table/*/*"),
            ],
        ),
        allow(
            "GrantToQueryRoles",
            &["lakeformation:GrantPermissions", "lakeformation:ListPermissions"],
            vec!["*".to_owned()],
        ),
    ];
    RolePolicies {
        role: "the consumer's `steward shares accept` role (in the consumer account; its data-lake administrator)"
            .into(),
        managed_policy_arns: Vec::new(),
        policy: doc(statement),
        trust_policy: None,
    }
}

/// All three, for `locations` (placeholders when none are given).
pub fn iam_policies(s: &AwsSettings, locations: &[String]) -> IamPolicies {
    IamPolicies {
        governance_role: governance_role(s, locations),
        registration_role: registration_role(s, locations),
        consumer_role: consumer_role(s),
    }
}
