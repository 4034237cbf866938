//! SNS publishing and `_SUCCESS` markers (local directory and moto's S3).

use object_store::ObjectStoreExt;
use steward_aws::testing::proxy::RecordingProxy;
use steward_aws::testing::{ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, account, config_for, moto, unique};
use steward_aws::{Markers, SnsPublisher};

#[tokio::test]
async fn sns_publish_returns_the_message_id() {
    let Some(moto) = moto().await else { return };
    let cfg = moto.config(&account()).await;
    let sns = aws_sdk_sns::Client::new(&cfg);
    let topic = sns.create_topic().name(unique("steward-events-")).send().await.unwrap();
    let topic_arn = topic.topic_arn().unwrap();

    let publisher = SnsPublisher::new(&cfg);
    let long_subject = "x".repeat(300);
    let id =
        publisher.publish(topic_arn, &long_subject, r#"{"event":"refreshed","product":"sales.orders"}"#).await.unwrap();
    assert!(!id.is_empty());
    let id2 = publisher.publish(topic_arn, "sales.orders refreshed", "second").await.unwrap();
    assert_ne!(id, id2);

    let missing = format!("arn:aws:sns:{REGION}:{}:no-such-topic", account());
    let err = publisher.publish(&missing, "s", "m").await.unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    assert!(err.code().is_some(), "{err}");
}

/// SNS Publish API reference: "MessageGroupId ... is required for FIFO topics";
/// moto enforces it too ("The request must contain the parameter MessageGroupId").
#[tokio::test]
async fn sns_fifo_topics_get_group_and_deduplication_ids() {
    let Some(moto) = moto().await else { return };
    let cfg = moto.config(&account()).await;
    let sns = aws_sdk_sns::Client::new(&cfg);
    let topic = sns
        .create_topic()
        .name(format!("{}.fifo", unique("steward-events-")))
        .attributes("FifoTopic", "true")
        .send()
        .await
        .unwrap();
    let topic_arn = topic.topic_arn().unwrap();
    let publisher = SnsPublisher::new(&cfg);
    let id = publisher.publish_event(topic_arn, &"s".repeat(150), "refreshed", "event-1").await.unwrap();
    assert!(!id.is_empty());
    // Without an event id (the older entry point) FIFO publishing works too.
    assert!(!publisher.publish(topic_arn, "subject", "message").await.unwrap().is_empty());

    // What went on the wire (SNS is a query-protocol service: form fields).
    let proxy = RecordingProxy::start(moto.url()).await;
    let via = SnsPublisher::new(&config_for(proxy.url(), &account()).await);
    via.publish_event(topic_arn, &"s".repeat(150), "refreshed", "event-2").await.unwrap_or_default();
    let calls = proxy.calls_to("sns", "Publish");
    assert_eq!(calls.len(), 1);
    let body = &calls[0].body;
    assert!(body.contains("MessageGroupId=steward"), "{body}");
    assert!(body.contains("MessageDeduplicationId=event-2"), "{body}");
    assert!(
        body.contains(&format!("Subject={}&", "s".repeat(99)))
            || body.ends_with(&format!("Subject={}", "s".repeat(99))),
        "{body}"
    );
    // An injected SNS error arrives as the query protocol's XML error.
    proxy.fail("sns", "Publish", 1, 400, "InvalidParameter", "Invalid parameter: MessageGroupId");
    let err = via.publish_event(topic_arn, "s", "m", "event-3").await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidParameter"), "{err}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn local_markers_are_files_under_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let markers = Markers::local(dir.path().join("signals"));
    assert!(!markers.exists("s3://lake/sales/orders/dt=2026-11-22/").await.unwrap());
    let uri = markers.put_success("s3://lake/sales/orders/dt=2026-11-22/").await.unwrap();
    assert_eq!(uri, "s3://lake/sales/orders/dt=2026-11-22/_SUCCESS");
    let file = dir.path().join("signals/lake/sales/orders/dt=2026-11-22/_SUCCESS");
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 0);
    assert!(markers.exists("s3://lake/sales/orders/dt=2026-11-22").await.unwrap());
    assert!(!markers.exists("s3://lake/sales/orders/dt=2026-11-23/").await.unwrap());
    // Writing twice is harmless.
    assert_eq!(markers.put_success("s3://lake/sales/orders/dt=2026-11-22").await.unwrap(), uri);
    // Nothing escapes the root.
    assert!(markers.put_success("s3://lake/a/../../../etc").await.is_err());
    assert!(markers.put_success("file:///etc").await.is_err());
}

#[tokio::test]
async fn s3_markers_in_moto() {
    let Some(moto) = moto().await else { return };
    let bucket = unique("steward-lake-");
    // The bucket is the producer's; create it with a plain S3 request.
    let s3 = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(&bucket)
        .with_region(REGION)
        .with_endpoint(moto.url())
        .with_allow_http(true)
        .with_access_key_id(ACCESS_KEY_ID)
        .with_secret_access_key(SECRET_ACCESS_KEY)
        .build()
        .unwrap();
    create_bucket(moto.url(), &bucket).await;

    let markers = moto.markers();
    let location = format!("s3://{bucket}/sales/orders/dt=2026-11-22/");
    assert!(!markers.exists(&location).await.unwrap());
    let uri = markers.put_success(&location).await.unwrap();
    assert_eq!(uri, format!("s3://{bucket}/sales/orders/dt=2026-11-22/_SUCCESS"));
    assert!(markers.exists(&location).await.unwrap());

    let head = s3.head(&"sales/orders/dt=2026-11-22/_SUCCESS".into()).await.unwrap();
    assert_eq!(head.size, 0);
}

/// `PUT /<bucket>` to moto (path style), over a raw connection.
async fn create_bucket(url: &str, bucket: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let authority = url.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(authority).await.unwrap();
    let req = format!("PUT /{bucket} HTTP/1.0\r\nHost: {authority}\r\nContent-Length: 0\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"), "{answer}");
}
