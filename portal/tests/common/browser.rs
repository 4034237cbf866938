//! The headless-Chromium harness of the browser tests: chromedriver on a
//! free port, a Chromium session, screenshots, and waiting/sign-in helpers.
//! Needs Debian's `chromium` and `chromium-driver` on PATH; [`chromium`]
//! reports them missing (a skip locally, a failure under
//! STEWARD_TEST_REQUIRE_SERVICES=1).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// `(chromium, chromedriver)`, or `None` after reporting them missing.
pub fn chromium() -> Option<(PathBuf, PathBuf)> {
    let (Some(chromium), Some(chromedriver)) = (which("chromium"), which("chromedriver")) else {
        steward_testkit::missing_service(
            "chromium",
            "`chromium` and `chromedriver` must be on PATH (Debian: apt-get install chromium chromium-driver)",
        );
        return None;
    };
    Some((chromium, chromedriver))
}

pub fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| PathBuf::from(d).join(name)).find(|p| p.is_file())
}

/// chromedriver on a free port; killed on drop.
pub struct Driver(Child, pub u16);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub async fn start_driver(chromedriver: &PathBuf) -> Driver {
    let port = free_port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child, port);
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not listen on {port}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    driver
}

pub async fn browser(driver: &Driver, chromium: &PathBuf) -> Client {
    browser_with(driver, chromium, &[]).await
}

/// A Chromium session in dark mode: `prefers-color-scheme: dark` through
/// Blink's `preferredColorScheme` setting (0 = dark).
pub async fn dark_browser(driver: &Driver, chromium: &PathBuf) -> Client {
    browser_with(driver, chromium, &["--blink-settings=preferredColorScheme=0"]).await
}

/// A Chromium session with `extra` command-line arguments.
pub async fn browser_with(driver: &Driver, chromium: &PathBuf, extra: &[&str]) -> Client {
    let mut args =
        vec!["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900", "--disable-dev-shm-usage"];
    args.extend_from_slice(extra);
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), json!({ "binary": chromium, "args": args }));
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.1))
        .await
        .expect("a Chromium session")
}

pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| steward_testkit::repo_root().join("target"));
    let dir = target.join("portal-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

/// A screenshot, also written to `docs/portal/` with STEWARD_UPDATE_SCREENSHOTS=1.
pub async fn doc_shot(c: &Client, name: &str) {
    shot(c, name).await;
    if std::env::var_os("STEWARD_UPDATE_SCREENSHOTS").is_some_and(|v| v == "1") {
        let from = screenshot_dir().join(format!("{name}.png"));
        let to = steward_testkit::repo_root().join("docs/portal").join(format!("{name}.png"));
        std::fs::copy(from, to).unwrap();
    }
}

/// Sets the size of the page's viewport (not the window) to `width`x`height`
/// CSS pixels: the window is resized by the difference the frame takes.
pub async fn set_viewport(c: &Client, width: u32, height: u32) {
    c.set_window_size(width, height).await.unwrap();
    let inner = c.execute("return [window.innerWidth, window.innerHeight]", vec![]).await.unwrap();
    let (iw, ih) = (inner[0].as_u64().unwrap() as u32, inner[1].as_u64().unwrap() as u32);
    if (iw, ih) != (width, height) {
        c.set_window_size(width + width.saturating_sub(iw), height + height.saturating_sub(ih)).await.unwrap();
    }
}

/// Waits until the page source contains `needle`.
pub async fn wait_text(c: &Client, needle: &str) -> String {
    let started = Instant::now();
    loop {
        let src = c.source().await.unwrap();
        if src.contains(needle) {
            return src;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "page never showed {needle:?}; it has:\n{src}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the browser is at a URL containing `needle`: after a click that
/// navigates, the old page's text can still match a `wait_text` (the home page
/// links to the products a search then finds) and its elements go stale.
pub async fn wait_url(c: &Client, needle: &str) {
    let started = Instant::now();
    loop {
        let url = c.current_url().await.unwrap();
        if url.as_str().contains(needle) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "never reached a URL with {needle:?}; at {url}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn sign_in(c: &Client, base: &str, token: &str) {
    c.goto(&format!("{base}/signin")).await.unwrap();
    c.find(Locator::Css("#token")).await.unwrap().send_keys(token).await.unwrap();
    c.find(Locator::Css("form[action='/signin'] button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_text(c, "Sign out").await;
}

pub async fn sign_out(c: &Client) {
    c.find(Locator::Css("form[action='/signout'] button")).await.unwrap().click().await.unwrap();
    wait_text(c, "id=\"token\"").await;
}

/// A POST from page script with `fetch`; returns the status.
pub async fn fetch_post(c: &Client, path: &str, body: &str) -> u64 {
    let js = "const [path, body, done] = arguments;
              fetch(path, {method: 'POST', body: new URLSearchParams(body), credentials: 'same-origin', redirect: 'manual'})
                .then(r => done(r.status), e => done(String(e)));";
    let v = c.execute_async(js, vec![json!(path), json!(body)]).await.unwrap();
    v.as_u64().unwrap_or_else(|| panic!("fetch failed: {v}"))
}
