//! Where Steward contracts live: a **bare** git repository with one branch
//! of approved contracts and one branch per proposal.
//!
//! # Layout
//!
//! * The repository is bare (default `<data-dir>/registry.git`); nothing ever
//!   uses a working tree. Trees are built in memory with git2's `TreeBuilder`.
//! * `refs/heads/main` holds the approved contracts; `HEAD` points at it.
//!   [`Registry::open_or_init`] creates the repository with an empty root
//!   commit `Initialize Steward registry`.
//! * Each contract is `contracts/<domain>/<product>.odcs.yaml`
//!   ([`ProductKey::registry_path`]). Domains and products are
//!   [`steward_schemas`] identifiers (lower snake case), and proposal ids are
//!   `u64`, so no caller-supplied string can escape those paths.
//! * `refs/heads/proposals/<id>` holds proposal `<id>`: exactly one commit on
//!   top of the `main` of the time, writing one contract. Branches are never
//!   deleted, so rejected and withdrawn proposals stay for the record.
//!
//! # Commit messages
//!
//! A proposal commit is authored and committed by the submitter:
//!
//! ```text
//! Propose <domain>.<product> <version>
//!
//! Proposal: <id>
//! ```
//!
//! The subject is also how the registry later learns which product a
//! proposal branch is about. An approval is a real merge commit on `main`
//! (parents: old `main`, proposal tip), authored and committed by the
//! reviewer, with git-trailer-style lines at the end:
//!
//! ```text
//! Merge proposal <id>: <domain>.<product> <version>
//!
//! <reviewer's comment, if any>
//!
//! Proposal: <id>
//! Approved-by: <reviewer name> <<reviewer email>>
//! ```
//!
//! Its tree is `main`'s tree with the one contract replaced by the proposal's
//! version; any other change on the branch is ignored. Versions must be a
//! single word (no whitespace) and signatures must be storable by git, else
//! [`RegistryError::InvalidInput`].
//!
//! # Idempotency
//!
//! Every write can be retried safely (e.g. after a crash between the git
//! write and the catalog's database update):
//!
//! * [`Registry::propose`] with an existing id returns the existing tip if it
//!   proposes the same product with byte-identical contents, and
//!   [`RegistryError::Conflict`] otherwise.
//! * [`Registry::merge_proposal`] of a proposal already in `main`'s history
//!   returns the commit that merged it ([`Registry::merged_in`]) without
//!   writing anything.
//! * [`Registry::open_or_init`] opens what exists.
//!
//! # The conflict rule
//!
//! A proposal is based on the `main` of its time. Merging it is refused with
//! [`RegistryError::Conflict`] if the product's file on today's `main` differs
//! from the file at the merge base of `main` and the proposal, i.e. another
//! version of the same product was merged (or it was deleted) in between. The
//! submitter must resubmit against the current version, so that no approval
//! silently overwrites another. Proposals for different products never
//! conflict. `main` itself only moves by compare-and-swap; losing that race
//! to another process is also a `Conflict` (retry).
//!
//! # History
//!
//! [`Registry::history`] and [`MainEntry::commit`] follow `main`'s
//! **first-parent** line only, so they list the merge commits (who approved,
//! when) rather than the proposal commits (who proposed).
//!
//! # Upstream
//!
//! With an [`Upstream`] (a git remote), the remote holds the truth and the
//! local repository is a cache: see [`Registry::fetch`] and [`Registry::push`]
//! and the `remote` module's docs.
//!
//! # Concurrency
//!
//! [`Registry`] is synchronous and not `Sync`. Async code uses
//! [`SharedRegistry`], which serialises calls behind one mutex and runs them on
//! tokio's blocking pool.

mod error;
mod history;
mod proposals;
mod remote;
mod repo;
mod shared;
mod types;

pub use error::{RegistryError, Result};
pub use proposals::{merge_message, proposal_ref, propose_message};
pub use remote::{Credentials, Fetched, Upstream, redact_url, set_network_timeouts};
pub use repo::{INIT_MESSAGE, MAIN_BRANCH, Registry};
pub use shared::SharedRegistry;
pub use steward_schemas::ProductKey;
pub use types::{CommitInfo, MainEntry, Signature, proposal_trailer};
