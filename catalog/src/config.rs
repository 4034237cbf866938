//! Service configuration, layered: built-in defaults → config file (YAML)
//! → `STEWARD__*` environment variables (`STEWARD__LISTEN`,
//! `STEWARD__DATABASE_URL`, `STEWARD__REGISTRY__UPSTREAM`, ...) → command-line
//! flags. Passed in, never global.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use crate::worker::monitor::MonitorSettings;
pub use crate::worker::outbox::{Faults, OutboxSettings};

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where SQLite, the registry and the admin token live.
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// `sqlite://...` or `postgres://...`; default: `<data_dir>/steward.db`.
    pub database_url: Option<String>,
    /// Governance policy file; default: the built-in policy.
    pub policy_file: Option<PathBuf>,
    pub registry: RegistryConfig,
    /// `text` or `json` log lines.
    pub log_format: LogFormat,
    /// Which backends effects go to (embedded by default).
    #[serde(default)]
    pub backends: BackendsConfig,
    /// AWS region, endpoint override and governance account (for any AWS backend or SNS).
    #[serde(default)]
    pub aws: Option<steward_aws::AwsSettings>,
    /// The SMTP server for email notifications and alerts; none = email is off.
    #[serde(default)]
    pub smtp: Option<steward_notify::SmtpSettings>,
    /// Webhook delivery and target policy.
    #[serde(default)]
    pub webhooks: steward_notify::WebhookSettings,
    #[serde(default)]
    pub outbox: OutboxSettings,
    #[serde(default)]
    pub slo: MonitorSettings,
    /// Test-only fault points (see docs/operations.md).
    #[serde(default)]
    pub faults: Faults,
    /// Connection limits of the HTTP server.
    #[serde(default)]
    pub http: HttpSettings,
    /// An OpenLineage endpoint every recorded refresh is sent to; none = off.
    #[serde(default)]
    pub openlineage: Option<OpenLineageSettings>,
    /// Workload identity: JWTs of trusted issuers (docs/identity.md).
    #[serde(default)]
    pub identity: IdentityConfig,
    /// How people sign in to the portal (docs/identity.md).
    #[serde(default)]
    pub portal: PortalConfig,
    /// CloudEvents for every change (docs/events.md).
    #[serde(default)]
    pub events: EventsSettings,
}

/// `events.*`: the CloudEvents Steward records for every change.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct EventsSettings {
    /// The CloudEvents `source` of every event (a URI reference naming this
    /// Steward, e.g. `https://steward.example.com`).
    pub source: String,
    /// How many days before a grant's end `io.steward.access.expiring` is
    /// announced (0: never).
    pub expiring_days: u32,
}

impl Default for EventsSettings {
    fn default() -> Self {
        Self { source: "/steward".into(), expiring_days: 14 }
    }
}

/// `portal.*`: sign-in with single sign-on (OIDC) and with API tokens.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PortalConfig {
    /// Sign-in by pasting an API token (bootstrap, break-glass). Switch it
    /// off once single sign-on works: then token cookies are refused too.
    pub token_signin: bool,
    /// The OpenID Connect provider people sign in with; none = tokens only.
    pub oidc: Option<steward_identity::oidc::ClientConfig>,
}

impl Default for PortalConfig {
    fn default() -> Self {
        Self { token_signin: true, oidc: None }
    }
}

/// `identity.*`: who besides Steward tokens may call the API.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityConfig {
    /// Issuers whose JWTs are accepted. In a file, a YAML list; in the
    /// environment (`STEWARD__IDENTITY__TRUSTED_ISSUERS`), the same list as
    /// one JSON or YAML string, since a list of maps has no flat form.
    #[serde(deserialize_with = "list_or_text")]
    pub trusted_issuers: Vec<steward_identity::IssuerConfig>,
}

