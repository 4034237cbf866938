//! Placeholder: store queries behind a producer's workspace (issue [M9]).
