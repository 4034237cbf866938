//! SNS notifications: the catalog's notifier fans product events out to SNS
//! topics as well as webhooks and mail.
//!
//! FIFO topics (ARN ending in `.fifo`) require a `MessageGroupId` and, unless
//! the topic has content-based deduplication, a `MessageDeduplicationId`
//! (SNS `Publish` API reference). Steward uses one group per topic
//! ([`FIFO_GROUP`], so subscribers see a topic's events in publish order) and
//! the event id as deduplication id, so that an outbox retry of the same event
//! within SNS's 5-minute deduplication window is delivered once.

use crate::error::AwsError;

/// The `MessageGroupId` of every message Steward publishes to a FIFO topic.
pub const FIFO_GROUP: &str = "steward";

/// SNS subjects must be "less than 100 characters" (Publish API reference).
const SUBJECT_MAX: usize = 99;

/// Publishes messages to SNS topics.
#[derive(Debug, Clone)]
pub struct SnsPublisher {
    sns: aws_sdk_sns::Client,
}

/// Is `topic_arn` a FIFO topic?
pub fn is_fifo(topic_arn: &str) -> bool {
    topic_arn.ends_with(".fifo")
}

impl SnsPublisher {
    /// A publisher for the account and region of `cfg`.
    pub fn new(cfg: &aws_config::SdkConfig) -> Self {
        SnsPublisher { sns: aws_sdk_sns::Client::new(cfg) }
    }

    /// Publishes `message` with `subject` (cut below SNS's 100 characters) and
    /// returns the SNS message id. On a FIFO topic the deduplication id is a
    /// digest of subject and message; prefer [`SnsPublisher::publish_event`].
    pub async fn publish(&self, topic_arn: &str, subject: &str, message: &str) -> Result<String, AwsError> {
        let digest = digest(&[subject, message]);
        self.publish_event(topic_arn, subject, message, &digest).await
    }

    /// Like [`SnsPublisher::publish`], with `event_id` as the FIFO
    /// `MessageDeduplicationId` (ignored on standard topics).
    pub async fn publish_event(
        &self,
        topic_arn: &str,
        subject: &str,
        message: &str,
        event_id: &str,
    ) -> Result<String, AwsError> {
        let subject: String =
            subject.chars().filter(|c| !c.is_control()).take(SUBJECT_MAX).collect::<String>().trim().to_owned();
        let fifo = is_fifo(topic_arn);
        // MessageDeduplicationId: at most 128 characters.
        let dedup: String = event_id.chars().take(128).collect();
        let out = self
            .sns
            .publish()
            .topic_arn(topic_arn)
            .set_subject(Some(subject).filter(|s| !s.is_empty()))
            .message(message)
            .set_message_group_id(fifo.then(|| FIFO_GROUP.to_owned()))
            .set_message_deduplication_id(fifo.then_some(dedup))
            .send()
            .await
            .map_err(|e| AwsError::sdk("sns", "Publish", e))?;
        out.message_id()
            .map(str::to_owned)
            .ok_or_else(|| AwsError::Invalid("SNS Publish answered without a message id".into()))
    }
}

/// A stable hex digest (FNV-1a, 64 bit) of `parts`.
fn digest(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_and_digest() {
        assert!(is_fifo("arn:aws:sns:eu-west-1:123456789012:events.fifo"));
        assert!(!is_fifo("arn:aws:sns:eu-west-1:123456789012:events"));
        assert_eq!(digest(&["a", "b"]), digest(&["a", "b"]));
        assert_ne!(digest(&["a", "b"]), digest(&["ab", ""]));
    }
}