/// Rules' scopes as the token API checks them: domain names for
/// producers, account ids for consumers. `field` names the list.
fn check_scopes(rules: &[steward_identity::Rule], field: &str) -> Result<(), String> {
    for (r, rule) in rules.iter().enumerate() {
        for scope in &rule.scopes {
            let bad = match rule.role {
                crate::auth::Role::Producer => steward_schemas::DomainName::parse(scope).err().map(|e| e.to_string()),
                crate::auth::Role::Consumer => steward_schemas::AccountId::parse(scope).err().map(|e| e.to_string()),
                _ => None,
            };
            if let Some(e) = bad {
                return Err(format!("configuration: {field}[{r}].scopes: {e}"));
            }
        }
    }
    Ok(())
}

/// A list as is, or a string holding the list as JSON/YAML (from the environment).
fn list_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<steward_identity::IssuerConfig>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Vec<steward_identity::IssuerConfig>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of trusted issuers, or that list as a JSON/YAML string")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            if text.trim().is_empty() {
                return Ok(Vec::new());
            }
            serde_yaml::from_str(text).map_err(E::custom)
        }
    }
    d.deserialize_any(V)
}

/// `openlineage.*`: where refreshes are sent as OpenLineage run events
/// (Marquez, OpenMetadata, DataZone, ...). The key is best given as
/// `STEWARD__OPENLINEAGE__API_KEY`; it is never logged.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OpenLineageSettings {
    /// The receiver's base URL, e.g. `http://marquez:5000`.
    pub url: String,
    /// The path below `url` (OpenLineage's HTTP transport default).
    #[serde(default = "OpenLineageSettings::default_endpoint")]
    pub endpoint: String,
    /// Sent as `Authorization: Bearer <api_key>`.
    #[serde(default)]
    pub api_key: Option<String>,
    /// The job namespace of Steward's events.
    #[serde(default = "OpenLineageSettings::default_namespace")]
    pub namespace: String,
    #[serde(default = "OpenLineageSettings::default_timeout")]
    pub timeout_secs: u64,
}

impl OpenLineageSettings {
    fn default_endpoint() -> String {
        "api/v1/lineage".into()
    }
    fn default_namespace() -> String {
        "steward".into()
    }
    fn default_timeout() -> u64 {
        10
    }

    /// `url` joined with `endpoint` (one `/` between them).
    pub fn endpoint_url(&self) -> String {
        format!("{}/{}", self.url.trim_end_matches('/'), self.endpoint.trim_start_matches('/'))
    }

    /// Settings for `url` with the defaults.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            endpoint: Self::default_endpoint(),
            api_key: None,
            namespace: Self::default_namespace(),
            timeout_secs: Self::default_timeout(),
        }
    }
}

impl std::fmt::Debug for OpenLineageSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenLineageSettings")
            .field("url", &crate::redact::url(&self.url))
            .field("endpoint", &self.endpoint)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("namespace", &self.namespace)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

/// `http.*`: how long a connection may take and how many may be open, so
/// slow or idle clients cannot hold the server's descriptors.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// A request head must arrive whole within this many seconds of its first byte.
    pub header_read_timeout_secs: u64,
    /// A connection with no request in progress and no bytes arriving is closed
    /// after this many seconds; a request body that stalls this long fails.
    pub idle_timeout_secs: u64,
    /// Open connections at most; beyond it new ones wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self { header_read_timeout_secs: 10, idle_timeout_secs: 60, max_connections: 1024 }
    }
}

/// `backends.*`: where catalog writes, shares and `_SUCCESS` markers go.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct BackendsConfig {
    pub catalog: CatalogBackend,
    pub shares: SharesBackend,
    pub signals: SignalsBackend,
    /// Root of local markers: `s3://bucket/key` maps to `<root>/bucket/key`; default `<data_dir>/objects`.
    pub signals_root: Option<PathBuf>,
}

/// `backends.catalog`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum CatalogBackend {
    /// The store's tables only.
    #[default]
    Embedded,
    /// Also AWS Glue, with locations registered in Lake Formation.
    Glue,
}

