//! SNS notifications: the catalog's notifier fans product events out to SNS
//! topics as well as webhooks and mail.

use crate::error::AwsError;

/// Publishes messages to SNS topics.
#[derive(Debug, Clone)]
pub struct SnsPublisher {
    sns: aws_sdk_sns::Client,
}

impl SnsPublisher {
    /// A publisher for the account and region of `cfg`.
    pub fn new(cfg: &aws_config::SdkConfig) -> Self {
        SnsPublisher { sns: aws_sdk_sns::Client::new(cfg) }
    }

    /// Publishes `message` with `subject` (cut to SNS's 100 characters) and
    /// returns the SNS message id.
    pub async fn publish(&self, topic_arn: &str, subject: &str, message: &str) -> Result<String, AwsError> {
        let subject: String =
            subject.chars().filter(|c| !c.is_control()).take(100).collect::<String>().trim().to_owned();
        let out = self
            .sns
            .publish()
            .topic_arn(topic_arn)
            .set_subject(Some(subject).filter(|s| !s.is_empty()))
            .message(message)
            .send()
            .await
            .map_err(|e| AwsError::sdk("sns", "Publish", e))?;
        out.message_id()
            .map(str::to_owned)
            .ok_or_else(|| AwsError::Invalid("SNS Publish answered without a message id".into()))
    }
}
