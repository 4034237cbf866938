//! A git server as the registry's upstream, the way a git host serves it:
//! `git daemon` over `git://` with pushes enabled (Debian's `git` package),
//! and a TCP proxy in front of it that can swallow the answer to a push, so
//! a test can kill a replica after its merge reached the server but before
//! the replica heard so.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// `git daemon` serving a bare `registry.git` under a temp dir.
pub struct GitDaemon {
    child: Child,
    pub port: u16,
    /// The bare repository the daemon serves.
    pub repo: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl GitDaemon {
    /// Starts a daemon on a free loopback port serving an empty bare repository.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = dir.path().join("registry.git");
        git2::Repository::init_bare(&repo).expect("bare repository");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("git")
            .args(["daemon", "--reuseaddr", "--export-all", "--enable=receive-pack", "--listen=127.0.0.1"])
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", dir.path().display()))
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("`git daemon` runs (Debian's git package)");
        wait_for_port(port);
        Self { child, port, repo, _dir: dir }
    }

    /// The `git://` URL of the repository.
    pub fn url(&self) -> String {
        format!("git://127.0.0.1:{}/registry.git", self.port)
    }

    /// The server's `main`, if it has one.
    pub fn main(&self) -> Option<git2::Oid> {
        git2::Repository::open_bare(&self.repo).ok()?.refname_to_id("refs/heads/main").ok()
    }

    /// Subjects of `main`'s first-parent history, newest first.
    pub fn main_subjects(&self) -> Vec<String> {
        let repo = git2::Repository::open_bare(&self.repo).unwrap();
        let Ok(tip) = repo.refname_to_id("refs/heads/main") else { return Vec::new() };
        let mut walk = repo.revwalk().unwrap();
        walk.push(tip).unwrap();
        walk.simplify_first_parent().unwrap();
        walk.map(|id| repo.find_commit(id.unwrap()).unwrap().summary().ok().flatten().unwrap_or_default().to_owned())
            .collect()
    }
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A TCP proxy to a [`GitDaemon`]. With [`GitProxy::mute_push_replies`]
/// on, a push goes through to the server but the server's answer after the
/// pack (the status report) never reaches the client, which waits. With
/// [`GitProxy::hold_pushes`] on, a push never reaches the server at all.
pub struct GitProxy {
    pub port: u16,
    target: u16,
    mute: Arc<AtomicBool>,
    muted: Arc<AtomicUsize>,
    hold: Arc<AtomicBool>,
    held: Arc<AtomicUsize>,
}

impl GitProxy {
    pub fn start(daemon: &GitDaemon) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let proxy = Self {
            port,
            target: daemon.port,
            mute: Arc::new(AtomicBool::new(false)),
            muted: Arc::new(AtomicUsize::new(0)),
            hold: Arc::new(AtomicBool::new(false)),
            held: Arc::new(AtomicUsize::new(0)),
        };
        let target = proxy.target;
        let switches = Switches {
            mute: proxy.mute.clone(),
            muted: proxy.muted.clone(),
            hold: proxy.hold.clone(),
            held: proxy.held.clone(),
        };
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                let switches = switches.clone();
                std::thread::spawn(move || relay(client, target, &switches));
            }
        });
        proxy
    }

    /// The `git://` URL of the repository through the proxy.
    pub fn url(&self) -> String {
        format!("git://127.0.0.1:{}/registry.git", self.port)
    }

    pub fn mute_push_replies(&self, on: bool) {
        self.mute.store(on, Ordering::SeqCst);
    }

    /// Pushes whose reply was swallowed so far.
    pub fn muted_pushes(&self) -> usize {
        self.muted.load(Ordering::SeqCst)
    }

    pub fn hold_pushes(&self, on: bool) {
        self.hold.store(on, Ordering::SeqCst);
    }

    /// Pushes held back (never sent to the server) so far.
    pub fn held_pushes(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }
}

#[derive(Clone)]
struct Switches {
    mute: Arc<AtomicBool>,
    muted: Arc<AtomicUsize>,
    hold: Arc<AtomicBool>,
    held: Arc<AtomicUsize>,
}

