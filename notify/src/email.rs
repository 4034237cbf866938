//! Email over SMTP with lettre.
//!
//! One [`Mailer`] holds a pooled async transport, so deliveries from many outbox tasks
//! reuse SMTP sessions. Credentials are refused on a plaintext connection (`tls: none`)
//! because they would cross the network in clear; a local relay without authentication
//! is the intended use of `none`.

use std::time::Duration;

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

/// SMTP settings (config section `notifications.smtp`).
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

/// Sends [`Email`]s through the configured relay. Clones share the connection pool.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    relay: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("relay", &self.relay).field("from", &self.from.to_string()).finish()
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
        Ok(Mailer { transport: builder.build(), from, relay: format!("{}:{}", settings.host, settings.port) })
    }

    /// Sends one mail to all of `mail.to`. A retryable error means the relay did not take it.
    pub async fn send(&self, mail: &Email) -> Result<(), NotifyError> {
        if mail.to.is_empty() {
            return Err(NotifyError::InvalidAddress { address: String::new(), reason: "no recipients".into() });
        }
        let mut builder = Message::builder().from(self.from.clone()).subject(mail.subject.as_str());
        for to in &mail.to {
            let mailbox: Mailbox =
                to.parse().map_err(|e| NotifyError::InvalidAddress { address: to.clone(), reason: format!("{e}") })?;
            builder = builder.to(mailbox);
        }
        let message = builder
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())
            .map_err(|e| NotifyError::InvalidAddress { address: mail.to.join(", "), reason: e.to_string() })?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| self.classify(e))
    }

    fn classify(&self, err: lettre::transport::smtp::Error) -> NotifyError {
        if err.is_timeout() {
            return NotifyError::Timeout { target: self.relay.clone() };
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
            return NotifyError::Connect { target: self.relay.clone(), reason: message };
        }
        NotifyError::Smtp { message, retryable }
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
}
