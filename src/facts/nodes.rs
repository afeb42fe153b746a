//! Nodes and node pools.
//!
//! A pool is a set of Nodes with the same shape: labels (ignoring per-node labels such as
//! `kubernetes.io/hostname`), taints, allocatable and unschedulable. Pools are what people
//! think in ("the GPU pool") and what messages name.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::Node;
use serde_json::Value;

use super::params::Params;
use crate::inventory::Inventory;
use crate::path::FieldPath;

/// Labels whose value is unique per node: never part of a pool's identity.
pub const PER_NODE_LABELS: &[&str] = &[
    "kubernetes.io/hostname",
    "node.kubernetes.io/instance-id",
    "topology.kubernetes.io/host",
];

/// Labels that name a node pool on common platforms, in order of preference.
const POOL_LABELS: &[&str] = &[
    "placecheck.io/pool",
    "cloud.google.com/gke-nodepool",
    "eks.amazonaws.com/nodegroup",
    "karpenter.sh/nodepool",
    "kubernetes.azure.com/agentpool",
    "agentpool",
    "node-pool",
    "nodepool",
    "pool",
];

#[derive(Debug, Clone)]
pub struct NodeFact {
    /// Index in `Inventory::objects`.
    pub obj: usize,
    pub name: String,
    pub node: Node,
    pub labels: BTreeMap<String, String>,
    pub pool: usize,
    pub gpus: BTreeMap<String, String>,
    pub gpu: bool,
    pub control_plane: bool,
    pub dedicated: bool,
    pub allocatable_known: bool,
}

impl NodeFact {
    /// `spec.unschedulable` (cordoned).
    pub fn unschedulable(&self) -> bool {
        self.node
            .spec
            .as_ref()
            .and_then(|s| s.unschedulable)
            .unwrap_or(false)
    }
}

#[derive(Debug, Clone)]
pub struct Pool {
    pub id: String,
    /// Indexes into the node facts, sorted by name.
    pub nodes: Vec<usize>,
    /// Labels shared by every node of the pool.
    pub labels: BTreeMap<String, String>,
}

/// Whether a label is unique to its node (so it cannot describe a pool).
pub fn per_node_label(key: &str, value: &str, node_name: &str) -> bool {
    PER_NODE_LABELS.contains(&key) || (!value.is_empty() && value == node_name)
}

pub fn build(
    inv: &Inventory,
    node_objs: &[usize],
    params: &Params,
    problems: &mut Vec<(usize, FieldPath, String)>,
) -> (Vec<NodeFact>, Vec<Pool>) {
    let mut nodes = Vec::new();
    for &i in node_objs {
        let o = &inv.objects[i];
        let node: Node = match super::typed(&o.value) {
            Ok(n) => n,
            Err((path, msg)) => {
                problems.push((i, path, msg));
                continue;
            }
        };
        let labels: BTreeMap<String, String> = node
            .metadata
            .labels
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect();
        let allocatable = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
        let capacity = node.status.as_ref().and_then(|s| s.capacity.as_ref());
        let mut gpus = BTreeMap::new();
        for r in &params.gpu_resources {
            let q = allocatable
                .and_then(|a| a.get(r))
                .or_else(|| capacity.and_then(|c| c.get(r)));
            if let Some(q) = q
                && crate::quantity::Quantity::parse(&q.0).is_ok_and(|q| q.value() > 0)
            {
                gpus.insert(r.clone(), q.0.clone());
            }
        }
        let taints = node
            .spec
            .as_ref()
            .and_then(|s| s.taints.clone())
            .unwrap_or_default();
        let hard = |t: &k8s_openapi::api::core::v1::Taint| {
            t.effect == "NoSchedule" || t.effect == "NoExecute"
        };
        let gpu = !gpus.is_empty()
            || params
                .gpu_node_labels
                .iter()
                .any(|l| labels.contains_key(l));
        let control_plane = params
            .control_plane_taints
            .iter()
            .any(|k| labels.contains_key(k) || taints.iter().any(|t| &t.key == k));
        let dedicated = taints
            .iter()
            .any(|t| hard(t) && params.dedicated_taints.contains(&t.key));
        nodes.push(NodeFact {
            obj: i,
            name: o.r#ref.name.clone(),
            allocatable_known: allocatable.is_some(),
            node,
            labels,
            pool: 0,
            gpus,
            gpu,
            control_plane,
            dedicated,
        });
    }
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    let pools = group_pools(&mut nodes);
    (nodes, pools)
}

fn shape_key(n: &NodeFact) -> String {
    let labels: BTreeMap<&String, &String> = n
        .labels
        .iter()
        .filter(|(k, v)| !per_node_label(k, v, &n.name))
        .collect();
    let spec = n.node.spec.as_ref();
    serde_json::to_string(&(
        labels,
        spec.and_then(|s| s.taints.as_ref()),
        spec.and_then(|s| s.unschedulable).unwrap_or(false),
        n.node.status.as_ref().and_then(|s| s.allocatable.as_ref()),
    ))
    .unwrap_or_default()
}

fn group_pools(nodes: &mut [NodeFact]) -> Vec<Pool> {
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut pools: Vec<Pool> = Vec::new();
    for (i, n) in nodes.iter_mut().enumerate() {
        let key = shape_key(n);
        let p = *by_key.entry(key).or_insert_with(|| {
            pools.push(Pool {
                id: String::new(),
                nodes: Vec::new(),
                labels: n.labels.clone(),
            });
            pools.len() - 1
        });
        n.pool = p;
        pools[p].nodes.push(i);
        pools[p].labels.retain(|k, v| n.labels.get(k) == Some(v));
    }
    let mut used: HashMap<String, usize> = HashMap::new();
    for p in &mut pools {
        let first = &nodes[p.nodes[0]];
        let base = POOL_LABELS
            .iter()
            .find_map(|l| p.labels.get(*l).cloned())
            .unwrap_or_else(|| first.name.clone());
        let n = used.entry(base.clone()).or_insert(0);
        *n += 1;
        p.id = if *n == 1 { base } else { format!("{base}#{n}") };
    }
    pools
}

/// The value of a node field as Rego sees it.
pub fn taints_value(n: &NodeFact) -> Value {
    let taints = n
        .node
        .spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default();
    Value::Array(
        taints
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut v = serde_json::to_value(t).unwrap_or(Value::Null);
                if let Value::Object(m) = &mut v {
                    m.insert("index".into(), Value::from(i));
                }
                v
            })
            .collect(),
    )
}
