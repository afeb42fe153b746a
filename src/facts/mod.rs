//! Placement facts: for every Server, workload and Model, where it can land and why not.
//!
//! This is where the joins happen — in Rust, by distinct shapes — so that policies are lookups.
//! Kubernetes rules come from `scheduling`, Seldon rules from `seldon`; this module only decides
//! what to compare with what, groups identical shapes, and keeps the results. It must not
//! evaluate Rego or format findings.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::api::node::v1::RuntimeClass;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::inventory::kinds::{self, Class};
use crate::inventory::{Inventory, ObjectRef, Problem, ProblemAt};
use crate::path::{FieldPath, Segment};
use crate::scheduling::{self, SchedulingOptions};
use crate::seldon;

pub mod input;
pub mod nodes;
pub mod params;
pub mod placement;

pub use nodes::{NodeFact, Pool};
pub use params::Params;
pub use placement::Placement;

/// How facts are computed.
#[derive(Debug, Clone, Default)]
pub struct FactsOptions {
    pub scheduling: SchedulingOptions,
    pub params: Params,
}

/// Which ServerConfig a Server uses.
#[derive(Debug, Clone)]
pub struct ConfigLink {
    pub name: String,
    /// Index in `Inventory::objects`, when the ServerConfig is in the inventory.
    pub obj: Option<usize>,
    /// The shipped default (`mlserver`, `triton`) was assumed.
    pub builtin: bool,
}

impl ConfigLink {
    pub fn known(&self) -> bool {
        self.obj.is_some() || self.builtin
    }
}

#[derive(Debug)]
pub struct ServerFact {
    pub obj: usize,
    pub config: ConfigLink,
    pub effective: seldon::EffectiveServer,
    /// The admitted pod spec kube-scheduler would see (None when it does not deserialize).
    pub pod: Option<PodSpec>,
    pub labels: BTreeMap<String, String>,
    pub placement: Arc<Placement>,
    pub one_replica_per_node: bool,
    /// How many replicas Kubernetes can place (None when no Node is known).
    pub runnable_replicas: Option<u32>,
    /// Model fact indexes of the Models this Server is a candidate for, summarized.
    pub candidates: CandidateModels,
}

#[derive(Debug)]
pub struct WorkloadFact {
    pub obj: usize,
    pub path: FieldPath,
    pub component: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub pod: PodSpec,
    pub placement: Arc<Placement>,
    pub one_replica_per_node: bool,
}

/// A Model's candidate Servers. Shared by every Model of the same shape.
#[derive(Debug)]
pub struct ModelPlacement {
    pub servers_known: bool,
    /// Indexes into `Facts::servers`, by name.
    pub servers: Vec<usize>,
    /// Non-candidate Servers of the namespace and why, closest first (for a pinned Model only
    /// the pinned Server).
    pub rejected: Vec<(usize, Arc<Vec<seldon::Rejection>>)>,
    /// The rejected Server closest to hosting the Model.
    pub closest: Option<usize>,
    /// `spec.server` names a Server that is not in the namespace.
    pub pinned_missing: bool,
    /// Node fact indexes where the candidates' pods can run.
    pub nodes: Arc<Vec<usize>>,
}

#[derive(Debug)]
pub struct ModelFact {
    pub obj: usize,
    pub model: seldon::ModelFacts,
    pub placement: Arc<ModelPlacement>,
    /// Its requirements include one of `parameters.gpuCapabilities`.
    pub asks_gpu: bool,
    /// It matches `parameters.criticalModels`.
    pub critical: bool,
}

/// The Models a Server is a candidate for, counted by kind, with the first few names (sorted).
/// Lets policies ask "which CPU Models can land on this GPU Server?" per Server instead of
/// walking every Model's candidate list.
#[derive(Debug, Default, Clone)]
pub struct CandidateModels {
    pub count: usize,
    pub no_gpu: (usize, Vec<usize>),
    pub critical: (usize, Vec<usize>),
    pub non_critical: (usize, Vec<usize>),
}

