//! Rust functions exposed to Rego (regorus extensions) for authors of custom policies.
//!
//! They wrap the same scheduling code the facts use, so a custom policy and the built-in facts
//! can never disagree. Bad arguments make the call undefined-like errors with a clear message,
//! never a panic.

use regorus::{Engine, Value};

use crate::quantity::Quantity;
use crate::scheduling::{self, FeatureGates};

fn to_json(v: &Value) -> anyhow::Result<serde_json::Value> {
    Ok(serde_json::to_value(v)?)
}

fn typed<T: serde::de::DeserializeOwned>(v: &Value, what: &str) -> anyhow::Result<T> {
    serde_json::from_value(to_json(v)?).map_err(|e| anyhow::anyhow!("{what}: {e}"))
}

/// `placecheck.quantity("1Gi")` → 1073741824; `"100m"` → 0.1.
pub fn quantity(s: &str) -> anyhow::Result<Value> {
    let q = Quantity::parse(s).map_err(|e| anyhow::anyhow!("placecheck.quantity({s:?}): {e}"))?;
    let milli = q.milli_value();
    if milli % 1000 == 0 {
        Ok(Value::from(milli / 1000))
    } else {
        Ok(Value::from(milli as f64 / 1000.0))
    }
}

/// Registers `placecheck.tolerates`, `placecheck.matches_node` and `placecheck.quantity`.
pub fn register(e: &mut Engine, gates: &FeatureGates) {
    let g = gates.clone();
    // Registration only fails for a duplicate name, which cannot happen on a fresh engine.
    let _ = e.add_extension(
        "placecheck.tolerates".into(),
        2,
        Box::new(move |args: Vec<Value>| {
            let tolerations: Vec<k8s_openapi::api::core::v1::Toleration> =
                typed(&args[0], "placecheck.tolerates: first argument must be a list of tolerations")?;
            let taint: k8s_openapi::api::core::v1::Taint =
                typed(&args[1], "placecheck.tolerates: second argument must be a taint")?;
            Ok(Value::from(tolerations.iter().any(|t| scheduling::tolerates(t, &taint, &g))))
        }),
    );
    let _ = e.add_extension(
        "placecheck.matches_node".into(),
        2,
        Box::new(|args: Vec<Value>| {
            let pod: k8s_openapi::api::core::v1::PodSpec =
                typed(&args[0], "placecheck.matches_node: first argument must be a pod spec")?;
            let node: k8s_openapi::api::core::v1::Node =
                typed(&args[1], "placecheck.matches_node: second argument must be a Node object")?;
            Ok(Value::from(scheduling::matches_node_affinity(&pod, &node)))
        }),
    );
    let _ = e.add_extension(
        "placecheck.quantity".into(),
        1,
        Box::new(|args: Vec<Value>| match &args[0] {
            Value::String(s) => quantity(s),
            Value::Number(_) => Ok(args[0].clone()),
            _ => Err(anyhow::anyhow!("placecheck.quantity: argument must be a string")),
        }),
    );
}
