//! placecheck: placement policies for Seldon Core 2 and Kubernetes.
//!
//! The pipeline is described in `docs/architecture.md`: source → inventory → facts → policy →
//! finding → report.

pub mod cli;
#[cfg(feature = "cluster")]
pub mod cluster;
pub mod config;
pub mod docs;
pub mod explain;
pub mod facts;
pub mod finding;
pub mod inventory;
pub mod path;
pub mod policy;
pub mod quantity;
pub mod report;
pub mod run;
pub mod scheduling;
pub mod seldon;
pub mod source;
pub mod testing;
