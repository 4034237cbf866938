//! Email over SMTP with lettre, or into memory for tests.
//!
//! One [`Mailer`] holds a pooled async transport, so deliveries from many outbox tasks
//! reuse SMTP sessions. Credentials are refused on a plaintext connection (`tls: none`)
//! because they would cross the network in clear; a local relay without authentication
//! is the intended use of `none`.
//!
//! [`Mailer::memory`] gives a mailer that keeps every mail it accepts in a [`MailLog`]
//! instead of talking SMTP (as crates.io's in-memory `Emails` does), so tests of the
//! code that sends mail need no SMTP server:
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use steward_notify::{Email, Mailer};
//!
//! let (mailer, log) = Mailer::memory();
//! let mail = Email { to: vec!["ops@example.test".into()], subject: "hi".into(), text: "body".into() };
//! mailer.send(&mail).await.unwrap();
//! assert_eq!(log.mails(), vec![mail]);
//! # });
//! ```
//!
//! The in-memory mailer checks the mail exactly as the SMTP one does before sending
//! (recipients, addresses), so a malformed address fails the same way; it is compiled
//! in every build because it costs nothing and needs no dependency.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::error::NotifyError;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plaintext (a relay on the same host or network); no credentials allowed.
    #[default]
    None,
    /// Plaintext connect, then a required STARTTLS upgrade (usually port 587).
    Starttls,
    /// TLS from the first byte, "SMTPS" (usually port 465).
    Tls,
}

/// SMTP settings (config section `smtp`; no section, no mail channel).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// Sender address, e.g. `Steward <steward@example.com>`.
    pub from: String,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Timeout for each SMTP command, in seconds.
    pub timeout_secs: u64,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        SmtpSettings {
            host: "localhost".into(),
            port: 25,
            from: "steward@localhost".into(),
            tls: SmtpTls::None,
            username: None,
            password: None,
            timeout_secs: 10,
        }
    }
}

/// A plain-text mail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Email {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
}

/// Sends [`Email`]s through the configured relay, or records them ([`Mailer::memory`]).
/// Clones share the connection pool (or the log).
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, relay: String },
    Memory(MailLog),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let relay = match &self.transport {
            Transport::Smtp { relay, .. } => relay.as_str(),
            Transport::Memory(_) => "(memory)",
        };
        f.debug_struct("Mailer").field("relay", &relay).field("from", &self.from.to_string()).finish()
    }
}

impl Mailer {
    /// Checks the settings and prepares the pooled transport (no connection is made yet).
    /// Must be called inside a Tokio runtime: the pool starts its idle-connection reaper.
    pub fn new(settings: &SmtpSettings) -> Result<Self, NotifyError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(NotifyError::InvalidSettings("Mailer::new must be called inside a Tokio runtime".into()));
        }
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| NotifyError::InvalidSettings(format!("smtp.from {:?}: {e}", settings.from)))?;
        if settings.host.trim().is_empty() {
            return Err(NotifyError::InvalidSettings("smtp.host is empty".into()));
        }
        if settings.timeout_secs == 0 {
            return Err(NotifyError::InvalidSettings("smtp.timeout_secs must be at least 1".into()));
        }
        let tls = match settings.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls | SmtpTls::Tls => {
                let params = TlsParameters::new(settings.host.clone())
                    .map_err(|e| NotifyError::InvalidSettings(format!("smtp TLS for {:?}: {e}", settings.host)))?;
                if settings.tls == SmtpTls::Tls { Tls::Wrapper(params) } else { Tls::Required(params) }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.as_str())
            .port(settings.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(settings.timeout_secs)));
        match (&settings.username, &settings.password) {
            (None, None) => {}
            (Some(user), Some(password)) => {
                if settings.tls == SmtpTls::None {
                    return Err(NotifyError::InvalidSettings(
                        "smtp.username/password need tls: starttls or tls (they would be sent in clear)".into(),
                    ));
                }
                builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
            }
            _ => return Err(NotifyError::InvalidSettings("smtp.username and smtp.password go together".into())),
        }
        let relay = format!("{}:{}", settings.host, settings.port);
        Ok(Mailer { from, transport: Transport::Smtp { transport: builder.build(), relay } })
    }

    /// A mailer that sends nothing: every mail it accepts is appended to the returned
    /// [`MailLog`] (which clones of the mailer share). Needs no runtime and no server.
    pub fn memory() -> (Mailer, MailLog) {
        let log = MailLog::default();
        let from = SmtpSettings::default().from.parse().expect("the default sender is a valid address");
        (Mailer { from, transport: Transport::Memory(log.clone()) }, log)
    }

    /// Sends one mail to all of `mail.to`. A retryable error means the relay did not take it.
    pub async fn send(&self, mail: &Email) -> Result<(), NotifyError> {
        let message = self.message(mail)?;
        match &self.transport {
            Transport::Smtp { transport, relay } => {
                transport.send(message).await.map(|_| ()).map_err(|e| classify(relay, e))
            }
            Transport::Memory(log) => log.accept(mail),
        }
    }

    /// The message for `mail`, or why it cannot be sent (no recipient, a bad address).
    fn message(&self, mail: &Email) -> Result<Message, NotifyError> {
        if mail.to.is_empty() {
            return Err(NotifyError::InvalidAddress { address: String::new(), reason: "no recipients".into() });
        }
        let mut builder = Message::builder().from(self.from.clone()).subject(mail.subject.as_str());
        for to in &mail.to {
            let mailbox: Mailbox =
                to.parse().map_err(|e| NotifyError::InvalidAddress { address: to.clone(), reason: format!("{e}") })?;
            builder = builder.to(mailbox);
        }
        builder
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())
            .map_err(|e| NotifyError::InvalidAddress { address: mail.to.join(", "), reason: e.to_string() })
    }
}

