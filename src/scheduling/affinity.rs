//! `nodeSelector` + required node affinity, as the NodeAffinity plugin evaluates them
//! (scheduling.md §3).
//!
//! Written from `component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go`
//! (`GetRequiredNodeAffinity`, `LazyErrorNodeSelector`), `apimachinery/pkg/labels/selector.go`
//! (`NewRequirement`, `Requirement.Matches`) and the NodeAffinity plugin's PreFilter, all v1.36.
//! Preferred affinity is score-only and is deliberately not evaluated here. Must not know Seldon.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{
    Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PodSpec,
};

/// The node field a `matchFields` requirement may name (`metav1.ObjectNameField`).
pub const OBJECT_NAME_FIELD: &str = "metadata.name";

/// The pod's required node affinity (`spec.affinity.nodeAffinity.requiredDuringScheduling…`), if set.
pub fn required_node_selector(pod: &PodSpec) -> Option<&NodeSelector> {
    pod.affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()
}

/// NodeAffinity PreFilter: when every required term carries `matchFields metadata.name In …`, the
/// scheduler narrows the candidate nodes to ∪(terms) ∩(requirements) of those names before any
/// Filter runs. Returns `None` when it does not narrow (some term has no such requirement, or there
/// is no required affinity / no terms).
///
/// An empty set means the terms conflict: PreFilter rejects the pod on every node with
/// `pod affinity terms conflict`. Note that PreFilter reads the raw values, so a requirement that
/// Filter treats as a parse error (`In [a, b]`) still narrows here.
pub fn prefilter_node_names(pod: &PodSpec) -> Option<BTreeSet<String>> {
    let terms = &required_node_selector(pod)?.node_selector_terms;
    if terms.is_empty() {
        return None;
    }
    let mut union = BTreeSet::new();
    for term in terms {
        let mut names: Option<BTreeSet<String>> = None;
        for r in term.match_fields.iter().flatten() {
            if r.key == OBJECT_NAME_FIELD && r.operator == "In" {
                let s: BTreeSet<String> = r.values.iter().flatten().cloned().collect();
                names = Some(match names {
                    None => s,
                    Some(prev) => prev.intersection(&s).cloned().collect(),
                });
            }
        }
        // A term without a metadata.name In requirement leaves every node eligible.
        union.extend(names?);
    }
    Some(union)
}

/// Why the node does not satisfy `nodeSelector` + required node affinity, in human words; `Ok` when
/// it does (`RequiredNodeAffinity.Match`). The nodeSelector is checked first, then the affinity
/// terms; parse errors in a term make that term never match, as upstream (which ignores the errors
/// "for backwards compatibility").
pub fn match_node(pod: &PodSpec, node: &Node) -> Result<(), String> {
    let empty = BTreeMap::new();
    let labels = node.metadata.labels.as_ref().unwrap_or(&empty);
    if let Some(sel) = &pod.node_selector {
        for (k, v) in sel {
            match labels.get(k) {
                Some(have) if have == v => {}
                Some(have) => {
                    return Err(format!(
                        "nodeSelector {k}={v} does not match (node has {k}={have})"
                    ));
                }
                None => {
                    return Err(format!(
                        "nodeSelector {k}={v} does not match (node has no label {k})"
                    ));
                }
            }
        }
    }
    let Some(req) = required_node_selector(pod) else {
        return Ok(());
    };
    let name = node.metadata.name.as_deref().unwrap_or("");
    match_node_selector(req, labels, name)
}

/// `LazyErrorNodeSelector.Match` for one node: terms are ORed; a term with neither expressions nor
/// fields is dropped (matches nothing); no terms at all match no node.
pub fn match_node_selector(
    sel: &NodeSelector,
    labels: &BTreeMap<String, String>,
    node_name: &str,
) -> Result<(), String> {
    let mut why = Vec::new();
    for (i, term) in sel.node_selector_terms.iter().enumerate() {
        if is_empty_term(term) {
            why.push(format!(
                "term {i} is empty (no matchExpressions, no matchFields) and matches nothing"
            ));
            continue;
        }
        match match_term(term, labels, node_name) {
            Ok(()) => return Ok(()),
            Err(e) => why.push(format!("term {i}: {e}")),
        }
    }
    if sel.node_selector_terms.is_empty() {
        return Err(
            "required node affinity has no nodeSelectorTerms, which matches no node".to_string(),
        );
    }
    Err(format!(
        "required node affinity: no term matches ({})",
        why.join("; ")
    ))
}

