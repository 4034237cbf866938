//! Test harness for code that talks to AWS through this crate (behind the
//! `testing` feature, so production builds carry none of it).
//!
//! * [`moto`] gives a running moto server: the one named by
//!   `STEWARD_TEST_MOTO_URL` (CI starts one shared server), or a
//!   `moto_server` process spawned on a free loopback port and killed on drop.
//!   Both run through `scripts/moto_server.py`, which fixes a moto bug that
//!   makes a revoke after a repeated grant fail with HTTP 500.
//!   Without either it reports the service as missing (a skip locally, a
//!   failure under `STEWARD_TEST_REQUIRE_SERVICES=1`).
//! * moto keeps separate state per account, taken from the `x-moto-account-id`
//!   header; [`Moto::config`] builds an `SdkConfig` whose HTTP client adds
//!   that header, so one test can act as the governance and the consumer account.
//! * moto lacks RAM associations, invitations and cross-account state;
//!   [`ram_fake`] is a small in-memory RAM that has them, and
//!   [`Moto::config_with_ram`] routes only RAM calls to it.
//!
//! * [`proxy`] is a recording, error-injecting HTTP proxy to put in front of
//!   moto: it records every call (service, operation, body) and can answer
//!   chosen operations with AWS errors or bodies moto never gives.
//!
//! Tests share one moto: use [`unique`] names and distinct [`account`] ids.

pub mod lf;
pub mod lf_share_model;
pub mod proxy;
pub mod ram_fake;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_glue::config::Credentials;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};
use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{AwsSettings, Markers};

/// The region tests use.
pub const REGION: &str = "eu-west-1";
/// Static test credentials (moto accepts any).
pub const ACCESS_KEY_ID: &str = "AKIASTEWARDTEST";
/// Static test secret.
pub const SECRET_ACCESS_KEY: &str = "steward-test-secret";
/// The header moto (and [`ram_fake`]) read the calling account from.
pub const ACCOUNT_HEADER: &str = "x-moto-account-id";

