//! The Rego input document (docs/input.md), built once per evaluation from the facts.
//!
//! Built directly as `regorus::Value` so that values shared by many objects (the node list of a
//! pod shape, a rejection list) are shared here too: a clone is a reference-count increment, not
//! a copy. The same document serializes to JSON for `explain --format json`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use regorus::Value;

use super::{Facts, ModelPlacement, Placement};
use crate::inventory::{Inventory, ObjectRef, Origin};
use crate::path::FieldPath;
use crate::seldon;

pub const INPUT_VERSION: u32 = 1;

/// How many rejected Servers a Model's placement lists (closest first).
pub const MAX_REJECTED: usize = 10;

/// `lint` or `audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Lint,
    Audit,
}

pub fn obj<const N: usize>(pairs: [(&'static str, Value); N]) -> Value {
    let m: BTreeMap<Value, Value> = pairs.into_iter().map(|(k, v)| (key(k), v)).collect();
    Value::from(m)
}

thread_local! {
    /// Field names as Rego values, allocated once per thread: the input has ~1M object fields
    /// at fleet size and their names are a few dozen literals.
    static KEYS: std::cell::RefCell<HashMap<&'static str, Value>> = std::cell::RefCell::new(HashMap::new());
}

fn key(k: &'static str) -> Value {
    KEYS.with(|m| {
        m.borrow_mut()
            .entry(k)
            .or_insert_with(|| Value::from(k))
            .clone()
    })
}

pub fn s(x: &str) -> Value {
    Value::from(x)
}

fn arr(v: Vec<Value>) -> Value {
    Value::from(v)
}

fn strs<'a>(it: impl IntoIterator<Item = &'a String>) -> Value {
    arr(it.into_iter().map(|x| s(x)).collect())
}

pub fn ref_value(r: &ObjectRef) -> Value {
    obj([
        ("apiVersion", s(&r.api_version)),
        ("kind", s(&r.kind)),
        ("namespace", s(&r.namespace)),
        ("name", s(&r.name)),
    ])
}

/// A JSON value as a Rego value, without the deep copy `Value::from(v.clone())` would make.
pub fn json(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(a) => Value::from(a.iter().map(json).collect::<Vec<_>>()),
        serde_json::Value::Object(m) => Value::from(
            m.iter()
                .map(|(k, v)| (Value::from(k.as_str()), json(v)))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}

fn opt_num(v: Option<i128>) -> Value {
    v.map(Value::from).unwrap_or(Value::Null)
}

/// Builds `input`.
pub struct InputBuilder<'a> {
    inv: &'a Inventory,
    facts: &'a Facts,
    /// Raw objects converted once.
    objects: Vec<Value>,
    refs: Vec<Value>,
    node_names: Vec<Value>,
    node_lists: HashMap<*const Vec<usize>, Value>,
    placements: HashMap<*const Placement, Value>,
    model_placements: HashMap<*const ModelPlacement, Value>,
}

impl<'a> InputBuilder<'a> {
    pub fn new(inv: &'a Inventory, facts: &'a Facts) -> Self {
        use rayon::prelude::*;
        let objects: Vec<Value> = inv.objects.par_iter().map(|o| json(&o.value)).collect();
        let refs = inv.objects.iter().map(|o| ref_value(&o.r#ref)).collect();
        let node_names = facts.nodes.iter().map(|n| s(&n.name)).collect();
        InputBuilder {
            inv,
            facts,
            objects,
            refs,
            node_names,
            node_lists: HashMap::new(),
            placements: HashMap::new(),
            model_placements: HashMap::new(),
        }
    }

    fn node_list(&mut self, l: &Arc<Vec<usize>>) -> Value {
        let key = Arc::as_ptr(l);
        if let Some(v) = self.node_lists.get(&key) {
            return v.clone();
        }
        let v = arr(l.iter().map(|&i| self.node_names[i].clone()).collect());
        self.node_lists.insert(key, v.clone());
        v
    }

    fn origin(
        &self,
        server_obj: usize,
        config_obj: Option<usize>,
        o: Option<&seldon::Origin>,
    ) -> Value {
        match o {
            Some(o) if o.side == seldon::Side::ServerConfig => match config_obj {
                Some(c) => obj([
                    ("resource", self.refs[c].clone()),
                    ("path", s(&o.path.to_string())),
                ]),
                // A shipped default has no manifest: point at the Server's serverConfig.
                None => obj([
                    ("resource", self.refs[server_obj].clone()),
                    ("path", s("spec.serverConfig")),
                ]),
            },
            Some(o) => obj([
                ("resource", self.refs[server_obj].clone()),
                ("path", s(&o.path.to_string())),
            ]),
            None => obj([
                ("resource", self.refs[server_obj].clone()),
                ("path", s("spec")),
            ]),
        }
    }

    fn placement(&mut self, p: &Arc<Placement>, one_per_node: bool) -> Value {
        let key = Arc::as_ptr(p);
        if let Some(v) = self.placements.get(&key) {
            return with_field(v.clone(), "oneReplicaPerNode", Value::from(one_per_node));
        }
        let nodes = self.node_list(&p.fits);
        let facts = self.facts;
        let mut pools: Vec<&str> = p
            .fits
            .iter()
            .map(|&i| facts.pools[facts.nodes[i].pool].id.as_str())
            .collect();
        pools.dedup();
        pools.sort();
        pools.dedup();
        let rejected: Vec<Value> = p
            .rejected
            .iter()
            .map(|(i, u)| {
                let n = &facts.nodes[*i];
                obj([
                    ("node", self.node_names[*i].clone()),
                    ("pool", s(&facts.pools[n.pool].id)),
                    ("plugin", s(u.plugin)),
                    ("reasons", strs(&u.reasons)),
                    ("detail", s(&u.detail)),
                ])
            })
            .collect();
        // Per pool: count and the distinct verdicts.
        let mut by_pool: BTreeMap<(&str, &str, &Vec<String>, &str), usize> = BTreeMap::new();
        for (i, u) in p.rejected.iter() {
            let pool = facts.pools[facts.nodes[*i].pool].id.as_str();
            *by_pool
                .entry((pool, u.plugin, &u.reasons, u.detail.as_str()))
                .or_default() += 1;
        }
        let rejected_pools: Vec<Value> = by_pool
            .into_iter()
            .map(|((pool, plugin, reasons, detail), n)| {
                obj([
                    ("pool", s(pool)),
                    ("nodes", Value::from(n)),
                    ("plugin", s(plugin)),
                    ("reasons", strs(reasons)),
                    ("detail", s(detail)),
                ])
            })
            .collect();
        let v = obj([
            ("nodesKnown", Value::from(p.nodes_known)),
            ("nodes", nodes),
            ("pools", arr(pools.into_iter().map(s).collect())),
            ("rejected", arr(rejected)),
            ("rejectedPools", arr(rejected_pools)),
            ("message", s(&p.message)),
            ("resourcesChecked", Value::from(p.resources_checked)),
        ]);
        self.placements.insert(key, v.clone());
        with_field(v, "oneReplicaPerNode", Value::from(one_per_node))
    }

    fn rejection(&self, server_name: &str, r: &[seldon::Rejection]) -> Value {
        obj([
            ("server", s(server_name)),
            ("reasons", arr(r.iter().map(|x| s(&x.message)).collect())),
            ("codes", arr(r.iter().map(|x| s(x.code)).collect())),
            (
                "missing",
                arr(r
                    .iter()
                    .flat_map(|x| x.missing.iter())
                    .map(|m| s(m))
                    .collect()),
            ),
        ])
    }

    fn model_placement(&mut self, p: &Arc<ModelPlacement>) -> Value {
        let key = Arc::as_ptr(p);
        if let Some(v) = self.model_placements.get(&key) {
            return v.clone();
        }
        let name = |i: usize| {
            self.inv.objects[self.facts.servers[i].obj]
                .r#ref
                .name
                .clone()
        };
        let servers = arr(p.servers.iter().map(|&i| s(&name(i))).collect());
        // The closest few: enough for any message, without 50,000 × (servers) entries.
        let rejected = arr(p
            .rejected
            .iter()
            .take(MAX_REJECTED)
            .map(|(i, r)| self.rejection(&name(*i), r))
            .collect());
        let closest = p
            .closest
            .and_then(|c| p.rejected.iter().find(|(i, _)| *i == c))
            .map(|(i, r)| self.rejection(&name(*i), r))
            .unwrap_or(Value::Null);
        let nodes = self.node_list(&p.nodes);
        let v = obj([
            ("serversKnown", Value::from(p.servers_known)),
            ("servers", servers),
            ("rejected", rejected),
            ("closest", closest),
            ("rejectedCount", Value::from(p.rejected.len())),
            ("pinnedServerMissing", Value::from(p.pinned_missing)),
            ("nodes", nodes),
        ]);
        self.model_placements.insert(key, v.clone());
        v
    }

    pub fn build(
        mut self,
        mode: Mode,
        params: &serde_json::Map<String, serde_json::Value>,
    ) -> Value {
        let inv = self.inv;
        let facts = self.facts;
        let objects: Vec<Value> = inv
            .objects
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let source = match &o.origin {
                    Origin::File { file, document, .. } => obj([
                        (
                            "file",
                            s(&inv
                                .files
                                .get(*file)
                                .map(|f| f.path.clone())
                                .unwrap_or_default()),
                        ),
                        ("document", Value::from(*document)),
                    ]),
                    Origin::Cluster => obj([(
                        "cluster",
                        s(&crate::inventory::build::cluster_uri(&o.r#ref)),
                    )]),
                };
                obj([
                    ("ref", self.refs[i].clone()),
                    ("object", self.objects[i].clone()),
                    ("source", source),
                ])
            })
            .collect();

        let nodes: Vec<Value> = facts
            .nodes
            .iter()
            .map(|n| {
                let alloc = n.node.status.as_ref().and_then(|s| s.allocatable.as_ref());
                obj([
                    ("ref", self.refs[n.obj].clone()),
                    ("object", self.objects[n.obj].clone()),
                    ("name", s(&n.name)),
                    ("labels", str_map(&n.labels)),
                    ("taints", json(&super::nodes::taints_value(n))),
                    (
                        "allocatable",
                        Value::from(
                            alloc
                                .map(|a| {
                                    a.iter()
                                        .map(|(k, v)| (s(k), s(&v.0)))
                                        .collect::<BTreeMap<_, _>>()
                                })
                                .unwrap_or_default(),
                        ),
                    ),
                    ("allocatableKnown", Value::from(n.allocatable_known)),
                    ("unschedulable", Value::from(n.unschedulable())),
                    ("pool", s(&facts.pools[n.pool].id)),
                    ("gpus", str_map(&n.gpus)),
                    ("gpu", Value::from(n.gpu)),
                    ("controlPlane", Value::from(n.control_plane)),
                    ("dedicated", Value::from(n.dedicated)),
                ])
            })
            .collect();

        let pools: Vec<Value> = facts
            .pools
            .iter()
            .map(|p| {
                let first = &facts.nodes[p.nodes[0]];
                obj([
                    ("id", s(&p.id)),
                    (
                        "nodes",
                        arr(p
                            .nodes
                            .iter()
                            .map(|&i| self.node_names[i].clone())
                            .collect()),
                    ),
                    ("size", Value::from(p.nodes.len())),
                    ("labels", str_map(&p.labels)),
                    ("taints", json(&super::nodes::taints_value(first))),
                    ("unschedulable", Value::from(first.unschedulable())),
                    ("gpu", Value::from(first.gpu)),
                    ("controlPlane", Value::from(first.control_plane)),
                    ("dedicated", Value::from(first.dedicated)),
                ])
            })
            .collect();

        let server_configs: Vec<Value> = facts
            .server_configs
            .iter()
            .map(|c| {
                let r = match c.obj {
                    Some(i) => self.refs[i].clone(),
                    None => ref_value(&ObjectRef {
                        api_version: "mlops.seldon.io/v1alpha1".into(),
                        kind: "ServerConfig".into(),
                        namespace: String::new(),
                        name: c.name.clone(),
                    }),
                };
                obj([
                    ("ref", r),
                    ("object", json(&c.value)),
                    ("name", s(&c.name)),
                    ("capabilities", strs(&c.capabilities)),
                    ("builtin", Value::from(c.obj.is_none())),
                ])
            })
            .collect();

        // Live pods by (namespace, Server name); offline there are none.
        let mut pods_of: HashMap<(&str, &str), Vec<&crate::inventory::ServerPod>> = HashMap::new();
        for p in &inv.server_pods {
            pods_of
                .entry((p.namespace.as_str(), p.server.as_str()))
                .or_default()
                .push(p);
        }
        let node_index: HashMap<&str, usize> = facts
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.as_str(), i))
            .collect();

        let mut servers = Vec::with_capacity(facts.servers.len());
        for sf in &facts.servers {
            let e = &sf.effective;
            let origin =
                |p: &FieldPath| self.origin(sf.obj, sf.config.obj, e.pod_spec.origin_of(p));
            let sel = selection(&e.pod_spec.value, &origin);
            let origins: BTreeMap<Value, Value> = e
                .pod_spec
                .origins
                .keys()
                .map(|p| (s(&p.to_string()), origin(p)))
                .collect();
            let (replicas, min, max, scaling_error) = match &e.scaling {
                Ok(x) => (
                    Value::from(x.replicas),
                    Value::from(x.min_replicas),
                    Value::from(x.max_replicas),
                    Value::Null,
                ),
                Err(err) => (Value::Null, Value::Null, Value::Null, s(err)),
            };
            let gpu = match e.gpu.first() {
                Some((resource, count)) => obj([
                    ("resource", s(resource)),
                    ("count", Value::from(*count)),
                    ("origin", origin(&gpu_path(&e.pod_spec.value, resource))),
                ]),
                None => Value::Null,
            };
            let requests: BTreeMap<Value, Value> = sf
                .pod
                .as_ref()
                .map(|p| {
                    crate::scheduling::pod_requests(p)
                        .into_iter()
                        .map(|(k, q)| (s(&k), s(&q.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            let config_ref = sf
                .config
                .obj
                .map(|i| self.refs[i].clone())
                .unwrap_or(Value::Null);
            let ignored: Vec<Value> = e
                .ignored_fields
                .iter()
                .map(|(p, why)| obj([("path", s(&p.to_string())), ("why", s(why))]))
                .collect();
            let placement = self.placement(&sf.placement, sf.one_replica_per_node);
            let model_names = |ids: &[usize]| {
                arr(ids
                    .iter()
                    .map(|&m| s(&inv.objects[facts.models[m].obj].r#ref.name))
                    .collect())
            };
            // Model fact indexes are `models[]` indexes (one entry per fact, in order).
            let model_indexes = |ids: &[usize]| arr(ids.iter().map(|&m| Value::from(m)).collect());
            let c = &sf.candidates;
            let candidates = obj([
                ("count", Value::from(c.count)),
                ("noGpu", Value::from(c.no_gpu.0)),
                ("noGpuNames", model_names(&c.no_gpu.1)),
                ("noGpuModels", model_indexes(&c.no_gpu.1)),
                ("critical", Value::from(c.critical.0)),
                ("criticalNames", model_names(&c.critical.1)),
                ("nonCritical", Value::from(c.non_critical.0)),
                ("nonCriticalNames", model_names(&c.non_critical.1)),
            ]);
            servers.push(obj([
                ("ref", self.refs[sf.obj].clone()),
                ("object", self.objects[sf.obj].clone()),
                (
                    "serverConfig",
                    obj([
                        ("name", s(&sf.config.name)),
                        ("known", Value::from(sf.config.known())),
                        ("builtin", Value::from(sf.config.builtin)),
                        ("ref", config_ref),
                    ]),
                ),
                ("podSpec", json(&e.pod_spec.value)),
                ("origins", Value::from(origins)),
                ("tolerations", sel.tolerations),
                ("nodeSelector", sel.node_selector),
                ("requiredTerms", sel.terms),
                ("hasSelector", Value::from(sel.has_selector)),
                ("capabilities", strs(&e.capability_names())),
                (
                    "capabilitiesOrigin",
                    self.origin(sf.obj, sf.config.obj, capabilities_origin(e).as_ref()),
                ),
                ("replicas", replicas),
                ("minReplicas", min),
                ("maxReplicas", max),
                ("scalingError", scaling_error),
                ("memoryBytes", opt_num(e.capacity_bytes)),
                ("memoryRequestBytes", opt_num(e.memory_bytes)),
                ("overcommitPercent", Value::from(e.overcommit_percent)),
                (
                    "inferenceContainer",
                    e.inference_container
                        .as_deref()
                        .map(s)
                        .unwrap_or(Value::Null),
                ),
                ("gpu", gpu),
                ("requests", Value::from(requests)),
                ("labels", str_map(&sf.labels)),
                ("ignoredFields", arr(ignored)),
                ("placement", placement),
                ("candidateModels", candidates),
                ("pods", {
                    let r = &inv.objects[sf.obj].r#ref;
                    let pods = pods_of.get(&(r.namespace.as_str(), r.name.as_str()));
                    arr(pods
                        .into_iter()
                        .flatten()
                        .map(|p| pod_value(p, &sf.placement, &node_index))
                        .collect())
                }),
            ]));
        }

        let mut models = Vec::with_capacity(facts.models.len());
        for mf in &facts.models {
            let m = &mf.model;
            let (replicas, min, max, scaling_error) = match &m.scaling {
                Ok(x) => (
                    Value::from(x.replicas),
                    Value::from(x.min_replicas),
                    Value::from(x.max_replicas),
                    Value::Null,
                ),
                Err(err) => (Value::Null, Value::Null, Value::Null, s(err)),
            };
            let (mem, mem_err) = match &m.memory_bytes {
                Ok(b) => (Value::from(b.unwrap_or(0)), Value::Null),
                Err(e) => (Value::from(0), s(e)),
            };
            let placement = self.model_placement(&mf.placement);
            models.push(obj([
                ("ref", self.refs[mf.obj].clone()),
                ("object", self.objects[mf.obj].clone()),
                (
                    "requirements",
                    arr(m.requirements.iter().map(|r| s(&r.name)).collect()),
                ),
                (
                    "requirementOrigins",
                    arr(m
                        .requirements
                        .iter()
                        .map(|r| s(&r.origin.to_string()))
                        .collect()),
                ),
                ("memoryBytes", mem),
                ("memoryError", mem_err),
                ("replicas", replicas),
                ("minReplicas", min),
                ("maxReplicas", max),
                ("scalingError", scaling_error),
                ("server", m.server.as_deref().map(s).unwrap_or(Value::Null)),
                ("explainer", Value::from(m.explainer)),
                ("asksGpu", Value::from(mf.asks_gpu)),
                ("critical", Value::from(mf.critical)),
                ("placement", placement),
                // Live objects carry a status; so do objects exported with `kubectl get -o yaml`.
                ("status", model_status(&inv.objects[mf.obj].value)),
            ]));
        }

        let mut workloads = Vec::with_capacity(facts.workloads.len());
        for w in &facts.workloads {
            let pod_value = w
                .path
                .lookup(&inv.objects[w.obj].value)
                .cloned()
                .unwrap_or(serde_json::Value::Null);
            // Origins point into the workload itself.
            let origin = |rel: &FieldPath| {
                let mut p = w.path.clone();
                p.0.extend(rel.0.iter().cloned());
                obj([
                    ("resource", self.refs[w.obj].clone()),
                    ("path", s(&p.to_string())),
                ])
            };
            let sel = selection(&pod_value, &origin);
            let requests = crate::scheduling::pod_requests(&w.pod);
            let gpu = facts_gpu(&requests, &self.facts_gpu_resources(params));
            let placement = self.placement(&w.placement, w.one_replica_per_node);
            workloads.push(obj([
                ("ref", self.refs[w.obj].clone()),
                ("object", self.objects[w.obj].clone()),
                ("path", s(&w.path.to_string())),
                (
                    "component",
                    w.component.as_deref().map(s).unwrap_or(Value::Null),
                ),
                ("labels", str_map(&w.labels)),
                ("podSpec", json(&pod_value)),
                ("tolerations", sel.tolerations),
                ("nodeSelector", sel.node_selector),
                ("requiredTerms", sel.terms),
                ("hasSelector", Value::from(sel.has_selector)),
                (
                    "requests",
                    Value::from(
                        requests
                            .iter()
                            .map(|(k, q)| (s(k), s(&q.to_string())))
                            .collect::<BTreeMap<_, _>>(),
                    ),
                ),
                ("gpu", gpu),
                ("placement", placement),
            ]));
        }

        obj([
            ("version", Value::from(INPUT_VERSION)),
            (
                "mode",
                s(match mode {
                    Mode::Lint => "lint",
                    Mode::Audit => "audit",
                }),
            ),
            ("nodesKnown", Value::from(facts.nodes_known())),
            ("serversKnown", Value::from(facts.servers_known())),
            (
                "serverConfigsKnown",
                Value::from(facts.server_configs_known),
            ),
            ("objects", arr(objects)),
            ("nodes", arr(nodes)),
            ("nodePools", arr(pools)),
            ("serverConfigs", arr(server_configs)),
            ("servers", arr(servers)),
            ("models", arr(models)),
            // Lets model-unplaceable visit only these instead of testing 50,000 Models in Rego.
            (
                "modelsWithoutCandidates",
                arr(facts
                    .models
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| m.placement.servers.is_empty())
                    .map(|(i, _)| Value::from(i))
                    .collect()),
            ),
            ("workloads", arr(workloads)),
            ("config", json(&serde_json::Value::Object(params.clone()))),
        ])
    }

    fn facts_gpu_resources(
        &self,
        params: &serde_json::Map<String, serde_json::Value>,
    ) -> Vec<String> {
        params
            .get("gpuResources")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn facts_gpu(
    requests: &BTreeMap<String, crate::quantity::Quantity>,
    gpu_resources: &[String],
) -> Value {
    for r in gpu_resources {
        if let Some(q) = requests.get(r)
            && q.value() > 0
        {
            return obj([("resource", s(r)), ("count", s(&q.to_string()))]);
        }
    }
    Value::Null
}

/// The fields of a pod spec that keep it on (or let it onto) nodes, each with its origin.
struct Selection {
    tolerations: Value,
    node_selector: Value,
    terms: Value,
    has_selector: bool,
}

fn selection(pod: &serde_json::Value, origin: &dyn Fn(&FieldPath) -> Value) -> Selection {
    let root = FieldPath::root();
    let tolerations: Vec<Value> = pod
        .get("tolerations")
        .and_then(|t| t.as_array())
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, t)| with_field(json(t), "origin", origin(&root.key("tolerations").index(i))))
        .collect();
    let node_selector = pod
        .get("nodeSelector")
        .cloned()
        .unwrap_or(serde_json::json!({}));
    let terms_path = root
        .key("affinity")
        .key("nodeAffinity")
        .key("requiredDuringSchedulingIgnoredDuringExecution")
        .key("nodeSelectorTerms");
    let terms: Vec<Value> = terms_path
        .lookup(pod)
        .and_then(|t| t.as_array())
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, t)| obj([("term", json(t)), ("origin", origin(&terms_path.index(i)))]))
        .collect();
    let has_selector =
        node_selector.as_object().is_some_and(|m| !m.is_empty()) || !terms.is_empty();
    Selection {
        tolerations: arr(tolerations),
        node_selector: json(&node_selector),
        terms: arr(terms),
        has_selector,
    }
}

/// Where the capability list comes from: the Server's `spec.capabilities` /
/// `spec.extraCapabilities` when it sets them, else the ServerConfig's environment variable.
fn capabilities_origin(e: &seldon::EffectiveServer) -> Option<seldon::Origin> {
    let own = e
        .capabilities
        .iter()
        .filter_map(|c| c.origin.as_ref())
        .find(|o| o.side == seldon::Side::Server);
    match own {
        Some(o) => Some(seldon::Origin {
            side: o.side,
            path: o.path.parent().unwrap_or_else(|| o.path.clone()),
        }),
        None => e.capabilities.iter().find_map(|c| c.origin.clone()),
    }
}

/// Where a GPU resource is requested (limits first, as Kubernetes requires it there).
fn gpu_path(pod: &serde_json::Value, resource: &str) -> FieldPath {
    let root = FieldPath::root();
    for list in ["containers", "initContainers"] {
        for (i, c) in pod
            .get(list)
            .and_then(|c| c.as_array())
            .into_iter()
            .flatten()
            .enumerate()
        {
            for kind in ["limits", "requests"] {
                if c.pointer(&format!("/resources/{kind}"))
                    .and_then(|r| r.get(resource))
                    .is_some()
                {
                    return root
                        .key(list)
                        .index(i)
                        .key("resources")
                        .key(kind)
                        .key(resource);
                }
            }
        }
    }
    root.key("containers")
}

/// A live Server pod, and whether the node it runs on is one the Server's current spec allows:
/// `nodeAllowed` is `null` when that cannot be judged (unbound pod, unknown node, no Nodes).
fn pod_value(
    p: &crate::inventory::ServerPod,
    placement: &Placement,
    nodes: &HashMap<&str, usize>,
) -> Value {
    let node = p.node_name.as_deref().and_then(|n| nodes.get(n).copied());
    // Fit and reject lists are in node-index order (nodes are sorted by name).
    let verdict = match node {
        Some(i) if placement.nodes_known => {
            match placement.rejected.binary_search_by_key(&i, |(n, _)| *n) {
                Ok(k) => Some(Some(&placement.rejected[k].1)),
                Err(_) => Some(None),
            }
        }
        _ => None,
    };
    let (allowed, reasons, detail) = match verdict {
        None => (Value::Null, arr(Vec::new()), s("")),
        Some(None) => (Value::from(true), arr(Vec::new()), s("")),
        Some(Some(u)) => (Value::from(false), strs(&u.reasons), s(&u.detail)),
    };
    obj([
        ("name", s(&p.name)),
        (
            "nodeName",
            p.node_name.as_deref().map(s).unwrap_or(Value::Null),
        ),
        ("phase", p.phase.as_deref().map(s).unwrap_or(Value::Null)),
        ("nodeAllowed", allowed),
        ("nodeReasons", reasons),
        ("nodeDetail", detail),
    ])
}

/// A string-to-string map (labels, node selectors) as a Rego object.
fn str_map(m: &BTreeMap<String, String>) -> Value {
    Value::from(
        m.iter()
            .map(|(k, v)| (s(k), s(v)))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// A copy of an object value with one more field.
/// `{state, reason, ready}` of a live Model from its `ModelReady` condition (or `Ready` when
/// there is none). The Seldon operator writes the state name (`ScheduleFailed`,
/// `ModelAvailable`, …) into the condition's `message` and the long text into `reason`
/// (seldon.md §2.8), so they are swapped back here. `null` when the Model has no such condition.
pub fn model_status(model: &serde_json::Value) -> Value {
    let conditions = model
        .pointer("/status/conditions")
        .and_then(|c| c.as_array());
    let find = |t: &str| {
        conditions.and_then(|cs| {
            cs.iter()
                .find(|c| c.get("type").and_then(|x| x.as_str()) == Some(t))
        })
    };
    let Some(c) = find("ModelReady").or_else(|| find("Ready")) else {
        return Value::Null;
    };
    let text = |k: &str| c.get(k).and_then(|x| x.as_str()).filter(|x| !x.is_empty());
    obj([
        ("state", text("message").map(s).unwrap_or(Value::Null)),
        ("reason", text("reason").map(s).unwrap_or(Value::Null)),
        ("ready", Value::from(text("status") == Some("True"))),
    ])
}

fn with_field(mut v: Value, k: &str, x: Value) -> Value {
    if let Ok(m) = v.as_object_mut() {
        m.insert(s(k), x);
    }
    v
}
