//! What a Model asks of a Server, as the operator sends it to the scheduler
//! (`operator/apis/mlops/v1alpha1/model_types.go` `AsSchedulerModel` and `ModelSpec.Validate`).
//!
//! Why it exists: the scheduler never sees the Model manifest, only its conversion: `modelType`
//! becomes one more requirement, `memory` must convert exactly to an int64 byte count,
//! `dedicated`/`preloaded` are dropped, and some specs never reach the scheduler at all.
//!
//! Must not: know Servers, Nodes or Kubernetes scheduling.

use serde_json::Value;

use super::bytes::model_memory_as_int64;
use super::merge::kind;
use super::scaling::{Scaling, validated_scaling};
use crate::path::FieldPath;

/// Upstream `ModelSpec.Validate` error.
pub const EXPLAINER_AND_LLM: &str = "Can't have both explainer and llm in model spec.";

/// One requirement as written (the scheduler compares it after `TrimSpace`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub name: String,
    /// `spec.requirements[i]` or `spec.modelType` in the Model.
    pub origin: FieldPath,
}

impl Requirement {
    /// The form the scheduler matches against capabilities (`serverrequirements.go` contains).
    pub fn trimmed(&self) -> &str {
        self.name.trim()
    }
}

/// The scheduler-relevant facts of a Model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFacts {
    pub name: String,
    pub namespace: Option<String>,
    /// `spec.requirements` then `spec.modelType` (appended, even when `""`).
    pub requirements: Vec<Requirement>,
    /// `Ok(None)`: no `memory` (needs 0 bytes, fits anywhere). `Ok(Some(b))`: bytes per replica
    /// (a negative quantity wraps like Go's `uint64(i64)`). `Err`: the operator's conversion error.
    pub memory_bytes: Result<Option<i128>, String>,
    pub scaling: Result<Scaling, String>,
    /// `spec.server` pin (exact name; `Some("")` pins to no Server).
    pub server: Option<String>,
    pub explainer: bool,
    pub llm: bool,
    /// Errors that stop `AsSchedulerModel`, in upstream order (Validate, scaling, memory): the
    /// Model is never sent to the scheduler. The first is the one the operator reports.
    pub problems: Vec<String>,
    /// Fields with no effect on placement, and why.
    pub ignored_fields: Vec<(FieldPath, String)>,
    /// Malformed values and other remarks.
    pub notes: Vec<String>,
}

impl ModelFacts {
    /// The error the operator reports, if the Model never reaches the scheduler.
    pub fn conversion_error(&self) -> Option<&str> {
        self.problems.first().map(String::as_str)
    }

    /// The scheduler's required memory for one replica (`mesh.go` GetRequiredMemory with one
    /// instance): 0 without `memory`; `None` when the memory does not convert.
    pub fn required_memory(&self) -> Option<i128> {
        match &self.memory_bytes {
            Ok(m) => Some(m.unwrap_or(0)),
            Err(_) => None,
        }
    }
}

fn present(spec: &Value, key: &str) -> bool {
    spec.get(key).is_some_and(|v| !v.is_null())
}

/// The JSON text Go hands to `Quantity.UnmarshalJSON` for a number.
fn number_text(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
        Some(f) => format!("{f}"),
        None => n.to_string(),
    }
}