/// `backends.shares`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum SharesBackend {
    /// Grants are recorded in the store only.
    #[default]
    Embedded,
    /// Also shared on AWS (Lake Formation grants).
    Aws,
}

/// `backends.signals`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum SignalsBackend {
    /// Files: `s3://bucket/key/` under `signals_root`, local paths in the lake.
    #[default]
    Local,
    /// S3; local paths are refused (a replica's disk is no place for a
    /// marker every replica and consumer must see).
    S3,
}

/// `TryFrom<String>` (what serde reads) for a closed config choice: the names in
/// `[Variant = "name", ...]`; anything else is refused naming the choices
/// (the `config` crate adds the key).
macro_rules! config_names {
    ($ty:ident, [$($variant:ident = $name:literal),+]) => {
        impl $ty {
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl TryFrom<String> for $ty {
            type Error = String;

            fn try_from(s: String) -> Result<Self, String> {
                match s.as_str() {
                    $($name => Ok($ty::$variant),)+
                    _ => Err(format!("`{s}` is not a choice here; use one of {}", [$($name),+].join(", "))),
                }
            }
        }
    };
}

/// `log_format`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

config_names!(LogFormat, [Text = "text", Json = "json"]);
config_names!(CatalogBackend, [Embedded = "embedded", Glue = "glue"]);
config_names!(SharesBackend, [Embedded = "embedded", Aws = "aws"]);
config_names!(SignalsBackend, [Local = "local", S3 = "s3"]);

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// Default `<data_dir>/registry.git`. With an upstream, a cache of it.
    pub path: Option<PathBuf>,
    /// The git remote holding the registry's truth (`https://`, `ssh://`,
    /// `git@host:path`, `git://` or a path). Required for more than one
    /// replica on one PostgreSQL database.
    pub upstream: Option<String>,
    /// How to authenticate to the upstream.
    #[serde(default)]
    pub credentials: RegistryCredentials,
    /// Publish contracts changed on the upstream's `main` outside Steward
    /// (a merge on the git server) when they pass validation; otherwise they
    /// are reported to admins and never published.
    #[serde(default)]
    pub accept_external_merges: bool,
    /// With an upstream: how old (seconds) a submission or approval left
    /// unfinished must be before another replica finishes it (the one
    /// doing it may still be waiting for the registry). Default 30.
    #[serde(default = "default_recovery_after_secs")]
    pub recovery_after_secs: u64,
    /// Seconds to connect to the upstream, and for each read or write on
    /// the connection, before the operation fails (503). Default 30.
    #[serde(default = "default_network_timeout_secs")]
    pub network_timeout_secs: u64,
}

fn default_network_timeout_secs() -> u64 {
    30
}

pub const DEFAULT_RECOVERY_AFTER_SECS: u64 = 30;

fn default_recovery_after_secs() -> u64 {
    DEFAULT_RECOVERY_AFTER_SECS
}

/// `registry.credentials.*`; set the secrets through the environment
/// (`STEWARD__REGISTRY__CREDENTIALS__PASSWORD`). Never logged.
#[derive(Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct RegistryCredentials {
    /// HTTPS user name (with a token as the password), or the SSH user.
    pub username: Option<String>,
    /// HTTPS password or access token.
    pub password: Option<String>,
    /// SSH private key file; without it the SSH agent is asked.
    pub ssh_key: Option<PathBuf>,
    pub ssh_passphrase: Option<String>,
}

impl std::fmt::Debug for RegistryCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |o: bool| if o { "<set>" } else { "<unset>" };
        f.debug_struct("RegistryCredentials")
            .field("username", &self.username)
            .field("password", &set(self.password.is_some()))
            .field("ssh_key", &self.ssh_key)
            .field("ssh_passphrase", &set(self.ssh_passphrase.is_some()))
            .finish()
    }
}

