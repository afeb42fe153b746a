//! kube-scheduler's Filter semantics for one pod spec against one Node, as of Kubernetes v1.36.
//!
//! The facts layer asks "can a pod made from this template be placed on this node, and if not, what
//! would the scheduler say?". This module answers with the scheduler's own reason strings, running
//! the default profile's node-local Filter plugins in their real order (first failure wins):
//! NodeAffinity PreFilter, `NodeUnschedulable`, `NodeName`, `TaintToleration`, `NodeAffinity`,
//! `NodeResourcesFit`. The rules and their upstream sources are in `scheduling.md`; surprising
//! behaviour is cited where it is implemented.
//!
//! Not static, so not judged here: host ports, volumes, pod topology spread, inter-pod
//! (anti-)affinity (see [`spreads_one_per_node`] for the one static consequence), DRA claims, and
//! preferences (preferred affinity, `PreferNoSchedule`), which only rank nodes.
//!
//! This module must not know Seldon, and must not read files or clusters.

mod admission;
mod affinity;
mod resources;
mod taints;

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Node, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::quantity::Quantity;

pub use admission::{Admitted, admit};
pub use affinity::{is_label_key, is_label_value};
pub use resources::{NodeUsage, ResourceList, is_extended_resource_name, is_scalar_resource_name};
pub use taints::{TAINT_NODE_UNSCHEDULABLE, taint_to_string, tolerates};

/// Feature gates that change Filter results. `Default` is the v1.36 default: all off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeatureGates {
    /// `TaintTolerationComparisonOperators` (KEP-5471, alpha since 1.35, off by default): toleration
    /// operators `Lt`/`Gt`. With the gate off they never match.
    pub taint_toleration_comparison_operators: bool,
}

/// Cluster behaviour that is not in the pod spec.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SchedulingOptions {
    pub gates: FeatureGates,
    /// The `ExtendedResourceToleration` admission plugin is enabled (off upstream, on in GKE): pods
    /// requesting an extended resource get an `Exists:NoSchedule` toleration for it.
    pub extended_resource_toleration: bool,
}

/// Reason of the NodeAffinity PreFilter when every term pins node names and they intersect to none.
pub const REASON_AFFINITY_CONFLICT: &str = "pod affinity terms conflict";
pub const REASON_UNSCHEDULABLE: &str = "node(s) were unschedulable";
pub const REASON_NODE_NAME: &str = "node(s) didn't match the requested node name";
/// v1.35+ (and late 1.34.x) text; older clusters print `node(s) had untolerated taint {key: value}`.
pub const REASON_TAINT: &str = "node(s) had untolerated taint(s)";
pub const REASON_AFFINITY: &str = "node(s) didn't match Pod's node affinity/selector";
/// How the FailedScheduling event counts nodes outside the NodeAffinity PreFilterResult.
pub const REASON_OUTSIDE_PREFILTER: &str = "node(s) didn't satisfy plugin(s) [NodeAffinity]";

/// The framework status code of a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Preemption might make the node feasible (e.g. not enough free cpu right now).
    Unschedulable,
    /// Preemption cannot help ("Preemption is not helpful for scheduling").
    UnschedulableAndUnresolvable,
}

/// One node's verdict in kube-scheduler's words: the first failing plugin wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfit {
    /// The failing plugin: `NodeAffinity`, `NodeUnschedulable`, `NodeName`, `TaintToleration`,
    /// `NodeResourcesFit`.
    pub plugin: &'static str,
    /// The exact scheduler reason strings (several only for NodeResourcesFit, e.g.
    /// `["Insufficient cpu", "Insufficient memory"]`).
    pub reasons: Vec<String>,
    /// Specific and human: which taint, which label, which quantities.
    pub detail: String,
    pub code: Code,
    /// The node is outside the NodeAffinity PreFilterResult (the pod pins node names with
    /// `matchFields metadata.name In …` and this node is not one of them). The real scheduler then
    /// runs no Filter on it and the event counts it as [`REASON_OUTSIDE_PREFILTER`]; see
    /// [`Unfit::event_reasons`].
    pub outside_prefilter_result: bool,
}