fn is_empty_term(t: &NodeSelectorTerm) -> bool {
    t.match_expressions.as_ref().is_none_or(Vec::is_empty)
        && t.match_fields.as_ref().is_none_or(Vec::is_empty)
}

/// One term: parse errors first (a term with any parse error never matches), then expressions
/// (labels) ANDed with fields. Quirk kept from upstream: a node with an empty name has no fields, and
/// `matchFields` are then skipped (treated as satisfied).
fn match_term(
    term: &NodeSelectorTerm,
    labels: &BTreeMap<String, String>,
    node_name: &str,
) -> Result<(), String> {
    let exprs = term.match_expressions.as_deref().unwrap_or(&[]);
    let fields = term.match_fields.as_deref().unwrap_or(&[]);
    let mut errors = Vec::new();
    for (j, r) in exprs.iter().enumerate() {
        if let Err(e) = validate_label_requirement(r) {
            errors.push(format!("matchExpressions[{j}] {}: {e}", describe(r)));
        }
    }
    for (j, r) in fields.iter().enumerate() {
        if let Err(e) = validate_field_requirement(r) {
            errors.push(format!("matchFields[{j}] {}: {e}", describe(r)));
        }
    }
    if !errors.is_empty() {
        return Err(format!(
            "invalid, so it never matches: {}",
            errors.join(", ")
        ));
    }
    for r in exprs {
        if !label_requirement_matches(r, labels) {
            let have = match labels.get(&r.key) {
                Some(v) => format!("node has {}={v}", r.key),
                None => format!("node has no label {}", r.key),
            };
            return Err(format!("{} is not satisfied ({have})", describe(r)));
        }
    }
    if !node_name.is_empty() {
        for r in fields {
            let value = r.values.iter().flatten().next().map_or("", String::as_str);
            let got = if r.key == OBJECT_NAME_FIELD {
                node_name
            } else {
                ""
            };
            let ok = match r.operator.as_str() {
                "In" => got == value,
                _ => got != value, // NotIn; other operators were rejected above
            };
            if !ok {
                return Err(format!(
                    "{} is not satisfied (node name is {node_name})",
                    describe(r)
                ));
            }
        }
    }
    Ok(())
}

/// `key op [values]` for messages.
fn describe(r: &NodeSelectorRequirement) -> String {
    let values = r.values.as_deref().unwrap_or(&[]);
    match r.operator.as_str() {
        "Exists" | "DoesNotExist" if values.is_empty() => format!("{} {}", r.key, r.operator),
        _ => format!("{} {} [{}]", r.key, r.operator, values.join(", ")),
    }
}

/// The parse rules of `nodeSelectorRequirementsAsSelector` + `labels.NewRequirement`.
fn validate_label_requirement(r: &NodeSelectorRequirement) -> Result<(), String> {
    let mut errs = Vec::new();
    if let Err(e) = is_label_key(&r.key) {
        errs.push(format!("key {:?}: {e}", r.key));
    }
    let values = r.values.as_deref().unwrap_or(&[]);
    match r.operator.as_str() {
        "In" | "NotIn" => {
            if values.is_empty() {
                errs.push("values must be non-empty for In and NotIn".to_string());
            }
        }
        "Exists" | "DoesNotExist" => {
            if !values.is_empty() {
                errs.push("values must be empty for Exists and DoesNotExist".to_string());
            }
        }
        "Gt" | "Lt" => {
            if values.len() != 1 {
                errs.push("exactly one value is required for Gt and Lt".to_string());
            }
            for v in values {
                if go_parse_int(v).is_none() {
                    errs.push(format!("value {v:?} is not an integer"));
                }
            }
        }
        op => {
            // NotSupported: unknown operators make the term invalid (case-sensitive: `in` is unknown).
            return Err(format!(
                "operator {op:?} is not supported (In, NotIn, Exists, DoesNotExist, Gt, Lt)"
            ));
        }
    }
    for v in values {
        if let Err(e) = is_label_value(v) {
            errs.push(format!("value {v:?}: {e}"));
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs.join(", "))
    }
}

