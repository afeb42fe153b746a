//! Replica counts of a Server or Model, validated like `GetValidatedScalingSpec`
//! (`operator/internal/utils.go`, v2.10.2) — the numbers the scheduler actually receives.
//!
//! Why it exists: `replicas`, `minReplicas`, `maxReplicas` are inlined in both Server and Model
//! specs, with defaulting and four upstream error texts that users will see in conditions/logs.
//!
//! Must not: know Nodes, pods or how many replicas Kubernetes can actually run.

use serde_json::Value;

/// The validated scaling spec (`ValidatedScalingSpec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scaling {
    pub replicas: u32,
    pub min_replicas: u32,
    /// `u32::MAX` when unbounded (unset or 0).
    pub max_replicas: u32,
}

/// Upstream prefix of every scaling error (`ErrScalingSpec`).
pub const SCALING_ERROR_PREFIX: &str = "scaling spec is invalid: ";

fn read_i32(spec: &Value, key: &str) -> Result<Option<i32>, String> {
    match spec.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => i32::try_from(i).map(Some).map_err(|_| {
                format!("spec.{key} is {i}, outside the int32 range; the API server rejects it")
            }),
            None => Err(format!(
                "spec.{key} must be an integer, got {n}; the API server rejects it"
            )),
        },
        Some(other) => Err(format!(
            "spec.{key} must be an integer, got {} {other}; the API server rejects it",
            super::merge::kind(other)
        )),
    }
}

/// Validates `spec.replicas / minReplicas / maxReplicas` of a Server or Model `spec`.
///
/// Defaults: all unset ⇒ 1 / 0 / `u32::MAX`; `replicas` unset (or negative) and `minReplicas > 0`
/// ⇒ `minReplicas`; `minReplicas`/`maxReplicas` of 0 mean unset. Errors carry the upstream text
/// with its `scaling spec is invalid: ` prefix; wrong JSON types give a plain error instead (the API
/// server would refuse such a manifest before Seldon sees it).
pub fn validated_scaling(spec: &Value) -> Result<Scaling, String> {
    let replicas = read_i32(spec, "replicas")?;
    let min = read_i32(spec, "minReplicas")?;
    let max = read_i32(spec, "maxReplicas")?;
    let err = |m: String| Err(format!("{SCALING_ERROR_PREFIX}{m}"));

    let mut s = Scaling {
        replicas: 1,
        min_replicas: 0,
        max_replicas: u32::MAX,
    };
    if replicas.is_none() && min.is_none() && max.is_none() {
        return Ok(s);
    }
    match (replicas, min) {
        (Some(r), _) if r >= 0 => s.replicas = r as u32,
        (_, Some(m)) if m > 0 => {
            if let Some(r) = replicas
                && r < m
            {
                return err(format!(
                    "number of replicas {r} cannot be less than minimum replica {m}"
                ));
            }
            s.replicas = m as u32;
        }
        _ => {}
    }
    if let Some(m) = min
        && m > 0
    {
        s.min_replicas = m as u32;
        if s.replicas < s.min_replicas {
            return err(format!(
                "number of replicas {} must be >= min replicas {}",
                s.replicas, s.min_replicas
            ));
        }
    }
    if let Some(m) = max
        && m > 0
    {
        s.max_replicas = m as u32;
        if s.min_replicas > s.max_replicas {
            return err(format!(
                "min number of replicas {} must be <= max number of replicas {}",
                s.min_replicas, s.max_replicas
            ));
        }
        if s.replicas > s.max_replicas {
            return err(format!(
                "number of replicas {} must be <= max replicas {}",
                s.replicas, s.max_replicas
            ));
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(v: Value) -> (u32, u32, u32) {
        let s = validated_scaling(&v).unwrap();
        (s.replicas, s.min_replicas, s.max_replicas)
    }

    // operator/internal/utils.go GetValidatedScalingSpec (defaults)
    #[test]
    fn defaults() {
        assert_eq!(ok(json!({})), (1, 0, u32::MAX));
        assert_eq!(ok(json!({"replicas": null})), (1, 0, u32::MAX));
        assert_eq!(ok(json!({"minReplicas": 2})), (2, 2, u32::MAX));
        assert_eq!(ok(json!({"minReplicas": 0})), (1, 0, u32::MAX));
        assert_eq!(ok(json!({"maxReplicas": 2})), (1, 0, 2));
        assert_eq!(ok(json!({"replicas": 0})), (0, 0, u32::MAX));
        assert_eq!(
            ok(json!({"replicas": 0, "minReplicas": 0, "maxReplicas": 4})),
            (0, 0, 4)
        );
        assert_eq!(
            ok(json!({"replicas": 3, "maxReplicas": 0})),
            (3, 0, u32::MAX)
        );
        assert_eq!(
            ok(json!({"replicas": 4, "minReplicas": 4, "maxReplicas": 4})),
            (4, 4, 4)
        );
        // negative replicas without a minimum keep the default of 1
        assert_eq!(ok(json!({"replicas": -1})), (1, 0, u32::MAX));
    }

    // operator/internal/utils.go GetValidatedScalingSpec (the four error texts)
    #[test]
    fn error_texts() {
        let e = |v: Value| validated_scaling(&v).unwrap_err();
        assert_eq!(
            e(json!({"replicas": -1, "minReplicas": 2})),
            "scaling spec is invalid: number of replicas -1 cannot be less than minimum replica 2"
        );
        assert_eq!(
            e(json!({"replicas": 0, "minReplicas": 1})),
            "scaling spec is invalid: number of replicas 0 must be >= min replicas 1"
        );
        assert_eq!(
            e(json!({"replicas": 6, "minReplicas": 6, "maxReplicas": 4})),
            "scaling spec is invalid: min number of replicas 6 must be <= max number of replicas 4"
        );
        assert_eq!(
            e(json!({"replicas": 5, "minReplicas": 1, "maxReplicas": 4})),
            "scaling spec is invalid: number of replicas 5 must be <= max replicas 4"
        );
    }

    #[test]
    fn wrong_types_say_so() {
        let e = validated_scaling(&json!({"replicas": "3"})).unwrap_err();
        assert!(e.contains("spec.replicas must be an integer"), "{e}");
        assert!(e.contains("string"), "{e}");
        let e = validated_scaling(&json!({"minReplicas": 1.5})).unwrap_err();
        assert!(e.contains("spec.minReplicas must be an integer"), "{e}");
        let e = validated_scaling(&json!({"maxReplicas": 5_000_000_000i64})).unwrap_err();
        assert!(e.contains("int32"), "{e}");
        assert!(validated_scaling(&json!("not a spec")).is_ok());
    }
}
