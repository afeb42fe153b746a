//! `placecheck explain`: the placement facts, for people (per node pool, in plain words) and for
//! scripts (JSON, the same facts the Rego input carries; docs/explain.md).
//!
//! It reads facts; it must not compute placement itself.

use std::collections::BTreeMap;
use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::facts::input::InputBuilder;
use crate::facts::{Facts, Params, Placement};
use crate::inventory::{Inventory, ObjectRef};

pub const EXPLAIN_VERSION: u32 = 1;

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub server: Option<String>,
    pub model: Option<String>,
    pub node: Option<String>,
}

fn name_matches(want: &Option<String>, r: &ObjectRef) -> bool {
    match want {
        None => true,
        Some(w) => match w.split_once('/') {
            Some((ns, n)) => r.namespace == ns && r.name == n,
            None => r.name == *w,
        },
    }
}

impl Filter {
    fn any_object(&self) -> bool {
        self.server.is_some() || self.model.is_some()
    }
}

/// The JSON document: `{version, nodesKnown, serversKnown, nodePools, servers, models, workloads}`.
pub fn json(inv: &Inventory, facts: &Facts, filter: &Filter, params: &Params) -> serde_json::Value {
    let input = InputBuilder::new(inv, facts).build(crate::facts::input::Mode::Lint, &params.all);
    // Select in the Rego value, where shared lists are shared, and convert only what is kept:
    // converting the whole fleet first would expand every node list once per Server.
    let to_json = |v: &regorus::Value| serde_json::to_value(v).unwrap_or_default();
    let keep = |entry: &regorus::Value, want: &Option<String>| -> bool {
        let r: Option<ObjectRef> = serde_json::from_value(to_json(&entry["ref"])).ok();
        r.is_some_and(|r| name_matches(want, &r))
    };
    let pick = |list: &str, fields: &[&str], want: &Option<String>, skip_all: bool| {
        let items = input[list]
            .as_array()
            .map(|a| a.to_vec())
            .unwrap_or_default();
        serde_json::Value::Array(
            items
                .iter()
                .filter(|e| !skip_all && keep(e, want))
                .map(|e| {
                    let mut m = serde_json::Map::new();
                    for f in fields {
                        m.insert((*f).to_string(), to_json(&e[*f]));
                    }
                    if let Some(node) = &filter.node {
                        narrow_to_node(&mut m, node);
                    }
                    serde_json::Value::Object(m)
                })
                .collect(),
        )
    };
    let only_models = filter.model.is_some() && filter.server.is_none();
    let only_servers = filter.server.is_some() && filter.model.is_none();
    let pools: Vec<serde_json::Value> = input["nodePools"]
        .as_array()
        .map(|a| a.to_vec())
        .unwrap_or_default()
        .iter()
        .map(|p| {
            serde_json::json!({"id": to_json(&p["id"]), "nodes": to_json(&p["nodes"]), "taints": to_json(&p["taints"]),
                "gpu": to_json(&p["gpu"]), "dedicated": to_json(&p["dedicated"]), "controlPlane": to_json(&p["controlPlane"])})
        })
        .collect();
    serde_json::json!({
        "version": EXPLAIN_VERSION,
        "nodesKnown": to_json(&input["nodesKnown"]),
        "serversKnown": to_json(&input["serversKnown"]),
        "nodePools": pools,
        "servers": pick("servers", &["ref", "serverConfig", "capabilities", "replicas", "memoryBytes", "gpu", "placement"], &filter.server, only_models),
        "models": pick("models", &["ref", "requirements", "memoryBytes", "replicas", "minReplicas", "server", "explainer", "placement"], &filter.model, only_servers),
        "workloads": pick("workloads", &["ref", "path", "component", "placement"], &None, filter.any_object()),
    })
}

/// With `--node`, keep only that node in node lists and rejections.
fn narrow_to_node(m: &mut serde_json::Map<String, serde_json::Value>, node: &str) {
    if let Some(p) = m.get_mut("placement").and_then(|p| p.as_object_mut()) {
        if let Some(serde_json::Value::Array(a)) = p.get_mut("nodes") {
            a.retain(|n| n == node);
        }
        if let Some(serde_json::Value::Array(a)) = p.get_mut("rejected") {
            a.retain(|r| r.get("node").is_none_or(|n| n == node));
        }
    }
}

struct Paint {
    on: bool,
}

