//! The real `steward serve` at its edges: what it creates on disk is private
//! to its user, and its connection timeouts come from the configuration.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::start_with;

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

fn addr(url: &str) -> String {
    url.trim_start_matches("http://").trim_end_matches('/').to_owned()
}

#[test]
fn the_data_dir_database_registry_and_admin_token_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start_with(&data, None, &[]);
    // A request makes sure the pool has the database open (and its -wal/-shm files).
    let mut s = TcpStream::connect(addr(&server.url)).unwrap();
    s.write_all(b"GET /readyz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert_eq!(mode(&data), 0o700, "data dir");
    assert_eq!(mode(&data.join("registry.git")), 0o700, "registry");
    for file in ["steward.db", "steward.db-wal", "steward.db-shm", "admin.token"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
}

#[test]
fn half_sent_requests_are_closed_and_others_still_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(
        &dir.path().join("data"),
        None,
        &[("STEWARD__HTTP__HEADER_READ_TIMEOUT_SECS", "1"), ("STEWARD__HTTP__IDLE_TIMEOUT_SECS", "2")],
    );
    let addr = addr(&server.url);
    let mut slow: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n").unwrap();
            s
        })
        .collect();
    let started = Instant::now();
    for s in &mut slow {
        s.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
        let mut buf = [0u8; 512];
        loop {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {
                    panic!("a half-sent request was still open after {:?}", started.elapsed())
                }
                Err(_) => break, // reset
            }
        }
    }
    let mut s = TcpStream::connect(&addr).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
}