/// Reads a Model manifest.
pub fn model_requirements(model: &Value) -> ModelFacts {
    let spec = model.get("spec").unwrap_or(&Value::Null);
    let sp = FieldPath::root().key("spec");
    let mut notes = Vec::new();
    let mut ignored = Vec::new();
    let mut problems = Vec::new();

    let mut requirements = Vec::new();
    match spec.get("requirements") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => {
            for (i, r) in a.iter().enumerate() {
                match r {
                    Value::String(s) => requirements.push(Requirement {
                        name: s.clone(),
                        origin: sp.key("requirements").index(i),
                    }),
                    other => notes.push(format!(
                        "spec.requirements[{i}] is {}, not a string; the API server rejects it",
                        kind(other)
                    )),
                }
            }
        }
        Some(other) => notes.push(format!(
            "spec.requirements is {}, not a list; the API server rejects it",
            kind(other)
        )),
    }
    // model_types.go: `if m.Spec.ModelType != nil { Requirements = append(..., *ModelType) }`
    match spec.get("modelType") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => {
            if s.trim().is_empty() {
                notes.push(
                    "spec.modelType is empty but still appended as a requirement \"\", which \
                     only a Server with an empty capability satisfies"
                        .to_string(),
                );
            }
            requirements.push(Requirement {
                name: s.clone(),
                origin: sp.key("modelType"),
            });
        }
        Some(other) => notes.push(format!(
            "spec.modelType is {}, not a string; the API server rejects it",
            kind(other)
        )),
    }

    let explainer = present(spec, "explainer");
    let llm = present(spec, "llm");
    if explainer && llm {
        problems.push(EXPLAINER_AND_LLM.to_string());
    }

    let scaling = validated_scaling(spec);
    if let Err(e) = &scaling {
        problems.push(e.clone());
    }

    let memory_text = match spec.get("memory") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(Ok(s.clone())),
        Some(Value::Number(n)) => Some(Ok(number_text(n))),
        Some(other) => Some(Err(format!(
            "spec.memory is {}, not a quantity; the API server rejects it",
            kind(other)
        ))),
    };
    let memory_bytes = match memory_text {
        None => Ok(None),
        Some(Err(e)) => Err(e),
        Some(Ok(text)) => match model_memory_as_int64(&text) {
            Ok(Some(v)) => Ok(Some(i128::from(v as u64))),
            Ok(None) => Err(format!(
                "Can't convert model memory quantity to bytes. {}",
                text.trim()
            )),
            Err(e) => Err(format!(
                "spec.memory {e}; the API server rejects this Model"
            )),
        },
    };
    if let Err(e) = &memory_bytes {
        problems.push(e.clone());
    }

    let server = match spec.get("server") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            if s.is_empty() {
                notes.push(
                    "spec.server is \"\": the Model is pinned to a Server named \"\" and can \
                     never be scheduled"
                        .to_string(),
                );
            }
            Some(s.clone())
        }
        Some(other) => {
            notes.push(format!(
                "spec.server is {}, not a string; the API server rejects it",
                kind(other)
            ));
            None
        }
    };

    for key in ["dedicated", "preloaded"] {
        if let Some(v) = spec.get(key)
            && !v.is_null()
            && v != &Value::Bool(false)
        {
            ignored.push((
                sp.key(key),
                format!(
                    "spec.{key} is declared in the CRD but not passed to the scheduler: no effect"
                ),
            ));
        }
    }

    let (name, namespace) = super::identity(model);
    ModelFacts {
        name,
        namespace,
        requirements,
        memory_bytes,
        scaling,
        server,
        explainer,
        llm,
        problems,
        ignored_fields: ignored,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model(spec: Value) -> ModelFacts {
        model_requirements(&json!({"metadata": {"name": "m", "namespace": "ns"}, "spec": spec}))
    }

    // operator/apis/mlops/v1alpha1/model_types.go AsSchedulerModel (modelType appended to requirements)
    #[test]
    fn model_type_is_appended() {
        let m = model(
            json!({"storageUri": "gs://x", "requirements": ["mlserver", " python "], "modelType": "sklearn"}),
        );
        let r: Vec<_> = m.requirements.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(r, ["mlserver", " python ", "sklearn"]);
        assert_eq!(m.requirements[1].trimmed(), "python");
        assert_eq!(m.requirements[2].origin.to_string(), "spec.modelType");
        assert_eq!(m.requirements[0].origin.to_string(), "spec.requirements[0]");
        let m = model(json!({"modelType": ""}));
        assert_eq!(m.requirements.len(), 1);
        assert!(model(json!({})).requirements.is_empty());
    }

    // operator/apis/mlops/v1alpha1/model_types.go AsSchedulerModel (Quantity.AsInt64 memory conversion)
    #[test]
    fn memory_conversion() {
        assert_eq!(
            model(json!({"memory": "100Ki"})).memory_bytes,
            Ok(Some(102_400))
        );
        assert_eq!(model(json!({"memory": 2048})).memory_bytes, Ok(Some(2048)));
        assert_eq!(model(json!({})).memory_bytes, Ok(None));
        assert_eq!(model(json!({})).required_memory(), Some(0));
        let m = model(json!({"memory": "100m"}));
        assert_eq!(
            m.memory_bytes,
            Err("Can't convert model memory quantity to bytes. 100m".to_string())
        );
        assert_eq!(
            m.conversion_error(),
            Some("Can't convert model memory quantity to bytes. 100m")
        );
        assert!(model(json!({"memory": "1.5Gi"})).memory_bytes.is_err());
        assert!(model(json!({"memory": 1.5})).memory_bytes.is_err());
        assert!(model(json!({"memory": true})).memory_bytes.is_err());
    }

    // operator/apis/mlops/v1alpha1/model_types.go ModelSpec.Validate (explainer and llm exclusive) + AsSchedulerModel order
    #[test]
    fn explainer_llm_and_problem_order() {
        let m = model(
            json!({"explainer": {"type": "anchor_tabular"}, "llm": {}, "replicas": 0, "minReplicas": 1, "memory": "1m"}),
        );
        assert!(m.explainer && m.llm);
        assert_eq!(m.problems.len(), 3);
        assert_eq!(m.conversion_error(), Some(EXPLAINER_AND_LLM));
        assert!(m.problems[1].starts_with("scaling spec is invalid: "));
        let m = model(json!({"explainer": {}}));
        assert!(m.explainer && !m.llm && m.problems.is_empty());
        assert!(!model(json!({"explainer": null})).explainer);
    }

    // operator/apis/mlops/v1alpha1/model_types.go AsSchedulerModel (dedicated/preloaded not copied; server pin)
    #[test]
    fn pin_and_ignored_fields() {
        let m = model(json!({"server": "mlserver-134", "dedicated": true, "preloaded": false}));
        assert_eq!(m.server.as_deref(), Some("mlserver-134"));
        let ig: Vec<_> = m
            .ignored_fields
            .iter()
            .map(|(p, _)| p.to_string())
            .collect();
        assert_eq!(ig, ["spec.dedicated"]);
        let m = model(json!({"server": 5, "requirements": [1, "a"], "modelType": {}}));
        assert_eq!(m.server, None);
        assert_eq!(m.requirements.len(), 1);
        assert_eq!(m.notes.len(), 3);
        let _ = model_requirements(&json!(["junk"]));
    }

    // operator/internal/utils.go GetValidatedScalingSpec (used for Models too)
    #[test]
    fn scaling_for_models() {
        let m = model(json!({"replicas": 1, "minReplicas": 1}));
        assert_eq!(m.scaling.unwrap().min_replicas, 1);
        assert_eq!(model(json!({})).scaling.unwrap().replicas, 1);
    }
}
