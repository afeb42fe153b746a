//! Taints and tolerations: `Toleration.ToleratesTaint` and the TaintToleration / NodeUnschedulable
//! Filter rules (scheduling.md §2).
//!
//! Written from `staging/src/k8s.io/api/core/v1/toleration.go` (v0.36.3) and
//! `component-helpers/scheduling/corev1/helpers.go` (`FindMatchingUntoleratedTaint`). Must not know
//! about Seldon, and must not apply `tolerationSeconds` (the scheduler ignores it).

use k8s_openapi::api::core::v1::{Taint, Toleration};

use super::FeatureGates;

/// Key of the synthetic taint the NodeUnschedulable plugin checks against (`v1.TaintNodeUnschedulable`).
pub const TAINT_NODE_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// Whether `t` tolerates `taint`, exactly like `Toleration.ToleratesTaint` in v1.36.
///
/// * An empty toleration effect matches every effect; an empty key matches every key.
/// * Operator `""`/`Equal` compares values, `Exists` ignores them, `Lt`/`Gt` compare integers only
///   when [`FeatureGates::taint_toleration_comparison_operators`] is on (off by default in v1.36),
///   any other operator never matches.
/// * Comparisons are case-sensitive and untrimmed; `tolerationSeconds` plays no part.
pub fn tolerates(t: &Toleration, taint: &Taint, gates: &FeatureGates) -> bool {
    let effect = t.effect.as_deref().unwrap_or("");
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = t.key.as_deref().unwrap_or("");
    if !key.is_empty() && key != taint.key {
        return false;
    }
    let tv = t.value.as_deref().unwrap_or("");
    let xv = taint.value.as_deref().unwrap_or("");
    match t.operator.as_deref().unwrap_or("") {
        "" | "Equal" => tv == xv,
        "Exists" => true,
        op @ ("Lt" | "Gt") => {
            gates.taint_toleration_comparison_operators && compare_numeric_values(tv, xv, op)
        }
        _ => false,
    }
}

/// `compareNumericValues` (toleration.go): both values must be strict decimal integers
/// (`content.IsDecimalInteger`: no `+`, no leading zeros, no `-0`) that fit in an `i64`.
/// `Lt` means taint < toleration, `Gt` taint > toleration; equal values match neither.
fn compare_numeric_values(toleration_value: &str, taint_value: &str, op: &str) -> bool {
    if !is_decimal_integer(toleration_value) || !is_decimal_integer(taint_value) {
        return false;
    }
    let (Ok(tv), Ok(xv)) = (toleration_value.parse::<i64>(), taint_value.parse::<i64>()) else {
        return false;
    };
    match op {
        "Lt" => xv < tv,
        "Gt" => xv > tv,
        _ => false,
    }
}

/// `content.IsDecimalInteger` (apimachinery/pkg/api/validate/content/decimal_int.go):
/// `0` or `-?[1-9][0-9]*`.
pub fn is_decimal_integer(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let b = digits.as_bytes();
    match b.first() {
        None => false,
        Some(b'0') => s == "0",
        Some(c) if c.is_ascii_digit() => b.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    }
}

/// `TolerationsTolerateTaint`: does any toleration tolerate the taint?
pub fn tolerations_tolerate(
    tolerations: &[Toleration],
    taint: &Taint,
    gates: &FeatureGates,
) -> bool {
    tolerations.iter().any(|t| tolerates(t, taint, gates))
}

/// The first `NoSchedule`/`NoExecute` taint, in node order, that no toleration tolerates
/// (`FindMatchingUntoleratedTaint` with `DoNotScheduleTaintsFilterFunc`). `PreferNoSchedule` taints
/// never filter (they only lower the score).
pub fn first_untolerated<'a>(
    taints: &'a [Taint],
    tolerations: &[Toleration],
    gates: &FeatureGates,
) -> Option<&'a Taint> {
    taints.iter().find(|taint| {
        (taint.effect == "NoSchedule" || taint.effect == "NoExecute")
            && !tolerations_tolerate(tolerations, taint, gates)
    })
}

/// The synthetic taint NodeUnschedulable checks for a node with `spec.unschedulable: true`.
pub fn unschedulable_taint() -> Taint {
    Taint {
        key: TAINT_NODE_UNSCHEDULABLE.to_string(),
        effect: "NoSchedule".to_string(),
        ..Taint::default()
    }
}

