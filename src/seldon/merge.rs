//! ServerConfig ⊕ Server pod-spec merge, reproducing `common.MergePodSpecs`
//! (`operator/controllers/reconcilers/common/patch_utils.go`, mergo `WithOverride` +
//! `WithAppendSlice`) on raw JSON, and remembering where every merged value came from.
//!
//! Why it exists: the Server pod template that Kubernetes schedules is neither manifest the user
//! wrote; findings about it must name the line that introduced a value.
//!
//! Must not: know Nodes or Kubernetes scheduling, or look anything up (the caller resolves the
//! ServerConfig). It never panics on malformed input: type clashes are reported in `conflicts`.
//!
//! mergo rules on Go types, restated for JSON (seldon.md §3):
//! * struct field, Server value zero (`false`, `""`, `0`, `null`/absent): ServerConfig value kept;
//!   non-zero scalar: replaced; objects (structs / pointers to structs): merged field by field;
//!   lists: appended, ServerConfig items first.
//! * Go maps (`nodeSelector`, `overhead`, container `resources.requests` / `resources.limits`):
//!   key-wise union, the Server's entry always wins, even an empty string or `"0"`.
//! * `IntOrString` ports (`port`): a number cannot replace a string (mergo leaves `Type` alone).
//! * `containers`: merged by name (`MergeContainers`): the Server's containers in Server order,
//!   each merged into every same-named ServerConfig container, then the ServerConfig containers
//!   the Server does not name, in their order. `initContainers` are only appended.
//! * Server `spec.podSpec` keys outside Seldon's restricted schema (`podspec.go`, seldon.md §1.1)
//!   are pruned by the API server before the operator sees them.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::path::FieldPath;

/// Which manifest a merged value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    ServerConfig,
    Server,
}

/// Where a merged value was written: the manifest and the path inside that object
/// (e.g. `spec.podSpec.tolerations[0]`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    pub side: Side,
    pub path: FieldPath,
}

impl Origin {
    pub fn new(side: Side, path: FieldPath) -> Self {
        Origin { side, path }
    }
}

/// A value of one manifest that the merge could not combine the way Go would (a wrong JSON type).
/// The API server would have refused that manifest; the merge keeps going with the Server's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeConflict {
    /// Path in the merged pod spec.
    pub path: FieldPath,
    pub message: String,
}

/// The effective pod spec of a Server.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MergedPodSpec {
    /// The merged `podSpec` (what the StatefulSet template carries, before capabilities rewrite).
    pub value: Value,
    /// Origin of every node of `value`, keyed by its path in `value` (the root is not recorded).
    /// A node both sides contributed to (a merged object or list) points at the ServerConfig,
    /// which introduced it; its children point precisely.
    pub origins: BTreeMap<FieldPath, Origin>,
    /// Server fields the API server drops (paths in the Server object).
    pub pruned: Vec<FieldPath>,
    pub conflicts: Vec<MergeConflict>,
}

impl MergedPodSpec {
    /// The origin of a merged path, or of its nearest recorded parent.
    pub fn origin_of(&self, path: &FieldPath) -> Option<&Origin> {
        let mut p = Some(path.clone());
        while let Some(cur) = p {
            if let Some(o) = self.origins.get(&cur) {
                return Some(o);
            }
            p = cur.parent();
        }
        None
    }

