//! Placeholder: see the registry issue.