/// `Taint.ToString`: `key=value:effect`, `key:effect` without a value.
pub fn taint_to_string(t: &Taint) -> String {
    let value = t.value.as_deref().unwrap_or("");
    match (value.is_empty(), t.effect.is_empty()) {
        (true, true) => t.key.clone(),
        (false, true) => format!("{}={}:", t.key, value),
        (true, false) => format!("{}:{}", t.key, t.effect),
        (false, false) => format!("{}={}:{}", t.key, value, t.effect),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tol(key: &str, op: &str, value: &str, effect: &str) -> Toleration {
        let s = |v: &str| (!v.is_empty()).then(|| v.to_string());
        Toleration {
            key: s(key),
            operator: s(op),
            value: s(value),
            effect: s(effect),
            toleration_seconds: None,
        }
    }

    fn taint(key: &str, value: &str, effect: &str) -> Taint {
        Taint {
            key: key.to_string(),
            value: (!value.is_empty()).then(|| value.to_string()),
            effect: effect.to_string(),
            time_added: None,
        }
    }

    const OFF: FeatureGates = FeatureGates {
        taint_toleration_comparison_operators: false,
    };
    const ON: FeatureGates = FeatureGates {
        taint_toleration_comparison_operators: true,
    };

    #[test]
    fn lt_gt_need_the_gate() {
        let t = tol("sla", "Gt", "750", "NoSchedule");
        let x = taint("sla", "950", "NoSchedule");
        assert!(!tolerates(&t, &x, &OFF));
        assert!(tolerates(&t, &x, &ON));
        let t = tol("sla", "Lt", "750", "NoSchedule");
        assert!(!tolerates(&t, &x, &ON));
        assert!(tolerates(&t, &taint("sla", "700", "NoSchedule"), &ON));
        // Equal never matches; leading zeros and '+' are not decimal integers.
        assert!(!tolerates(
            &tol("sla", "Gt", "750", ""),
            &taint("sla", "750", "NoExecute"),
            &ON
        ));
        assert!(!tolerates(
            &tol("sla", "Gt", "0100", ""),
            &taint("sla", "200", "NoSchedule"),
            &ON
        ));
        assert!(!tolerates(
            &tol("sla", "Gt", "+100", ""),
            &taint("sla", "200", "NoSchedule"),
            &ON
        ));
        // Overflow of int64 is no match.
        assert!(!tolerates(
            &tol("sla", "Lt", "9223372036854775808", ""),
            &taint("sla", "1", "NoSchedule"),
            &ON
        ));
    }

    #[test]
    fn empty_key_and_effect() {
        let any = tol("", "Exists", "", "");
        assert!(tolerates(&any, &taint("a", "b", "NoExecute"), &OFF));
        let any_noschedule = tol("", "Exists", "", "NoSchedule");
        assert!(tolerates(
            &any_noschedule,
            &taint("a", "b", "NoSchedule"),
            &OFF
        ));
        assert!(!tolerates(
            &any_noschedule,
            &taint("a", "b", "NoExecute"),
            &OFF
        ));
        // Empty key with Equal: invalid in the API, but the matcher compares values.
        assert!(tolerates(
            &tol("", "", "", ""),
            &taint("a", "", "NoSchedule"),
            &OFF
        ));
        assert!(!tolerates(
            &tol("", "", "", ""),
            &taint("a", "b", "NoSchedule"),
            &OFF
        ));
        // Unknown or lower-case operators never match.
        assert!(!tolerates(
            &tol("a", "exists", "", ""),
            &taint("a", "", "NoSchedule"),
            &OFF
        ));
    }

    #[test]
    fn prefer_no_schedule_never_filters() {
        let taints = [taint("a", "b", "PreferNoSchedule")];
        assert!(first_untolerated(&taints, &[], &OFF).is_none());
        let taints = [
            taint("a", "b", "PreferNoSchedule"),
            taint("c", "", "NoExecute"),
        ];
        assert_eq!(
            first_untolerated(&taints, &[], &OFF).map(|t| t.key.as_str()),
            Some("c")
        );
    }

    #[test]
    fn decimal_integer() {
        for ok in ["0", "1", "-1", "9223372036854775807", "10"] {
            assert!(is_decimal_integer(ok), "{ok}");
        }
        for bad in ["", "-", "-0", "01", "+1", " 1", "1 ", "1.0", "a"] {
            assert!(!is_decimal_integer(bad), "{bad}");
        }
    }

    #[test]
    fn taint_strings() {
        assert_eq!(
            taint_to_string(&taint("nvidia.com/gpu", "present", "NoSchedule")),
            "nvidia.com/gpu=present:NoSchedule"
        );
        assert_eq!(taint_to_string(&taint("k", "", "NoExecute")), "k:NoExecute");
    }
}
