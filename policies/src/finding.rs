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

/// One problem in a contract: which rule, how bad, what to do, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub path: FieldPath,
    pub line: usize,
    pub column: usize,
}

impl Finding {
    pub fn pos(&self) -> Pos {
        Pos { line: self.line, column: self.column }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
