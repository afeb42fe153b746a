//! What the apiserver does to a pod spec before the scheduler sees it (scheduling.md §6).
//!
//! A Seldon `Server` podSpec is a template; the scheduler sees the Pod the StatefulSet controller
//! creates, after defaulting and admission. This module replays, in the apiserver's order:
//! request defaulting from limits (`SetDefaults_Pod`), `DefaultTolerationSeconds`,
//! `ExtendedResourceToleration` (only when enabled: off upstream, on in GKE) and `RuntimeClass`
//! (plugin/pkg/admission/*). Cluster-specific plugins (PodNodeSelector, PodTolerationRestriction,
//! LimitRanger) are not modelled. Must not know Seldon.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{PodSpec, Toleration};
use k8s_openapi::api::node::v1::RuntimeClass;

use super::SchedulingOptions;
use super::resources::{default_requests_from_limits, is_extended_resource_name};
use super::taints::taint_to_string;

/// A pod spec after defaulting and admission.
#[derive(Debug, Clone)]
pub struct Admitted {
    /// The spec the scheduler would see.
    pub pod: PodSpec,
    /// One line per change made, or per thing worth knowing (e.g. a RuntimeClass that does not exist).
    pub notes: Vec<String>,
    /// `Some(message)` when admission rejects the pod outright (the apiserver's words): no Pod is
    /// ever created, so nothing is scheduled.
    pub rejected: Option<String>,
}

const NOT_READY: &str = "node.kubernetes.io/not-ready";
const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// `--default-not-ready-toleration-seconds` / `--default-unreachable-toleration-seconds` default.
const DEFAULT_TOLERATION_SECONDS: i64 = 300;

/// Defaulting and admission for `pod`; `runtime_classes` are the cluster's RuntimeClass objects.
pub fn admit(
    pod: &PodSpec,
    runtime_classes: &[RuntimeClass],
    opts: &SchedulingOptions,
) -> Admitted {
    let mut out = Admitted {
        pod: pod.clone(),
        notes: Vec::new(),
        rejected: None,
    };
    defaults(&mut out);
    default_toleration_seconds(&mut out);
    if opts.extended_resource_toleration {
        extended_resource_toleration(&mut out);
    }
    runtime_class(&mut out, runtime_classes);
    out
}

