//! Findings: what validation reports.

use serde::Serialize;
use steward_schemas::{FieldPath, Pos};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

/// The document a finding's path and position refer to. Evolution findings
/// about something removed can only point into the previous version: the
/// new one no longer has it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The contract being validated.
    #[default]
    Current,
    /// The previous version it is compared with (`--previous`, or the
    /// published version in the service).
    Previous,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Previous => "previous",
        }
    }
}

/// One problem in a contract: which rule, how bad, what to do, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub path: FieldPath,
    pub line: usize,
    pub column: usize,
    /// Which document `path`, `line` and `column` are in.
    pub source: Source,
}

impl Finding {
    pub fn pos(&self) -> Pos {
        Pos { line: self.line, column: self.column }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