/// `nodeSelectorRequirementsAsFieldSelector`: only `In`/`NotIn` with exactly one value. The key is
/// not validated here (API validation only allows `metadata.name`).
fn validate_field_requirement(r: &NodeSelectorRequirement) -> Result<(), String> {
    match r.operator.as_str() {
        "In" | "NotIn" => {
            let n = r.values.as_ref().map_or(0, Vec::len);
            if n == 1 {
                Ok(())
            } else {
                Err(format!(
                    "a node field selector needs exactly one value, got {n}"
                ))
            }
        }
        op => Err(format!(
            "operator {op:?} is not a valid node field selector operator (In, NotIn)"
        )),
    }
}

/// `Requirement.Matches` on node labels (the requirement is valid).
fn label_requirement_matches(
    r: &NodeSelectorRequirement,
    labels: &BTreeMap<String, String>,
) -> bool {
    let values = r.values.as_deref().unwrap_or(&[]);
    let have = labels.get(&r.key);
    match r.operator.as_str() {
        "In" => have.is_some_and(|v| values.contains(v)),
        "NotIn" => have.is_none_or(|v| !values.contains(v)),
        "Exists" => have.is_some(),
        "DoesNotExist" => have.is_none(),
        op @ ("Gt" | "Lt") => {
            let (Some(have), Some(threshold)) = (
                have.and_then(|v| go_parse_int(v)),
                values.first().and_then(|v| go_parse_int(v)),
            ) else {
                return false;
            };
            if op == "Gt" {
                have > threshold
            } else {
                have < threshold
            }
        }
        _ => false,
    }
}

/// `strconv.ParseInt(s, 10, 64)`: optional sign, ASCII digits, leading zeros allowed.
fn go_parse_int(s: &str) -> Option<i64> {
    s.parse::<i64>().ok()
}

/// `validation.IsQualifiedName` (= `IsLabelKey`): `[prefix/]name`, prefix a DNS-1123 subdomain of
/// at most 253 characters, name 1–63 characters of `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
pub fn is_label_key(key: &str) -> Result<(), String> {
    let parts: Vec<&str> = key.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                return Err("prefix part must be non-empty".to_string());
            }
            is_dns1123_subdomain(prefix).map_err(|e| format!("prefix part {e}"))?;
            *name
        }
        _ => {
            return Err(
                "a qualified name must be an optional DNS subdomain prefix and '/' followed by a name"
                    .to_string(),
            );
        }
    };
    if name.is_empty() {
        return Err("name part must be non-empty".to_string());
    }
    if name.len() > 63 {
        return Err("name part must be no more than 63 characters".to_string());
    }
    if !is_qualified_name_part(name) {
        return Err("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character".to_string());
    }
    Ok(())
}

/// `validation.IsValidLabelValue`: empty, or at most 63 characters of
/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
pub fn is_label_value(v: &str) -> Result<(), String> {
    if v.len() > 63 {
        return Err("must be no more than 63 characters".to_string());
    }
    if !v.is_empty() && !is_qualified_name_part(v) {
        return Err("a valid label value must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character".to_string());
    }
    Ok(())
}

fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// `IsDNS1123Subdomain`: at most 253 characters, dot-separated labels of `[a-z0-9]([-a-z0-9]*[a-z0-9])?`.
fn is_dns1123_subdomain(s: &str) -> Result<(), String> {
    if s.len() > 253 {
        return Err("must be no more than 253 characters".to_string());
    }
    let ok = s.split('.').all(|label| {
        let b = label.as_bytes();
        match (b.first(), b.last()) {
            (Some(f), Some(l)) => {
                (f.is_ascii_lowercase() || f.is_ascii_digit())
                    && (l.is_ascii_lowercase() || l.is_ascii_digit())
                    && b.iter()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            }
            _ => false,
        }
    });
    if ok {
        Ok(())
    } else {
        Err("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character".to_string())
    }
}