impl Paint {
    fn p(&self, style: Style, text: &str) -> String {
        if self.on {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }
    fn bold(&self, t: &str) -> String {
        self.p(Style::new().bold(), t)
    }
    fn good(&self, t: &str) -> String {
        self.p(AnsiColor::Green.on_default().bold(), t)
    }
    fn bad(&self, t: &str) -> String {
        self.p(AnsiColor::Red.on_default().bold(), t)
    }
    fn dim(&self, t: &str) -> String {
        self.p(Style::new().dimmed(), t)
    }
}

/// Human-readable bytes: 1.1Gi, 512Mi, 100Ki, 12.
pub fn bytes(b: i128) -> String {
    const UNITS: [(&str, i128); 4] = [
        ("Ti", 1 << 40),
        ("Gi", 1 << 30),
        ("Mi", 1 << 20),
        ("Ki", 1 << 10),
    ];
    for (u, n) in UNITS {
        if b >= n {
            let whole = b / n;
            let tenth = (b % n) * 10 / n;
            return if tenth == 0 {
                format!("{whole}{u}")
            } else {
                format!("{whole}.{tenth}{u}")
            };
        }
    }
    b.to_string()
}

fn pool_lines(
    facts: &Facts,
    p: &Placement,
    node: &Option<String>,
    paint: &Paint,
    w: &mut dyn Write,
) -> io::Result<()> {
    if !p.nodes_known {
        writeln!(w, "    {}", paint.dim("no Nodes known: add node manifests (kubectl get nodes -o yaml) with --context to judge placement"))?;
        return Ok(());
    }
    // Per pool: fitting count, and the distinct verdicts of the others.
    let mut fit_by_pool: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for &i in p.fits.iter() {
        let n = &facts.nodes[i];
        if node.as_ref().is_none_or(|x| x == &n.name) {
            fit_by_pool.entry(n.pool).or_default().push(&n.name);
        }
    }
    let mut rej_by_pool: BTreeMap<usize, BTreeMap<(String, String), Vec<&str>>> = BTreeMap::new();
    for (i, u) in p.rejected.iter() {
        let n = &facts.nodes[*i];
        if node.as_ref().is_none_or(|x| x == &n.name) {
            rej_by_pool
                .entry(n.pool)
                .or_default()
                .entry((u.reasons.join("; "), u.detail.clone()))
                .or_default()
                .push(&n.name);
        }
    }
    let mut pools: Vec<usize> = fit_by_pool
        .keys()
        .chain(rej_by_pool.keys())
        .copied()
        .collect();
    pools.sort_by(|a, b| facts.pools[*a].id.cmp(&facts.pools[*b].id));
    pools.dedup();
    for pi in pools {
        let pool = &facts.pools[pi];
        let size = pool.nodes.len();
        if let Some(names) = fit_by_pool.get(&pi) {
            writeln!(
                w,
                "    {} pool {} ({}/{} nodes): {}",
                paint.good("✓"),
                paint.bold(&pool.id),
                names.len(),
                size,
                list(names)
            )?;
        }
        if let Some(verdicts) = rej_by_pool.get(&pi) {
            for ((reasons, detail), names) in verdicts {
                writeln!(
                    w,
                    "    {} pool {} ({}/{} nodes): {}{}",
                    paint.bad("✗"),
                    paint.bold(&pool.id),
                    names.len(),
                    size,
                    reasons,
                    if detail.is_empty() {
                        String::new()
                    } else {
                        format!(" — {detail}")
                    }
                )?;
            }
        }
    }
    if !p.message.is_empty() && node.is_none() {
        writeln!(
            w,
            "    {}",
            paint.dim(&format!("kube-scheduler: {}", p.message))
        )?;
    }
    if !p.resources_checked {
        writeln!(
            w,
            "    {}",
            paint.dim("some Nodes have no status.allocatable: resources were not judged on them")
        )?;
    }
    Ok(())
}

/// `namespace/name`, or `name` for objects without a namespace.
fn short(r: &ObjectRef) -> String {
    if r.namespace.is_empty() {
        r.name.clone()
    } else {
        format!("{}/{}", r.namespace, r.name)
    }
}

fn list(names: &[&str]) -> String {
    const MAX: usize = 5;
    if names.len() <= MAX {
        names.join(", ")
    } else {
        format!(
            "{}, … and {} more",
            names[..MAX].join(", "),
            names.len() - MAX
        )
    }
}

pub fn human(
    inv: &Inventory,
    facts: &Facts,
    filter: &Filter,
    color: bool,
    w: &mut dyn Write,
) -> io::Result<()> {
    let paint = Paint { on: color };
    let show_servers = filter.server.is_some() || filter.model.is_none();
    let show_models = filter.model.is_some() || filter.server.is_none();
    let mut printed = 0;
    if show_servers {
        for s in &facts.servers {
            let r = &inv.objects[s.obj].r#ref;
            if !name_matches(&filter.server, r) {
                continue;
            }
            printed += 1;
            let e = &s.effective;
            let cfg = if s.config.obj.is_some() {
                format!("ServerConfig {}", s.config.name)
            } else if s.config.builtin {
                format!("ServerConfig {} (shipped default)", s.config.name)
            } else {
                if s.config.name.is_empty() {
                    "no spec.serverConfig — the operator creates no pods".to_string()
                } else {
                    format!(
                        "ServerConfig {} — UNKNOWN, the operator creates no pods",
                        s.config.name
                    )
                }
            };
            writeln!(
                w,
                "{} {} {}",
                paint.bold("Server"),
                paint.bold(&short(r)),
                paint.dim(&format!("({cfg})"))
            )?;
            writeln!(w, "  capabilities: {}", e.capability_names().join(", "))?;
            let replicas = match &e.scaling {
                Ok(x) => x.replicas.to_string(),
                Err(err) => format!("invalid ({err})"),
            };
            writeln!(
                w,
                "  replicas: {replicas}; model memory per replica: {} ({} request + {}% overcommit)",
                e.capacity_bytes
                    .map(bytes)
                    .unwrap_or_else(|| "unknown".into()),
                e.memory_bytes
                    .map(bytes)
                    .unwrap_or_else(|| "unknown".into()),
                e.overcommit_percent
            )?;
            if let Some((resource, count)) = e.gpu.first() {
                writeln!(w, "  requests {count} {resource}")?;
            }
            let p = &s.placement;
            if p.nodes_known {
                let fits = p.fits.len();
                let verdict = if fits == 0 {
                    paint.bad(&format!("fits none of {} nodes", facts.nodes.len()))
                } else {
                    paint.good(&format!("fits {fits} of {} nodes", facts.nodes.len()))
                };
                let extra = if s.one_replica_per_node {
                    " (required pod anti-affinity: one replica per node)"
                } else {
                    ""
                };
                writeln!(w, "  {verdict}{extra}")?;
            }
            pool_lines(facts, p, &filter.node, &paint, w)?;
            writeln!(w)?;
        }
    }
    if show_models {
        for m in &facts.models {
            let r = &inv.objects[m.obj].r#ref;
            if !name_matches(&filter.model, r) {
                continue;
            }
            printed += 1;
            let mm = &m.model;
            writeln!(w, "{} {}", paint.bold("Model"), paint.bold(&short(r)))?;
            let reqs = if mm.requirements.is_empty() {
                "none (matches every Server)".to_string()
            } else {
                mm.requirements
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            writeln!(w, "  requirements: {reqs}")?;
            if let Some(pin) = &mm.server {
                writeln!(w, "  pinned to Server {pin}")?;
            }
            let p = &m.placement;
            if !p.servers_known {
                writeln!(
                    w,
                    "  {}",
                    paint.dim(
                        "no Servers known: add Server manifests with --context to judge placement"
                    )
                )?;
                writeln!(w)?;
                continue;
            }
            let name = |i: usize| inv.objects[facts.servers[i].obj].r#ref.name.clone();
            if p.servers.is_empty() {
                writeln!(
                    w,
                    "  {}",
                    paint.bad("no Server can host it (Seldon: ScheduleFailed)")
                )?;
            } else {
                let names: Vec<String> = p.servers.iter().map(|&i| name(i)).collect();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                writeln!(w, "  {} {}", paint.good("can land on:"), list(&names))?;
                if !p.nodes.is_empty() {
                    let nodes: Vec<&str> = p
                        .nodes
                        .iter()
                        .map(|&i| facts.nodes[i].name.as_str())
                        .collect();
                    writeln!(w, "    nodes: {}", list(&nodes))?;
                }
            }
            for (s, rej) in &p.rejected {
                let why: Vec<String> = rej
                    .iter()
                    .map(|r| {
                        // Follow the chain model → server → node (seldon.md §2.9).
                        let msg = &facts.servers[*s].placement.message;
                        if r.code == "server-pods-unschedulable" && !msg.is_empty() {
                            format!("{} ({msg})", r.message)
                        } else {
                            r.message.clone()
                        }
                    })
                    .collect();
                let closest = if p.closest == Some(*s) {
                    " (closest)"
                } else {
                    ""
                };
                writeln!(
                    w,
                    "  {} {}{closest}: {}",
                    paint.bad("✗"),
                    name(*s),
                    why.join("; ")
                )?;
            }
            if p.pinned_missing {
                writeln!(
                    w,
                    "  {} spec.server names a Server that is not in namespace {:?}",
                    paint.bad("✗"),
                    r.namespace
                )?;
            }
            writeln!(w)?;
        }
    }
    if filter.server.is_none() && filter.model.is_none() {
        for wl in &facts.workloads {
            let r = &inv.objects[wl.obj].r#ref;
            let comp = wl
                .component
                .as_deref()
                .map(|c| format!(" component {c}"))
                .unwrap_or_default();
            writeln!(w, "{} {}{comp}", paint.bold(&r.kind), paint.bold(&short(r)))?;
            pool_lines(facts, &wl.placement, &filter.node, &paint, w)?;
            writeln!(w)?;
            printed += 1;
        }
    }
    if printed == 0 {
        let what = match (&filter.server, &filter.model) {
            (Some(s), _) => format!("no Server named {s:?}"),
            (_, Some(m)) => format!("no Model named {m:?}"),
            _ => "no Servers, Models or workloads".to_string(),
        };
        writeln!(w, "{what} in the loaded manifests")?;
    }
    Ok(())
}
