//! Placeholder: counts and pages of the reviewers' queues (issue [M9]).
