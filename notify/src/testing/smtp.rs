//! A real SMTP server for tests: aiosmtpd's `Mailbox` handler writing a Maildir.
//!
//! Mocking lettre would not show that a relay accepts what we send; aiosmtpd speaks
//! real SMTP on loopback and stores each mail as a file we can read back.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::email::SmtpSettings;

const SERVICE: &str = "SMTP (aiosmtpd)";

/// aiosmtpd's `Mailbox` handler (stores each mail in a Maildir; its constructor takes the
/// directory) plus two recipient prefixes that make the server refuse, so tests can see
/// how real SMTP rejections are classified: `reject-…@` gets `550` (permanent) and
/// `defer-…@` gets `451` (transient).
const HANDLER: &str = r#"
from aiosmtpd.handlers import Mailbox

class Sink(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject-"):
            return "550 5.1.1 mailbox unavailable"
        if address.startswith("defer-"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"
"#;

/// A mail as the SMTP server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// Envelope recipients (`RCPT TO`), as recorded by aiosmtpd.
    pub rcpt_to: Vec<String>,
    /// Envelope sender (`MAIL FROM`).
    pub mail_from: String,
    /// The `To:` header.
    pub to: String,
    /// The `From:` header.
    pub from: String,
    /// The decoded `Subject:` header.
    pub subject: String,
    /// The decoded text body, with `\n` line ends and no trailing newline.
    pub text: String,
}

/// aiosmtpd on a free loopback port; the process is killed when this is dropped.
/// Recipients starting with `reject-` are refused with 550, `defer-` with 451.
#[derive(Debug)]
pub struct SmtpSink {
    child: Child,
    addr: SocketAddr,
    maildir: tempfile::TempDir,
}

impl SmtpSink {
    /// Starts the server and waits until it accepts connections. Returns `None` after
    /// [`steward_testkit::missing_service`] if python3 or aiosmtpd is missing (which
    /// panics under `STEWARD_TEST_REQUIRE_SERVICES=1`).
    pub fn start() -> Option<SmtpSink> {
        match Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
        {
            Ok(status) if status.success() => {}
            Ok(_) => {
                steward_testkit::missing_service(SERVICE, "python3 cannot import aiosmtpd (pip install aiosmtpd)");
                return None;
            }
            Err(e) => {
                steward_testkit::missing_service(SERVICE, &format!("cannot run python3: {e}"));
                return None;
            }
        }
        let maildir = tempfile::Builder::new().prefix("steward-smtp-").tempdir().expect("create a temp dir");
        let addr = free_loopback_port();
        let log = std::fs::File::create(maildir.path().join("aiosmtpd.log")).expect("create the server log");
        std::fs::write(maildir.path().join("steward_smtp_sink.py"), HANDLER).expect("write the handler module");
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &addr.to_string(), "-c", "steward_smtp_sink.Sink"])
            .arg(maildir.path().join("mail"))
            .env("PYTHONPATH", maildir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(e) => {
                steward_testkit::missing_service(SERVICE, &format!("cannot start aiosmtpd: {e}"));
                return None;
            }
        };
        let mut sink = SmtpSink { child, addr, maildir };
        match sink.wait_until_listening(Duration::from_secs(15)) {
            Ok(()) => Some(sink),
            Err(why) => {
                steward_testkit::missing_service(SERVICE, &why);
                None
            }
        }
    }

    fn wait_until_listening(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("aiosmtpd exited with {status}: {}", self.log()));
            }
            if Instant::now() > deadline {
                return Err(format!("aiosmtpd did not listen on {} within {timeout:?}: {}", self.addr, self.log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.maildir.path().join("aiosmtpd.log")).unwrap_or_default()
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Plaintext settings pointing at this server.
    pub fn settings(&self) -> SmtpSettings {
        SmtpSettings {
            host: self.addr.ip().to_string(),
            port: self.addr.port(),
            from: "Steward <steward@example.test>".into(),
            timeout_secs: 10,
            ..SmtpSettings::default()
        }
    }

    /// Every mail received so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.path().join("mail").join(sub)) else { continue };
            for entry in entries.flatten() {
                let modified = entry.metadata().and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH);
                files.push((modified, entry.path()));
            }
        }
        files.sort();
        files.iter().filter_map(|(_, path)| parse_file(path)).collect()
    }

    /// Waits until at least `n` mails arrived or `timeout` passed; returns what is there.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n || Instant::now() >= deadline {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_loopback_port() -> SocketAddr {
    // The port is free when we look; aiosmtpd binds it a moment later.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address")
}

fn parse_file(path: &Path) -> Option<ReceivedMail> {
    let raw = std::fs::read(path).ok()?;
    let mail = mailparse::parse_mail(&raw).ok()?;
    let header =
        |name: &str| mail.headers.iter().find(|h| h.get_key_ref().eq_ignore_ascii_case(name)).map(|h| h.get_value());
    let text = mail.get_body().ok()?.replace("\r\n", "\n");
    let text = text.strip_suffix('\n').unwrap_or(&text).to_owned();
    Some(ReceivedMail {
        rcpt_to: header("X-RcptTo")
            .map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default(),
        mail_from: header("X-MailFrom").unwrap_or_default(),
        to: header("To").unwrap_or_default(),
        from: header("From").unwrap_or_default(),
        subject: header("Subject").unwrap_or_default(),
        text,
    })
}