/// A reachable moto server.
#[derive(Debug)]
pub struct Moto {
    url: String,
    child: Option<Child>,
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A moto server for this test, or `None` after reporting it missing.
pub async fn moto() -> Option<Moto> {
    if let Ok(url) = std::env::var("STEWARD_TEST_MOTO_URL") {
        let url = url.trim_end_matches('/').to_owned();
        return match answers(&url).await {
            Ok(()) => Some(Moto { url, child: None }),
            Err(e) => {
                steward_testkit::missing_service("moto", &format!("STEWARD_TEST_MOTO_URL={url} does not answer: {e}"));
                None
            }
        };
    }
    moto_of_its_own().await
}

/// A `moto_server` process of this test's own (fresh state, killed on drop),
/// even when CI shares one: for a test that asserts on account-wide state
/// (e.g. "the consumer holds no Lake Formation permissions") which other
/// test binaries' leftovers in the shared server would falsify.
pub async fn moto_of_its_own() -> Option<Moto> {
    let port = match TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(addr) => addr.port(),
        Err(e) => {
            steward_testkit::missing_service("moto", &format!("no free loopback port: {e}"));
            return None;
        }
    };
    // moto_server with a bug of moto's Lake Formation fixed (a repeated
    // grant corrupts its permission set; see the script).
    let launcher = steward_testkit::repo_root().join("scripts/moto_server.py");
    let spawned = Command::new("python3")
        .arg(launcher)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match spawned {
        Ok(c) => c,
        Err(e) => {
            steward_testkit::missing_service(
                "moto",
                &format!("cannot run python3 scripts/moto_server.py (pip install 'moto[server]'): {e}"),
            );
            return None;
        }
    };
    let mut moto = Moto { url: format!("http://127.0.0.1:{port}"), child: Some(child) };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(Ok(Some(status))) = moto.child.as_mut().map(Child::try_wait) {
            steward_testkit::missing_service(
                "moto",
                &format!("scripts/moto_server.py exited ({status}): is moto[server] installed?"),
            );
            return None;
        }
        match answers(&moto.url).await {
            Ok(()) => return Some(moto),
            Err(e) if tokio::time::Instant::now() > deadline => {
                steward_testkit::missing_service("moto", &format!("moto_server on port {port} never answered: {e}"));
                return None;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Does `url` answer HTTP (moto's dashboard data endpoint)?
async fn answers(url: &str) -> Result<(), String> {
    let authority = url.strip_prefix("http://").ok_or("only http:// moto URLs are supported")?;
    let authority = authority.split('/').next().unwrap_or(authority);
    let probe = async {
        let mut s = tokio::net::TcpStream::connect(authority).await?;
        let req = format!("GET /moto-api/data.json HTTP/1.0\r\nHost: {authority}\r\n\r\n");
        s.write_all(req.as_bytes()).await?;
        let mut head = [0u8; 12];
        s.read_exact(&mut head).await?;
        Ok::<_, std::io::Error>(head)
    };
    match tokio::time::timeout(Duration::from_secs(5), probe).await {
        Ok(Ok(head)) if head.starts_with(b"HTTP/1.") => Ok(()),
        Ok(Ok(head)) => Err(format!("not HTTP: {:?}", String::from_utf8_lossy(&head))),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

/// A random 12-digit account id (never moto's default 123456789012).
pub fn account() -> String {
    let mut rng = rand::rng();
    format!("{}{:011}", rng.random_range(2..=9), rng.random_range(0..100_000_000_000u64))
}

/// `prefix` with a random lower-case suffix, for names unique across tests.
pub fn unique(prefix: &str) -> String {
    let n: u64 = rand::rng().random();
    format!("{prefix}{:x}", n & 0xffff_ffff_ffff)
}

impl Moto {
    /// The endpoint URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Settings pointing at this moto, with `account` as governance account.
    pub fn settings(&self, account: &str) -> AwsSettings {
        AwsSettings {
            region: REGION.into(),
            endpoint_url: Some(self.url.clone()),
            governance_account_id: account.into(),
            registration_role_arn: None,
            sharing: crate::SharingMode::Named,
            hybrid_access: false,
            consumer_roles: Default::default(),
        }
    }

    /// An SDK config acting as `account` against moto (static credentials,
    /// `x-moto-account-id` on every request).
    pub async fn config(&self, account: &str) -> SdkConfig {
        config_for(&self.url, account).await
    }

    /// Like [`Moto::config`], but RAM calls go to `ram_url` (a [`ram_fake`]).
    pub async fn config_with_ram(&self, account: &str, ram_url: &str) -> SdkConfig {
        let mut b = self.config(account).await.to_builder().service_config(RamEndpoint(ram_url.to_owned()));
        // A programmatic endpoint wins over service config; demote it so that
        // RAM's per-service endpoint applies and the rest still go to moto.
        b.insert_origin("endpoint_url", aws_types::origin::Origin::unknown());
        b.build()
    }

    /// S3 markers in this moto.
    pub fn markers(&self) -> Markers {
        Markers::s3_with_credentials(&self.settings("123456789012"), ACCESS_KEY_ID, SECRET_ACCESS_KEY)
            .expect("moto S3 settings are valid")
    }
}

/// An SDK config against `endpoint` acting as `account`.
pub async fn config_for(endpoint: &str, account: &str) -> SdkConfig {
    let inner = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_https();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "steward-test"))
        .http_client(AccountHeader { inner, account: account.to_owned() })
        .load()
        .await
}

/// Routes the RAM service (only) to another endpoint.
#[derive(Debug)]
struct RamEndpoint(String);

impl LoadServiceConfig for RamEndpoint {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        (key.service_id() == "RAM" && key.profile() == "endpoint_url").then(|| self.0.clone())
    }
}

/// An HTTP client that adds `x-moto-account-id` to every request.
#[derive(Debug, Clone)]
struct AccountHeader {
    inner: SharedHttpClient,
    account: String,
}

impl HttpClient for AccountHeader {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(AccountConnector {
            inner: self.inner.http_connector(settings, components),
            account: self.account.clone(),
        })
    }
}

#[derive(Debug)]
struct AccountConnector {
    inner: SharedHttpConnector,
    account: String,
}

impl HttpConnector for AccountConnector {
    fn call(&self, mut request: HttpRequest) -> HttpConnectorFuture {
        request.headers_mut().insert(ACCOUNT_HEADER, self.account.clone());
        self.inner.call(request)
    }
}
