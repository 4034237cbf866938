//! Starting the service: data dir, store, registry, bootstrap, recovery, HTTP.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Context as _;
use steward_policies::Policy;
use tokio::net::TcpListener;

use crate::api::{self, AppState};
use crate::config::{CatalogBackend, Config, HttpSettings, SharesBackend, SignalsBackend};
pub use crate::effects::backends::EffectBackends;
pub use crate::effects::openlineage::LineageEmitter;
use crate::service::{BackendChoices, Service, ServiceBuilder};
use crate::worker::monitor::Monitor;
pub use crate::worker::outbox::{OutboxWorker, Round};

/// Opens everything the service needs (creating the data dir on first use).
pub async fn open(config: &Config) -> anyhow::Result<Service> {
    create_private_dir(&config.data_dir)
        .with_context(|| format!("cannot create data dir {}", config.data_dir.display()))?;
    let policy = match &config.policy_file {
        None => Policy::default(),
        Some(p) => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("cannot read policy file {}", p.display()))?;
            Policy::from_yaml(&text).with_context(|| format!("policy file {}", p.display()))?
        }
    };
    let registry_path = config.registry_path();
    if !registry_path.exists() {
        create_private_dir(&registry_path)
            .with_context(|| format!("cannot create the registry dir {}", registry_path.display()))?;
    }
    let issuers = &config.identity.trusted_issuers;
    let identity = if issuers.is_empty() {
        None
    } else {
        let verifier = steward_identity::Verifier::new(issuers.clone()).context("identity.trusted_issuers")?;
        tracing::info!(issuers = ?verifier.issuers().collect::<Vec<_>>(), "accepting workload JWTs of trusted issuers");
        Some(std::sync::Arc::new(verifier))
    };
    let service = ServiceBuilder::new(config.database_url(), registry_path)
        .identity(identity)
        .policy(policy)
        .upstream(config.registry.upstream())
        .accept_external_merges(config.registry.accept_external_merges)
        .recovery_after_secs(config.registry.recovery_after_secs)
        .exit_at(config.faults.exit_at)
        .backends(BackendChoices {
            catalog: config.backends.catalog,
            shares: config.backends.shares,
            webhooks: config.webhooks.clone(),
            signals: config.backends.signals,
            data_dir: Some(config.data_dir.clone()),
            openlineage: config.openlineage.is_some(),
            events: config.events.clone(),
        })
        .build()
        .await
        .context("opening the store and the registry")?;
    Ok(service)
}

/// Creates `dir` (and missing parents) readable by this user only: it holds
/// the database, the registry and the admin token. An existing dir is left as is.
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Builds the backends the outbox worker runs jobs through.
pub async fn effect_backends(config: &Config) -> anyhow::Result<EffectBackends> {
    let sdk = match &config.aws {
        Some(aws) => Some(steward_aws::sdk_config(aws).await),
        None => None,
    };
    let markers = match config.backends.signals {
        SignalsBackend::S3 => {
            let aws = config.aws.as_ref().context("backends.signals = s3 needs `aws` settings")?;
            steward_aws::Markers::s3(aws).context("S3 markers")?
        }
        SignalsBackend::Local => steward_aws::Markers::local(config.signals_root()),
    };
    Ok(EffectBackends {
        glue: match config.backends.catalog {
            CatalogBackend::Glue => {
                sdk.as_ref().zip(config.aws.as_ref()).map(|(c, s)| steward_aws::GlueCatalog::with_settings(c, s))
            }
            CatalogBackend::Embedded => None,
        },
        shares: match config.backends.shares {
            SharesBackend::Aws => {
                sdk.as_ref().zip(config.aws.as_ref()).map(|(c, s)| steward_aws::Shares::with_settings(c, s))
            }
            SharesBackend::Embedded => None,
        },
        markers,
        mailer: config.smtp.as_ref().map(steward_notify::Mailer::new).transpose().context("SMTP settings")?,
        webhooks: steward_notify::WebhookSender::new(&config.webhooks).context("webhook settings")?,
        sns: sdk.as_ref().map(steward_aws::SnsPublisher::new),
    })
}

/// The OpenLineage emitter of `openlineage.*`, if configured. Tables in
/// Glue are named `arn:aws:glue:{region}:{governance account}` too.
pub fn lineage_emitter(config: &Config) -> anyhow::Result<Option<LineageEmitter>> {
    let Some(settings) = &config.openlineage else { return Ok(None) };
    let glue = match (&config.aws, config.backends.catalog) {
        (Some(aws), CatalogBackend::Glue) => Some(format!("arn:aws:glue:{}:{}", aws.region, aws.governance_account_id)),
        _ => None,
    };
    let emitter = LineageEmitter::new(settings, glue, Some(config.data_dir.clone())).map_err(anyhow::Error::msg)?;
    Ok(Some(emitter))
}

