//! The AWS backends of Steward: Glue Data Catalog, Lake Formation (location
//! registration and the cross-account grants, which make Lake Formation
//! create its own RAM shares), RAM on the consumer side only, SNS and S3
//! `_SUCCESS` markers.
//!
//! Every AWS SDK dependency of the workspace lives in this crate so that the
//! rest of the workspace does not rebuild (or even compile) the SDKs; the
//! catalog service talks to AWS only through the types exported here. Its
//! outbox jobs carry ids, not these specs: when a job runs, the worker re-reads
//! the current product or grant and builds the spec ([`DatabaseSpec`],
//! [`ShareGrant`], ...) afresh, and a job may run more than once (a worker that
//! dies after the call but before marking the job done runs it again). Hence
//! every write is idempotent: repeating a call after a crash or a retry
//! converges on the same state and does not fail.
//!
//! Errors are one [`AwsError`] type whose [`AwsError::is_retryable`] tells the
//! outbox whether to try again later.

mod account;
mod consumer;
mod error;
mod glue;
mod markers;
mod partitions;
mod retry;
mod shares;
mod sns;
mod specs;
pub mod tags;

#[cfg(feature = "testing")]
pub mod testing;

pub use account::{
    AccountState, Caller, Check, DoctorReport, LakeFormationAccount, Registered, Status, Target, diagnose, docs,
    iam_principal, policies, setup,
};
pub use consumer::{
    AcceptOptions, AcceptReport, ConsumerShares, InvitationOutcome, LAKE_FORMATION_SHARE_PREFIX, ResourceLink,
    RoleGrant, default_link_prefix,
};
pub use error::{AwsError, TransportKind};
pub use glue::GlueCatalog;
pub use markers::Markers;
pub use retry::Backoff;
pub use shares::{LfPermission, ShareArn, ShareGrant, ShareReceipt, ShareState, Shares};
pub use sns::{FIFO_GROUP, SnsPublisher};
pub use specs::{ColumnSpec, DatabaseSpec, PartitionReport, PartitionSpec, TableSpec};

/// Where and as whom Steward talks to AWS.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
// A misspelt key (`sharng: tags`) is refused, not silently ignored.
#[serde(deny_unknown_fields)]
pub struct AwsSettings {
    /// The region of the governance catalog, e.g. `eu-west-1`.
    pub region: String,
    /// An endpoint override for every service (moto, LocalStack); `None` on real AWS.
    pub endpoint_url: Option<String>,
    /// The account that owns the governance Glue catalog and the shares.
    pub governance_account_id: String,
    /// The IAM role Lake Formation assumes to read registered locations
    /// (`RegisterResource.RoleArn`); `None` (the default) uses Lake
    /// Formation's service-linked role. A custom role is needed for buckets in
    /// other accounts, `aws/s3`-KMS buckets and EMR (Lake Formation guide,
    /// "Requirements for roles used to register locations").
    #[serde(default)]
    pub registration_role_arn: Option<String>,
    /// How approved access becomes Lake Formation permissions: `named`
    /// (the default) grants on the database and each table; `tags` tags what
    /// Steward publishes with LF-Tags and grants one LF-Tag expression per
    /// product, so tables a later version adds are shared without a new grant.
    #[serde(default)]
    pub sharing: SharingMode,
    /// Register locations in hybrid access mode (`HybridAccessEnabled`) and
    /// opt in the principals Steward grants to (`CreateLakeFormationOptIn`),
    /// so IAM-only users of the same data keep working. Needs cross-account
    /// version 4 or later (LF guide, "Hybrid access mode").
    #[serde(default)]
    pub hybrid_access: bool,
    /// Consumer IAM role ARNs to grant to instead of the account, by consumer
    /// account id (cross-account version 3 and later). Those roles then need
    /// no re-grant by the consumer's data-lake admin, but need
    /// `CREATE_DATABASE` in their own catalog to make resource links.
    #[serde(default)]
    pub consumer_roles: std::collections::BTreeMap<String, Vec<String>>,
}

/// How approved access is granted in Lake Formation (`aws.sharing`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SharingMode {
    /// Named resources: DESCRIBE on the database, SELECT and DESCRIBE on each table.
    #[default]
    Named,
    /// LF-Tag-based access control: one tag expression (`product = <key>`) per grant.
    Tags,
}

impl SharingMode {
    /// The word used in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            SharingMode::Named => "named",
            SharingMode::Tags => "tags",
        }
    }
}

/// An SDK configuration for `s`: the default credential chain (environment,
/// profile, web identity, container and instance metadata), the region of `s`,
/// and the endpoint override when one is set.
pub async fn sdk_config(s: &AwsSettings) -> aws_config::SdkConfig {
    let mut loader =
        aws_config::defaults(aws_config::BehaviorVersion::latest()).region(aws_config::Region::new(s.region.clone()));
    if let Some(url) = &s.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// The ARN partition of `region`: `aws-cn` for `cn-*`, `aws-us-gov` for
/// `us-gov-*`, else `aws` (AWS General Reference, "Amazon Resource Names").
pub fn arn_partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The region of `cfg`, which the ARNs Steward builds need.
pub(crate) fn region_of(cfg: &aws_config::SdkConfig) -> String {
    cfg.region().map_or_else(|| "us-east-1".to_owned(), |r| r.as_ref().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sdk_config_takes_region_and_endpoint() {
        let s = AwsSettings {
            region: "eu-central-1".into(),
            endpoint_url: Some("http://127.0.0.1:5000".into()),
            governance_account_id: "123456789012".into(),
            registration_role_arn: None,
            sharing: SharingMode::Named,
            hybrid_access: false,
            consumer_roles: Default::default(),
        };
        let cfg = sdk_config(&s).await;
        assert_eq!(cfg.region().map(|r| r.as_ref()), Some("eu-central-1"));
        assert_eq!(cfg.endpoint_url(), Some("http://127.0.0.1:5000"));
        assert_eq!(region_of(&cfg), "eu-central-1");
        let real = sdk_config(&AwsSettings { endpoint_url: None, ..s }).await;
        assert_eq!(real.endpoint_url(), None);
    }

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(arn_partition("eu-west-1"), "aws");
        assert_eq!(arn_partition("cn-north-1"), "aws-cn");
        assert_eq!(arn_partition("us-gov-west-1"), "aws-us-gov");
    }

    #[test]
    fn settings_without_a_registration_role_still_read() {
        let s: AwsSettings =
            serde_json::from_str(r#"{"region":"eu-west-1","endpoint_url":null,"governance_account_id":"1"}"#).unwrap();
        assert_eq!(s.registration_role_arn, None);
        assert_eq!((s.sharing, s.hybrid_access), (SharingMode::Named, false));
    }

    #[test]
    fn sharing_modes_read_and_refuse_unknown_words() {
        let tags: AwsSettings = serde_json::from_str(
            r#"{"region":"eu-west-1","endpoint_url":null,"governance_account_id":"1","sharing":"tags"}"#,
        )
        .unwrap();
        assert_eq!(tags.sharing, SharingMode::Tags);
        let e = serde_json::from_str::<AwsSettings>(
            r#"{"region":"eu-west-1","endpoint_url":null,"governance_account_id":"1","sharing":"ram"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("named") && e.contains("tags"), "{e}");
        let typo = serde_json::from_str::<AwsSettings>(
            r#"{"region":"eu-west-1","endpoint_url":null,"governance_account_id":"1","sharng":"tags"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(typo.contains("sharng"), "{typo}");
    }
}
