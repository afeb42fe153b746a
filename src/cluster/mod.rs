//! The live cluster (feature `cluster`): reading objects with `kube`, and the CRDs for tests.
//!
//! Why: the same policies judge manifests and the running cluster; this module turns the API
//! server's objects into the same `Inventory` the files produce (`Origin::Cluster`), so facts,
//! policies and reports do not know where objects came from.
//!
//! What it must not do: evaluate policies, print findings, or write to the cluster (the future
//! auditor's Events will live elsewhere).

pub mod crd;
pub mod read;

use std::collections::HashSet;
use std::sync::Arc;

use crate::inventory::{Inventory, Origin, kinds};

pub use read::{ReadError, ReadOptions, Snapshot, Target};

/// What [`merge`] did.
#[derive(Debug, Default, Clone, Copy)]
pub struct MergeStats {
    pub added: usize,
    /// Live objects dropped because a file defines the same object.
    pub overridden: usize,
    /// Namespaced file objects without a namespace that were given the context's namespace.
    pub defaulted_namespace: usize,
}

/// Adds a snapshot to an inventory that may already hold file objects.
///
/// A file object replaces the live object with the same identity (API group, kind, namespace,
/// name): the file is the change being checked. Namespaced file objects without
/// `metadata.namespace` are taken to be applied to the kubeconfig context's namespace, as
/// `kubectl apply` would, so they meet the live objects of that namespace. With `as_context`,
/// findings on live objects are not reported (`lint --cluster`).
pub fn merge(inv: &mut Inventory, snap: Snapshot, as_context: bool) -> MergeStats {
    let mut stats = MergeStats::default();
    let ns = snap.default_namespace.clone();
    for o in inv.objects.iter_mut() {
        if matches!(o.origin, Origin::File { .. })
            && o.r#ref.namespace.is_empty()
            && !kinds::cluster_scoped(&o.r#ref.api_version, &o.r#ref.kind)
            && !ns.is_empty()
        {
            o.r#ref.namespace = ns.clone();
            let v = Arc::make_mut(&mut o.value);
            if let Some(meta) = v.get_mut("metadata").and_then(|m| m.as_object_mut()) {
                meta.insert("namespace".into(), serde_json::Value::String(ns.clone()));
            }
            stats.defaulted_namespace += 1;
        }
    }
    let identity = |api_version: &str, kind: &str, namespace: &str, name: &str| {
        (
            kinds::group(api_version).to_string(),
            kind.to_string(),
            namespace.to_string(),
            name.to_string(),
        )
    };
    let in_files: HashSet<_> = inv
        .objects
        .iter()
        .map(|o| {
            identity(
                &o.r#ref.api_version,
                &o.r#ref.kind,
                &o.r#ref.namespace,
                &o.r#ref.name,
            )
        })
        .collect();
    for (r, value) in snap.objects {
        if in_files.contains(&identity(&r.api_version, &r.kind, &r.namespace, &r.name)) {
            stats.overridden += 1;
            continue;
        }
        inv.add_object(r, value, Origin::Cluster);
        stats.added += 1;
    }
    inv.server_pods.extend(snap.server_pods);
    inv.cluster_context = as_context;
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::ObjectRef;
    use serde_json::json;

    fn live(kind: &str, ns: &str, name: &str) -> (ObjectRef, serde_json::Value) {
        let api_version = if kind == "Node" {
            "v1"
        } else {
            "mlops.seldon.io/v1alpha1"
        };
        (
            ObjectRef {
                api_version: api_version.into(),
                kind: kind.into(),
                namespace: ns.into(),
                name: name.into(),
            },
            json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": ns}, "spec": {"serverConfig": "mlserver"}}),
        )
    }

    #[test]
    fn files_override_live_objects_and_get_the_context_namespace() {
        let mut inv = Inventory::default();
        let file_server = json!({"apiVersion": "mlops.seldon.io/v1alpha1", "kind": "Server",
            "metadata": {"name": "a"}, "spec": {"serverConfig": "triton"}});
        inv.add_object(
            crate::inventory::build::identify(&file_server).expect("ref"),
            file_server,
            Origin::File {
                file: 0,
                document: 0,
                base: crate::path::FieldPath::root(),
            },
        );
        let snap = Snapshot {
            default_namespace: "seldon-mesh".into(),
            objects: vec![
                live("Server", "seldon-mesh", "a"),
                live("Server", "seldon-mesh", "b"),
                live("Node", "", "n1"),
            ],
            ..Snapshot::default()
        };
        let stats = merge(&mut inv, snap, true);
        assert_eq!(
            (stats.added, stats.overridden, stats.defaulted_namespace),
            (2, 1, 1)
        );
        assert_eq!(inv.objects.len(), 3);
        assert_eq!(inv.objects[0].r#ref.namespace, "seldon-mesh");
        assert_eq!(
            inv.objects[0].value["spec"]["serverConfig"], "triton",
            "the file wins"
        );
        assert_eq!(inv.objects[0].value["metadata"]["namespace"], "seldon-mesh");
        assert!(!inv.reported(1), "live objects are context");
    }
}
