//! Policy parameters (`parameters:` of `.placecheck.yaml`) with their defaults.
//!
//! The facts layer reads a few of them (which extended resources are GPUs, which taints mark
//! dedicated pools, where ServerConfigs live); all of them are passed to Rego as `input.config`.

use serde_json::{Map, Value, json};

/// Parameters as Rust needs them, plus the whole map for `input.config`.
#[derive(Debug, Clone)]
pub struct Params {
    pub gpu_resources: Vec<String>,
    pub gpu_node_labels: Vec<String>,
    pub dedicated_taints: Vec<String>,
    pub control_plane_taints: Vec<String>,
    pub seldon_namespace: String,
    /// Every parameter (defaults overlaid with the user's), as Rego sees it.
    pub all: Map<String, Value>,
}

impl Default for Params {
    fn default() -> Self {
        Params::with_overrides(&Map::new())
    }
}

/// The documented defaults (docs/input.md `config`).
pub fn defaults() -> Map<String, Value> {
    let v = json!({
        "gpuResources": ["nvidia.com/gpu", "amd.com/gpu"],
        "gpuNodeLabels": ["nvidia.com/gpu.present", "cloud.google.com/gke-accelerator"],
        "gpuCapabilities": ["gpu", "model-on-gpu"],
        "dedicatedTaints": ["dedicated"],
        "criticalModels": {"matchLabels": {"placecheck.io/tier": "critical"}},
        "dependencies": [
            {"kind": "Kafka"},
            {"kind": "KafkaNodePool"},
            {"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "In", "values": ["kafka", "strimzi"]}]}
        ],
        "seldonNamespace": "seldon-mesh",
        "controlPlaneTaints": ["node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master"]
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn strings(m: &Map<String, Value>, key: &str) -> Vec<String> {
    m.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

impl Params {
    /// Defaults with the user's keys replacing them (a list replaces a list; no deep merge, so a
    /// user can shrink a default list).
    pub fn with_overrides(user: &Map<String, Value>) -> Params {
        let mut all = defaults();
        for (k, v) in user {
            all.insert(k.clone(), v.clone());
        }
        Params {
            gpu_resources: strings(&all, "gpuResources"),
            gpu_node_labels: strings(&all, "gpuNodeLabels"),
            dedicated_taints: strings(&all, "dedicatedTaints"),
            control_plane_taints: strings(&all, "controlPlaneTaints"),
            seldon_namespace: all
                .get("seldonNamespace")
                .and_then(Value::as_str)
                .unwrap_or("seldon-mesh")
                .to_string(),
            all,
        }
    }
}
