//! Proposals: submitted contracts on their way to the catalog.
//!
//! Lifecycle: `submitted` → (validation) → `pending_review` or
//! `rejected_by_validation` → (reviewer) → `approved` → `published`, or
//! `rejected`. Status changes use compare-and-set on the previous status so
//! two reviewers cannot both decide.

use sqlx::{AnyConnection, AssertSqlSafe, Row};
/// A finding as stored and served: the API's `Finding`.
pub use steward_api::Finding as StoredFinding;
pub use steward_api::{FindingDocument, Proposal, ProposalStatus};

use super::{StoreError, name_at, time_at, time_opt, ts};

/// The policies' finding as stored and served.
pub fn finding(f: &steward_policies::Finding) -> StoredFinding {
    StoredFinding {
        rule: f.rule.to_owned(),
        severity: match f.severity {
            steward_policies::Severity::Error => steward_api::Severity::Error,
            steward_policies::Severity::Warning => steward_api::Severity::Warning,
        },
        message: f.message.clone(),
        path: f.path.to_string(),
        line: f.line,
        column: f.column,
        document: match f.source {
            steward_policies::Source::Current => FindingDocument::Proposal,
            steward_policies::Source::Previous => FindingDocument::Published,
        },
    }
}

pub struct NewProposal<'a> {
    pub product_key: &'a str,
    pub version: &'a str,
    pub status: ProposalStatus,
    pub contract: &'a str,
    pub findings: &'a [StoredFinding],
    pub breaking: bool,
    pub submitted_by: &'a str,
    pub now: chrono::DateTime<chrono::Utc>,
    /// The published version it was validated against (see [`Base`]).
    pub base: &'a Base,
}

/// The published version a proposal was judged against. An empty `version`
/// (and contract): nothing was published, the proposal makes a new product.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Base {
    pub version: String,
    pub contract: String,
}

impl Base {
    pub fn is_new_product(&self) -> bool {
        self.version.is_empty() && self.contract.is_empty()
    }
}

pub async fn insert(conn: &mut AnyConnection, p: &NewProposal<'_>) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO proposals (product_key, version, status, contract, findings, breaking, submitted_by, submitted_at,
                                base_version, base_contract)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(p.product_key)
    .bind(p.version)
    .bind(p.status.as_str())
    .bind(p.contract)
    .bind(serde_json::to_string(p.findings)?)
    .bind(i64::from(p.breaking))
    .bind(p.submitted_by)
    .bind(ts(p.now))
    .bind(&p.base.version)
    .bind(&p.base.contract)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

const COLUMNS: &str = "id, product_key, version, status, contract, findings, breaking, submitted_by, submitted_at, decided_by, decided_at, comment, branch_commit, merge_commit";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Proposal, StoreError> {
    let findings: String = r.try_get("findings")?;
    let breaking: i64 = r.try_get("breaking")?;
    Ok(Proposal {
        id: r.try_get("id")?,
        product_key: r.try_get("product_key")?,
        version: r.try_get("version")?,
        status: name_at(r, "status")?,
        contract: r.try_get("contract")?,
        findings: serde_json::from_str(&findings)?,
        breaking: breaking != 0,
        submitted_by: r.try_get("submitted_by")?,
        submitted_at: time_at(r, "submitted_at")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: time_opt(r, "decided_at")?,
        comment: r.try_get("comment")?,
        branch_commit: r.try_get("branch_commit")?,
        merge_commit: r.try_get("merge_commit")?,
    })
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Proposal>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {COLUMNS} FROM proposals WHERE id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

#[derive(Debug, Default, Clone)]
pub struct ProposalFilter {
    pub status: Option<ProposalStatus>,
    pub product_key: Option<String>,
    pub submitted_by: Option<String>,
    /// Only proposals of these domains (a producer's scope); `None`: all.
    pub domains: Option<Vec<String>>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(conn: &mut AnyConnection, f: &ProposalFilter) -> Result<Vec<Proposal>, StoreError> {
    // One `LIKE '<domain>.%'` per domain in scope (a producer holds a few);
    // `_` is a LIKE wildcard and domain names contain it, so it is escaped.
    let domains = f.domains.as_deref().unwrap_or_default();
    let scope = match &f.domains {
        None => String::new(),
        Some(d) if d.is_empty() => " AND 1 = 0".to_owned(),
        Some(d) => {
            let likes: Vec<String> = (0..d.len()).map(|i| format!("product_key LIKE ${} ESCAPE '\\'", 6 + i)).collect();
            format!(" AND ({})", likes.join(" OR "))
        }
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM proposals
         WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR product_key = $2) AND ($3 IS NULL OR submitted_by = $3){scope}
         ORDER BY id DESC LIMIT $4 OFFSET $5"
    );
    let mut query = sqlx::query(AssertSqlSafe(sql))
        .bind(f.status.map(|s| s.as_str().to_owned()))
        .bind(f.product_key.clone())
        .bind(f.submitted_by.clone())
        .bind(f.limit)
        .bind(f.offset);
    for domain in domains {
        query = query.bind(format!("{}.%", domain.replace('\\', "\\\\").replace('_', "\\_").replace('%', "\\%")));
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter().map(from_row).collect()
}

/// Proposals in one status, oldest first (for recovery at start).
pub async fn in_status(conn: &mut AnyConnection, status: ProposalStatus) -> Result<Vec<Proposal>, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(format!("SELECT {COLUMNS} FROM proposals WHERE status = $1 ORDER BY id")))
        .bind(status.as_str())
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Moves a proposal from `from` to `to`; `Conflict` if it was no longer in `from`.
pub async fn transition(
    conn: &mut AnyConnection,
    id: i64,
    from: &[ProposalStatus],
    to: ProposalStatus,
) -> Result<(), StoreError> {
    let allowed: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let done = sqlx::query("UPDATE proposals SET status = $1 WHERE id = $2 AND (status = $3 OR status = $4)")
        .bind(to.as_str())
        .bind(id)
        .bind(allowed[0])
        .bind(allowed.get(1).copied().unwrap_or(allowed[0]))
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(format!("proposal {id} is no longer {}", allowed.join(" or "))));
    }
    Ok(())
}

