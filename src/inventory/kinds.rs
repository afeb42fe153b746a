//! Which kinds placecheck reads, and where their pod templates live.
//!
//! Kinds are matched by `kind` and API group (the version is not checked: `v1beta1` and `v1`
//! Deployments carry the pod template at the same path).

use crate::path::FieldPath;

pub const SELDON_GROUP: &str = "mlops.seldon.io";
pub const STRIMZI_GROUP: &str = "kafka.strimzi.io";

/// The group of an `apiVersion` (`""` for the core group).
pub fn group(api_version: &str) -> &str {
    match api_version.rsplit_once('/') {
        Some((g, _)) => g,
        None => "",
    }
}

/// What placecheck does with an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Node,
    RuntimeClass,
    Server,
    ServerConfig,
    Model,
    SeldonRuntime,
    SeldonConfig,
    /// Any other object with pod templates (see [`pod_template_paths`]).
    Workload,
    /// Loaded into `input.objects` only.
    Other,
}

pub fn classify(api_version: &str, kind: &str) -> Class {
    let g = group(api_version);
    match (g, kind) {
        ("", "Node") => Class::Node,
        ("node.k8s.io", "RuntimeClass") => Class::RuntimeClass,
        (SELDON_GROUP, "Server") => Class::Server,
        (SELDON_GROUP, "ServerConfig") => Class::ServerConfig,
        (SELDON_GROUP, "Model") => Class::Model,
        (SELDON_GROUP, "SeldonRuntime") => Class::SeldonRuntime,
        (SELDON_GROUP, "SeldonConfig") => Class::SeldonConfig,
        ("", "Pod")
        | ("apps" | "extensions", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("batch", "Job" | "CronJob")
        | (STRIMZI_GROUP, "Kafka" | "KafkaNodePool") => Class::Workload,
        _ => Class::Other,
    }
}

/// Kinds that have no namespace. Objects of other kinds without `metadata.namespace` are taken
/// to live in the namespace they will be applied to, which placecheck cannot know: it keeps `""`
/// and treats `""` as one namespace (a Model and a Server both without namespace can match).
pub fn cluster_scoped(api_version: &str, kind: &str) -> bool {
    let g = group(api_version);
    matches!(
        (g, kind),
        (
            "",
            "Node" | "Namespace" | "PersistentVolume" | "ComponentStatus"
        ) | ("node.k8s.io", "RuntimeClass")
            | ("rbac.authorization.k8s.io", "ClusterRole" | "ClusterRoleBinding")
            | ("apiextensions.k8s.io", "CustomResourceDefinition")
            | ("storage.k8s.io", "StorageClass" | "CSIDriver" | "CSINode" | "VolumeAttachment")
            | ("scheduling.k8s.io", "PriorityClass")
            | ("admissionregistration.k8s.io", _)
            | ("apiregistration.k8s.io", "APIService")
            | ("policy", "PodSecurityPolicy")
            | ("wgpolicyk8s.io", "ClusterPolicyReport")
    )
}

/// A pod template inside a workload: where its pod spec is, where its labels are, and (for
/// SeldonRuntime overrides) which component it configures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodTemplate {
    pub spec: FieldPath,
    pub labels: Option<FieldPath>,
    pub component: Option<String>,
}

fn fp(parts: &[&str]) -> FieldPath {
    let mut p = FieldPath::root();
    for s in parts {
        p = p.key(s);
    }
    p
}

/// Pod templates of an object of class `Workload`, `SeldonRuntime` or `SeldonConfig`.
///
/// Strimzi: `Kafka.spec.kafka.template.pod` and `KafkaNodePool.spec.template.pod` hold
/// `affinity`/`tolerations` (a PodTemplate, not a PodSpec, but the placement fields have the
/// same names). SeldonRuntime: `spec.overrides[i].podSpec` (merged into the component by
/// `common.MergePodSpecs`, seldon.md §1.4); SeldonConfig: `spec.components[i].podSpec`.
pub fn pod_templates(kind: &str, value: &serde_json::Value) -> Vec<PodTemplate> {
    let one = |spec: &[&str], labels: &[&str]| {
        vec![PodTemplate {
            spec: fp(spec),
            labels: Some(fp(labels)),
            component: None,
        }]
    };
    match kind {
        "Pod" => one(&["spec"], &["metadata", "labels"]),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => one(
            &["spec", "template", "spec"],
            &["spec", "template", "metadata", "labels"],
        ),
        "CronJob" => one(
            &["spec", "jobTemplate", "spec", "template", "spec"],
            &["spec", "jobTemplate", "spec", "template", "metadata", "labels"],
        ),
        "Kafka" => one(
            &["spec", "kafka", "template", "pod"],
            &["spec", "kafka", "template", "pod", "metadata", "labels"],
        ),
        "KafkaNodePool" => one(
            &["spec", "template", "pod"],
            &["spec", "template", "pod", "metadata", "labels"],
        ),
        "SeldonRuntime" | "SeldonConfig" => {
            let list = if kind == "SeldonRuntime" {
                "overrides"
            } else {
                "components"
            };
            let items = value
                .get("spec")
                .and_then(|s| s.get(list))
                .and_then(|o| o.as_array());
            items
                .into_iter()
                .flatten()
                .enumerate()
                .filter(|(_, o)| o.get("podSpec").is_some_and(|p| p.is_object()))
                .map(|(i, o)| PodTemplate {
                    spec: fp(&["spec", list]).index(i).key("podSpec"),
                    labels: None,
                    component: o.get("name").and_then(|n| n.as_str()).map(str::to_string),
                })
                .collect()
        }
        _ => Vec::new(),
    }
}
