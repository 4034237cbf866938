//! The consumer side of a share: accept the RAM invitations the governance
//! account sent, then make each shared database usable by creating a Glue
//! resource link (a database in the consumer's catalog whose `TargetDatabase`
//! points at the governance catalog). Query engines in the consumer account
//! see shared tables only through such links.
//!
//! [`ConsumerShares::accept`] is idempotent: already accepted invitations from
//! the governance account are processed again, and links that exist and point
//! at the right database are kept.

use std::collections::BTreeSet;

use aws_sdk_glue::types::{DatabaseIdentifier, DatabaseInput};
use aws_sdk_ram::types::{ResourceOwner, ResourceShareInvitationStatus};
use serde::{Deserialize, Serialize};

use crate::error::AwsError;

/// A share the consumer accepted, and the resource links made for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedShare {
    /// ARN of the RAM resource share.
    pub share_arn: String,
    /// Shared databases (names in the governance catalog).
    pub databases: Vec<String>,
    /// Resource links in the consumer's catalog, one per database (same names).
    pub resource_links: Vec<String>,
}

/// RAM invitations and Glue resource links of a consumer account.
#[derive(Debug, Clone)]
pub struct ConsumerShares {
    ram: aws_sdk_ram::Client,
    glue: aws_sdk_glue::Client,
    account: String,
}

impl ConsumerShares {
    /// The consumer `consumer_account` (the account of `cfg`'s credentials).
    pub fn new(cfg: &aws_config::SdkConfig, consumer_account: &str) -> Self {
        ConsumerShares {
            ram: aws_sdk_ram::Client::new(cfg),
            glue: aws_sdk_glue::Client::new(cfg),
            account: consumer_account.to_owned(),
        }
    }

    /// Accepts pending invitations from `governance_account` and creates a
    /// resource link for every database of every share it sent. Shares
    /// accepted earlier are reported (and their links checked) again while they
    /// still hold resources; deleted ones are left out.
    pub async fn accept(&self, governance_account: &str) -> Result<Vec<AcceptedShare>, AwsError> {
        let mut shares = Vec::new();
        for inv in self.invitations(governance_account).await? {
            if inv.pending {
                self.ram
                    .accept_resource_share_invitation()
                    .resource_share_invitation_arn(&inv.invitation_arn)
                    .send()
                    .await
                    .map_err(|e| AwsError::sdk("ram", "AcceptResourceShareInvitation", e))?;
                tracing::info!(share = %inv.share_arn, consumer = %self.account, "accepted RAM invitation");
            }
            if shares.iter().any(|s: &AcceptedShare| s.share_arn == inv.share_arn) {
                continue;
            }
            let databases = self.shared_databases(&inv.share_arn, governance_account).await?;
            if databases.is_empty() && !inv.pending {
                // Accepted earlier, since deleted or emptied by its owner: nothing to link.
                continue;
            }
            let mut resource_links = Vec::new();
            for db in &databases {
                resource_links.push(self.link(governance_account, db).await?);
            }
            shares.push(AcceptedShare { share_arn: inv.share_arn, databases, resource_links });
        }
        Ok(shares)
    }

    /// Pending and accepted invitations sent by `sender` to this account.
    async fn invitations(&self, sender: &str) -> Result<Vec<Invitation>, AwsError> {
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
                let pending = matches!(i.status(), Some(ResourceShareInvitationStatus::Pending));
                let accepted = matches!(i.status(), Some(ResourceShareInvitationStatus::Accepted));
                if i.sender_account_id() != Some(sender) || !(pending || accepted) {
                    continue;
                }
                if let (Some(invitation_arn), Some(share_arn)) =
                    (i.resource_share_invitation_arn(), i.resource_share_arn())
                {
                    out.push(Invitation {
                        invitation_arn: invitation_arn.to_owned(),
                        share_arn: share_arn.to_owned(),
                        pending,
                    });
                }
            }
            token = page.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    /// Databases of `share_arn` owned by `owner`: shared databases, and the
    /// databases of shared tables.
    async fn shared_databases(&self, share_arn: &str, owner: &str) -> Result<Vec<String>, AwsError> {
        let mut dbs = BTreeSet::new();
        let mut token = None;
        loop {
            let page = self
                .ram
                .list_resources()
                .resource_owner(ResourceOwner::OtherAccounts)
                .resource_share_arns(share_arn)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::sdk("ram", "ListResources", e))?;
            for r in page.resources() {
                if let Some(db) = r.arn().and_then(|arn| glue_database_of(arn, owner)) {
                    dbs.insert(db);
                }
            }
            token = page.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
            if token.is_none() {
                return Ok(dbs.into_iter().collect());
            }
        }
    }

    /// Creates (or checks) the resource link `database` -> `owner`'s `database`.
    async fn link(&self, owner: &str, database: &str) -> Result<String, AwsError> {
        let target = DatabaseIdentifier::builder().catalog_id(owner).database_name(database).build();
        let input = DatabaseInput::builder()
            .name(database)
            .target_database(target)
            .build()
            .map_err(|e| AwsError::Invalid(e.to_string()))?;
        let created = self.glue.create_database().database_input(input).send().await;
        match created.map_err(|e| AwsError::sdk("glue", "CreateDatabase", e)) {
            Ok(_) => {
                tracing::info!(database, owner, consumer = %self.account, "created Glue resource link");
                Ok(database.to_owned())
            }
            Err(e) if e.code() == Some("AlreadyExistsException") => {
                let existing = self
                    .glue
                    .get_database()
                    .name(database)
                    .send()
                    .await
                    .map_err(|e| AwsError::sdk("glue", "GetDatabase", e))?;
                let t = existing.database().and_then(|d| d.target_database());
                if t.and_then(|t| t.catalog_id()) == Some(owner) && t.and_then(|t| t.database_name()) == Some(database)
                {
                    Ok(database.to_owned())
                } else {
                    Err(AwsError::Conflict(format!(
                        "database {database} exists in account {} and is not a link to {owner}'s {database}",
                        self.account
                    )))
                }
            }
            Err(e) => Err(e),
        }
    }
}

struct Invitation {
    invitation_arn: String,
    share_arn: String,
    pending: bool,
}

/// The database named by a Glue database or table ARN of `owner`.
fn glue_database_of(arn: &str, owner: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (_, _, service, _, account, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if service != "glue" || account != owner {
        return None;
    }
    let rest = resource.strip_prefix("database/").or_else(|| resource.strip_prefix("table/"))?;
    let db = rest.split('/').next()?;
    (!db.is_empty()).then(|| db.to_owned())
}

#[cfg(test)]
mod tests {
    use super::glue_database_of;

    #[test]
    fn databases_from_arns() {
        let gov = "123456789012";
        assert_eq!(
            glue_database_of("arn:aws:glue:eu-west-1:123456789012:database/sales", gov).as_deref(),
            Some("sales")
        );
        assert_eq!(
            glue_database_of("arn:aws:glue:eu-west-1:123456789012:table/sales/orders", gov).as_deref(),
            Some("sales")
        );
        assert_eq!(glue_database_of("arn:aws:glue:eu-west-1:999999999999:database/sales", gov), None);
        assert_eq!(glue_database_of("arn:aws:s3:::bucket", gov), None);
    }
}
