//! `steward admin token create --expires-in-days | list | revoke` against a
//! real `steward serve` (SQLite in a temp data dir).

mod common;

use common::{cli, ok, start, token};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn tokens_are_listed_expire_and_are_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(dir.path(), None);
    let admin = std::fs::read_to_string(dir.path().join("admin.token")).unwrap().trim().to_owned();

    // Out-of-range expiry is a usage error before anything is sent.
    for bad in ["0", "-3", "3651", "soon"] {
        let flag = format!("--expires-in-days={bad}");
        let out = cli(&srv, &admin, &["admin", "token", "create", "--name", "x", "--role", "reviewer", &flag]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(stderr(&out).contains("--expires-in-days"), "{}", stderr(&out));
    }

    let ci =
        token(&srv, &admin, &["--name", "ci", "--role", "producer", "--domain", "sales", "--expires-in-days", "30"]);
    assert!(ci.starts_with("stw_"), "{ci}");
    let rita = token(&srv, &admin, &["--name", "rita", "--role", "reviewer"]);
    ok(cli(&srv, &rita, &["proposals", "list"]));

    // The table: a header, one line per token, no secret.
    let table = ok(cli(&srv, &admin, &["admin", "token", "list"]));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("NAME") && lines[0].contains("LAST USED") && lines[0].contains("EXPIRES"), "{table}");
    assert_eq!(lines.len(), 4, "{table}");
    let ci_line = lines.iter().find(|l| l.starts_with("ci ")).expect("ci listed");
    assert!(ci_line.contains("producer") && ci_line.contains("active") && ci_line.contains("sales"), "{ci_line}");
    assert!(!table.contains(&ci[4..]) && !table.contains(&admin[4..]) && !table.contains(&rita[4..]), "{table}");

    // --json: the API's answer, with the expiry 30 days after creation.
    let json: serde_json::Value =
        serde_json::from_str(&ok(cli(&srv, &admin, &["admin", "token", "list", "--json"]))).unwrap();
    let row = json.as_array().unwrap().iter().find(|t| t["name"] == "ci").unwrap();
    let created = chrono::DateTime::parse_from_rfc3339(row["created_at"].as_str().unwrap()).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(row["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(expires - created, chrono::Duration::days(30), "{row}");
    let rita_row = json.as_array().unwrap().iter().find(|t| t["name"] == "rita").unwrap();
    assert!(rita_row["last_used_at"].as_str().is_some(), "{rita_row}");
    assert_eq!(rita_row["expires_at"], serde_json::Value::Null);

    // Revoke: the token is refused at once.
    let out = ok(cli(&srv, &admin, &["admin", "token", "revoke", "rita"]));
    assert!(out.contains("revoked token `rita`"), "{out}");
    let refused = cli(&srv, &rita, &["proposals", "list"]);
    assert_ne!(refused.status.code(), Some(0));
    assert!(stderr(&refused).contains("revoked"), "{}", stderr(&refused));
    let table = ok(cli(&srv, &admin, &["admin", "token", "list"]));
    assert!(table.lines().any(|l| l.starts_with("rita ") && l.contains("revoked")), "{table}");

    // Again, or the last admin: exit 1 with the server's reason.
    let again = cli(&srv, &admin, &["admin", "token", "revoke", "rita"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("already revoked"), "{}", stderr(&again));
    let last = cli(&srv, &admin, &["admin", "token", "revoke", "admin"]);
    assert_eq!(last.status.code(), Some(1));
    assert!(stderr(&last).contains("last active admin token"), "{}", stderr(&last));
    // Non-admins are refused.
    let denied = cli(&srv, &ci, &["admin", "token", "list"]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(stderr(&denied).contains("only admins"), "{}", stderr(&denied));
}