impl RegistryConfig {
    /// The upstream with its credentials, if one is set.
    pub fn upstream(&self) -> Option<steward_registry::Upstream> {
        let url = self.upstream.as_deref().map(str::trim).filter(|u| !u.is_empty())?;
        let c = &self.credentials;
        Some(steward_registry::Upstream {
            url: url.to_owned(),
            credentials: steward_registry::Credentials {
                username: c.username.clone(),
                password: c.password.clone(),
                ssh_key: c.ssh_key.clone(),
                ssh_passphrase: c.ssh_passphrase.clone(),
            },
        })
    }
}

const DEFAULTS: &str = r#"
data_dir: ./steward-data
listen: 127.0.0.1:8080
log_format: text
registry: {}
"#;

impl Config {
    /// Loads defaults, then `file` (if any), then `STEWARD__` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, String> {
        let mut builder =
            config::Config::builder().add_source(config::File::from_str(DEFAULTS, config::FileFormat::Yaml));
        if let Some(f) = file {
            if !f.exists() {
                return Err(format!("config file {} does not exist", f.display()));
            }
            builder = builder.add_source(config::File::from(f).format(config::FileFormat::Yaml));
        }
        builder =
            builder.add_source(config::Environment::with_prefix("STEWARD").prefix_separator("__").separator("__"));
        let built = builder.build().map_err(|e| format!("configuration: {e}"))?;
        let config: Self = built.try_deserialize().map_err(|e| format!("configuration: {e}"))?;
        config.check()?;
        Ok(config)
    }

    /// Checks the choices that serde cannot.
    pub fn check(&self) -> Result<(), String> {
        let b = &self.backends;
        let h = &self.http;
        if h.header_read_timeout_secs == 0 || h.idle_timeout_secs == 0 || h.max_connections == 0 {
            return Err("configuration: http.header_read_timeout_secs, http.idle_timeout_secs and \
                        http.max_connections must be at least 1"
                .into());
        }
        if let Some(ol) = &self.openlineage
            && !(ol.url.starts_with("http://") || ol.url.starts_with("https://"))
        {
            return Err(format!(
                "configuration: openlineage.url `{}` must be an http(s) URL",
                crate::redact::url(&ol.url)
            ));
        }
        self.check_identity()?;
        self.check_portal()?;
        let needs_aws =
            b.catalog == CatalogBackend::Glue || b.shares == SharesBackend::Aws || b.signals == SignalsBackend::S3;
        if needs_aws && self.aws.is_none() {
            return Err(
                "configuration: an AWS backend is on but `aws` (region, governance_account_id) is not set".into()
            );
        }
        Ok(())
    }

    /// The portal's sign-in: the provider's settings, and at least one way in.
    fn check_portal(&self) -> Result<(), String> {
        let p = &self.portal;
        if let Some(oidc) = &p.oidc {
            oidc.check().map_err(|e| format!("configuration: {e}"))?;
            check_scopes(&oidc.roles, "portal.oidc.roles")?;
        } else if !p.token_signin {
            return Err(
                "configuration: portal.token_signin is false and portal.oidc is not set: nobody could sign in \
                        to the portal"
                    .into(),
            );
        }
        Ok(())
    }

    /// The trusted issuers' settings, and their rules' scopes as the token
    /// API checks them (domain names for producers, account ids for consumers).
    fn check_identity(&self) -> Result<(), String> {
        let issuers = &self.identity.trusted_issuers;
        steward_identity::check(issuers).map_err(|e| format!("configuration: {e}"))?;
        for (i, issuer) in issuers.iter().enumerate() {
            check_scopes(&issuer.rules, &format!("identity.trusted_issuers[{i}].rules"))?;
        }
        Ok(())
    }

    pub fn signals_root(&self) -> PathBuf {
        self.backends.signals_root.clone().unwrap_or_else(|| self.data_dir.join("objects"))
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("steward.db").display()))
    }

    pub fn registry_path(&self) -> PathBuf {
        self.registry.path.clone().unwrap_or_else(|| self.data_dir.join("registry.git"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_yaml(yaml: &str) -> Result<Config, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("steward.yaml");
        std::fs::write(&path, yaml).unwrap();
        Config::load(Some(&path))
    }

    #[test]
    fn backend_choices_are_enums_with_embedded_defaults() {
        let c = load_yaml("backends:\n  catalog: glue\n  shares: aws\n  signals: s3\naws:\n  region: eu-west-1\n  governance_account_id: '111111111111'\n").unwrap();
        assert_eq!(
            (c.backends.catalog, c.backends.shares, c.backends.signals),
            (CatalogBackend::Glue, SharesBackend::Aws, SignalsBackend::S3)
        );
        let c = load_yaml("log_format: text\n").unwrap();
        assert_eq!(c.backends, BackendsConfig::default());
        assert_eq!(c.backends.catalog, CatalogBackend::Embedded);
    }

    #[test]
    fn an_unknown_backend_is_refused_naming_the_key_and_the_choices() {
        let e = load_yaml("backends:\n  catalog: glu\n").unwrap_err();
        assert!(e.contains("glu") && e.contains("embedded") && e.contains("glue"), "{e}");
        assert!(e.contains("backends.catalog"), "{e}");
        let e = load_yaml("backends:\n  shares: ram\n").unwrap_err();
        assert!(e.contains("ram") && e.contains("aws"), "{e}");
    }

    #[test]
    fn openlineage_settings_default_to_the_transport_path_and_hide_the_key() {
        let c = load_yaml("openlineage:\n  url: http://marquez:5000/\n  api_key: s3cret\n").unwrap();
        let ol = c.openlineage.unwrap();
        assert_eq!(ol.endpoint_url(), "http://marquez:5000/api/v1/lineage");
        assert_eq!(ol.namespace, "steward");
        assert!(!format!("{ol:?}").contains("s3cret"));
        assert!(load_yaml("openlineage:\n  url: marquez:5000\n").unwrap_err().contains("openlineage.url"));
    }

    const ISSUER_YAML: &str = "identity:
  trusted_issuers:
    - issuer: https://token.actions.githubusercontent.com
      audience: steward
      rules:
        - claims: { repository: acme/orders, ref: refs/heads/main }
          role: producer
          scopes: [sales]
";

    #[test]
    fn trusted_issuers_load_from_the_file_with_defaults() {
        let c = load_yaml(ISSUER_YAML).unwrap();
        let i = &c.identity.trusted_issuers[0];
        assert_eq!(i.issuer, "https://token.actions.githubusercontent.com");
        assert_eq!(
            (i.audience.clone(), i.leeway_secs, i.algorithms.clone()),
            (vec!["steward".to_owned()], 60, vec!["RS256".to_owned(), "ES256".to_owned()])
        );
        assert_eq!(i.rules[0].claims["ref"], "refs/heads/main");
        assert!(load_yaml("log_format: text\n").unwrap().identity.trusted_issuers.is_empty());
    }

    #[test]
    fn bad_trusted_issuers_are_refused_at_load() {
        let e = load_yaml(&format!("{ISSUER_YAML}      algorithms: [RS256, HS256]\n")).unwrap_err();
        assert!(e.contains("trusted_issuers[0]") && e.contains("HS256") && e.contains("never allowed"), "{e}");
        let e = load_yaml(&ISSUER_YAML.replace("[sales]", "['Not A Domain']")).unwrap_err();
        assert!(e.contains("rules[0].scopes"), "{e}");
        let e = load_yaml(&ISSUER_YAML.replace("https://token", "http://token")).unwrap_err();
        assert!(e.contains("https://"), "{e}");
    }

    #[test]
    fn an_aws_backend_needs_the_aws_settings() {
        let e = load_yaml("backends:\n  signals: s3\n").unwrap_err();
        assert!(e.contains("`aws`"), "{e}");
    }
}