fn defaults(out: &mut Admitted) {
    let before = out.pod.clone();
    default_requests_from_limits(&mut out.pod);
    let names = |p: &PodSpec| -> Vec<(String, BTreeSet<String>)> {
        p.containers
            .iter()
            .chain(p.init_containers.iter().flatten())
            .map(|c| {
                let keys = c
                    .resources
                    .as_ref()
                    .and_then(|r| r.requests.as_ref())
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                (c.name.clone(), keys)
            })
            .collect()
    };
    for ((name, was), (_, now)) in names(&before).into_iter().zip(names(&out.pod)) {
        let added: Vec<String> = now.difference(&was).cloned().collect();
        if !added.is_empty() {
            out.notes.push(format!(
                "container {name:?}: requests for {} defaulted from limits",
                added.join(", ")
            ));
        }
    }
    let pod_level = |p: &PodSpec| -> BTreeSet<String> {
        p.resources
            .as_ref()
            .and_then(|r| r.requests.as_ref())
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let added: Vec<String> = pod_level(&out.pod)
        .difference(&pod_level(&before))
        .cloned()
        .collect();
    if !added.is_empty() {
        out.notes.push(format!(
            "pod-level requests for {} defaulted from pod-level limits",
            added.join(", ")
        ));
    }
}

/// `DefaultTolerationSeconds` (plugin/pkg/admission/defaulttolerationseconds): adds
/// `not-ready`/`unreachable` `Exists:NoExecute` tolerations for 300s unless a toleration with that key
/// (or an empty key) and effect NoExecute (or empty) already exists. Those tolerations do not cover
/// the `NoSchedule` taints of the same keys, so NotReady nodes stay filtered.
fn default_toleration_seconds(out: &mut Admitted) {
    let tols = out.pod.tolerations.get_or_insert_with(Vec::new);
    let covers = |key: &str| {
        tols.iter().any(|t| {
            let k = t.key.as_deref().unwrap_or("");
            let e = t.effect.as_deref().unwrap_or("");
            (k == key || k.is_empty()) && (e == "NoExecute" || e.is_empty())
        })
    };
    let mut add = Vec::new();
    for key in [NOT_READY, UNREACHABLE] {
        if !covers(key) {
            add.push(Toleration {
                key: Some(key.to_string()),
                operator: Some("Exists".to_string()),
                effect: Some("NoExecute".to_string()),
                toleration_seconds: Some(DEFAULT_TOLERATION_SECONDS),
                value: None,
            });
        }
    }
    for t in add {
        out.notes.push(format!(
            "DefaultTolerationSeconds added toleration {}:NoExecute for {DEFAULT_TOLERATION_SECONDS}s",
            t.key.as_deref().unwrap_or("")
        ));
        tols.push(t);
    }
}

/// `ExtendedResourceToleration` (plugin/pkg/admission/extendedresourcetoleration): for every extended
/// resource a container or init container requests (after defaulting), in sorted order, add or keep
/// `{key: <name>, operator: Exists, effect: NoSchedule}`.
fn extended_resource_toleration(out: &mut Admitted) {
    let names: BTreeSet<String> = out
        .pod
        .containers
        .iter()
        .chain(out.pod.init_containers.iter().flatten())
        .filter_map(|c| c.resources.as_ref()?.requests.as_ref())
        .flat_map(|m| m.keys())
        .filter(|k| is_extended_resource_name(k))
        .cloned()
        .collect();
    let tols = out.pod.tolerations.get_or_insert_with(Vec::new);
    for name in names {
        let t = Toleration {
            key: Some(name.clone()),
            operator: Some("Exists".to_string()),
            effect: Some("NoSchedule".to_string()),
            value: None,
            toleration_seconds: None,
        };
        // AddOrUpdateTolerationInPod: same key, effect, operator and value ⇒ already present.
        let present = tols.iter().any(|x| {
            x.key == t.key
                && x.effect == t.effect
                && x.operator == t.operator
                && x.value.as_deref().unwrap_or("").is_empty()
        });
        if !present {
            out.notes.push(format!(
                "ExtendedResourceToleration added toleration {name}:NoSchedule (Exists)"
            ));
            tols.push(t);
        }
    }
}

/// `RuntimeClass` admission (plugin/pkg/admission/runtimeclass): sets `overhead` from
/// `overhead.podFixed` (a different pre-set overhead is rejected), merges
/// `scheduling.nodeSelector` into the pod's (a key with a different value is rejected) and appends
/// `scheduling.tolerations` (exact duplicates dropped; upstream `MergeTolerations` also drops
/// tolerations another one covers, which does not change what is tolerated for scheduling).
fn runtime_class(out: &mut Admitted, classes: &[RuntimeClass]) {
    let Some(name) = out.pod.runtime_class_name.clone().filter(|n| !n.is_empty()) else {
        return;
    };
    let Some(rc) = classes
        .iter()
        .find(|rc| rc.metadata.name.as_deref() == Some(name.as_str()))
    else {
        out.notes.push(format!(
            "RuntimeClass {name:?} was not found: the apiserver admits the pod and it can be scheduled, \
             but the kubelet cannot start it"
        ));
        if out.pod.overhead.is_some() {
            out.rejected = Some(
                "pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"
                    .to_string(),
            );
        }
        return;
    };
    // setOverhead
    match rc.overhead.as_ref().and_then(|o| o.pod_fixed.as_ref()) {
        Some(fixed) => {
            let same =
                |a: &BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>| {
                    a.len() == fixed.len()
                        && a.iter().all(|(k, v)| {
                            fixed.get(k).is_some_and(|w| {
                                match (
                                    crate::quantity::Quantity::parse(&v.0),
                                    crate::quantity::Quantity::parse(&w.0),
                                ) {
                                    (Ok(x), Ok(y)) => x == y,
                                    _ => v.0 == w.0,
                                }
                            })
                        })
                };
            match &out.pod.overhead {
                Some(o) if !o.is_empty() && !same(o) => {
                    out.rejected = Some(
                        "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead"
                            .to_string(),
                    );
                    return;
                }
                _ => {}
            }
            out.pod.overhead = Some(fixed.clone());
            let list: Vec<String> = fixed.iter().map(|(k, v)| format!("{k}={}", v.0)).collect();
            out.notes.push(format!(
                "RuntimeClass {name:?} set pod overhead {}",
                list.join(", ")
            ));
        }
        None => {
            if out.pod.overhead.is_some() {
                out.rejected = Some(
                    "pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"
                        .to_string(),
                );
                return;
            }
        }
    }
    // setScheduling
    let Some(sched) = &rc.scheduling else { return };
    if let Some(rc_sel) = &sched.node_selector {
        let sel = out.pod.node_selector.get_or_insert_with(BTreeMap::new);
        for (k, v) in rc_sel {
            match sel.get(k) {
                Some(have) if have != v => {
                    out.rejected = Some(format!(
                        "conflict: runtimeClass.scheduling.nodeSelector[{k}] = {v}; pod.spec.nodeSelector[{k}] = {have}"
                    ));
                    return;
                }
                Some(_) => {}
                None => {
                    out.notes
                        .push(format!("RuntimeClass {name:?} added nodeSelector {k}={v}"));
                    sel.insert(k.clone(), v.clone());
                }
            }
        }
    }
    if let Some(rc_tols) = &sched.tolerations {
        let tols = out.pod.tolerations.get_or_insert_with(Vec::new);
        for t in rc_tols {
            if !tols.contains(t) {
                let shown = taint_to_string(&k8s_openapi::api::core::v1::Taint {
                    key: t.key.clone().unwrap_or_default(),
                    value: t.value.clone(),
                    effect: t.effect.clone().unwrap_or_default(),
                    time_added: None,
                });
                out.notes.push(format!(
                    "RuntimeClass {name:?} added toleration {shown} ({})",
                    t.operator.as_deref().unwrap_or("Equal")
                ));
                tols.push(t.clone());
            }
        }
    }
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

    fn rc(v: serde_json::Value) -> RuntimeClass {
        match serde_json::from_value(v) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        }
    }

    fn keys(p: &PodSpec) -> Vec<String> {
        p.tolerations
            .iter()
            .flatten()
            .map(|t| {
                format!(
                    "{}:{}",
                    t.key.as_deref().unwrap_or(""),
                    t.effect.as_deref().unwrap_or("")
                )
            })
            .collect()
    }

    #[test]
    fn default_toleration_seconds_not_duplicated() {
        let a = admit(
            &pod(serde_json::json!({"containers": []})),
            &[],
            &SchedulingOptions::default(),
        );
        assert_eq!(
            keys(&a.pod),
            vec![
                "node.kubernetes.io/not-ready:NoExecute",
                "node.kubernetes.io/unreachable:NoExecute"
            ]
        );
        // Admitting twice adds nothing.
        let again = admit(&a.pod, &[], &SchedulingOptions::default());
        assert_eq!(keys(&again.pod).len(), 2);
        // An existing not-ready toleration (here with an empty effect) suppresses that one.
        let p = pod(serde_json::json!({"containers": [], "tolerations": [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists"}]}));
        let a = admit(&p, &[], &SchedulingOptions::default());
        assert_eq!(
            keys(&a.pod),
            vec![
                "node.kubernetes.io/not-ready:",
                "node.kubernetes.io/unreachable:NoExecute"
            ]
        );
        // An empty-key toleration for all effects covers both.
        let p = pod(serde_json::json!({"containers": [], "tolerations": [{"operator": "Exists"}]}));
        assert_eq!(
            keys(&admit(&p, &[], &SchedulingOptions::default()).pod).len(),
            1
        );
    }

    #[test]
    fn extended_resource_toleration_only_when_enabled() {
        let p = pod(serde_json::json!({"containers": [
            {"name": "m", "resources": {"limits": {"nvidia.com/gpu": "1", "cpu": "1"}}}]}));
        let off = admit(&p, &[], &SchedulingOptions::default());
        assert!(!keys(&off.pod).contains(&"nvidia.com/gpu:NoSchedule".to_string()));
        let opts = SchedulingOptions {
            extended_resource_toleration: true,
            ..Default::default()
        };
        let on = admit(&p, &[], &opts);
        assert!(keys(&on.pod).contains(&"nvidia.com/gpu:NoSchedule".to_string()));
        assert!(on.notes.iter().any(|n| n.contains("defaulted from limits")));
        // Not twice.
        let twice = admit(&on.pod, &[], &opts);
        assert_eq!(keys(&twice.pod).len(), keys(&on.pod).len());
    }

    #[test]
    fn runtime_class_merge_and_conflict() {
        let class = rc(serde_json::json!({
            "metadata": {"name": "nvidia"}, "handler": "nvidia",
            "overhead": {"podFixed": {"cpu": "250m", "memory": "120Mi"}},
            "scheduling": {"nodeSelector": {"gpu": "true"},
                           "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]}
        }));
        let p = pod(
            serde_json::json!({"containers": [], "runtimeClassName": "nvidia",
                                       "nodeSelector": {"pool": "gpu"}}),
        );
        let a = admit(
            &p,
            std::slice::from_ref(&class),
            &SchedulingOptions::default(),
        );
        assert!(a.rejected.is_none());
        assert_eq!(
            a.pod
                .node_selector
                .as_ref()
                .and_then(|s| s.get("gpu"))
                .map(String::as_str),
            Some("true")
        );
        assert!(keys(&a.pod).contains(&"nvidia.com/gpu:NoSchedule".to_string()));
        assert!(
            a.pod
                .overhead
                .as_ref()
                .is_some_and(|o| o.contains_key("memory"))
        );

        let p = pod(
            serde_json::json!({"containers": [], "runtimeClassName": "nvidia",
                                       "nodeSelector": {"gpu": "false"}}),
        );
        let a = admit(
            &p,
            std::slice::from_ref(&class),
            &SchedulingOptions::default(),
        );
        assert_eq!(
            a.rejected.as_deref(),
            Some(
                "conflict: runtimeClass.scheduling.nodeSelector[gpu] = true; pod.spec.nodeSelector[gpu] = false"
            )
        );

        let p = pod(serde_json::json!({"containers": [], "runtimeClassName": "missing"}));
        let a = admit(
            &p,
            std::slice::from_ref(&class),
            &SchedulingOptions::default(),
        );
        assert!(a.rejected.is_none());
        assert!(a.notes.iter().any(|n| n.contains("not found")));
    }
}
