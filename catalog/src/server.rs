//! Starting the service: data dir, store, registry, bootstrap, recovery, HTTP.

use std::sync::Arc;

use anyhow::Context;
use steward_policies::Policy;
use steward_registry::{Registry, SharedRegistry};
use tokio::net::TcpListener;

use crate::api::{self, AppState};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::effects;
use crate::service::{Backends, Service};
use crate::store::Store;
use crate::worker::monitor::Monitor;
use crate::worker::outbox::OutboxWorker;

/// Opens everything the service needs (creating the data dir on first use).
pub async fn open(config: &Config) -> anyhow::Result<Service> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data dir {}", config.data_dir.display()))?;
    let policy = match &config.policy_file {
        None => Policy::default(),
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("cannot read policy file {}", p.display()))?;
            Policy::from_yaml(&text).with_context(|| format!("policy file {}", p.display()))?
        }
    };
    let store = Store::connect(&config.database_url()).await.context("opening the store")?;
    let registry_path = config.registry_path();
    let registry = tokio::task::spawn_blocking(move || Registry::open_or_init(&registry_path))
        .await
        .context("registry task")?
        .context("opening the registry")?;
    Ok(Service {
        store,
        registry: SharedRegistry::new(registry),
        policy: Arc::new(policy),
        clock: Arc::new(SystemClock),
        upstream: config.registry.upstream.clone(),
        backends: Arc::new(Backends {
            glue: config.backends.catalog == "glue",
            aws_shares: config.backends.shares == "aws",
            webhooks: config.webhooks.clone(),
        }),
    })
}

/// Builds the backends the outbox executor calls.
pub async fn effect_backends(config: &Config) -> anyhow::Result<effects::backends::Backends> {
    let sdk = match &config.aws {
        Some(aws) => Some(steward_aws::sdk_config(aws).await),
        None => None,
    };
    let markers = match config.backends.signals.as_str() {
        "s3" => {
            let aws = config.aws.as_ref().context("backends.signals = s3 needs `aws` settings")?;
            steward_aws::Markers::s3(aws).context("S3 markers")?
        }
        _ => steward_aws::Markers::local(config.signals_root()),
    };
    let gov = config.aws.as_ref().map(|a| a.governance_account_id.clone()).unwrap_or_default();
    Ok(effects::backends::Backends {
        glue: (config.backends.catalog == "glue").then(|| sdk.as_ref().map(steward_aws::GlueCatalog::new)).flatten(),
        shares: (config.backends.shares == "aws")
            .then(|| sdk.as_ref().map(|c| steward_aws::Shares::new(c, &gov)))
            .flatten(),
        markers,
        mailer: config.smtp.as_ref().map(steward_notify::Mailer::new).transpose().context("SMTP settings")?,
        webhooks: steward_notify::WebhookSender::new(&config.webhooks).context("webhook settings")?,
        sns: sdk.as_ref().map(steward_aws::SnsPublisher::new),
    })
}

/// Starts the background workers; they stop when `stop` turns true.
pub async fn start_workers(
    config: &Config,
    service: &Service,
    metrics: Arc<api::ops::Metrics>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let executor =
        Arc::new(effects::execute::Executor { service: service.clone(), backends: effect_backends(config).await? });
    let worker = OutboxWorker::new(executor, config.outbox.clone(), config.faults.clone());
    let mut handles = vec![tokio::spawn(worker.run(stop.clone()))];
    if config.slo.enabled {
        let monitor = Monitor {
            service: service.clone(),
            settings: config.slo.clone(),
            holder: format!("{}-{}", std::process::id(), &crate::auth::new_secret()[4..12]),
            metrics,
        };
        handles.push(tokio::spawn(monitor.run(stop)));
    }
    Ok(handles)
}

/// `steward serve`: runs until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    serve_with(config, |_| axum::Router::new()).await
}

/// [`serve`] with more routes merged beside the API (the binary adds the
/// portal this way, so this crate does not depend on it).
pub async fn serve_with(config: Config, extra: impl FnOnce(AppState) -> axum::Router) -> anyhow::Result<()> {
    let service = open(&config).await?;
    if let Some(path) = service.bootstrap_admin(&config.data_dir).await? {
        tracing::info!(path = %path.display(), "created the first admin token");
        eprintln!("steward: created an admin token in {} (keep it secret; use it as STEWARD_TOKEN)", path.display());
    }
    let done = service.reconcile().await.context("reconciling the catalog with the registry")?;
    if done != Default::default() {
        tracing::warn!(?done, "recovered work left by an earlier run");
    }
    let listener =
        TcpListener::bind(config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, data_dir = %config.data_dir.display(), database = %redact(&config.database_url()), "steward is serving");
    eprintln!("steward: serving on http://{addr} (data in {})", config.data_dir.display());
    let metrics = Arc::new(api::ops::Metrics::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let workers = start_workers(&config, &service, metrics.clone(), stop_rx).await?;
    let state = AppState { service, metrics };
    let app = extra(state.clone()).merge(api::router(state));
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    let _ = stop_tx.send(true);
    for w in workers {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), w).await;
    }
    Ok(())
}

/// Hides a password in a database URL for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(super::redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