    /// The merged `containers` list (empty when absent or malformed).
    pub fn containers(&self) -> &[Value] {
        self.value
            .get("containers")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
}

/// Properties of Seldon's restricted `PodSpec` (`operator/apis/mlops/v1alpha1/podspec.go`), the
/// only ones a Server (or SeldonRuntime override) `podSpec` keeps.
pub const SERVER_PODSPEC_FIELDS: &[&str] = &[
    "activeDeadlineSeconds",
    "affinity",
    "automountServiceAccountToken",
    "containers",
    "dnsConfig",
    "dnsPolicy",
    "enableServiceLinks",
    "hostAliases",
    "hostIPC",
    "hostNetwork",
    "hostPID",
    "hostname",
    "imagePullSecrets",
    "initContainers",
    "nodeName",
    "nodeSelector",
    "overhead",
    "preemptionPolicy",
    "priority",
    "priorityClassName",
    "readinessGates",
    "restartPolicy",
    "runtimeClassName",
    "schedulerName",
    "securityContext",
    "serviceAccountName",
    "setHostnameAsFQDN",
    "shareProcessNamespace",
    "subdomain",
    "terminationGracePeriodSeconds",
    "tolerations",
    "topologySpreadConstraints",
    "volumes",
];

/// Merges a ServerConfig `spec.podSpec` (`config`) with a Server `spec.podSpec` (`server`).
/// Origin paths are `spec.podSpec…` in the respective object. `config: None` (ServerConfig
/// unknown) merges onto an empty pod spec.
pub fn merge_pod_specs(config: Option<&Value>, server: Option<&Value>) -> MergedPodSpec {
    let base = FieldPath::root().key("spec").key("podSpec");
    merge_pod_specs_at(config, &base, server, &base)
}

/// [`merge_pod_specs`] with explicit origin prefixes (e.g. `spec.overrides[2].podSpec` for a
/// SeldonRuntime override, or `spec.components[0].podSpec` for a SeldonConfig component).
pub fn merge_pod_specs_at(
    config: Option<&Value>,
    config_base: &FieldPath,
    server: Option<&Value>,
    server_base: &FieldPath,
) -> MergedPodSpec {
    let mut m = Merger::default();
    let root = FieldPath::root();

    let mut dst = match config {
        Some(Value::Object(o)) => o.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(other) => {
            m.conflict(
                &root,
                format!("ServerConfig podSpec is {}, not an object", kind(other)),
            );
            Map::new()
        }
    };
    let config_containers = dst.remove("containers");
    for (k, v) in &dst {
        m.record_all(&root.key(k), Side::ServerConfig, &config_base.key(k), v);
    }

    let mut pruned = Vec::new();
    let mut server_containers = None;
    match server {
        None | Some(Value::Null) => {}
        Some(Value::Object(src)) => {
            for (k, v) in src {
                if !SERVER_PODSPEC_FIELDS.contains(&k.as_str()) {
                    pruned.push(server_base.key(k));
                    continue;
                }
                if k == "containers" {
                    server_containers = Some(v);
                    continue;
                }
                m.merge_field(&mut dst, k, v, &root.key(k), &server_base.key(k));
            }
        }
        Some(other) => {
            m.conflict(
                &root,
                format!("Server podSpec is {}, not an object", kind(other)),
            );
        }
    }

    let containers = m.merge_containers(
        config_containers.as_ref(),
        &config_base.key("containers"),
        server_containers,
        &server_base.key("containers"),
    );
    if let Some(c) = containers {
        dst.insert("containers".to_string(), Value::Array(c));
    }

    MergedPodSpec {
        value: Value::Object(dst),
        origins: m.origins,
        pruned,
        conflicts: m.conflicts,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldKind {
    Struct,
    GoMap,
    IntOrString,
}

fn field_kind(key: &str) -> FieldKind {
    match key {
        "nodeSelector" | "overhead" | "requests" | "limits" => FieldKind::GoMap,
        "port" => FieldKind::IntOrString,
        _ => FieldKind::Struct,
    }
}

/// mergo `isEmptyValue` for JSON scalars.
fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Array(_) | Value::Object(_) => false,
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn container_name(v: &Value) -> &str {
    v.get("name").and_then(Value::as_str).unwrap_or("")
}

#[derive(Default)]
struct Merger {
    origins: BTreeMap<FieldPath, Origin>,
    conflicts: Vec<MergeConflict>,
}

impl Merger {
    fn conflict(&mut self, path: &FieldPath, message: String) {
        self.conflicts.push(MergeConflict {
            path: path.clone(),
            message,
        });
    }

    fn record_all(&mut self, mpath: &FieldPath, side: Side, opath: &FieldPath, v: &Value) {
        self.origins
            .insert(mpath.clone(), Origin::new(side, opath.clone()));
        match v {
            Value::Object(o) => {
                for (k, c) in o {
                    self.record_all(&mpath.key(k), side, &opath.key(k), c);
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    self.record_all(&mpath.index(i), side, &opath.index(i), c);
                }
            }
            _ => {}
        }
    }

    /// Replaces the subtree at `mpath` by a Server value.
    fn replace(&mut self, mpath: &FieldPath, spath: &FieldPath, v: &Value) {
        self.origins.retain(|p, _| !p.0.starts_with(&mpath.0));
        self.record_all(mpath, Side::Server, spath, v);
    }

    fn merge_field(
        &mut self,
        dst: &mut Map<String, Value>,
        key: &str,
        src: &Value,
        mpath: &FieldPath,
        spath: &FieldPath,
    ) {
        if src.is_null() {
            return;
        }
        match dst.get_mut(key) {
            None | Some(Value::Null) => {
                dst.insert(key.to_string(), src.clone());
                self.replace(mpath, spath, src);
            }
            Some(d) => self.merge_value(d, src, field_kind(key), mpath, spath),
        }
    }

    fn merge_value(
        &mut self,
        d: &mut Value,
        src: &Value,
        fk: FieldKind,
        mpath: &FieldPath,
        spath: &FieldPath,
    ) {
        match (fk, &mut *d, src) {
            (FieldKind::GoMap, Value::Object(dm), Value::Object(sm)) => {
                for (k, v) in sm {
                    dm.insert(k.clone(), v.clone());
                    self.replace(&mpath.key(k), &spath.key(k), v);
                }
            }
            (FieldKind::IntOrString, Value::String(_), Value::Number(_)) => {
                // mergo: the number's Type (Int = 0) is a zero value, so the string stays.
            }
            (_, Value::Object(dm), Value::Object(sm)) => {
                for (k, v) in sm {
                    self.merge_field(dm, k, v, &mpath.key(k), &spath.key(k));
                }
            }
            (_, Value::Array(da), Value::Array(sa)) => {
                let start = da.len();
                for (i, v) in sa.iter().enumerate() {
                    da.push(v.clone());
                    self.record_all(&mpath.index(start + i), Side::Server, &spath.index(i), v);
                }
            }
            (_, dv, s) if is_scalar(dv) && is_scalar(s) => {
                if !is_zero(s) {
                    *dv = s.clone();
                    self.replace(mpath, spath, s);
                }
            }
            (_, dv, s) => {
                let msg = format!(
                    "ServerConfig has {} here but the Server has {}; the Server's value is used",
                    kind(dv),
                    kind(s)
                );
                self.conflict(mpath, msg);
                *dv = s.clone();
                self.replace(mpath, spath, s);
            }
        }
    }

    /// `MergeContainers`: by name, Server order first, then untouched ServerConfig containers.
    fn merge_containers(
        &mut self,
        config: Option<&Value>,
        config_path: &FieldPath,
        server: Option<&Value>,
        server_path: &FieldPath,
    ) -> Option<Vec<Value>> {
        let mpath = FieldPath::root().key("containers");
        let cfg: &[Value] = match config {
            Some(Value::Array(a)) => a,
            None | Some(Value::Null) => &[],
            Some(other) => {
                self.conflict(
                    &mpath,
                    format!("ServerConfig containers is {}, not a list", kind(other)),
                );
                &[]
            }
        };
        let srv: &[Value] = match server {
            Some(Value::Array(a)) => a,
            None | Some(Value::Null) => &[],
            Some(other) => {
                self.conflict(
                    &mpath,
                    format!("Server containers is {}, not a list; ignored", kind(other)),
                );
                &[]
            }
        };
        if config.is_none() && server.is_none() {
            return None;
        }
        self.record_origin_list(&mpath, config, config_path, server, server_path);

        let mut out: Vec<Value> = Vec::new();
        for (si, sc) in srv.iter().enumerate() {
            let name = container_name(sc);
            if sc.get("name").and_then(Value::as_str).is_none() {
                self.conflict(
                    &mpath.index(out.len()),
                    "Server container has no name (the CRD requires one)".to_string(),
                );
            }
            let mut found = false;
            for (ci, cc) in cfg.iter().enumerate() {
                if container_name(cc) != name {
                    continue;
                }
                found = true;
                let at = mpath.index(out.len());
                let mut merged = cc.clone();
                self.record_all(&at, Side::ServerConfig, &config_path.index(ci), cc);
                match (&mut merged, sc) {
                    (Value::Object(mm), Value::Object(sm)) => {
                        for (k, v) in sm {
                            self.merge_field(mm, k, v, &at.key(k), &server_path.index(si).key(k));
                        }
                    }
                    _ => self.conflict(&at, "container is not an object".to_string()),
                }
                out.push(merged);
            }
            if !found {
                let at = mpath.index(out.len());
                self.record_all(&at, Side::Server, &server_path.index(si), sc);
                out.push(sc.clone());
            }
        }
        for (ci, cc) in cfg.iter().enumerate() {
            let name = container_name(cc);
            if srv.iter().any(|s| container_name(s) == name) {
                continue;
            }
            let at = mpath.index(out.len());
            self.record_all(&at, Side::ServerConfig, &config_path.index(ci), cc);
            out.push(cc.clone());
        }
        Some(out)
    }

    fn record_origin_list(
        &mut self,
        mpath: &FieldPath,
        config: Option<&Value>,
        config_path: &FieldPath,
        server: Option<&Value>,
        server_path: &FieldPath,
    ) {
        let origin = if matches!(config, Some(Value::Array(_))) {
            Origin::new(Side::ServerConfig, config_path.clone())
        } else if server.is_some() {
            Origin::new(Side::Server, server_path.clone())
        } else {
            Origin::new(Side::ServerConfig, config_path.clone())
        };
        self.origins.insert(mpath.clone(), origin);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> FieldPath {
        FieldPath::parse(s).unwrap()
    }

    fn origin(m: &MergedPodSpec, path: &str) -> (Side, String) {
        let o = m
            .origins
            .get(&p(path))
            .unwrap_or_else(|| panic!("no origin for {path}"));
        (o.side, o.path.to_string())
    }

    // operator/controllers/reconcilers/common/patch_utils.go MergePodSpecs (mergo map merge with WithOverride)
    #[test]
    fn node_selector_maps_union_server_wins() {
        let m = merge_pod_specs(
            Some(&json!({"nodeSelector": {"pool": "cpu", "zone": "a"}})),
            Some(&json!({"nodeSelector": {"pool": "gpu", "disk": "ssd", "zone": ""}})),
        );
        assert_eq!(
            m.value["nodeSelector"],
            json!({"pool": "gpu", "zone": "", "disk": "ssd"})
        );
        assert_eq!(
            origin(&m, "nodeSelector.pool"),
            (Side::Server, "spec.podSpec.nodeSelector.pool".into())
        );
        assert_eq!(
            origin(&m, "nodeSelector.zone"),
            (Side::Server, "spec.podSpec.nodeSelector.zone".into())
        );
        assert_eq!(origin(&m, "nodeSelector").0, Side::ServerConfig);
    }

    // operator/controllers/reconcilers/common/patch_utils.go MergePodSpecs (mergo WithAppendSlice)
    #[test]
    fn tolerations_appended_config_first() {
        let m = merge_pod_specs(
            Some(&json!({"tolerations": [{"key": "a", "operator": "Exists"}]})),
            Some(
                &json!({"tolerations": [{"key": "b", "operator": "Exists"}, {"key": "a", "operator": "Exists"}]}),
            ),
        );
        let keys: Vec<_> = m.value["tolerations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["a", "b", "a"]);
        assert_eq!(
            origin(&m, "tolerations[0]"),
            (Side::ServerConfig, "spec.podSpec.tolerations[0]".into())
        );
        assert_eq!(
            origin(&m, "tolerations[2]"),
            (Side::Server, "spec.podSpec.tolerations[1]".into())
        );
        assert_eq!(
            origin(&m, "tolerations[1].key"),
            (Side::Server, "spec.podSpec.tolerations[0].key".into())
        );
    }

    // operator/controllers/reconcilers/common/patch_utils.go MergePodSpecs (mergo: empty src values never override)
    #[test]
    fn zero_values_do_not_override() {
        let m = merge_pod_specs(
            Some(
                &json!({"hostNetwork": true, "nodeName": "n1", "terminationGracePeriodSeconds": 120, "priorityClassName": "high"}),
            ),
            Some(
                &json!({"hostNetwork": false, "nodeName": "", "terminationGracePeriodSeconds": 0, "priorityClassName": "low"}),
            ),
        );
        assert_eq!(m.value["hostNetwork"], json!(true));
        assert_eq!(m.value["nodeName"], json!("n1"));
        assert_eq!(m.value["terminationGracePeriodSeconds"], json!(120));
        assert_eq!(m.value["priorityClassName"], json!("low"));
        assert_eq!(origin(&m, "hostNetwork").0, Side::ServerConfig);
        assert_eq!(origin(&m, "priorityClassName").0, Side::Server);
        // a zero value is taken when the ServerConfig has nothing there
        let m = merge_pod_specs(Some(&json!({})), Some(&json!({"hostNetwork": false})));
        assert_eq!(m.value["hostNetwork"], json!(false));
    }

    // operator/controllers/reconcilers/common/patch_utils.go MergePodSpecs (pointer-to-struct deep merge, slices appended)
    #[test]
    fn node_selector_terms_appended_ored() {
        let term = |v: &str| json!({"matchExpressions": [{"key": "pool", "operator": "In", "values": [v]}]});
        let aff = |v: &str| {
            json!({"affinity": {"nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term(v)]},
                "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": term(v)}]
            }}})
        };
        let m = merge_pod_specs(Some(&aff("cpu")), Some(&aff("gpu")));
        let na = &m.value["affinity"]["nodeAffinity"];
        let terms = na["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
            .as_array()
            .unwrap();
        assert_eq!(terms.len(), 2);
        assert_eq!(terms[1]["matchExpressions"][0]["values"][0], json!("gpu"));
        assert_eq!(
            na["preferredDuringSchedulingIgnoredDuringExecution"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            origin(&m, "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[1]"),
            (
                Side::Server,
                "spec.podSpec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]".into()
            )
        );
        assert_eq!(
            origin(
                &m,
                "affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]"
            )
            .0,
            Side::ServerConfig
        );
    }

    // operator/controllers/reconcilers/common/patch_utils.go MergeContainers
    #[test]
    fn containers_merged_by_name_in_upstream_order() {
        let cfg = json!({"containers": [
            {"name": "rclone", "image": "rclone:1"},
            {"name": "agent", "image": "agent:1", "env": [{"name": "A", "value": "1"}]},
            {"name": "mlserver", "image": "mls:1", "command": ["run"],
             "resources": {"requests": {"cpu": "100m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}}}
        ]});
        let srv = json!({"containers": [
            {"name": "mlserver", "image": "mls:2",
             "resources": {"requests": {"memory": "3Gi", "nvidia.com/gpu": 1}, "limits": {"nvidia.com/gpu": 1}}},
            {"name": "sidecar", "image": "side:1"},
            {"name": "agent", "env": [{"name": "B", "value": "2"}]}
        ]});
        let m = merge_pod_specs(Some(&cfg), Some(&srv));
        let c = m.containers();
        let names: Vec<_> = c.iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["mlserver", "sidecar", "agent", "rclone"]);
        assert_eq!(c[0]["image"], json!("mls:2"));
        assert_eq!(c[0]["command"], json!(["run"]));
        assert_eq!(
            c[0]["resources"],
            json!({"requests": {"cpu": "100m", "memory": "3Gi", "nvidia.com/gpu": 1},
                   "limits": {"memory": "1Gi", "nvidia.com/gpu": 1}})
        );
        assert_eq!(
            c[2]["env"],
            json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}])
        );
        // origins
        assert_eq!(
            origin(&m, "containers[0]"),
            (Side::ServerConfig, "spec.podSpec.containers[2]".into())
        );
        assert_eq!(
            origin(&m, r#"containers[0].resources.requests.memory"#),
            (
                Side::Server,
                "spec.podSpec.containers[0].resources.requests.memory".into()
            )
        );
        assert_eq!(
            origin(&m, r#"containers[0].resources.requests.cpu"#),
            (
                Side::ServerConfig,
                "spec.podSpec.containers[2].resources.requests.cpu".into()
            )
        );
        assert_eq!(
            origin(&m, r#"containers[0].resources.limits["nvidia.com/gpu"]"#),
            (
                Side::Server,
                r#"spec.podSpec.containers[0].resources.limits["nvidia.com/gpu"]"#.into()
            )
        );
        assert_eq!(
            origin(&m, "containers[1]"),
            (Side::Server, "spec.podSpec.containers[1]".into())
        );
        assert_eq!(
            origin(&m, "containers[2].env[1]"),
            (Side::Server, "spec.podSpec.containers[2].env[0]".into())
        );
        assert_eq!(
            origin(&m, "containers[3]"),
            (Side::ServerConfig, "spec.podSpec.containers[0]".into())
        );
    }

    // operator/controllers/reconcilers/common/patch_utils.go MergePodSpecs (override nil => DeepCopy of ServerConfig podSpec)
    #[test]
    fn no_server_podspec_keeps_config() {
        let cfg =
            json!({"containers": [{"name": "a"}, {"name": "b"}], "tolerations": [{"key": "x"}]});
        let m = merge_pod_specs(Some(&cfg), None);
        assert_eq!(m.value, cfg);
        assert_eq!(
            origin(&m, "containers[1]"),
            (Side::ServerConfig, "spec.podSpec.containers[1]".into())
        );
        let m = merge_pod_specs(None, Some(&json!({"tolerations": [{"key": "x"}]})));
        assert_eq!(
            origin(&m, "tolerations[0]"),
            (Side::Server, "spec.podSpec.tolerations[0]".into())
        );
    }

    // operator/apis/mlops/v1alpha1/podspec.go (restricted PodSpec: unknown fields pruned by the API server)
    #[test]
    fn fields_outside_restricted_schema_are_pruned() {
        let m = merge_pod_specs(
            Some(&json!({"schedulingGates": [{"name": "cfg"}]})),
            Some(
                &json!({"schedulingGates": [{"name": "x"}], "os": {"name": "linux"},
                         "resources": {"requests": {"cpu": "1"}}, "tolerations": []}),
            ),
        );
        let pruned: Vec<_> = m.pruned.iter().map(ToString::to_string).collect();
        assert_eq!(
            pruned,
            [
                "spec.podSpec.schedulingGates",
                "spec.podSpec.os",
                "spec.podSpec.resources"
            ]
        );
        assert_eq!(m.value["schedulingGates"], json!([{"name": "cfg"}]));
        assert!(m.value.get("os").is_none());
    }

    // k8s.io/apimachinery intstr.IntOrString under mergo (Type Int is the zero value)
    #[test]
    fn int_or_string_port_quirk() {
        let probe = |port: Value| json!({"containers": [{"name": "c", "readinessProbe": {"httpGet": {"port": port}}}]});
        let m = merge_pod_specs(Some(&probe(json!("http"))), Some(&probe(json!(8080))));
        assert_eq!(
            m.containers()[0]["readinessProbe"]["httpGet"]["port"],
            json!("http")
        );
        let m = merge_pod_specs(Some(&probe(json!(8080))), Some(&probe(json!("http"))));
        assert_eq!(
            m.containers()[0]["readinessProbe"]["httpGet"]["port"],
            json!("http")
        );
    }

    #[test]
    fn malformed_input_never_panics() {
        for (a, b) in [
            (json!("x"), json!(3)),
            (json!({"containers": "x"}), json!({"containers": {"a": 1}})),
            (json!({"tolerations": {}}), json!({"tolerations": [1]})),
            (
                json!({"containers": [1, {"name": 2}]}),
                json!({"containers": [null, "z", {"name": "a"}]}),
            ),
            (
                json!({"nodeSelector": ["a"]}),
                json!({"nodeSelector": {"a": "b"}}),
            ),
        ] {
            let m = merge_pod_specs(Some(&a), Some(&b));
            let _ = m.containers();
        }
        let m = merge_pod_specs(
            Some(&json!({"tolerations": {}})),
            Some(&json!({"tolerations": [1]})),
        );
        assert_eq!(m.conflicts.len(), 1);
    }
}
