//! Partial Seldon Core 2 and Strimzi CRD types, and the CRDs generated from them.
//!
//! Why: placecheck never installs CRDs in a real cluster (Seldon and Strimzi do), but the
//! integration tests need a kube-apiserver that serves these kinds, and a developer may want the
//! same on a scratch cluster (`placecheck crds | kubectl apply -f -`). The types are written here
//! from the fields placecheck reads (seldon.md §1, the Strimzi pod templates): every one of them
//! must survive the API server's pruning, so the schemas are structural and pod-spec-like
//! subtrees keep unknown fields (`x-kubernetes-preserve-unknown-fields`) instead of copying the
//! PodSpec schema.
//!
//! What it must not do: be used to *read* objects. The live read path keeps objects as JSON
//! (`DynamicObject`) so that fields these partial types do not name still reach the policies.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{CustomResource, CustomResourceExt};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Any JSON object, kept as is by the API server (a pod spec, a Strimzi pod template, …).
fn preserved_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
}

/// A list of arbitrary objects (volume claim templates, …).
fn preserved_objects(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "array",
        "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
    })
}

/// A Kubernetes quantity: an integer or a string (`40Gi`, `1000000`).
fn int_or_string(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"x-kubernetes-int-or-string": true})
}

/// `status` of the Seldon kinds: the conditions placecheck reads, the rest kept.
#[derive(Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct SeldonStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<SeldonCondition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
}

/// A knative-style condition as the Seldon operator writes it (note: for `ScheduleFailed` the
/// state name is in `message` and the long text in `reason`, seldon.md §2.8).
#[derive(Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeldonCondition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
}

/// `mlops.seldon.io/v1alpha1` Server (partial).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[kube(
    group = "mlops.seldon.io",
    version = "v1alpha1",
    kind = "Server",
    namespaced,
    status = "SeldonStatus",
    scale(
        spec_replicas_path = ".spec.replicas",
        status_replicas_path = ".status.replicas"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct ServerSpec {
    pub server_config: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_capabilities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub pod_spec: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_auto_update: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub stateful_set_persistent_volume_claim_retention_policy: Option<Value>,
}

/// `mlops.seldon.io/v1alpha1` ServerConfig (partial).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[kube(
    group = "mlops.seldon.io",
    version = "v1alpha1",
    kind = "ServerConfig",
    namespaced
)]
#[serde(rename_all = "camelCase")]
pub struct ServerConfigSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub pod_spec: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_objects")]
    pub volume_claim_templates: Option<Value>,
}

/// `mlops.seldon.io/v1alpha1` Model (partial).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[kube(
    group = "mlops.seldon.io",
    version = "v1alpha1",
    kind = "Model",
    namespaced,
    status = "SeldonStatus",
    scale(
        spec_replicas_path = ".spec.replicas",
        status_replicas_path = ".status.replicas"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct ModelSpec {
    pub storage_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_version: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirements: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "int_or_string")]
    pub memory: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub explainer: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub llm: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_objects")]
    pub parameters: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedicated: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preloaded: Option<bool>,
}

/// One component override of a SeldonRuntime (scheduler, envoy, gateways, …).
#[derive(Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentOverride {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub pod_spec: Option<Value>,
}

/// `mlops.seldon.io/v1alpha1` SeldonRuntime (partial).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[kube(
    group = "mlops.seldon.io",
    version = "v1alpha1",
    kind = "SeldonRuntime",
    namespaced
)]
#[serde(rename_all = "camelCase")]
pub struct SeldonRuntimeSpec {
    pub seldon_config: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub config: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<Vec<ComponentOverride>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_auto_update: Option<bool>,
}

/// One component of a SeldonConfig.
#[derive(Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentDefn {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub pod_spec: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_objects")]
    pub volume_claim_templates: Option<Value>,
}

/// `mlops.seldon.io/v1alpha1` SeldonConfig (partial).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[kube(
    group = "mlops.seldon.io",
    version = "v1alpha1",
    kind = "SeldonConfig",
    namespaced
)]
#[serde(rename_all = "camelCase")]
pub struct SeldonConfigSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<ComponentDefn>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub config: Option<Value>,
}

