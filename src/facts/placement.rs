//! Kubernetes placement of pod specs onto the known Nodes, computed once per distinct shape.
//!
//! kube-scheduler's Filter result for a pod depends only on a few fields of the pod (tolerations,
//! nodeSelector, required node affinity, requests, nodeName) and of the node (the labels the pod
//! reads, taints, allocatable, unschedulable). Pods are keyed by that projection and nodes are
//! grouped by it, so the cost is (distinct pod shapes × distinct node shapes), not
//! pods × nodes. Pods that read `metadata.name` (nodeName, matchFields) are checked per node.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use k8s_openapi::api::core::v1::PodSpec;

use super::nodes::NodeFact;
use crate::scheduling::{self, SchedulingOptions, Unfit};

/// Where one pod spec can run.
#[derive(Debug)]
pub struct Placement {
    pub nodes_known: bool,
    /// Node fact indexes that fit, sorted by node name.
    pub fits: Arc<Vec<usize>>,
    /// Node fact index and why it does not fit.
    pub rejected: Arc<Vec<(usize, Arc<Unfit>)>>,
    /// kube-scheduler's aggregated text when nothing fits, else "".
    pub message: String,
    /// False when some node had no allocatable (resources were not judged there).
    pub resources_checked: bool,
}

impl Placement {
    pub fn unknown() -> Placement {
        Placement {
            nodes_known: false,
            fits: Arc::new(Vec::new()),
            rejected: Arc::new(Vec::new()),
            message: String::new(),
            resources_checked: false,
        }
    }
}

/// Node groups for one set of label keys.
struct Shapes {
    /// (representative node, members)
    groups: Vec<(usize, Vec<usize>)>,
}

pub struct Placer<'a> {
    nodes: &'a [NodeFact],
    opts: SchedulingOptions,
    shapes: HashMap<BTreeSet<String>, Arc<Shapes>>,
    cache: HashMap<String, Arc<Placement>>,
    /// Shared lists: identical fit sets share one allocation (and one Rego value later).
    fit_lists: HashMap<Vec<usize>, Arc<Vec<usize>>>,
    /// Calls to `scheduling::check`, for the performance notes.
    pub checks: usize,
}

impl<'a> Placer<'a> {
    pub fn new(nodes: &'a [NodeFact], opts: SchedulingOptions) -> Self {
        Placer {
            nodes,
            opts,
            shapes: HashMap::new(),
            cache: HashMap::new(),
            fit_lists: HashMap::new(),
            checks: 0,
        }
    }

    pub fn distinct_pods(&self) -> usize {
        self.cache.len()
    }

    fn shapes(&mut self, keys: &BTreeSet<String>) -> Arc<Shapes> {
        if let Some(s) = self.shapes.get(keys) {
            return s.clone();
        }
        let mut by: HashMap<String, usize> = HashMap::new();
        let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let labels: BTreeMap<&String, &String> =
                n.labels.iter().filter(|(k, _)| keys.contains(*k)).collect();
            let spec = n.node.spec.as_ref();
            let key = serde_json::to_string(&(
                labels,
                spec.and_then(|s| s.taints.as_ref()),
                spec.and_then(|s| s.unschedulable).unwrap_or(false),
                n.node.status.as_ref().and_then(|s| s.allocatable.as_ref()),
            ))
            .unwrap_or_default();
            let g = *by.entry(key).or_insert_with(|| {
                groups.push((i, Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push(i);
        }
        let s = Arc::new(Shapes { groups });
        self.shapes.insert(keys.clone(), s.clone());
        s
    }

    /// Placement of one (admitted) pod spec.
    pub fn place(&mut self, pod: &PodSpec) -> Arc<Placement> {
        if self.nodes.is_empty() {
            return Arc::new(Placement::unknown());
        }
        let key = pod_key(pod);
        if let Some(p) = self.cache.get(&key) {
            return p.clone();
        }
        let mut verdicts: Vec<Option<Arc<Unfit>>> = vec![None; self.nodes.len()];
        if scheduling::reads_node_name(pod) {
            for (i, n) in self.nodes.iter().enumerate() {
                self.checks += 1;
                verdicts[i] = scheduling::check(pod, &n.node, &self.opts).err().map(Arc::new);
            }
        } else {
            let keys = scheduling::node_label_keys_used(pod);
            let shapes = self.shapes(&keys);
            for (rep, members) in &shapes.groups {
                self.checks += 1;
                let v = scheduling::check(pod, &self.nodes[*rep].node, &self.opts)
                    .err()
                    .map(Arc::new);
                for &m in members {
                    verdicts[m] = v.clone();
                }
            }
        }
        let mut fits = Vec::new();
        let mut rejected = Vec::new();
        for (i, v) in verdicts.into_iter().enumerate() {
            match v {
                None => fits.push(i),
                Some(u) => rejected.push((i, u)),
            }
        }
        let message = if fits.is_empty() {
            let reasons: Vec<Vec<String>> =
                rejected.iter().map(|(_, u)| u.reasons.clone()).collect();
            scheduling::fit_error_message(self.nodes.len(), &reasons)
        } else {
            String::new()
        };
        let resources_checked = self.nodes.iter().all(|n| n.allocatable_known);
        let fits = self
            .fit_lists
            .entry(fits.clone())
            .or_insert_with(|| Arc::new(fits))
            .clone();
        let p = Arc::new(Placement {
            nodes_known: true,
            fits,
            rejected: Arc::new(rejected),
            message,
            resources_checked,
        });
        self.cache.insert(key, p.clone());
        p
    }
}

/// The fields of a pod spec that kube-scheduler's Filter plugins read.
fn pod_key(pod: &PodSpec) -> String {
    let required = pod
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| n.required_during_scheduling_ignored_during_execution.as_ref());
    let requests: BTreeMap<String, String> = scheduling::pod_requests(pod)
        .into_iter()
        .map(|(k, q)| (k, q.to_string()))
        .collect();
    serde_json::to_string(&(
        &pod.node_name,
        &pod.node_selector,
        required,
        &pod.tolerations,
        requests,
    ))
    .unwrap_or_default()
}
