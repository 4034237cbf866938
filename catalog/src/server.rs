//! Starting the service: data dir, store, registry, bootstrap, recovery, HTTP.

use std::sync::Arc;

use anyhow::Context;
use steward_policies::Policy;
use steward_registry::{Registry, SharedRegistry};
use tokio::net::TcpListener;

use crate::api::{self, AppState};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::service::Service;
use crate::store::Store;

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
    })
}

/// `steward serve`: runs until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
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
    let state = AppState { service, metrics: Arc::new(api::ops::Metrics::default()) };
    axum::serve(listener, api::router(state)).with_graceful_shutdown(shutdown_signal()).await?;
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
