//! Seldon Core 2 (v2.10.2) placement rules, computed the way Seldon computes them.
//!
//! Why it exists: whether a Model lands on a Server is decided by the Seldon operator (ServerConfig
//! ⊕ Server merge, capabilities rewrite), the agent in each Server pod (capabilities, memory,
//! overcommit read from its environment) and the Seldon scheduler (server and replica filters).
//! This module reproduces those decisions from raw manifests (`serde_json::Value`), citing the
//! upstream source path for each rule (see `/work/shared/spec/seldon.md`).
//!
//! Must not: know Nodes or Kubernetes scheduling (taints, affinity, resource fit — that is
//! `scheduling`), read files, or look objects up. Whether Kubernetes can run a Server's pods comes
//! in as a number ([`ServerSummary::runnable_replicas`]). Never panics on malformed manifests:
//! wrong types are normal input and come back as notes or errors.
//!
//! Map: [`merge`] (pod-spec merge with origins), [`server`] (effective Server: capabilities,
//! memory, overcommit, GPUs), [`model`] (what a Model asks for), [`scaling`] (replica validation),
//! [`judge`] (Model vs Server in scheduler terms), [`defaults`] (Helm-installed ServerConfigs),
//! [`bytes`] (memory quantities).

pub mod bytes;
pub mod defaults;
pub mod judge;
pub mod merge;
pub mod model;
pub mod scaling;
pub mod server;

pub use defaults::shipped_server_config;
pub use judge::{Closeness, Rejection, ServerSummary, closeness, judge, risks};
pub use merge::{MergedPodSpec, Origin, SERVER_PODSPEC_FIELDS, Side, merge_pod_specs};
pub use model::{ModelFacts, Requirement, model_requirements};
pub use scaling::{Scaling, validated_scaling};
pub use server::{
    Capability, CapabilitySource, DEFAULT_GPU_RESOURCES, EffectiveServer, MemorySource,
    effective_server,
};

/// `metadata.name` (`""` when missing) and `metadata.namespace` of a raw object.
fn identity(object: &serde_json::Value) -> (String, Option<String>) {
    let meta = object.get("metadata");
    let text = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(serde_json::Value::as_str)
    };
    (
        text("name").unwrap_or("").to_string(),
        text("namespace").map(str::to_string),
    )
}
