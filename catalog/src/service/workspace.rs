//! Placeholder: a producer's workspace (their products and proposals; issue [M9]).