/// How many names a candidate summary keeps.
pub const CANDIDATE_NAMES: usize = 10;

#[derive(Debug)]
pub struct ServerConfigFact {
    pub obj: Option<usize>,
    pub name: String,
    pub value: Arc<Value>,
    pub capabilities: Vec<String>,
}

/// Everything policies and `explain` need to know about placement.
#[derive(Debug, Default)]
pub struct Facts {
    pub nodes: Vec<NodeFact>,
    pub pools: Vec<Pool>,
    pub server_configs: Vec<ServerConfigFact>,
    pub servers: Vec<ServerFact>,
    pub models: Vec<ModelFact>,
    pub workloads: Vec<WorkloadFact>,
    pub server_configs_known: bool,
    /// Problems found while computing (objects that do not deserialize into the types the
    /// scheduler uses), reported as `invalid-manifest`.
    pub problems: Vec<Problem>,
    pub stats: FactStats,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct FactStats {
    pub distinct_pod_shapes: usize,
    pub node_checks: usize,
    pub distinct_model_shapes: usize,
    pub model_server_judgements: usize,
}

/// Deserializes a raw value into a Kubernetes type, or says which field is wrong.
pub fn typed<T: DeserializeOwned>(v: &Value) -> Result<T, (FieldPath, String)> {
    serde_path_to_error::deserialize::<_, T>(v).map_err(|e| {
        let mut p = FieldPath::root();
        for seg in e.path().iter() {
            match seg {
                serde_path_to_error::Segment::Seq { index } => p = p.index(*index),
                serde_path_to_error::Segment::Map { key } => p = p.key(key),
                serde_path_to_error::Segment::Enum { variant } => p = p.key(variant),
                serde_path_to_error::Segment::Unknown => {}
            }
        }
        let msg = format!("{} at {}", e.inner(), if p.is_root() { "the top level".to_string() } else { p.to_string() });
        (p, msg)
    })
}

fn prefixed(base: &FieldPath, p: &FieldPath) -> FieldPath {
    let mut v: Vec<Segment> = base.0.clone();
    v.extend(p.0.iter().cloned());
    FieldPath(v)
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

impl Facts {
    pub fn nodes_known(&self) -> bool {
        !self.nodes.is_empty()
    }

    pub fn servers_known(&self) -> bool {
        !self.servers.is_empty()
    }

    /// Computes every fact of an inventory.
    pub fn compute(inv: &Inventory, opts: &FactsOptions) -> Facts {
        let mut by_class: HashMap<&'static str, Vec<usize>> = HashMap::new();
        let mut workload_objs = Vec::new();
        for (i, o) in inv.objects.iter().enumerate() {
            let c = kinds::classify(&o.r#ref.api_version, &o.r#ref.kind);
            let name = match c {
                Class::Node => "node",
                Class::RuntimeClass => "runtimeclass",
                Class::Server => "server",
                Class::ServerConfig => "serverconfig",
                Class::Model => "model",
                Class::Workload | Class::SeldonRuntime | Class::SeldonConfig => {
                    workload_objs.push(i);
                    continue;
                }
                Class::Other => continue,
            };
            by_class.entry(name).or_default().push(i);
        }
        let get = |k: &str| by_class.get(k).cloned().unwrap_or_default();
        let mut raw_problems: Vec<(usize, FieldPath, String)> = Vec::new();

        let (nodes, pools) = nodes::build(inv, &get("node"), &opts.params, &mut raw_problems);
        let runtime_classes: Vec<RuntimeClass> = get("runtimeclass")
            .into_iter()
            .filter_map(|i| match typed(&inv.objects[i].value) {
                Ok(rc) => Some(rc),
                Err((p, m)) => {
                    raw_problems.push((i, p, m));
                    None
                }
            })
            .collect();
        let mut placer = placement::Placer::new(&nodes, opts.scheduling.clone());

        // ServerConfigs, looked up by name in the Seldon namespace (seldon.md §1.2: the
        // operator's namespace, not the Server's). A ServerConfig without a namespace is taken
        // to be applied there.
        let mut configs: BTreeMap<String, usize> = BTreeMap::new();
        for i in get("serverconfig") {
            let r = &inv.objects[i].r#ref;
            if r.namespace.is_empty() || r.namespace == opts.params.seldon_namespace {
                configs.entry(r.name.clone()).or_insert(i);
            }
        }
        let mut server_configs: Vec<ServerConfigFact> = configs
            .iter()
            .map(|(name, &i)| {
                let value = inv.objects[i].value.clone();
                let capabilities = config_capabilities(&value, &opts.params);
                ServerConfigFact {
                    obj: Some(i),
                    name: name.clone(),
                    value,
                    capabilities,
                }
            })
            .collect();
        let mut builtin_configs: BTreeMap<String, Arc<Value>> = BTreeMap::new();

        let mut servers = Vec::new();
        for i in get("server") {
            let o = &inv.objects[i];
            let name = o
                .value
                .pointer("/spec/serverConfig")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let (config_value, link) = match configs.get(&name) {
                Some(&ci) => (Some(inv.objects[ci].value.clone()), ConfigLink { name: name.clone(), obj: Some(ci), builtin: false }),
                None => match seldon::shipped_server_config(&name) {
                    Some(v) => {
                        let v = builtin_configs.entry(name.clone()).or_insert_with(|| Arc::new(v)).clone();
                        (Some(v), ConfigLink { name: name.clone(), obj: None, builtin: true })
                    }
                    None => (None, ConfigLink { name: name.clone(), obj: None, builtin: false }),
                },
            };
            let gpu: Vec<&str> = opts.params.gpu_resources.iter().map(String::as_str).collect();
            let effective = seldon::effective_server(&o.value, config_value.as_deref(), &gpu);
            // Pod template labels as the StatefulSet gets them (seldon.md §3).
            let mut labels = string_map(o.value.pointer("/metadata/labels"));
            if let Some(cv) = &config_value {
                for (k, v) in string_map(cv.pointer("/metadata/labels")) {
                    labels.entry(k).or_insert(v);
                }
            }
            labels.insert("app.kubernetes.io/name".into(), "seldon-server".into());
            labels.insert("seldon-server-name".into(), o.r#ref.name.clone());
            let pod = match typed::<PodSpec>(&effective.pod_spec.value) {
                Ok(p) => Some(scheduling::admit(&p, &runtime_classes, &opts.scheduling).pod),
                Err((p, m)) => {
                    // Point at the field in whichever object wrote it.
                    let (idx, path) = match (effective.pod_spec.origin_of(&p), link.obj) {
                        (Some(o), Some(ci)) if o.side == seldon::Side::ServerConfig => (ci, o.path.clone()),
                        (Some(o), _) if o.side == seldon::Side::Server => (i, o.path.clone()),
                        _ => (i, prefixed(&FieldPath::root().key("spec").key("podSpec"), &p)),
                    };
                    raw_problems.push((idx, path, format!("the effective pod spec of Server {} does not deserialize: {m}", o.r#ref.name)));
                    None
                }
            };
            let (placement, one_per_node) = match &pod {
                Some(p) if link.known() => (placer.place(p), scheduling::spreads_one_per_node(p, &labels)),
                _ => (Arc::new(Placement::unknown()), false),
            };
            let replicas = effective.scaling.as_ref().map(|s| s.replicas).unwrap_or(0);
            let runnable_replicas = placement.nodes_known.then(|| {
                let fits = placement.fits.len() as u32;
                if fits == 0 {
                    0
                } else if one_per_node {
                    replicas.min(fits)
                } else {
                    replicas
                }
            });
            servers.push(ServerFact {
                obj: i,
                config: link,
                effective,
                pod,
                labels,
                placement,
                one_replica_per_node: one_per_node,
                runnable_replicas,
                candidates: CandidateModels::default(),
            });
        }
        for (name, v) in builtin_configs {
            let capabilities = config_capabilities(&v, &opts.params);
            server_configs.push(ServerConfigFact { obj: None, name, value: v, capabilities });
        }

        let mut workloads = Vec::new();
        for i in workload_objs {
            let o = &inv.objects[i];
            for t in kinds::pod_templates(&o.r#ref.kind, &o.value) {
                let Some(spec) = t.spec.lookup(&o.value) else { continue };
                let pod: PodSpec = match typed(spec) {
                    Ok(p) => p,
                    Err((p, m)) => {
                        raw_problems.push((i, prefixed(&t.spec, &p), m));
                        continue;
                    }
                };
                let labels = string_map(t.labels.as_ref().and_then(|l| l.lookup(&o.value)));
                let pod = scheduling::admit(&pod, &runtime_classes, &opts.scheduling).pod;
                let placement = placer.place(&pod);
                let one = scheduling::spreads_one_per_node(&pod, &labels);
                workloads.push(WorkloadFact {
                    obj: i,
                    path: t.spec,
                    component: t.component,
                    labels,
                    pod,
                    placement,
                    one_replica_per_node: one,
                });
            }
        }

        let (mut models, model_stats) = models(inv, &get("model"), &servers, &nodes);
        classify_models(inv, &mut models, &mut servers, &opts.params);

        let mut problems = Vec::new();
        for (idx, path, message) in raw_problems {
            problems.push(Problem {
                policy: "invalid-manifest",
                message,
                help: Some("fix the field's type: see the Kubernetes API reference for the field".into()),
                resource: Some(inv.objects[idx].r#ref.clone()),
                at: ProblemAt::Object(idx, path),
                related: None,
            });
        }
        let stats = FactStats {
            distinct_pod_shapes: placer.distinct_pods(),
            node_checks: placer.checks,
            distinct_model_shapes: model_stats.0,
            model_server_judgements: model_stats.1,
        };
        drop(placer);
        Facts {
            server_configs_known: !configs.is_empty(),
            nodes,
            pools,
            server_configs,
            servers,
            models,
            workloads,
            problems,
            stats,
        }
    }

    /// The object reference of a server fact.
    pub fn server_ref<'a>(&self, inv: &'a Inventory, s: usize) -> &'a ObjectRef {
        &inv.objects[self.servers[s].obj].r#ref
    }
}

/// What a Server looks like to the Seldon scheduler.
fn summary(inv: &Inventory, s: &ServerFact) -> seldon::ServerSummary {
    let r = &inv.objects[s.obj].r#ref;
    let mut sum = s.effective.summary(&r.namespace, s.runnable_replicas, s.config.known());
    // The inventory's identity is authoritative (a namespace-less Server is in "").
    sum.namespace = r.namespace.clone();
    sum.name = r.name.clone();
    sum
}

/// Capabilities a ServerConfig gives a Server that adds none of its own.
fn config_capabilities(config: &Value, params: &Params) -> Vec<String> {
    let gpu: Vec<&str> = params.gpu_resources.iter().map(String::as_str).collect();
    let bare = serde_json::json!({"metadata": {"name": ""}, "spec": {}});
    seldon::effective_server(&bare, Some(config), &gpu).capability_names()
}

/// Everything about a Model that decides its candidates (Models of one shape share them).
fn model_shape(ns: &str, m: &seldon::ModelFacts) -> String {
    let reqs: Vec<&str> = m.requirements.iter().map(|r| r.name.as_str()).collect();
    format!(
        "{:?}",
        (ns, reqs, &m.memory_bytes, m.scaling.as_ref().map(|s| (s.replicas, s.min_replicas, s.max_replicas)), &m.server, m.explainer, &m.problems)
    )
}

/// Model → Server candidates.
///
/// Servers are grouped into classes of identical summaries (ignoring name and namespace) and
/// Models into shapes of identical requirements/memory/replicas, so `judge` runs once per
/// (shape, class) pair — never per (model, server). A pinned Model is judged against its pin only:
/// every other Server is rejected by Seldon's SharingServerFilter and is not listed.
fn models(
    inv: &Inventory,
    model_objs: &[usize],
    servers: &[ServerFact],
    nodes: &[NodeFact],
) -> (Vec<ModelFact>, (usize, usize)) {
    let summaries: Vec<seldon::ServerSummary> = servers.iter().map(|s| summary(inv, s)).collect();
    // Servers by namespace (each namespace's SeldonRuntime has its own scheduler, seldon.md §2.2).
    let mut ns_servers: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut by_name: HashMap<(&str, &str), usize> = HashMap::new();
    let mut order: Vec<usize> = (0..servers.len()).collect();
    order.sort_by(|&a, &b| summaries[a].name.cmp(&summaries[b].name));
    for i in order {
        ns_servers.entry(summaries[i].namespace.as_str()).or_default().push(i);
        by_name.entry((summaries[i].namespace.as_str(), summaries[i].name.as_str())).or_insert(i);
    }
    let mut class_of: Vec<usize> = vec![0; servers.len()];
    let mut class_rep: Vec<usize> = Vec::new();
    {
        let mut by: HashMap<String, usize> = HashMap::new();
        for (i, s) in summaries.iter().enumerate() {
            let key = format!(
                "{:?}",
                (&s.capabilities, s.expected_replicas, s.memory_bytes, s.overcommit_percent, s.memory_capacity_bytes, s.runnable_replicas, s.config_known, &s.agent_problem)
            );
            class_of[i] = *by.entry(key).or_insert_with(|| {
                class_rep.push(i);
                class_rep.len() - 1
            });
        }
    }
    let servers_known = !servers.is_empty();
    // Shapes without the namespace share judgements across namespaces.
    let mut shape_ids: HashMap<String, usize> = HashMap::new();
    let mut judgements: HashMap<(usize, usize), Arc<Vec<seldon::Rejection>>> = HashMap::new();
    let mut placements: HashMap<(String, usize), Arc<ModelPlacement>> = HashMap::new();
    let mut node_unions: HashMap<Vec<*const Vec<usize>>, Arc<Vec<usize>>> = HashMap::new();
    let mut count = 0usize;
    let mut out = Vec::with_capacity(model_objs.len());
    let empty: Vec<usize> = Vec::new();
    for &i in model_objs {
        let o = &inv.objects[i];
        let m = seldon::model_requirements(&o.value);
        let ns = o.r#ref.namespace.as_str();
        let next = shape_ids.len();
        let shape = *shape_ids.entry(model_shape("", &m)).or_insert(next);
        let key = (ns.to_string(), shape);
        let placement = if let Some(p) = placements.get(&key) {
            p.clone()
        } else {
            let mut cands = Vec::new();
            let mut rejected = Vec::new();
            let pool: Vec<usize> = match &m.server {
                Some(pin) => by_name.get(&(ns, pin.as_str())).map(|&s| vec![s]).unwrap_or_default(),
                None => ns_servers.get(ns).unwrap_or(&empty).clone(),
            };
            for s in pool {
                let rej = if m.server.is_some() {
                    count += 1;
                    Arc::new(seldon::judge(&m, ns, &summaries[s]))
                } else {
                    let class = class_of[s];
                    judgements
                        .entry((shape, class))
                        .or_insert_with(|| {
                            count += 1;
                            let rep = &summaries[class_rep[class]];
                            Arc::new(seldon::judge(&m, &rep.namespace, rep))
                        })
                        .clone()
                };
                if rej.is_empty() {
                    cands.push(s);
                } else {
                    rejected.push((s, rej));
                }
            }
            // Closest first; ties by name (already the order of `pool`).
            rejected.sort_by_cached_key(|(_, r)| seldon::closeness(r));
            let closest = rejected.first().map(|(s, _)| *s);
            let mut fit_lists: Vec<*const Vec<usize>> =
                cands.iter().map(|&c| Arc::as_ptr(&servers[c].placement.fits)).collect();
            fit_lists.sort();
            fit_lists.dedup();
            let node_list = node_unions
                .entry(fit_lists)
                .or_insert_with(|| {
                    let mut set: BTreeSet<usize> = BTreeSet::new();
                    for &c in &cands {
                        set.extend(servers[c].placement.fits.iter().copied());
                    }
                    let mut v: Vec<usize> = set.into_iter().collect();
                    v.sort_by(|a, b| nodes[*a].name.cmp(&nodes[*b].name));
                    Arc::new(v)
                })
                .clone();
            let p = Arc::new(ModelPlacement {
                servers_known,
                servers: cands,
                rejected,
                closest,
                nodes: node_list,
                pinned_missing: m.server.as_ref().is_some_and(|pin| !by_name.contains_key(&(ns, pin.as_str()))),
            });
            placements.insert(key, p.clone());
            p
        };
        out.push(ModelFact {
            obj: i,
            model: m,
            placement,
            asks_gpu: false,
            critical: false,
        });
    }
    (out, (shape_ids.len(), count))
}

/// Marks GPU-asking and critical Models (per the parameters) and summarizes, per Server, the
/// Models it is a candidate for.
fn classify_models(inv: &Inventory, models: &mut [ModelFact], servers: &mut [ServerFact], params: &Params) {
    let gpu_caps: BTreeSet<&str> = params
        .all
        .get("gpuCapabilities")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let critical_sel = params.all.get("criticalModels").cloned().unwrap_or(Value::Null);
    let mut order: Vec<usize> = (0..models.len()).collect();
    order.sort_by(|&a, &b| inv.objects[models[a].obj].r#ref.cmp(&inv.objects[models[b].obj].r#ref));
    for &mi in &order {
        let m = &mut models[mi];
        let o = &inv.objects[m.obj];
        m.asks_gpu = m.model.requirements.iter().any(|r| gpu_caps.contains(r.name.trim()));
        let labels = string_map(o.value.pointer("/metadata/labels"));
        m.critical = selector_matches(&critical_sel, &labels);
        let push = |slot: &mut (usize, Vec<usize>)| {
            slot.0 += 1;
            if slot.1.len() < CANDIDATE_NAMES {
                slot.1.push(mi);
            }
        };
        for &s in &m.placement.servers {
            let c = &mut servers[s].candidates;
            c.count += 1;
            if !m.asks_gpu {
                push(&mut c.no_gpu);
            }
            if m.critical {
                push(&mut c.critical);
            } else {
                push(&mut c.non_critical);
            }
        }
    }
}

/// A Kubernetes label selector (`matchLabels` + `matchExpressions`) against labels. An empty or
/// missing selector matches nothing here: "critical" must be chosen explicitly.
pub fn selector_matches(sel: &Value, labels: &BTreeMap<String, String>) -> bool {
    let ml = sel.get("matchLabels").and_then(Value::as_object);
    let me = sel.get("matchExpressions").and_then(Value::as_array);
    if ml.is_none_or(|m| m.is_empty()) && me.is_none_or(|e| e.is_empty()) {
        return false;
    }
    let labels_ok = ml.into_iter().flatten().all(|(k, v)| labels.get(k).map(String::as_str) == v.as_str());
    let exprs_ok = me.into_iter().flatten().all(|e| {
        let key = e.get("key").and_then(Value::as_str).unwrap_or("");
        let values: Vec<&str> = e.get("values").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        let have = labels.get(key);
        match e.get("operator").and_then(Value::as_str).unwrap_or("") {
            "In" => have.is_some_and(|h| values.contains(&h.as_str())),
            "NotIn" => have.is_none_or(|h| !values.contains(&h.as_str())),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        }
    });
    labels_ok && exprs_ok
}
