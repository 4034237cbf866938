//! Service configuration, layered: built-in defaults → config file (YAML)
//! → `STEWARD__*` environment variables (`STEWARD__LISTEN`,
//! `STEWARD__DATABASE_URL`, `STEWARD__REGISTRY__UPSTREAM`, ...) → command-line
//! flags. Passed in, never global.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

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
    pub log_format: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// Default `<data_dir>/registry.git`.
    pub path: Option<PathBuf>,
    /// A git remote (URL or path) that `main` is pushed to after each merge.
    pub upstream: Option<String>,
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
        built.try_deserialize().map_err(|e| format!("configuration: {e}"))
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("steward.db").display()))
    }

    pub fn registry_path(&self) -> PathBuf {
        self.registry.path.clone().unwrap_or_else(|| self.data_dir.join("registry.git"))
    }
}