/// Starts the background workers; they stop when `stop` turns true.
pub async fn start_workers(
    config: &Config,
    service: &Service,
    metrics: Arc<api::ops::Metrics>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let worker =
        OutboxWorker::new(service, effect_backends(config).await?, config.outbox.clone(), config.faults.clone())
            .openlineage(lineage_emitter(config)?);
    let mut handles = vec![tokio::spawn(worker.run(stop.clone()))];
    if config.slo.enabled {
        let monitor = Monitor {
            service: service.clone(),
            settings: config.slo.clone(),
            holder: format!("{}-{}", std::process::id(), crate::auth::short_id()),
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
    create_private_dir(&config.data_dir)
        .with_context(|| format!("cannot create data dir {}", config.data_dir.display()))?;
    // Held until this function returns: one server per data dir.
    let _data_dir_lock = crate::datadir::lock(&config.data_dir)?;
    let service = open(&config).await?;
    // Held until this function returns: without an upstream, one replica per database.
    let _sole_registry = service.claim_sole_registry().await?;
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
    serve_http(listener, app, &config.http, shutdown_signal()).await;
    let _ = stop_tx.send(true);
    for w in workers {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), w).await;
    }
    Ok(())
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets open
/// requests finish (at most [`DRAIN`]).
///
/// `axum::serve` has no timeouts and no connection limit, so a few hundred
/// idle or half-sent connections would hold the server's descriptors until
/// it could accept no more. Here, per connection (HTTP/1.1):
/// * a request head must arrive whole within `header_read_timeout_secs` of
///   its first byte (hyper's header-read timer, driven by [`ConnTimer`]);
/// * with no request in progress, a connection that sends nothing for
///   `idle_timeout_secs` is closed (the same timer, before any byte);
/// * a request body that stalls for `idle_timeout_secs` fails the request;
/// * at most `max_connections` are open: the accept loop takes a permit
///   first, so beyond the cap new connections wait in the kernel's backlog.
pub async fn serve_http(
    listener: TcpListener,
    app: axum::Router,
    limits: &HttpSettings,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    let header = Duration::from_secs(limits.header_read_timeout_secs);
    let idle = Duration::from_secs(limits.idle_timeout_secs);
    let cap = limits.max_connections.max(1);
    let permits = Arc::new(tokio::sync::Semaphore::new(cap));
    let app = tower::ServiceBuilder::new().layer(tower_http::timeout::RequestBodyTimeoutLayer::new(idle)).service(app);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, _peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors or a reset before accept: wait a little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(AtomicU64::new(0));
        let io = hyper_util::rt::TokioIo::new(Counted { inner: stream, bytes: activity.clone() });
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(ConnTimer { header, idle, bytes: activity }).header_read_timeout(header);
            let conn = builder.serve_connection(io, service);
            tokio::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                _ = stop.changed() => conn.as_mut().graceful_shutdown(),
            }
            let _ = conn.await;
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection holds a permit: all permits back means all are closed.
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    if tokio::time::timeout(DRAIN, permits.acquire_many(all)).await.is_err() {
        tracing::warn!("connections still open after {DRAIN:?}; closing them");
    }
}

/// How long shutdown waits for requests in progress.
const DRAIN: Duration = Duration::from_secs(30);

/// A TCP stream that counts the bytes it reads, so the header timer can tell
/// an idle connection from one that started a request head.
struct Counted {
    inner: tokio::net::TcpStream,
    bytes: Arc<AtomicU64>,
}

impl tokio::io::AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        if n > 0 {
            self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        }
        r
    }
}

impl tokio::io::AsyncWrite for Counted {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// hyper arms its header-read timer whenever it starts waiting for a request
/// head: on a new connection and after each response. Its own timer would
/// give an idle keep-alive connection the (short) header timeout. This one
/// waits `idle` while no byte has arrived, and `header` from the first byte.
struct ConnTimer {
    header: Duration,
    idle: Duration,
    bytes: Arc<AtomicU64>,
}

impl hyper::rt::Timer for ConnTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(PlainSleep(Box::pin(tokio::time::sleep(duration))))
    }

    fn sleep_until(&self, _deadline: std::time::Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        let now = tokio::time::Instant::now();
        Box::pin(HeadSleep {
            first_byte: None,
            bytes_at_arm: self.bytes.load(Ordering::Relaxed),
            bytes: self.bytes.clone(),
            header: self.header,
            sleep: Box::pin(tokio::time::sleep_until(now + self.idle)),
        })
    }
}

struct PlainSleep(Pin<Box<tokio::time::Sleep>>);

impl std::future::Future for PlainSleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

impl hyper::rt::Sleep for PlainSleep {}

/// The header-read deadline: `idle` after arming while nothing arrives,
/// `header` after the first byte of the head. hyper polls it each time the
/// connection wakes while a head is incomplete, which is when bytes arrive.
struct HeadSleep {
    first_byte: Option<tokio::time::Instant>,
    bytes_at_arm: u64,
    bytes: Arc<AtomicU64>,
    header: Duration,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl std::future::Future for HeadSleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.first_byte.is_none() && self.bytes.load(Ordering::Relaxed) != self.bytes_at_arm {
            let now = tokio::time::Instant::now();
            self.first_byte = Some(now);
            let deadline = now + self.header;
            self.sleep.as_mut().reset(deadline);
        }
        self.sleep.as_mut().poll(cx)
    }
}

impl hyper::rt::Sleep for HeadSleep {}

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
