//! End to end: the real `steward serve` binary, the real CLI, a real git
//! registry: a producer submits, a reviewer approves, a consumer finds the
//! product by a column name, git shows the merge; a breaking change without
//! a major bump is refused with its rule named. On SQLite and PostgreSQL.

mod common;

use std::path::Path;

use common::{cli, ok, start, token};

fn flow(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir.path().join("data"), database_url);
    let admin_file = server.data.join("admin.token");
    let admin = std::fs::read_to_string(&admin_file).expect("first start wrote admin.token").trim().to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&admin_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let producer = token(
        &server,
        &admin,
        &["--name", "paul", "--role", "producer", "--domain", "sales", "--email", "paul@example.com"],
    );
    let reviewer = token(&server, &admin, &["--name", "rita", "--role", "reviewer", "--email", "rita@example.com"]);
    let consumer = token(&server, &admin, &["--name", "carla", "--role", "consumer", "--account", "123456789012"]);

    let contract = steward_testkit::repo_root().join("examples/sales-orders.odcs.yaml");
    let out = ok(cli(&server, &producer, &["submit", contract.to_str().unwrap()]));
    assert!(out.contains("proposal 1 for sales.orders 1.0.0 is pending_review"), "{out}");

    let out = ok(cli(&server, &reviewer, &["proposals", "list", "--status", "pending_review"]));
    assert!(out.contains("sales.orders") && out.contains("by paul"), "{out}");
    let out = ok(cli(&server, &reviewer, &["proposals", "approve", "1", "--comment", "ship it"]));
    assert!(out.contains("published") && out.contains("decided by rita"), "{out}");

    let out = ok(cli(&server, &consumer, &["products", "search", "customer_email"]));
    assert!(out.contains("sales.orders") && out.contains("1 of 1 product(s)"), "{out}");
    let out = ok(cli(&server, &consumer, &["products", "show", "sales.orders"]));
    assert!(out.contains("table order_lines at s3://steward-sales/orders/order_lines/"), "{out}");
    assert!(out.contains("dt") && out.contains("partition key 1"), "{out}");

    // The registry's main has the approved file, merged by a commit naming the reviewer.
    let repo = git2::Repository::open_bare(server.data.join("registry.git")).unwrap();
    let main = repo.find_branch("main", git2::BranchType::Local).unwrap().get().peel_to_commit().unwrap();
    assert_eq!(main.parent_count(), 2, "a merge commit");
    let message = main.message().unwrap();
    assert!(message.contains("Approved-by: rita <rita@example.com>") && message.contains("Proposal: 1"), "{message}");
    assert_eq!(main.author().name().ok(), Some("rita"));
    let blob =
        main.tree().unwrap().get_path(Path::new("contracts/sales/orders.odcs.yaml")).unwrap().to_object(&repo).unwrap();
    assert_eq!(blob.as_blob().unwrap().content(), std::fs::read(&contract).unwrap().as_slice());
    let proposal = main.parent(1).unwrap();
    assert_eq!(proposal.author().name().ok(), Some("paul"));

    // A breaking change without a major bump is refused, naming the rule.
    let breaking = dir.path().join("breaking.yaml");
    std::fs::write(&breaking, steward_testkit::sales_orders_without_quantity("1.1.0")).unwrap();
    let out = cli(&server, &producer, &["submit", breaking.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("rejected") && text.contains("error[STW101]") && text.contains("order_lines.quantity"),
        "{text}"
    );

    // The same change as a new major version is accepted for review, flagged as breaking.
    std::fs::write(&breaking, steward_testkit::sales_orders_without_quantity("2.0.0")).unwrap();
    let out = ok(cli(&server, &producer, &["submit", breaking.to_str().unwrap()]));
    assert!(out.contains("pending_review") && out.contains("breaking change"), "{out}");
    // The reviewer sees what consumers of 1.0.0 lose, and that nobody holds access yet.
    let out = ok(cli(&server, &reviewer, &["proposals", "show", "3"]));
    assert!(out.contains("impact on consumers of 1.0.0:"), "{out}");
    assert!(out.contains("loses column order_lines.quantity"), "{out}");
    assert!(out.contains("no account holds a grant or a subscription on it"), "{out}");

    // A consumer cannot approve, with a clear message and exit status 1.
    let out = cli(&server, &consumer, &["proposals", "approve", "3"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only reviewers and admins may approve"), "{out:?}");

    // The data survives a restart.
    drop(server);
    let server = start(&dir.path().join("data"), database_url);
    let out = ok(cli(&server, &consumer, &["products", "history", "sales.orders"]));
    assert!(out.starts_with("1.0.0"), "{out}");
}

#[test]
fn review_flow_on_sqlite() {
    flow(None);
}

#[test]
fn review_flow_on_postgres() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let Some(url) = runtime.block_on(steward_testkit::postgres()) else {
        return;
    };
    flow(Some(url.url()));
}