/// Strimzi templates hold a `pod` template whose placement fields (`affinity`, `tolerations`)
/// have the PodSpec names.
#[derive(Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodTemplateHolder {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub pod: Option<Value>,
}

/// `kafka.strimzi.io/v1beta2` KafkaNodePool (partial).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[kube(
    group = "kafka.strimzi.io",
    version = "v1beta2",
    kind = "KafkaNodePool",
    namespaced
)]
#[serde(rename_all = "camelCase")]
pub struct KafkaNodePoolSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub storage: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub resources: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<PodTemplateHolder>,
}

/// `spec.kafka` of a Strimzi Kafka: the brokers' pod template is what placecheck reads.
#[derive(Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
pub struct KafkaClusterSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<PodTemplateHolder>,
}

/// `kafka.strimzi.io/v1beta2` Kafka (partial).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[kube(
    group = "kafka.strimzi.io",
    version = "v1beta2",
    kind = "Kafka",
    plural = "kafkas",
    namespaced
)]
#[serde(rename_all = "camelCase")]
pub struct KafkaSpec {
    pub kafka: KafkaClusterSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub zookeeper: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserved_object")]
    pub entity_operator: Option<Value>,
}

/// The Seldon CRDs (group `mlops.seldon.io`).
pub fn seldon() -> Vec<CustomResourceDefinition> {
    vec![
        Server::crd(),
        ServerConfig::crd(),
        Model::crd(),
        SeldonRuntime::crd(),
        SeldonConfig::crd(),
    ]
}

/// The Strimzi CRDs placecheck reads (group `kafka.strimzi.io`).
pub fn strimzi() -> Vec<CustomResourceDefinition> {
    vec![Kafka::crd(), KafkaNodePool::crd()]
}

/// Every CRD, Seldon first.
pub fn all() -> Vec<CustomResourceDefinition> {
    let mut v = seldon();
    v.extend(strimzi());
    v
}

/// All CRDs as one multi-document YAML stream.
pub fn yaml() -> Result<String, String> {
    let mut out = String::new();
    for crd in all() {
        let v = serde_json::to_value(&crd).map_err(|e| e.to_string())?;
        out.push_str("---\n");
        out.push_str(&serde_saphyr::to_string(&v).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_keep_the_fields_placecheck_reads() {
        let crds = all();
        assert_eq!(crds.len(), 7);
        let schema = |kind: &str| {
            let crd = crds
                .iter()
                .find(|c| c.spec.names.kind == kind)
                .expect("crd");
            serde_json::to_value(&crd.spec.versions[0].schema).expect("schema")
        };
        let server = schema("Server");
        let spec = &server["openAPIV3Schema"]["properties"]["spec"]["properties"];
        for f in [
            "serverConfig",
            "replicas",
            "minReplicas",
            "maxReplicas",
            "capabilities",
            "extraCapabilities",
        ] {
            assert!(spec.get(f).is_some(), "Server.spec.{f}");
        }
        assert_eq!(
            spec["podSpec"]["x-kubernetes-preserve-unknown-fields"],
            true
        );
        let model = schema("Model");
        let spec = &model["openAPIV3Schema"]["properties"]["spec"]["properties"];
        for f in [
            "requirements",
            "modelType",
            "memory",
            "server",
            "explainer",
            "storageUri",
            "dedicated",
            "preloaded",
        ] {
            assert!(spec.get(f).is_some(), "Model.spec.{f}");
        }
        assert_eq!(spec["memory"]["x-kubernetes-int-or-string"], true);
        let status = &model["openAPIV3Schema"]["properties"]["status"];
        assert!(status["properties"]["conditions"].is_object(), "{status}");
        let rt = schema("SeldonRuntime");
        let o = &rt["openAPIV3Schema"]["properties"]["spec"]["properties"]["overrides"]["items"]["properties"];
        assert_eq!(o["podSpec"]["x-kubernetes-preserve-unknown-fields"], true);
        let kafka = schema("Kafka");
        let t = &kafka["openAPIV3Schema"]["properties"]["spec"]["properties"]["kafka"]["properties"]
            ["template"];
        assert_eq!(
            t["properties"]["pod"]["x-kubernetes-preserve-unknown-fields"],
            true
        );
        assert!(
            yaml()
                .expect("yaml")
                .contains("kind: CustomResourceDefinition")
        );
    }
}
