//! One data dir, one server: a second `steward serve` on a data dir in use
//! refuses to start, naming the holder; once the first is gone it starts.

mod common;

use std::process::Command;

use common::{STEWARD, start};

#[test]
fn a_second_server_on_the_same_data_dir_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = start(&data, None);
    let second = Command::new(STEWARD)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env("STEWARD_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_ne!(second.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("in use by another `steward serve`"), "{stderr}");
    assert!(stderr.contains(&format!("pid {}", first.child.id())), "the refusal names the holder: {stderr}");
    drop(first);
    let again = start(&data, None);
    assert!(again.url.starts_with("http://127.0.0.1:"));
}