fn relay(client: TcpStream, target: u16, switches: &Switches) {
    let Switches { mute, muted, hold, held } = switches;
    let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else { return };
    let (mut client_in, mut server_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let (mut server_in, mut client_out) = (server, client);
    // The first packet names the service: git-receive-pack is a push.
    let mut first = vec![0u8; 4096];
    let Ok(n) = client_in.read(&mut first) else { return };
    let is_push = String::from_utf8_lossy(&first[..n]).contains("git-receive-pack");
    if is_push && hold.load(Ordering::SeqCst) {
        // The server never hears of it; the client waits for an answer.
        held.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_secs(3600));
        return;
    }
    if server_out.write_all(&first[..n]).is_err() {
        return;
    }
    // Set once the client sends its commands and pack: after that the
    // server only reports the result, which a muted push never delivers.
    let pack_sent = Arc::new(AtomicBool::new(false));
    let muting = is_push && mute.load(Ordering::SeqCst);
    let sent = pack_sent.clone();
    let upstream = std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = client_in.read(&mut buf) {
            if n == 0 || server_out.write_all(&buf[..n]).is_err() {
                break;
            }
            sent.store(true, Ordering::SeqCst);
        }
        let _ = server_out.shutdown(Shutdown::Write);
    });
    let mut buf = vec![0u8; 64 * 1024];
    let mut counted = false;
    while let Ok(n) = server_in.read(&mut buf) {
        if n == 0 {
            break;
        }
        if muting && pack_sent.load(Ordering::SeqCst) {
            if !counted {
                muted.fetch_add(1, Ordering::SeqCst);
                counted = true;
            }
            continue;
        }
        if client_out.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    if muting {
        // Keep the client waiting, as a server that never answers would.
        let _ = upstream.join();
        std::thread::sleep(Duration::from_secs(3600));
    }
    let _ = client_out.shutdown(Shutdown::Write);
}

/// `git http-backend` (smart HTTP, the way GitHub or GitLab serve git)
/// behind HTTP basic authentication, on a free loopback port. Requests
/// without the accepted user and token get 401, as a git host answers.
pub struct GitHttp {
    pub port: u16,
    /// The bare repository served.
    pub repo: PathBuf,
    auth: Arc<std::sync::Mutex<String>>,
    refused: Arc<AtomicUsize>,
    _dir: tempfile::TempDir,
}

#[derive(Clone)]
struct HttpState {
    root: PathBuf,
    auth: Arc<std::sync::Mutex<String>>,
    refused: Arc<AtomicUsize>,
}

impl GitHttp {
    /// Serves an empty bare `registry.git` accepting `user` with `token`.
    /// Must be called within a tokio runtime.
    pub async fn start(user: &str, token: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = dir.path().join("registry.git");
        git2::Repository::init_bare(&repo).expect("bare repository");
        let auth = Arc::new(std::sync::Mutex::new(basic(user, token)));
        let refused = Arc::new(AtomicUsize::new(0));
        let state = HttpState { root: dir.path().to_owned(), auth: auth.clone(), refused: refused.clone() };
        let app = axum::Router::new().fallback(cgi).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { port, repo, auth, refused, _dir: dir }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/registry.git", self.port)
    }

    /// From now on only `user` with `token` is let in (a rotated token).
    pub fn accept(&self, user: &str, token: &str) {
        *self.auth.lock().unwrap() = basic(user, token);
    }

    /// Requests answered 401 so far.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }

    /// The server's `main`, if it has one.
    pub fn main(&self) -> Option<git2::Oid> {
        git2::Repository::open_bare(&self.repo).ok()?.refname_to_id("refs/heads/main").ok()
    }
}

fn basic(user: &str, token: &str) -> String {
    use base64::Engine as _;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}")))
}