fn classify(relay: &str, err: lettre::transport::smtp::Error) -> NotifyError {
    if err.is_timeout() {
        return NotifyError::Timeout { target: relay.to_owned() };
    }
    // 5xx replies (e.g. unknown recipient) and client-side errors will not change on retry;
    // 4xx replies, connection, network and TLS failures may.
    let retryable = !(err.is_permanent() || err.is_client());
    let mut message = err.to_string();
    if let Some(code) = err.status() {
        message = format!("{message} (reply {code})");
    }
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    if retryable && !err.is_transient() && !err.is_response() && !err.is_tls() {
        return NotifyError::Connect { target: relay.to_owned(), reason: message };
    }
    NotifyError::Smtp { message, retryable }
}

/// What an in-memory [`Mailer`] accepted, in order. Clones share the log.
#[derive(Debug, Clone, Default)]
pub struct MailLog {
    inner: Arc<Mutex<MailLogInner>>,
}

#[derive(Debug, Default)]
struct MailLogInner {
    mails: Vec<Email>,
    /// The next `failures.0` sends fail as an SMTP reply would, retryable if `failures.1`.
    failures: (usize, bool),
}

impl MailLog {
    fn lock(&self) -> std::sync::MutexGuard<'_, MailLogInner> {
        // A test that panicked while holding the lock has failed already; its data is still readable.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn accept(&self, mail: &Email) -> Result<(), NotifyError> {
        let mut inner = self.lock();
        if inner.failures.0 > 0 {
            inner.failures.0 -= 1;
            let (code, retryable) = if inner.failures.1 { (451, true) } else { (550, false) };
            return Err(NotifyError::Smtp {
                message: format!("in-memory mailer told to fail (reply {code})"),
                retryable,
            });
        }
        inner.mails.push(mail.clone());
        Ok(())
    }

    /// Every mail accepted so far, in the order `send` was called.
    pub fn mails(&self) -> Vec<Email> {
        self.lock().mails.clone()
    }

    /// The number of mails accepted so far.
    pub fn len(&self) -> usize {
        self.lock().mails.len()
    }

    /// Whether no mail was accepted yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns the mails accepted so far and empties the log.
    pub fn take(&self) -> Vec<Email> {
        std::mem::take(&mut self.lock().mails)
    }

    /// Makes the next `n` sends fail (not recorded) as an SMTP relay would: with a 451
    /// reply (retryable) if `retryable`, else a 550 (permanent).
    pub fn fail_next(&self, n: usize, retryable: bool) {
        self.lock().failures = (n, retryable);
    }

    /// Waits until at least `n` mails were accepted or `timeout` passed; returns what is
    /// there. For mail sent by another task (the outbox worker).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Email> {
        let deadline = Instant::now() + timeout;
        while self.len() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.mails()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_with_defaults_and_lowercase_tls() {
        let s: SmtpSettings =
            serde_json::from_str(r#"{"host":"mail.example.com","port":587,"tls":"starttls"}"#).unwrap();
        assert_eq!(s.tls, SmtpTls::Starttls);
        assert_eq!(s.from, "steward@localhost");
        assert_eq!(s.timeout_secs, 10);
        assert!(serde_json::from_str::<SmtpSettings>(r#"{"tls":"STARTTLS"}"#).is_err());
        let d = SmtpSettings::default();
        assert_eq!((d.host.as_str(), d.port, d.tls), ("localhost", 25, SmtpTls::None));
    }

    #[test]
    fn needs_a_runtime() {
        assert!(matches!(Mailer::new(&SmtpSettings::default()), Err(NotifyError::InvalidSettings(_))));
    }

    #[tokio::test]
    async fn bad_settings_are_refused() {
        let bad_from = SmtpSettings { from: "not an address".into(), ..SmtpSettings::default() };
        assert!(matches!(Mailer::new(&bad_from), Err(NotifyError::InvalidSettings(_))));
        let clear_password =
            SmtpSettings { username: Some("u".into()), password: Some("p".into()), ..SmtpSettings::default() };
        assert!(matches!(Mailer::new(&clear_password), Err(NotifyError::InvalidSettings(_))));
        let half = SmtpSettings { username: Some("u".into()), tls: SmtpTls::Tls, ..SmtpSettings::default() };
        assert!(matches!(Mailer::new(&half), Err(NotifyError::InvalidSettings(_))));
        let ok = SmtpSettings {
            username: Some("u".into()),
            password: Some("p".into()),
            tls: SmtpTls::Starttls,
            ..SmtpSettings::default()
        };
        assert!(Mailer::new(&ok).is_ok());
    }

    #[tokio::test]
    async fn bad_recipients_are_permanent() {
        let mailer = Mailer::new(&SmtpSettings::default()).unwrap();
        for to in [vec![], vec!["nobody".to_owned()]] {
            let err = mailer.send(&Email { to, subject: "s".into(), text: "t".into() }).await.unwrap_err();
            assert!(matches!(err, NotifyError::InvalidAddress { .. }), "{err}");
            assert!(!err.is_retryable());
        }
    }

    fn mail(to: &str, subject: &str) -> Email {
        Email { to: vec![to.to_owned()], subject: subject.to_owned(), text: format!("about {subject}") }
    }

    #[tokio::test]
    async fn memory_mailer_records_what_it_sends_in_order() {
        let (mailer, log) = Mailer::memory();
        assert!(log.is_empty());
        let clone = mailer.clone();
        mailer.send(&mail("alice@example.test", "one")).await.unwrap();
        clone.send(&mail("Bob <bob@example.test>", "two")).await.unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(log.mails(), vec![mail("alice@example.test", "one"), mail("Bob <bob@example.test>", "two")]);
        assert_eq!(log.take().len(), 2);
        assert!(log.is_empty());
        assert!(format!("{mailer:?}").contains("(memory)"));
    }

    #[tokio::test]
    async fn memory_mailer_refuses_bad_recipients_like_smtp() {
        let (mailer, log) = Mailer::memory();
        for to in [vec![], vec!["nobody".to_owned()], vec!["a@example.test".to_owned(), "not an address".to_owned()]] {
            let err = mailer.send(&Email { to, subject: "s".into(), text: "t".into() }).await.unwrap_err();
            assert!(matches!(err, NotifyError::InvalidAddress { .. }), "{err}");
            assert!(!err.is_retryable());
        }
        assert!(log.is_empty());
    }

    #[tokio::test]
    async fn memory_mailer_fails_as_told_then_recovers() {
        let (mailer, log) = Mailer::memory();
        log.fail_next(2, true);
        for _ in 0..2 {
            let err = mailer.send(&mail("a@example.test", "s")).await.unwrap_err();
            assert!(matches!(err, NotifyError::Smtp { retryable: true, .. }), "{err:?}");
        }
        mailer.send(&mail("a@example.test", "third")).await.unwrap();
        log.fail_next(1, false);
        assert!(!mailer.send(&mail("a@example.test", "s")).await.unwrap_err().is_retryable());
        assert_eq!(log.mails(), vec![mail("a@example.test", "third")]);
    }

    #[tokio::test]
    async fn memory_log_waits_for_mail_from_another_task() {
        let (mailer, log) = Mailer::memory();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            mailer.send(&mail("a@example.test", "late")).await.unwrap();
        });
        assert_eq!(log.wait_for(1, Duration::from_secs(5)).await, vec![mail("a@example.test", "late")]);
    }
}
