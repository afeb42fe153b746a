//! From loaded documents (or live objects) to the inventory, with shape checks.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::kinds::{self, Class};
use super::{Inventory, Object, ObjectRef, Origin, Problem, ProblemAt};
use crate::finding::Location;
use crate::path::{FieldPath, Segment};
use crate::source::{Document, Loaded};

const INVALID: &str = "invalid-manifest";
const AMBIGUOUS: &str = "yaml-ambiguous-scalar";

impl Inventory {
    /// Builds the inventory from everything the loader produced.
    pub fn from_loaded(loaded: Loaded) -> Inventory {
        let mut inv = Inventory {
            files: loaded.files,
            skipped: loaded.skipped,
            ..Inventory::default()
        };
        for p in loaded.problems {
            inv.problems.push(Problem {
                policy: INVALID,
                message: p.message,
                help: p.help,
                resource: None,
                at: ProblemAt::File {
                    file: p.file,
                    document: p.document,
                    position: p.position,
                },
                related: None,
            });
        }
        for doc in loaded.documents {
            inv.add_document(doc);
        }
        inv.check_duplicates();
        inv
    }

    fn add_document(&mut self, doc: Document) {
        self.positions
            .insert((doc.file, doc.index), doc.positions.clone());
        let first_object = self.objects.len();
        let value = doc.value;
        let is_list = value
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.ends_with("List"))
            && value.get("items").is_some_and(Value::is_array);
        if is_list {
            if let Some(Value::Array(items)) = value.get("items") {
                for (i, item) in items.iter().enumerate() {
                    let base = FieldPath::root().key("items").index(i);
                    self.add_value(item.clone(), doc.file, doc.index, base);
                }
            }
        } else {
            self.add_value(value, doc.file, doc.index, FieldPath::root());
        }
        // Ambiguous scalars are reported on the object that holds them.
        for a in doc.ambiguous {
            if !placement_relevant(&a.path) {
                continue;
            }
            let owner = (first_object..self.objects.len()).rev().find(|&i| match &self.objects[i].origin {
                Origin::File { base, .. } => a.path.0.starts_with(&base.0),
                Origin::Cluster => false,
            });
            let (resource, at) = match owner {
                Some(i) => {
                    let base_len = match &self.objects[i].origin {
                        Origin::File { base, .. } => base.0.len(),
                        Origin::Cluster => 0,
                    };
                    (
                        Some(self.objects[i].r#ref.clone()),
                        ProblemAt::Object(i, FieldPath(a.path.0[base_len..].to_vec())),
                    )
                }
                None => (
                    None,
                    ProblemAt::File {
                        file: doc.file,
                        document: Some(doc.index),
                        position: doc
                            .positions
                            .get(&a.path)
                            .unwrap_or(doc.start),
                    },
                ),
            };
            self.problems.push(Problem {
                policy: AMBIGUOUS,
                message: format!(
                    "`{}` at {} is read by Kubernetes (YAML 1.1) as {}, not as the string \"{}\"",
                    a.text, a.path, a.kubernetes_reads, a.text
                ),
                help: Some(format!(
                    "quote the value (\"{}\") so every YAML reader agrees it is a string",
                    a.text
                )),
                resource,
                at,
                related: None,
            });
        }
    }

    fn add_value(&mut self, value: Value, file: usize, document: usize, base: FieldPath) {
        let origin = Origin::File {
            file,
            document,
            base: base.clone(),
        };
        let here = |path: FieldPath| ProblemAt::File {
            file,
            document: Some(document),
            position: self
                .positions
                .get(&(file, document))
                .map(|p| p.resolve(&concat(&base, &path)).0)
                .unwrap_or_default(),
        };
        match identify(&value) {
            Ok(r) => self.add_object(r, value, origin),
            Err((path, message)) => {
                let at = here(path);
                self.problems.push(Problem {
                    policy: INVALID,
                    message,
                    help: Some(
                        "every Kubernetes object needs apiVersion, kind and metadata.name".into(),
                    ),
                    resource: None,
                    at,
                    related: None,
                });
            }
        }
    }

    /// Adds one identified object and checks its shape. Used for live objects too.
    pub fn add_object(&mut self, r: ObjectRef, value: Value, origin: Origin) {
        let idx = self.objects.len();
        let problems = validate(&r, &value);
        self.objects.push(Object {
            r#ref: r.clone(),
            value: Arc::new(value),
            origin,
        });
        for (path, message, help) in problems {
            self.problems.push(Problem {
                policy: INVALID,
                message,
                help,
                resource: Some(r.clone()),
                at: ProblemAt::Object(idx, path),
                related: None,
            });
        }
    }