impl Unfit {
    /// The reasons as the FailedScheduling event would count them for this node.
    pub fn event_reasons(&self) -> Vec<String> {
        if self.outside_prefilter_result {
            vec![REASON_OUTSIDE_PREFILTER.to_string()]
        } else {
            self.reasons.clone()
        }
    }

    fn new(plugin: &'static str, reason: &str, detail: String) -> Unfit {
        Unfit {
            plugin,
            reasons: vec![reason.to_string()],
            detail,
            code: Code::UnschedulableAndUnresolvable,
            outside_prefilter_result: false,
        }
    }
}

/// Whether a pod with spec `pod` passes the node-local Filter plugins on `node`, on an empty node
/// (no pods running). See [`check_with_usage`].
pub fn check(pod: &PodSpec, node: &Node, opts: &SchedulingOptions) -> Result<(), Unfit> {
    check_with_usage(pod, node, &NodeUsage::default(), opts)
}

/// Whether a pod with spec `pod` passes the node-local Filter plugins on `node`, given what already
/// runs there (`usage`; only NodeResourcesFit reads it).
///
/// `pod` is taken as the scheduler sees it: pass a template through [`admit`] first to apply
/// defaulting and admission (resource requests are always defaulted from limits here, because
/// [`pod_requests`] does it).
///
/// **A Node without `status.allocatable` is not judged on resources at all** (NodeResourcesFit is
/// skipped): manifests often omit status, and guessing capacity would invent failures. The caller
/// reports such nodes as "resources not checked". Resource values that are not valid quantities are
/// ignored (the apiserver would have rejected them).
pub fn check_with_usage(
    pod: &PodSpec,
    node: &Node,
    usage: &NodeUsage,
    opts: &SchedulingOptions,
) -> Result<(), Unfit> {
    let gates = &opts.gates;
    let node_name = node.metadata.name.as_deref().unwrap_or("");
    // NodeAffinity PreFilter (node_affinity.go): node-independent, runs before any Filter.
    let prefilter = affinity::prefilter_node_names(pod);
    if prefilter.as_ref().is_some_and(BTreeSet::is_empty) {
        return Err(Unfit::new(
            "NodeAffinity",
            REASON_AFFINITY_CONFLICT,
            "every required node affinity term pins node names with matchFields metadata.name In, \
             and together they name no node"
                .to_string(),
        ));
    }
    let outside = prefilter.is_some_and(|names| !names.contains(node_name));
    let result = filter(pod, node, usage, gates);
    match result {
        Err(mut u) => {
            u.outside_prefilter_result = outside;
            Err(u)
        }
        // Only reachable for a node without a name (its matchFields are skipped by Filter).
        Ok(()) if outside => Err(Unfit {
            outside_prefilter_result: true,
            ..Unfit::new(
                "NodeAffinity",
                REASON_OUTSIDE_PREFILTER,
                format!("node {node_name:?} is not among the node names the pod's matchFields pin"),
            )
        }),
        Ok(()) => Ok(()),
    }
}