/// Runs `git http-backend` as a CGI program for one request.
async fn cgi(
    axum::extract::State(state): axum::extract::State<HttpState>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode};
    use axum::response::IntoResponse;
    use tokio::io::AsyncWriteExt;

    let expected = state.auth.lock().unwrap().clone();
    let given = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if given != expected {
        state.refused.fetch_add(1, Ordering::SeqCst);
        let mut refused = (StatusCode::UNAUTHORIZED, "authentication required\n").into_response();
        refused.headers_mut().insert("www-authenticate", HeaderValue::from_static("Basic realm=\"git\""));
        return refused;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let mut child = tokio::process::Command::new("git")
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", &state.root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REMOTE_USER", "steward")
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("REQUEST_METHOD", method.as_str())
        .env("PATH_INFO", uri.path())
        .env("QUERY_STRING", uri.query().unwrap_or_default())
        .env("CONTENT_TYPE", header("content-type"))
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("HTTP_CONTENT_ENCODING", header("content-encoding"))
        .env("GIT_PROTOCOL", header("git-protocol"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("`git http-backend` runs (Debian's git package)");
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(&body).await;
    drop(stdin);
    let out = child.wait_with_output().await.expect("git http-backend finishes");
    // CGI output: header lines, a blank line, the body.
    let raw = out.stdout;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|i| (i, i + 2)));
    let Some((end, start)) = split else {
        return (StatusCode::BAD_GATEWAY, "git http-backend wrote no headers\n").into_response();
    };
    let mut response = axum::response::Response::new(axum::body::Body::from(raw[start..].to_vec()));
    for line in String::from_utf8_lossy(&raw[..end]).lines() {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().and_then(|c| c.parse().ok()).unwrap_or(500);
            *response.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        } else if let (Ok(name), Ok(value)) =
            (axum::http::HeaderName::try_from(name.trim()), HeaderValue::from_str(value))
        {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// `sshd` on a free loopback port serving a bare `registry.git` to one
/// client key (Debian's openssh-server; run as the current user, who logs
/// in with that key). `None` when sshd is not installed.
pub struct SshGit {
    child: Child,
    pub port: u16,
    /// The bare repository served.
    pub repo: PathBuf,
    /// The private key sshd accepts (no passphrase).
    pub client_key: PathBuf,
    /// `known_hosts` lines naming this server's host key.
    pub known_hosts: String,
    dir: tempfile::TempDir,
}

impl Drop for SshGit {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SshGit {
    pub fn start() -> Option<Self> {
        let sshd = PathBuf::from("/usr/sbin/sshd");
        if !sshd.exists() {
            crate::missing_service("sshd", "/usr/sbin/sshd not found (Debian's openssh-server)");
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = dir.path().join("registry.git");
        git2::Repository::init_bare(&repo).expect("bare repository");
        let keygen = |name: &str| {
            let path = dir.path().join(name);
            let made = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
                .arg(&path)
                .status()
                .expect("ssh-keygen runs");
            assert!(made.success(), "ssh-keygen {name}");
            path
        };
        let host_key = keygen("host_key");
        let client_key = keygen("client_key");
        let client_pub = std::fs::read_to_string(dir.path().join("client_key.pub")).unwrap();
        std::fs::write(dir.path().join("authorized_keys"), client_pub).unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = dir.path().join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nPidFile {dir}/sshd.pid\n\
                 AuthorizedKeysFile {dir}/authorized_keys\nStrictModes no\nUsePAM no\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PubkeyAuthentication yes\nPermitRootLogin prohibit-password\n",
                host = host_key.display(),
                dir = dir.path().display()
            ),
        )
        .unwrap();
        // sshd wants its privilege separation directory.
        let _ = std::fs::create_dir_all("/run/sshd");
        let child = Command::new(&sshd)
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sshd starts");
        wait_for_port(port);
        let host_pub = std::fs::read_to_string(dir.path().join("host_key.pub")).unwrap();
        let mut fields = host_pub.split_whitespace();
        let (kind, key) = (fields.next().unwrap(), fields.next().unwrap());
        let known_hosts = format!("[127.0.0.1]:{port} {kind} {key}\n");
        Some(Self { child, port, repo, client_key, known_hosts, dir })
    }

    /// `ssh://<current user>@127.0.0.1:<port>/<path>/registry.git`.
    pub fn url(&self) -> String {
        let user = std::env::var("USER").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| "root".to_owned());
        format!("ssh://{user}@127.0.0.1:{}{}", self.port, self.repo.display())
    }

    /// A home directory whose `.ssh/known_hosts` trusts this server (libgit2
    /// checks host keys against `~/.ssh/known_hosts`).
    pub fn home_trusting(&self) -> PathBuf {
        let home = self.dir.path().join("home");
        std::fs::create_dir_all(home.join(".ssh")).unwrap();
        std::fs::write(home.join(".ssh/known_hosts"), &self.known_hosts).unwrap();
        home
    }

    /// The server's `main`, if it has one.
    pub fn main(&self) -> Option<git2::Oid> {
        git2::Repository::open_bare(&self.repo).ok()?.refname_to_id("refs/heads/main").ok()
    }
}
