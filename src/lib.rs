//! placecheck: placement policies for Seldon Core 2 and Kubernetes.
//!
//! The pipeline is described in `docs/architecture.md`: source → inventory → facts → policy →
//! finding → report.

pub mod path;
pub mod source;