    /// Reports every object whose identity (group, kind, namespace, name) was seen before.
    fn check_duplicates(&mut self) {
        let mut seen: HashMap<(String, String, String, String), usize> = HashMap::new();
        for (i, o) in self.objects.iter().enumerate() {
            let key = (
                kinds::group(&o.r#ref.api_version).to_string(),
                o.r#ref.kind.clone(),
                o.r#ref.namespace.clone(),
                o.r#ref.name.clone(),
            );
            if let Some(&first) = seen.get(&key) {
                let first_at = self.describe(first);
                self.problems.push(Problem {
                    policy: INVALID,
                    message: format!(
                        "duplicate object {}: also defined at {first_at}; the one applied last wins",
                        o.r#ref
                    ),
                    help: Some("keep one definition of each object".into()),
                    resource: Some(o.r#ref.clone()),
                    at: ProblemAt::Object(i, FieldPath::root().key("metadata").key("name")),
                    related: Some((
                        first,
                        FieldPath::root().key("metadata").key("name"),
                        "first defined here".into(),
                    )),
                });
            } else {
                seen.insert(key, i);
            }
        }
    }

    fn describe(&self, idx: usize) -> String {
        let loc = self.locate(idx, &FieldPath::root().key("metadata").key("name"));
        match (loc.file, loc.line) {
            (Some(f), Some(l)) => format!("{f}:{l}"),
            _ => loc.cluster.unwrap_or_default(),
        }
    }

    /// Where a field of an object is: file:line:col for file objects (falling back to the
    /// nearest existing parent, then the document start), `cluster://…` for live objects.
    pub fn locate(&self, idx: usize, path: &FieldPath) -> Location {
        let Some(o) = self.objects.get(idx) else {
            return Location::default();
        };
        match &o.origin {
            Origin::File {
                file,
                document,
                base,
            } => {
                let mut loc = Location {
                    file: self.files.get(*file).map(|f| f.path.clone()),
                    document: Some(*document),
                    path: (!path.is_root()).then(|| path.to_string()),
                    ..Location::default()
                };
                if let Some(index) = self.positions.get(&(*file, *document)) {
                    let (pos, _found) = index.resolve(&concat(base, path));
                    loc.line = Some(pos.line);
                    loc.column = Some(pos.column);
                }
                loc
            }
            Origin::Cluster => Location {
                cluster: Some(cluster_uri(&o.r#ref)),
                path: (!path.is_root()).then(|| path.to_string()),
                ..Location::default()
            },
        }
    }

    /// Whether findings on this object are reported (false for `--context` files).
    pub fn reported(&self, idx: usize) -> bool {
        match self.objects.get(idx).map(|o| &o.origin) {
            Some(Origin::File { file, .. }) => self.files.get(*file).is_some_and(|f| !f.context),
            _ => true,
        }
    }

    /// Index of the object with this identity (the first one if duplicated).
    pub fn find(&self, r: &ObjectRef) -> Option<usize> {
        self.objects.iter().position(|o| &o.r#ref == r)
    }
}

pub fn cluster_uri(r: &ObjectRef) -> String {
    if r.namespace.is_empty() {
        format!("cluster://{}/{}", r.kind, r.name)
    } else {
        format!("cluster://{}/{}/{}", r.kind, r.namespace, r.name)
    }
}

fn concat(base: &FieldPath, path: &FieldPath) -> FieldPath {
    let mut v = base.0.clone();
    v.extend(path.0.iter().cloned());
    FieldPath(v)
}

/// Reads apiVersion, kind, metadata.name and metadata.namespace, or says which is missing.
pub fn identify(value: &Value) -> Result<ObjectRef, (FieldPath, String)> {
    let root = FieldPath::root();
    let text = |v: Option<&Value>, path: FieldPath, what: &str| -> Result<String, (FieldPath, String)> {
        match v {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(Value::String(_)) | None | Some(Value::Null) => {
                Err((path.parent().unwrap_or_default(), format!("object has no {what}")))
            }
            Some(other) => Err((
                path,
                format!("{what} must be a string, found {}", type_name(other)),
            )),
        }
    };
    let api_version = text(value.get("apiVersion"), root.key("apiVersion"), "apiVersion")?;
    let kind = text(value.get("kind"), root.key("kind"), "kind")?;
    let meta = value.get("metadata");
    if let Some(m) = meta
        && !m.is_object()
    {
        return Err((
            root.key("metadata"),
            format!("metadata must be a mapping, found {}", type_name(m)),
        ));
    }
    let name = text(
        meta.and_then(|m| m.get("name")),
        root.key("metadata").key("name"),
        "metadata.name",
    )
    .map_err(|(p, m)| {
        // A missing metadata.name is reported at metadata (or the document start).
        (p, format!("{kind} {m}"))
    })?;
    let namespace = match meta.and_then(|m| m.get("namespace")) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err((
                root.key("metadata").key("namespace"),
                format!("metadata.namespace must be a string, found {}", type_name(other)),
            ));
        }
    };
    let namespace = if kinds::cluster_scoped(&api_version, &kind) {
        String::new()
    } else {
        namespace
    };
    Ok(ObjectRef {
        api_version,
        kind,
        namespace,
        name,
    })
}

pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

type Check = (FieldPath, String, Option<String>);

/// Shape checks for the kinds placecheck reads. Each returns (path, message, help).
fn validate(r: &ObjectRef, value: &Value) -> Vec<Check> {
    let mut out = Vec::new();
    let root = FieldPath::root();
    let spec = value.get("spec");
    match kinds::classify(&r.api_version, &r.kind) {
        Class::Server => {
            match spec.and_then(|s| s.get("serverConfig")) {
                Some(Value::String(s)) if !s.is_empty() => {}
                Some(Value::String(_)) | None | Some(Value::Null) => out.push((
                    if spec.is_some() { root.key("spec") } else { root.clone() },
                    format!("Server {} has no spec.serverConfig, which Seldon requires (the operator fails with \"ServerType not specified and is required\")", r.name),
                    Some("name a ServerConfig, e.g. `serverConfig: mlserver`".into()),
                )),
                Some(other) => out.push((
                    root.key("spec").key("serverConfig"),
                    format!("spec.serverConfig must be a string, found {}", type_name(other)),
                    None,
                )),
            }
            scaling(spec, &mut out);
            pod_spec_quantities(value, &root.key("spec").key("podSpec"), &mut out);
        }
        Class::ServerConfig => {
            pod_spec_quantities(value, &root.key("spec").key("podSpec"), &mut out);
        }
        Class::Model => {
            match spec.and_then(|s| s.get("storageUri")) {
                Some(Value::String(s)) if !s.is_empty() => {}
                Some(Value::String(_)) | None | Some(Value::Null) => out.push((
                    if spec.is_some() { root.key("spec") } else { root.clone() },
                    format!("Model {} has no spec.storageUri, which the Model CRD requires", r.name),
                    Some("set spec.storageUri to the model artifact (gs://, s3://, …)".into()),
                )),
                Some(other) => out.push((
                    root.key("spec").key("storageUri"),
                    format!("spec.storageUri must be a string, found {}", type_name(other)),
                    None,
                )),
            }
            if let Some(m) = spec.and_then(|s| s.get("memory")) {
                quantity(m, root.key("spec").key("memory"), &mut out);
            }
            for key in ["requirements"] {
                if let Some(v) = spec.and_then(|s| s.get(key))
                    && !v.is_array()
                    && !v.is_null()
                {
                    out.push((
                        root.key("spec").key(key),
                        format!("spec.{key} must be a list of strings, found {}", type_name(v)),
                        None,
                    ));
                }
            }
            scaling(spec, &mut out);
        }
        Class::Node => {
            for field in ["allocatable", "capacity"] {
                if let Some(Value::Object(m)) = value.get("status").and_then(|s| s.get(field)) {
                    for (k, v) in m {
                        quantity(v, root.key("status").key(field).key(k), &mut out);
                    }
                }
            }
        }
        Class::Workload | Class::SeldonRuntime | Class::SeldonConfig => {
            for t in kinds::pod_templates(&r.kind, value) {
                pod_spec_quantities(value, &t.spec, &mut out);
            }
        }
        Class::RuntimeClass | Class::Other => {}
    }
    out
}

fn scaling(spec: Option<&Value>, out: &mut Vec<Check>) {
    let Some(spec) = spec else { return };
    if let Err(e) = crate::seldon::validated_scaling(spec) {
        let field = ["replicas", "minReplicas", "maxReplicas"]
            .into_iter()
            .find(|k| spec.get(k).is_some())
            .unwrap_or("replicas");
        out.push((
            FieldPath::root().key("spec").key(field),
            e,
            Some("make minReplicas ≤ replicas ≤ maxReplicas (0 means unset for min and max)".into()),
        ));
    }
}

fn quantity(v: &Value, path: FieldPath, out: &mut Vec<Check>) {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => {
            out.push((
                path,
                format!("a quantity must be a string or a number, found {}", type_name(other)),
                None,
            ));
            return;
        }
    };
    if let Err(e) = crate::quantity::Quantity::parse(&text) {
        out.push((
            path.clone(),
            format!("invalid quantity {text:?} at {path}: {e}"),
            Some("use a Kubernetes quantity such as 500m, 2, 1Gi or 1G".into()),
        ));
    }
}

/// Checks container (and pod-level) resource quantities inside a pod spec.
fn pod_spec_quantities(value: &Value, spec_path: &FieldPath, out: &mut Vec<Check>) {
    let Some(spec) = spec_path.lookup(value) else {
        return;
    };
    for list in ["containers", "initContainers"] {
        let Some(Value::Array(cs)) = spec.get(list) else {
            continue;
        };
        for (i, c) in cs.iter().enumerate() {
            for kind in ["requests", "limits"] {
                if let Some(Value::Object(m)) = c.get("resources").and_then(|r| r.get(kind)) {
                    for (k, v) in m {
                        let p = spec_path.key(list).index(i).key("resources").key(kind).key(k);
                        quantity(v, p, out);
                    }
                }
            }
        }
    }
    if let Some(Value::Object(m)) = spec.get("overhead") {
        for (k, v) in m {
            quantity(v, spec_path.key("overhead").key(k), out);
        }
    }
}

/// Whether a plain scalar at this path matters to placement, so that a YAML 1.1 reading
/// different from the author's intent changes where things land.
fn placement_relevant(path: &FieldPath) -> bool {
    let s = &path.0;
    let n = s.len();
    let key_at = |i: usize| match s.get(i) {
        Some(Segment::Key(k)) => Some(k.as_str()),
        _ => None,
    };
    if n >= 2
        && matches!(
            key_at(n - 2),
            Some("labels" | "nodeSelector" | "matchLabels")
        )
    {
        return true;
    }
    if n >= 3
        && matches!(key_at(n - 1), Some("key" | "value"))
        && matches!(s[n - 2], Segment::Index(_))
        && matches!(key_at(n - 3), Some("tolerations" | "taints"))
    {
        return true;
    }
    if n >= 2
        && matches!(s[n - 1], Segment::Index(_))
        && matches!(
            key_at(n - 2),
            Some("values" | "capabilities" | "extraCapabilities" | "requirements")
        )
    {
        return true;
    }
    matches!(key_at(n.wrapping_sub(1)), Some("modelType" | "server" | "serverConfig"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relevant_paths() {
        let p = |s: &str| FieldPath::parse(s).unwrap();
        assert!(placement_relevant(&p("spec.nodeSelector.gpu")));
        assert!(placement_relevant(&p("metadata.labels.tier")));
        assert!(placement_relevant(&p("spec.tolerations[0].value")));
        assert!(placement_relevant(&p("spec.requirements[2]")));
        assert!(placement_relevant(&p(
            "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[1]"
        )));
        assert!(!placement_relevant(&p("spec.containers[0].env[0].value")));
        assert!(!placement_relevant(&p("metadata.annotations.x")));
    }

    #[test]
    fn identify_reports_what_is_missing() {
        let v: Value = serde_json::json!({"apiVersion": "v1", "kind": "Node", "metadata": {}});
        let (path, msg) = identify(&v).unwrap_err();
        assert_eq!(path.to_string(), "metadata");
        assert!(msg.contains("metadata.name"), "{msg}");
        let v: Value = serde_json::json!({"apiVersion": "v1", "kind": 3});
        assert!(identify(&v).unwrap_err().1.contains("kind must be a string"));
        let v: Value = serde_json::json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "a", "namespace": "x"}});
        assert_eq!(identify(&v).unwrap().namespace, "", "Nodes are cluster-scoped");
    }
}