fn filter(
    pod: &PodSpec,
    node: &Node,
    usage: &NodeUsage,
    gates: &FeatureGates,
) -> Result<(), Unfit> {
    let tolerations = pod.tolerations.as_deref().unwrap_or(&[]);
    let spec = node.spec.as_ref();
    let node_name = node.metadata.name.as_deref().unwrap_or("");

    // NodeUnschedulable (node_unschedulable.go) runs before TaintToleration, so a cordoned node
    // reports "unschedulable" even when it also carries the real unschedulable taint.
    if spec.and_then(|s| s.unschedulable) == Some(true)
        && !taints::tolerations_tolerate(tolerations, &taints::unschedulable_taint(), gates)
    {
        return Err(Unfit::new(
            "NodeUnschedulable",
            REASON_UNSCHEDULABLE,
            format!(
                "node is cordoned (spec.unschedulable: true) and the pod does not tolerate \
                 {TAINT_NODE_UNSCHEDULABLE}:NoSchedule"
            ),
        ));
    }

    // NodeName
    if let Some(want) = pod.node_name.as_deref().filter(|n| !n.is_empty())
        && want != node_name
    {
        return Err(Unfit::new(
            "NodeName",
            REASON_NODE_NAME,
            format!("pod requires nodeName {want}, this node is {node_name:?}"),
        ));
    }

    // TaintToleration
    let node_taints = spec.and_then(|s| s.taints.as_deref()).unwrap_or(&[]);
    if let Some(t) = taints::first_untolerated(node_taints, tolerations, gates) {
        let mut detail = format!("taint {} is not tolerated", taint_to_string(t));
        let comparison = tolerations
            .iter()
            .any(|x| matches!(x.operator.as_deref(), Some("Lt" | "Gt")));
        if comparison && !gates.taint_toleration_comparison_operators {
            detail.push_str(
                " (toleration operators Lt/Gt need the TaintTolerationComparisonOperators feature \
                 gate, off by default)",
            );
        }
        return Err(Unfit::new("TaintToleration", REASON_TAINT, detail));
    }

    // NodeAffinity
    if let Err(why) = affinity::match_node(pod, node) {
        return Err(Unfit::new("NodeAffinity", REASON_AFFINITY, why));
    }

    // NodeResourcesFit: only when the node states its allocatable.
    let mut bad = Vec::new();
    if let Some(alloc) = resources::node_allocatable(node, &mut bad) {
        let (reqs, _) = resources::pod_requests_checked(pod);
        let insufficient = resources::fits(&reqs, &alloc, usage);
        if !insufficient.is_empty() {
            let code = if insufficient.iter().any(|i| i.unresolvable) {
                Code::UnschedulableAndUnresolvable
            } else {
                Code::Unschedulable
            };
            return Err(Unfit {
                plugin: "NodeResourcesFit",
                reasons: insufficient.iter().map(|i| i.reason.clone()).collect(),
                detail: insufficient
                    .iter()
                    .map(|i| i.detail.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                code,
                outside_prefilter_result: false,
            });
        }
    }
    Ok(())
}

/// Whether [`check`] judges this node on resources: only when it has `status.allocatable`
/// (otherwise the facts layer reports the node as "resources not checked").
pub fn resources_checked(node: &Node) -> bool {
    node.status
        .as_ref()
        .is_some_and(|s| s.allocatable.is_some())
}

/// Total requests of one pod (component-helpers `PodRequests` with the scheduler's options):
/// containers summed; init containers as a running maximum, sidecars (`restartPolicy: Always`)
/// added to the sum and to every later init container; pod-level `resources.requests` for cpu,
/// memory and hugepages-* replacing the container aggregate; `overhead` added. Limits fill missing
/// requests first (`SetDefaults_Pod`). Values that are not valid quantities are skipped.
pub fn pod_requests(pod: &PodSpec) -> BTreeMap<String, Quantity> {
    resources::pod_requests_checked(pod).0
}

/// Like [`pod_requests`], also returning one message per resource value that is not a quantity.
pub fn pod_requests_checked(pod: &PodSpec) -> (BTreeMap<String, Quantity>, Vec<String>) {
    resources::pod_requests_checked(pod)
}

/// The FailedScheduling message (`FitError.Error()`, pkg/scheduler/framework/types.go) for a pod
/// that fits none of `total_nodes` nodes. `per_node_reasons` holds each failing node's reasons
/// (use [`Unfit::event_reasons`]); a node with two reasons counts in both. Entries are
/// `"<count> <reason>"` sorted as plain strings (so `10 …` sorts before `2 …`, as upstream).
/// When every node failed with the PreFilter reason `pod affinity terms conflict`, the message is
/// the PreFilter form (`0/N nodes are available: pod affinity terms conflict.`).
pub fn fit_error_message(total_nodes: usize, per_node_reasons: &[Vec<String>]) -> String {
    let mut msg = format!("0/{total_nodes} nodes are available:");
    let prefilter = !per_node_reasons.is_empty()
        && per_node_reasons
            .iter()
            .all(|r| r.len() == 1 && r[0] == REASON_AFFINITY_CONFLICT);
    if prefilter {
        msg.push_str(&format!(" {REASON_AFFINITY_CONFLICT}."));
        return msg;
    }
    let mut histogram: BTreeMap<&str, usize> = BTreeMap::new();
    for reasons in per_node_reasons {
        for r in reasons {
            *histogram.entry(r.as_str()).or_insert(0) += 1;
        }
    }
    let mut parts: Vec<String> = histogram
        .into_iter()
        .map(|(r, n)| format!("{n} {r}"))
        .collect();
    parts.sort();
    if !parts.is_empty() {
        msg.push_str(&format!(" {}.", parts.join(", ")));
    }
    msg
}

/// Node label keys that this pod's `nodeSelector` and required node affinity read: two nodes with
/// equal values for these keys (and equal taints, unschedulable flag and allocatable) get the same
/// verdict, unless [`reads_node_name`].
pub fn node_label_keys_used(pod: &PodSpec) -> BTreeSet<String> {
    affinity::label_keys_used(pod)
}

/// `nodeSelector` AND required node affinity against one Node (the NodeAffinity Filter), for
/// the `placecheck.matches_node` Rego function.
pub fn matches_node_affinity(pod: &PodSpec, node: &Node) -> bool {
    affinity::match_node(pod, node).is_ok()
}

/// Whether the verdict depends on the node's name (`nodeName`, or required affinity `matchFields`):
/// such pods must be checked per node, not per node shape.
///
/// Note: a Pod created with `spec.nodeName` already set never goes through kube-scheduler; the
/// kubelet admits it with its own, shorter list of checks (resources, node name, host ports, node
/// selector/affinity, `NoExecute` taints only; a cordoned node accepts it). [`check`] still answers
/// with the scheduler's rules, which is what the NodeName plugin exists for.
pub fn reads_node_name(pod: &PodSpec) -> bool {
    pod.node_name.as_deref().is_some_and(|n| !n.is_empty()) || affinity::uses_match_fields(pod)
}

/// Whether required pod anti-affinity limits this pod to one replica per node: some
/// `requiredDuringSchedulingIgnoredDuringExecution` anti-affinity term with
/// `topologyKey: kubernetes.io/hostname` whose label selector matches the pod's own labels
/// (scheduling.md §7). Replicas beyond the eligible nodes then stay Pending with
/// `node(s) didn't match pod anti-affinity rules`.
///
/// The term must select the pod's own namespace: `namespaces` empty and no `namespaceSelector`
/// (the pod's namespace), or an empty `namespaceSelector` (all namespaces). A term naming other
/// namespaces is not counted, since the pod's namespace is not known here. `matchLabelKeys` never
/// stops a pod matching itself; `mismatchLabelKeys` naming a label the pod has does.
pub fn spreads_one_per_node(pod: &PodSpec, pod_labels: &BTreeMap<String, String>) -> bool {
    let Some(terms) = pod
        .affinity
        .as_ref()
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
    else {
        return false;
    };
    terms.iter().any(|t| {
        let own_namespace = match &t.namespace_selector {
            None => t.namespaces.as_ref().is_none_or(Vec::is_empty),
            Some(sel) => is_empty_selector(sel),
        };
        let mismatch = t
            .mismatch_label_keys
            .iter()
            .flatten()
            .any(|k| pod_labels.contains_key(k));
        t.topology_key == "kubernetes.io/hostname"
            && own_namespace
            && !mismatch
            && t.label_selector
                .as_ref()
                .is_some_and(|s| label_selector_matches(s, pod_labels))
    })
}

fn is_empty_selector(s: &LabelSelector) -> bool {
    s.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
        && s.match_expressions.as_ref().is_none_or(Vec::is_empty)
}

/// `metav1.LabelSelectorAsSelector(...).Matches`: matchLabels and matchExpressions ANDed, an empty
/// selector matches everything; an invalid operator matches nothing.
fn label_selector_matches(s: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let labels_ok = s
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let exprs_ok = s.match_expressions.iter().flatten().all(|e| {
        let values = e.values.as_deref().unwrap_or(&[]);
        let have = labels.get(&e.key);
        match e.operator.as_str() {
            "In" => !values.is_empty() && have.is_some_and(|v| values.contains(v)),
            "NotIn" => !values.is_empty() && have.is_none_or(|v| !values.contains(v)),
            "Exists" => values.is_empty() && have.is_some(),
            "DoesNotExist" => values.is_empty() && have.is_none(),
            _ => false,
        }
    });
    labels_ok && exprs_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(v: serde_json::Value) -> PodSpec {
        match serde_json::from_value(v) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        }
    }

    fn node(v: serde_json::Value) -> Node {
        match serde_json::from_value(v) {
            Ok(n) => n,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn unschedulable_wins_over_taint() {
        let n = node(
            serde_json::json!({"metadata": {"name": "n"}, "spec": {"unschedulable": true,
            "taints": [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
                       {"key": "gpu", "value": "x", "effect": "NoSchedule"}]}}),
        );
        let p = pod(serde_json::json!({"containers": []}));
        let u = check(&p, &n, &SchedulingOptions::default()).err();
        assert_eq!(
            u.map(|u| u.reasons),
            Some(vec![REASON_UNSCHEDULABLE.to_string()])
        );
        // Tolerating the unschedulable taint moves on to the next taint.
        let p = pod(serde_json::json!({"containers": [], "tolerations": [
            {"key": "node.kubernetes.io/unschedulable", "operator": "Exists"}]}));
        let u = check(&p, &n, &SchedulingOptions::default()).err();
        assert_eq!(u.as_ref().map(|u| u.plugin), Some("TaintToleration"));
        assert_eq!(
            u.map(|u| u.detail),
            Some("taint gpu=x:NoSchedule is not tolerated".to_string())
        );
    }

    #[test]
    fn gate_changes_verdict() {
        let n = node(serde_json::json!({"metadata": {"name": "n"}, "spec": {
            "taints": [{"key": "sla", "value": "950", "effect": "NoSchedule"}]}}));
        let p = pod(serde_json::json!({"containers": [], "tolerations": [
            {"key": "sla", "operator": "Gt", "value": "750", "effect": "NoSchedule"}]}));
        let off = check(&p, &n, &SchedulingOptions::default());
        assert!(
            off.as_ref()
                .is_err_and(|u| u.detail.contains("feature gate"))
        );
        let on = SchedulingOptions {
            gates: FeatureGates {
                taint_toleration_comparison_operators: true,
            },
            ..Default::default()
        };
        assert!(check(&p, &n, &on).is_ok());
    }

    #[test]
    fn resources_and_messages() {
        let n = node(serde_json::json!({"metadata": {"name": "cpu-1"},
            "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"}}}));
        let p = pod(serde_json::json!({"containers": [{"name": "m",
            "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}));
        let u = check(&p, &n, &SchedulingOptions::default()).err();
        assert_eq!(
            u.as_ref().map(|u| u.reasons.clone()),
            Some(vec!["Insufficient nvidia.com/gpu".to_string()])
        );
        assert_eq!(
            u.as_ref().map(|u| u.detail.as_str()),
            Some(
                "requests nvidia.com/gpu 1, node allocatable 0 (node does not list nvidia.com/gpu)"
            )
        );
        // No allocatable: not judged on resources.
        let bare = node(serde_json::json!({"metadata": {"name": "x"}}));
        assert!(!resources_checked(&bare) && resources_checked(&n));
        assert!(check(&p, &bare, &SchedulingOptions::default()).is_ok());
        let reasons = vec![
            vec!["Insufficient nvidia.com/gpu".to_string()],
            vec![REASON_TAINT.to_string()],
            vec![REASON_TAINT.to_string()],
        ];
        assert_eq!(
            fit_error_message(3, &reasons),
            "0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 node(s) had untolerated taint(s)."
        );
        let many: Vec<Vec<String>> = (0..12)
            .map(|i| {
                vec![
                    if i < 10 {
                        REASON_TAINT
                    } else {
                        REASON_AFFINITY
                    }
                    .to_string(),
                ]
            })
            .collect();
        assert_eq!(
            fit_error_message(12, &many),
            "0/12 nodes are available: 10 node(s) had untolerated taint(s), 2 node(s) didn't match Pod's node affinity/selector."
        );
    }

    #[test]
    fn prefilter_conflict_and_outside() {
        let p = pod(
            serde_json::json!({"containers": [], "affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]},
                                 {"key": "metadata.name", "operator": "In", "values": ["b"]}]}]}}}}),
        );
        let n = node(serde_json::json!({"metadata": {"name": "a"}}));
        let u = check(&p, &n, &SchedulingOptions::default()).err();
        assert_eq!(
            u.map(|u| u.reasons),
            Some(vec![REASON_AFFINITY_CONFLICT.to_string()])
        );
        assert_eq!(
            fit_error_message(2, &vec![vec![REASON_AFFINITY_CONFLICT.to_string()]; 2]),
            "0/2 nodes are available: pod affinity terms conflict."
        );
        let p = pod(
            serde_json::json!({"containers": [], "affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]}]}]}}}}),
        );
        let b = node(serde_json::json!({"metadata": {"name": "b"}}));
        let u = check(&p, &b, &SchedulingOptions::default()).err();
        assert_eq!(
            u.as_ref().map(|u| u.reasons.clone()),
            Some(vec![REASON_AFFINITY.to_string()])
        );
        assert_eq!(
            u.map(|u| u.event_reasons()),
            Some(vec![REASON_OUTSIDE_PREFILTER.to_string()])
        );
        assert!(reads_node_name(&p));
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let n = node(
            serde_json::json!({"metadata": {"name": "n"}, "spec": {"taints": [{"key": "", "effect": ""}]},
            "status": {"allocatable": {"cpu": "-5", "memory": "1e100", "pods": "abc", "x/y": "1.5.5"}}}),
        );
        let p = pod(
            serde_json::json!({"containers": [{"name": "", "resources": {"requests": {"cpu": "zz", "memory": "-1Gi"},
            "limits": {"a/b": "99999999999999999999Ei"}}}],
            "tolerations": [{"operator": "Lt", "value": "-0"}],
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "", "operator": ""}], "matchFields": [{"key": "", "operator": "In"}]}]}}}}),
        );
        for gates in [
            FeatureGates::default(),
            FeatureGates {
                taint_toleration_comparison_operators: true,
            },
        ] {
            let opts = SchedulingOptions {
                gates,
                extended_resource_toleration: true,
            };
            let _ = check(&p, &n, &opts);
            let _ = check(&admit(&p, &[], &opts).pod, &n, &opts);
        }
        let (reqs, bad) = pod_requests_checked(&p);
        assert_eq!(bad.len(), 1, "{bad:?}"); // cpu "zz"; the huge Ei value is capped like Go
        assert!(reqs.contains_key("a/b"));
        // Unparseable allocatable entries are ignored; missing pods means "Too many pods".
        let u = check(
            &pod(serde_json::json!({"containers": []})),
            &n,
            &SchedulingOptions::default(),
        )
        .err();
        assert_eq!(
            u.map(|u| u.reasons),
            Some(vec!["Too many pods".to_string()])
        );
    }

    #[test]
    fn shapes_and_spread() {
        let p = pod(
            serde_json::json!({"containers": [], "nodeSelector": {"pool": "gpu"},
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}},
              "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"topologyKey": "kubernetes.io/hostname",
                 "labelSelector": {"matchLabels": {"app": "mlserver"}}}]}}}),
        );
        assert_eq!(
            node_label_keys_used(&p).into_iter().collect::<Vec<_>>(),
            vec!["pool", "zone"]
        );
        assert!(!reads_node_name(&p));
        let own: BTreeMap<String, String> = [("app".to_string(), "mlserver".to_string())].into();
        assert!(spreads_one_per_node(&p, &own));
        let other: BTreeMap<String, String> = [("app".to_string(), "x".to_string())].into();
        assert!(!spreads_one_per_node(&p, &other));
    }
}
