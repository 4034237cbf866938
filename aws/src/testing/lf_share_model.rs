//! What Lake Formation does with RAM when it grants to another account, played
//! against the [`RamFake`] (moto's Lake Formation stores the grant but makes
//! no RAM share, and moto's RAM has no invitations).
//!
//! The model, from the Lake Formation developer guide:
//!
//! * A grant on a Data Catalog resource to an external account *is* the share:
//!   "When you use the named resource method to grant Lake Formation
//!   permissions on a Data Catalog resource to an external account, Lake
//!   Formation uses AWS RAM to share the resource"
//!   (https://docs.aws.amazon.com/lake-formation/latest/dg/cross-account-permissions.html,
//!   https://docs.aws.amazon.com/lake-formation/latest/dg/sharing-catalog-resources.html).
//!   The share is Lake Formation's, owned by the granting account and named
//!   `LakeFormation-…` (the managed policy `AWSLakeFormationCrossAccountManager`
//!   lets the grantor manage only `LakeFormation*` shares). From
//!   cross-account version 2 on, grants to the same account are mapped to
//!   one share, so a later grant *extends* the share instead of making a new
//!   one (https://docs.aws.amazon.com/lake-formation/latest/dg/optimize-ram.html).
//! * A consumer in the grantor's AWS Organization (with RAM sharing with
//!   Organizations enabled) gets the resources at once, without an
//!   invitation; any other account gets a RAM invitation its data-lake
//!   administrator must accept
//!   (https://docs.aws.amazon.com/lake-formation/latest/dg/viewing-shared-resources.html,
//!   https://docs.aws.amazon.com/lake-formation/latest/dg/cross-account-read-data.html).
//!
//! A test plays "Lake Formation granted resources R of account G to account C"
//! with [`LakeFormationRam::grant`] after making the real grant against moto.

use aws_config::SdkConfig;
use rand::Rng;

use super::ram_fake::RamFake;

/// The name prefix of the RAM shares Lake Formation makes (cross-account version 3).
pub const SHARE_PREFIX: &str = "LakeFormation-V3-";

/// Lake Formation's use of RAM, on a [`RamFake`], in one region.
#[derive(Debug, Clone, Copy)]
pub struct LakeFormationRam<'a> {
    fake: &'a RamFake,
    region: &'a str,
}

/// The RAM side of one cross-account grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LfShare {
    /// The `LakeFormation-V3-…` share holding the resources.
    pub share_arn: String,
    /// Its name.
    pub share_name: String,
    /// Was the share made by this grant (or extended)?
    pub created: bool,
    /// The invitation sent to the consumer: `None` inside the organization,
    /// and when the consumer was already a principal of the share.
    pub invitation_arn: Option<String>,
}

impl<'a> LakeFormationRam<'a> {
    /// Lake Formation in `region` (e.g. [`super::REGION`]) sharing through `fake`.
    pub fn new(fake: &'a RamFake, region: &'a str) -> Self {
        LakeFormationRam { fake, region }
    }

    /// Lake Formation in `governance` granted `resources` (Glue ARNs of
    /// `governance`) to `consumer`: creates or extends `governance`'s
    /// `LakeFormation-V3-…` share with `consumer` and the resources. Whether
    /// `consumer` gets an invitation follows [`RamFake::set_organization`].
    pub fn grant(&self, governance: &str, consumer: &str, resources: &[String]) -> LfShare {
        let suffix: u64 = rand::rng().random();
        let name = format!("{SHARE_PREFIX}{suffix:016X}");
        let u = self.fake.upsert_share(governance, self.region, SHARE_PREFIX, &name, consumer, resources);
        LfShare { share_arn: u.share_arn, share_name: u.share_name, created: u.created, invitation_arn: u.invitation }
    }

    /// `arn:aws:glue:{region}:{account}:database/{database}`.
    pub fn database_arn(&self, account: &str, database: &str) -> String {
        format!("arn:aws:glue:{}:{account}:database/{database}", self.region)
    }

    /// `arn:aws:glue:{region}:{account}:table/{database}/{table}`.
    pub fn table_arn(&self, account: &str, database: &str, table: &str) -> String {
        format!("arn:aws:glue:{}:{account}:table/{database}/{table}", self.region)
    }
}

/// An SDK config acting as `account` against `endpoint` (moto, or a
/// [`super::proxy::RecordingProxy`] in front of it) with RAM calls going to
/// `ram_url` (a [`RamFake`]): [`super::Moto::config_with_ram`] for any endpoint.
pub async fn config_with_ram_at(endpoint: &str, account: &str, ram_url: &str) -> SdkConfig {
    let mut b =
        super::config_for(endpoint, account).await.to_builder().service_config(super::RamEndpoint(ram_url.to_owned()));
    b.insert_origin("endpoint_url", aws_types::origin::Origin::unknown());
    b.build()
}