pub async fn set_branch_commit(conn: &mut AnyConnection, id: i64, commit: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE proposals SET branch_commit = $1 WHERE id = $2").bind(commit).bind(id).execute(conn).await?;
    Ok(())
}

pub async fn record_decision(
    conn: &mut AnyConnection,
    id: i64,
    by: &str,
    now: chrono::DateTime<chrono::Utc>,
    comment: Option<&str>,
    merge_commit: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE proposals SET decided_by = $1, decided_at = $2, comment = $3, merge_commit = COALESCE($4, merge_commit) WHERE id = $5",
    )
    .bind(by)
    .bind(ts(now))
    .bind(comment)
    .bind(merge_commit)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets a decision that did not take effect (a released claim).
pub async fn clear_decision(conn: &mut AnyConnection, id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE proposals SET decided_by = NULL, decided_at = NULL, comment = NULL WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records what a decision judged the proposal against: the base version and
/// the findings (and so `breaking`) of the check made then, which replace
/// those of the submission if the published version moved in between.
pub async fn record_judgement(
    conn: &mut AnyConnection,
    id: i64,
    base: &Base,
    findings: Option<(&[StoredFinding], bool)>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE proposals SET base_version = $1, base_contract = $2 WHERE id = $3")
        .bind(&base.version)
        .bind(&base.contract)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if let Some((findings, breaking)) = findings {
        sqlx::query("UPDATE proposals SET findings = $1, breaking = $2 WHERE id = $3")
            .bind(serde_json::to_string(findings)?)
            .bind(i64::from(breaking))
            .bind(id)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The base a proposal was judged against; `None` if it was decided before
/// Steward recorded bases (migration 0011).
pub async fn base(conn: &mut AnyConnection, id: i64) -> Result<Option<Base>, StoreError> {
    let row = sqlx::query("SELECT base_version, base_contract FROM proposals WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let version: Option<String> = row.try_get("base_version")?;
    let contract: Option<String> = row.try_get("base_contract")?;
    Ok(version.zip(contract).map(|(version, contract)| Base { version, contract }))
}

/// For proposals decided before bases were recorded: the contract of the
/// version published just before `proposal_id`'s own (published proposals),
/// or the last one published by `before` (others), from the proposals that
/// published them. `None` if that version came from elsewhere (a sync of
/// `main`), so it cannot be shown.
pub async fn reconstructed_base(
    conn: &mut AnyConnection,
    product_key: &str,
    proposal_id: i64,
    before: &str,
) -> Result<Option<Base>, StoreError> {
    let rows = sqlx::query(
        "SELECT v.version, v.proposal_id, v.published_at FROM product_versions v
         WHERE v.product_key = $1 AND (v.proposal_id IS NULL OR v.proposal_id <> $2) AND v.published_at <= $3
         ORDER BY v.published_at DESC LIMIT 1",
    )
    .bind(product_key)
    .bind(proposal_id)
    .bind(before)
    .fetch_all(&mut *conn)
    .await?;
    let Some(row) = rows.first() else {
        return Ok(Some(Base::default()));
    };
    let version: String = row.try_get("version")?;
    let Some(source) = row.try_get::<Option<i64>, _>("proposal_id")? else {
        return Ok(None);
    };
    Ok(get(conn, source).await?.map(|p| Base { version, contract: p.contract }))
}

/// When `proposal_id`'s version was published, if it was.
pub async fn published_at(conn: &mut AnyConnection, proposal_id: i64) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT published_at FROM product_versions WHERE proposal_id = $1")
        .bind(proposal_id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| r.try_get("published_at")).transpose().map_err(Into::into)
}

pub async fn set_merge_commit(conn: &mut AnyConnection, id: i64, commit: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE proposals SET merge_commit = $1 WHERE id = $2").bind(commit).bind(id).execute(conn).await?;
    Ok(())
}

/// The open or published proposal that already holds `version` of a product,
/// if any (a second one could never be approved).
pub async fn holding_version(
    conn: &mut AnyConnection,
    product_key: &str,
    version: &str,
) -> Result<Option<Proposal>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM proposals WHERE product_key = $1 AND version = $2
         AND status IN ('submitted', 'pending_review', 'approved', 'published') ORDER BY id LIMIT 1"
    )))
    .bind(product_key)
    .bind(version)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}