/// Label keys the pod's nodeSelector and required node affinity read.
pub fn label_keys_used(pod: &PodSpec) -> BTreeSet<String> {
    let mut keys: BTreeSet<String> = pod
        .node_selector
        .iter()
        .flat_map(|m| m.keys().cloned())
        .collect();
    if let Some(req) = required_node_selector(pod) {
        for term in &req.node_selector_terms {
            for r in term.match_expressions.iter().flatten() {
                keys.insert(r.key.clone());
            }
        }
    }
    keys
}

/// Whether any required term has `matchFields` (they read the node's name).
pub fn uses_match_fields(pod: &PodSpec) -> bool {
    required_node_selector(pod).is_some_and(|req| {
        req.node_selector_terms
            .iter()
            .any(|t| t.match_fields.as_ref().is_some_and(|f| !f.is_empty()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_keys() {
        for ok in [
            "a",
            "nvidia.com/gpu",
            "kubernetes.io/hostname",
            "A_b.c-d",
            "x/Y",
        ] {
            assert!(is_label_key(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/a",
            "a/",
            "a/b/c",
            "-a",
            "a-",
            "Nvidia.com/gpu",
            "invalid key",
            &"a".repeat(64),
        ] {
            assert!(is_label_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn label_values() {
        for ok in ["", "a", "0204", "NVIDIA-GRID-K1", &"a".repeat(63)] {
            assert!(is_label_value(ok).is_ok(), "{ok}");
        }
        for bad in [
            "-1",
            "+1",
            "a b",
            "invalid value: ___@#$%^",
            "a\n",
            &"a".repeat(64),
        ] {
            assert!(is_label_value(bad).is_err(), "{bad}");
        }
    }

    fn req(key: &str, op: &str, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.to_string(),
            operator: op.to_string(),
            values: Some(values.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn gt_lt_and_invalid() {
        let labels: BTreeMap<String, String> = [("v".to_string(), "0206".to_string())].into();
        let sel = |r: NodeSelectorRequirement| NodeSelector {
            node_selector_terms: vec![NodeSelectorTerm {
                match_expressions: Some(vec![r]),
                match_fields: None,
            }],
        };
        assert!(match_node_selector(&sel(req("v", "Gt", &["0204"])), &labels, "n").is_ok());
        assert!(match_node_selector(&sel(req("v", "Lt", &["0204"])), &labels, "n").is_err());
        // Negative thresholds fail the label-value rule, so the term never matches.
        assert!(match_node_selector(&sel(req("v", "Gt", &["-1"])), &labels, "n").is_err());
        // Lower-case operator is unsupported.
        assert!(match_node_selector(&sel(req("v", "in", &["0206"])), &labels, "n").is_err());
        // NotIn with an invalid value: the term fails even though NotIn would hold.
        let e = match_node_selector(&sel(req("v", "NotIn", &["a b"])), &labels, "n");
        assert!(e.is_err_and(|e| e.contains("invalid")));
    }

    #[test]
    fn prefilter_conflict() {
        let term = |names: &[&str]| NodeSelectorTerm {
            match_expressions: None,
            match_fields: Some(vec![req(OBJECT_NAME_FIELD, "In", names)]),
        };
        let pod = |terms: Vec<NodeSelectorTerm>| PodSpec {
            affinity: Some(k8s_openapi::api::core::v1::Affinity {
                node_affinity: Some(k8s_openapi::api::core::v1::NodeAffinity {
                    required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                        node_selector_terms: terms,
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut both = term(&["a"]);
        if let Some(f) = both.match_fields.as_mut() {
            f.push(req(OBJECT_NAME_FIELD, "In", &["b"]));
        }
        assert_eq!(
            prefilter_node_names(&pod(vec![both])),
            Some(BTreeSet::new())
        );
        assert_eq!(
            prefilter_node_names(&pod(vec![term(&["a"]), term(&["b"])])).map(|s| s.len()),
            Some(2)
        );
        let labels_only = NodeSelectorTerm {
            match_expressions: Some(vec![req("x", "Exists", &[])]),
            match_fields: None,
        };
        assert_eq!(
            prefilter_node_names(&pod(vec![term(&["a"]), labels_only])),
            None
        );
    }
}
