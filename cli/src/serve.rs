//! `steward serve`: run the service.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use steward_catalog::config::Config;

use crate::{EXIT_OK, EXIT_USAGE, usage_error};

/// Run the Steward service (API, catalog, registry) until Ctrl-C.
///
/// Zero-config: data in ./steward-data (SQLite and the git registry),
/// listening on 127.0.0.1:8080. The first start on an empty data dir creates
/// an admin token in <data-dir>/admin.token. Settings are layered: defaults,
/// then --config FILE, then STEWARD__* environment variables (e.g.
/// STEWARD__DATABASE_URL, STEWARD__REGISTRY__UPSTREAM), then these flags.
#[derive(Args)]
pub struct ServeArgs {
    /// Data directory (default ./steward-data).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// sqlite://PATH or postgres://USER@HOST/DB (default: SQLite in the data dir).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// YAML configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

pub fn run(args: ServeArgs) -> u8 {
    let mut config = match Config::load(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    if let Some(d) = args.data_dir {
        config.data_dir = d;
    }
    if let Some(l) = args.listen {
        config.listen = l;
    }
    if let Some(u) = args.database_url {
        config.database_url = Some(u);
    }
    if config.registry.upstream.is_some() {
        let timeout = std::time::Duration::from_secs(config.registry.network_timeout_secs.max(1));
        // SAFETY: no thread exists yet: the async runtime starts below.
        #[allow(unsafe_code)]
        let set = unsafe { steward_registry::set_network_timeouts(timeout) };
        if let Err(e) = set {
            return usage_error(format!("cannot set the registry's network timeouts: {e}"));
        }
    }
    init_tracing(config.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return usage_error(format!("cannot start the async runtime: {e}")),
    };
    let sign_in = match steward_portal::oidc::SignInOptions::from_config(&config.portal) {
        Ok(s) => s,
        Err(e) => return usage_error(format!("configuration: {e}")),
    };
    let portal = move |state| steward_portal::router_with(state, sign_in);
    match runtime.block_on(steward_catalog::server::serve_with(config, portal)) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("steward: error: {e:#}");
            EXIT_USAGE
        }
    }
}

fn init_tracing(format: steward_catalog::config::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("STEWARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info,sqlx=warn"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        steward_catalog::config::LogFormat::Json => builder.json().init(),
        steward_catalog::config::LogFormat::Text => builder.init(),
    }
}
