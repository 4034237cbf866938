//! Email through a real SMTP server (aiosmtpd on loopback).

use std::time::Duration;

use steward_notify::testing::SmtpSink;
use steward_notify::{Email, Mailer, NotifyError, SmtpSettings};

#[tokio::test]
async fn mail_reaches_the_smtp_server() {
    let Some(sink) = SmtpSink::start() else { return };
    let mailer = Mailer::new(&sink.settings()).unwrap();
    let mail = Email {
        to: vec!["alice@example.test".into(), "Bob <bob@example.test>".into()],
        subject: "sales.orders refreshed".into(),
        text: "The data product sales.orders was refreshed.\nPartition: 2026-11-22".into(),
    };
    mailer.send(&mail).await.unwrap();

    let received = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(received.len(), 1, "{received:?}");
    let got = &received[0];
    assert_eq!(got.rcpt_to, vec!["alice@example.test", "bob@example.test"]);
    assert!(got.to.contains("alice@example.test") && got.to.contains("bob@example.test"), "{}", got.to);
    assert_eq!(got.mail_from, "steward@example.test");
    assert_eq!(got.subject, "sales.orders refreshed");
    assert_eq!(got.text, "The data product sales.orders was refreshed.\nPartition: 2026-11-22");
}

#[tokio::test]
async fn non_ascii_and_long_lines_survive() {
    let Some(sink) = SmtpSink::start() else { return };
    let mailer = Mailer::new(&sink.settings()).unwrap();
    let text = format!("Freshness SLO breached for «ventes.commandes» — {}", "x".repeat(1200));
    let subject = "SLO alert: ventes.commandes — fraîcheur".to_owned();
    mailer
        .send(&Email { to: vec!["ops@example.test".into()], subject: subject.clone(), text: text.clone() })
        .await
        .unwrap();
    // A second mail over the same pooled transport.
    mailer
        .send(&Email { to: vec!["ops@example.test".into()], subject: "second".into(), text: "two".into() })
        .await
        .unwrap();

    let received = sink.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(received.len(), 2, "{received:?}");
    let first = received.iter().find(|m| m.subject == subject).expect("the first mail");
    assert_eq!(first.text, text);
    assert!(received.iter().any(|m| m.subject == "second" && m.text == "two"));
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let settings = SmtpSettings { host: "127.0.0.1".into(), port, timeout_secs: 5, ..SmtpSettings::default() };
    let mailer = Mailer::new(&settings).unwrap();
    let err = mailer
        .send(&Email { to: vec!["a@example.test".into()], subject: "s".into(), text: "t".into() })
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(matches!(err, NotifyError::Connect { .. }), "{err:?}");
}

#[tokio::test]
async fn header_injection_in_the_subject_adds_no_recipient() {
    let Some(sink) = SmtpSink::start() else { return };
    let mailer = Mailer::new(&sink.settings()).unwrap();
    let subject = "refreshed\r\nBcc: mallory@example.test\r\nX-Evil: 1".to_owned();
    mailer.send(&Email { to: vec!["alice@example.test".into()], subject, text: "body".into() }).await.unwrap();
    let received = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_to, vec!["alice@example.test"]);
    assert!(received[0].subject.starts_with("refreshed"), "{}", received[0].subject);
    assert!(!received[0].to.contains("mallory"));
}

#[tokio::test]
async fn smtp_rejections_are_classified() {
    let Some(sink) = SmtpSink::start() else { return };
    let mailer = Mailer::new(&sink.settings()).unwrap();
    let mail = |to: &str| Email { to: vec![to.to_owned()], subject: "s".into(), text: "t".into() };

    let err = mailer.send(&mail("reject-me@example.test")).await.unwrap_err();
    assert!(matches!(err, NotifyError::Smtp { .. }), "{err:?}");
    assert!(!err.is_retryable(), "550 must be permanent: {err}");

    let err = mailer.send(&mail("defer-me@example.test")).await.unwrap_err();
    assert!(matches!(err, NotifyError::Smtp { .. }), "{err:?}");
    assert!(err.is_retryable(), "451 must be retryable: {err}");

    // The pooled session is still usable afterwards.
    mailer.send(&mail("ok@example.test")).await.unwrap();
    let received = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].rcpt_to, vec!["ok@example.test"]);
}
