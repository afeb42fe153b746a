//! The effective Server: what the agent in each Server pod will report to the Seldon scheduler.
//!
//! Why it exists: a Server's capabilities, per-replica memory and overcommit are not fields of the
//! Server; they are environment variables of the agent container after the operator merged the
//! ServerConfig with the Server (`server_reconciler.go` createStatefulSetReconciler →
//! `MergePodSpecs` → `updateCapabilities`), resolved by Kubernetes (downward API) and read by the
//! agent (`scheduler/cmd/agent/cli/{cli.go,flags.go,env.go}`, `scheduler/pkg/agent/state_manager.go`).
//!
//! Must not: know Nodes or Kubernetes scheduling. It only resolves what Kubernetes itself fills in
//! for a container (requests defaulted from limits, downward API values).
//!
//! Agent precedence (cli.go `maybeUpdate*`): a command-line flag beats the env var; an env var whose
//! value is `""` counts as absent; unparsable numbers make the agent exit (`log.Fatalf`).

use serde_json::Value;

use super::bytes::parse_bytes;
use super::merge::{MergedPodSpec, Origin, Side, merge_pod_specs};
use super::scaling::{Scaling, validated_scaling};
use crate::path::FieldPath;

/// Env var holding the capability list (`envCapabilities`, `EnvVarNameCapabilities`).
pub const ENV_CAPABILITIES: &str = "SELDON_SERVER_CAPABILITIES";
/// Env var holding the replica memory in bytes (`envMemoryRequest`).
pub const ENV_MEMORY_REQUEST: &str = "MEMORY_REQUEST";
/// Env var holding the overcommit percentage (`envOverCommitPercentage`).
pub const ENV_OVERCOMMIT: &str = "SELDON_OVERCOMMIT_PERCENTAGE";
/// Agent `--capabilities` default (`flags.go`).
pub const AGENT_DEFAULT_CAPABILITIES: [&str; 2] = ["sklearn", "xgboost"];
/// Agent `--memory-bytes` default (`flags.go`).
pub const AGENT_DEFAULT_MEMORY_BYTES: i128 = 1_000_000;
/// Extended resources reported in [`EffectiveServer::gpu`] when the caller has no list of its own.
pub const DEFAULT_GPU_RESOURCES: &[&str] = &["nvidia.com/gpu", "amd.com/gpu", "gpu.intel.com/i915"];

/// One capability the agent will report, with the line that put it there (`None`: the agent's
/// built-in default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capability {
    pub name: String,
    pub origin: Option<Origin>,
}

/// Where the capability list comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CapabilitySource {
    /// `SELDON_SERVER_CAPABILITIES` of `container` (possibly rewritten by the operator).
    EnvVar { container: String, rewritten: bool },
    /// `--capabilities` on the agent command line (the env var is then ignored).
    AgentFlag { container: String },
    /// Env var absent or empty: agent default `sklearn,xgboost`.
    AgentDefault,
    /// Set at run time (`valueFrom`, `envFrom`): not knowable offline.
    Unknown,
}

/// Where the per-replica memory comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemorySource {
    /// `--memory-bytes` on the agent command line.
    AgentFlag { origin: Option<Origin> },
    /// `MEMORY_REQUEST` with a literal value.
    Literal { origin: Option<Origin> },
    /// `MEMORY_REQUEST` from the downward API `requests.memory` of `container`.
    ContainerRequest {
        container: String,
        /// The `requests.memory` (or `limits.memory`) entry in the merged spec.
        origin: Option<Origin>,
        /// Kubernetes defaulted the request from `limits.memory`.
        from_limits: bool,
    },
    /// The referenced container has neither a memory request nor a limit: the downward API
    /// yields `0`, and the agent takes it.
    NoMemoryRequest { container: String },
    /// No `MEMORY_REQUEST` (or empty): agent default 1000000 bytes.
    AgentDefault,
    /// Not knowable offline (or the agent exits before reporting).
    Unknown,
}

/// The Server as the Seldon scheduler will see it.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveServer {
    pub name: String,
    pub namespace: Option<String>,
    /// `spec.serverConfig`.
    pub server_config: Option<String>,
    pub pod_spec: MergedPodSpec,
    /// Name of the container the agent runs in (`agent` in shipped configs).
    pub agent_container: Option<String>,
    pub capabilities: Vec<Capability>,
    pub capabilities_source: CapabilitySource,
    /// Why the capabilities are what they are when that may surprise (ignored fields, defaults).
    pub capabilities_note: Option<String>,
    /// Per-replica memory (bytes) the agent reports; `None` when unknowable.
    pub memory_bytes: Option<i128>,
    pub memory_source: MemorySource,
    /// `SELDON_OVERCOMMIT_PERCENTAGE` (0 when absent or unknowable).
    pub overcommit_percent: u32,
    /// What a replica accepts: `memory + uint64(float32(oc)/100 * float32(memory))`, Seldon's
    /// float32 arithmetic reproduced bit for bit (`state_manager.go`
    /// GetAvailableMemoryBytesWithOverCommit on an empty replica).
    pub capacity_bytes: Option<i128>,
    /// The container `MEMORY_REQUEST` points at (`mlserver` / `triton` in shipped configs).
    pub inference_container: Option<String>,
    pub scaling: Result<Scaling, String>,
    /// Requested extended resources (summed over containers; request, else limit).
    pub gpu: Vec<(String, i128)>,
    /// Fields that have no effect, and why (paths in the Server object).
    pub ignored_fields: Vec<(FieldPath, String)>,
    /// Reasons the agent would exit or never start (it then never connects to the scheduler).
    pub agent_problems: Vec<String>,
    /// Other remarks (runtime-only values, Kubernetes validation problems).
    pub notes: Vec<String>,
}

impl EffectiveServer {
    /// Capability names only.
    pub fn capability_names(&self) -> Vec<String> {
        self.capabilities.iter().map(|c| c.name.clone()).collect()
    }
}

fn env_list(container: &Value) -> &[Value] {
    container
        .get("env")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Last entry named `name` (Kubernetes: a later duplicate wins).
fn env_entry<'a>(container: &'a Value, name: &str) -> Option<(usize, &'a Value)> {
    env_list(container)
        .iter()
        .enumerate()
        .rev()
        .find(|(_, e)| e.get("name").and_then(Value::as_str) == Some(name))
}

fn cname(c: &Value) -> &str {
    c.get("name").and_then(Value::as_str).unwrap_or("")
}

fn string_list(spec: &Value, key: &str, notes: &mut Vec<String>) -> Vec<(usize, String)> {
    match spec.get(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .filter_map(|(i, v)| match v {
                Value::String(s) => Some((i, s.clone())),
                other => {
                    notes.push(format!(
                        "spec.{key}[{i}] is {}, not a string; the API server rejects it",
                        super::merge::kind(other)
                    ));
                    None
                }
            })
            .collect(),
        Some(other) => {
            notes.push(format!(
                "spec.{key} is {}, not a list; the API server rejects it",
                super::merge::kind(other)
            ));
            Vec::new()
        }
    }
}

/// The agent's argv after the binary (`command[1..] + args`), with merged-spec paths.
fn agent_argv(container: &Value, cpath: &FieldPath) -> Vec<(String, FieldPath)> {
    let mut out = Vec::new();
    if let Some(cmd) = container.get("command").and_then(Value::as_array) {
        for (i, a) in cmd.iter().enumerate().skip(1) {
            if let Some(s) = a.as_str() {
                out.push((s.to_string(), cpath.key("command").index(i)));
            }
        }
    }
    if let Some(args) = container.get("args").and_then(Value::as_array) {
        for (i, a) in args.iter().enumerate() {
            if let Some(s) = a.as_str() {
                out.push((s.to_string(), cpath.key("args").index(i)));
            }
        }
    }
    out
}

/// Value of a Go `flag` (`-name=v`, `--name=v`, `-name v`) as the agent's `flag.Parse` sees it;
/// the last occurrence wins. Parsing stops at `--` or the first non-flag argument.
fn agent_flag(argv: &[(String, FieldPath)], name: &str) -> Option<(String, FieldPath)> {
    let mut found = None;
    let mut i = 0;
    while i < argv.len() {
        let a = &argv[i].0;
        if a == "--" || !a.starts_with('-') || a == "-" {
            break;
        }
        let body = a.trim_start_matches('-');
        let (k, v) = match body.split_once('=') {
            Some((k, v)) => (k, Some(v.to_string())),
            None => (body, None),
        };
        let value = match v {
            Some(v) => (v, argv[i].1.clone()),
            None => {
                // every agent flag of interest takes a value: the next argument
                i += 1;
                match argv.get(i) {
                    Some((v, p)) => (v.clone(), p.clone()),
                    None => break,
                }
            }
        };
        if k == name {
            found = Some(value);
        }
        i += 1;
    }
    found
}

/// strconv.ParseUint(s, 10, 64).
fn parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Seldon's overcommit arithmetic (`state_manager.go`): float32, truncated.
pub fn capacity_with_overcommit(memory: u64, overcommit_percent: u32) -> u64 {
    let extra = (overcommit_percent as f32 / 100.0f32) * (memory as f32);
    memory.saturating_add(extra as u64)
}

/// Computes the effective Server from a Server object and its ServerConfig object (`None` when
/// the ServerConfig is unknown; the result is then the Server's own pod spec with agent defaults).
/// `gpu_resources` names the extended resources to report (e.g. [`DEFAULT_GPU_RESOURCES`]).
pub fn effective_server(
    server: &Value,
    config: Option<&Value>,
    gpu_resources: &[&str],
) -> EffectiveServer {
    let spec = server.get("spec").unwrap_or(&Value::Null);
    let mut notes = Vec::new();
    let mut ignored = Vec::new();
    let mut agent_problems = Vec::new();
    let sp = FieldPath::root().key("spec");

    let config_pod = config
        .and_then(|c| c.get("spec"))
        .and_then(|s| s.get("podSpec"));
    if config.is_some() && config_pod.is_none() {
        notes.push("ServerConfig has no spec.podSpec (required by the CRD)".to_string());
    }
    let pod_spec = merge_pod_specs(config_pod, spec.get("podSpec"));
    for p in &pod_spec.pruned {
        ignored.push((
            p.clone(),
            "not in Seldon's restricted Server podSpec schema: the API server prunes it"
                .to_string(),
        ));
    }
    for c in &pod_spec.conflicts {
        notes.push(format!("podSpec.{}: {}", c.path, c.message));
    }
    if spec.get("imageOverrides").is_some_and(|v| !v.is_null()) {
        ignored.push((
            sp.key("imageOverrides"),
            "declared in the Server CRD but never read by the operator".to_string(),
        ));
    }

    let containers = pod_spec.containers().to_vec();
    let cpath = |i: usize| FieldPath::root().key("containers").index(i);
    let agent_idx = containers
        .iter()
        .position(|c| cname(c) == "agent")
        .or_else(|| {
            containers
                .iter()
                .position(|c| env_entry(c, ENV_CAPABILITIES).is_some())
        })
        .or_else(|| {
            containers
                .iter()
                .position(|c| env_entry(c, ENV_MEMORY_REQUEST).is_some())
        });
    let agent = agent_idx.map(|i| (i, &containers[i]));
    let argv = agent.map_or_else(Vec::new, |(i, c)| agent_argv(c, &cpath(i)));

    // ---- capabilities -------------------------------------------------------------------
    let caps_spec = string_list(spec, "capabilities", &mut notes);
    let extra_spec = string_list(spec, "extraCapabilities", &mut notes);
    let rewrite = !caps_spec.is_empty() || !extra_spec.is_empty();
    let env_anywhere = containers
        .iter()
        .any(|c| env_entry(c, ENV_CAPABILITIES).is_some());
    let mut capabilities_note = None;
    if !caps_spec.is_empty() && !extra_spec.is_empty() {
        ignored.push((
            sp.key("extraCapabilities"),
            "spec.capabilities is set and replaces the list; extraCapabilities is ignored"
                .to_string(),
        ));
    }
    if rewrite && !env_anywhere {
        let why = format!(
            "no container of the merged pod spec has {ENV_CAPABILITIES}; the operator only \
             rewrites that env var, so the agent reports its default sklearn,xgboost"
        );
        for (key, list) in [
            ("capabilities", &caps_spec),
            ("extraCapabilities", &extra_spec),
        ] {
            if !list.is_empty() {
                ignored.push((sp.key(key), why.clone()));
            }
        }
        capabilities_note = Some(why);
    }

    let origin_at = |p: &FieldPath| pod_spec.origin_of(p).cloned();
    let default_caps = || {
        AGENT_DEFAULT_CAPABILITIES
            .iter()
            .map(|c| Capability {
                name: (*c).to_string(),
                origin: None,
            })
            .collect::<Vec<_>>()
    };
    let split_into = |out: &mut Vec<Capability>, text: &str, origin: Option<Origin>| {
        for piece in text.split(',') {
            out.push(Capability {
                name: piece.trim().to_string(),
                origin: origin.clone(),
            });
        }
    };

    let (capabilities, capabilities_source) = match agent {
        None => {
            notes.push(if config.is_none() {
                "ServerConfig unknown: agent defaults assumed".to_string()
            } else {
                "no agent container found (no container named agent and none with \
                 SELDON_SERVER_CAPABILITIES or MEMORY_REQUEST); agent defaults assumed"
                    .to_string()
            });
            (default_caps(), CapabilitySource::AgentDefault)
        }
        Some((ai, ac)) => {
            let ac_name = cname(ac).to_string();
            if let Some((v, p)) = agent_flag(&argv, "capabilities") {
                if env_anywhere || rewrite {
                    capabilities_note = Some(format!(
                        "the agent is started with --capabilities, which wins over {ENV_CAPABILITIES}"
                    ));
                }
                let mut out = Vec::new();
                split_into(&mut out, &v, origin_at(&p));
                (out, CapabilitySource::AgentFlag { container: ac_name })
            } else if let Some((ei, e)) = env_entry(ac, ENV_CAPABILITIES) {
                let epath = cpath(ai).key("env").index(ei);
                let env_origin = origin_at(&epath.key("value")).or_else(|| origin_at(&epath));
                let literal = e.get("value").and_then(Value::as_str).unwrap_or("");
                let value_from = e.get("valueFrom").is_some_and(|v| !v.is_null());
                if rewrite {
                    let mut out = Vec::new();
                    if !caps_spec.is_empty() {
                        for (i, c) in &caps_spec {
                            let o = Origin::new(Side::Server, sp.key("capabilities").index(*i));
                            split_into(&mut out, c, Some(o));
                        }
                    } else {
                        // fmt.Sprintf("%s,%s", old, strings.Join(extra, ","))
                        split_into(&mut out, literal, env_origin.clone());
                        for (i, c) in &extra_spec {
                            let o =
                                Origin::new(Side::Server, sp.key("extraCapabilities").index(*i));
                            split_into(&mut out, c, Some(o));
                        }
                        if value_from {
                            notes.push(format!(
                                "{ENV_CAPABILITIES} is set with valueFrom; the operator replaces it \
                                 by the literal \",{}\", dropping the referenced value",
                                extra_spec
                                    .iter()
                                    .map(|(_, s)| s.as_str())
                                    .collect::<Vec<_>>()
                                    .join(",")
                            ));
                        }
                    }
                    // strings.Join(capabilities, ",") == "" (e.g. capabilities: [""]) reads as unset
                    let joined_empty = !caps_spec.is_empty()
                        && caps_spec.iter().all(|(_, c)| c.is_empty())
                        && caps_spec.len() == 1;
                    if joined_empty {
                        (default_caps(), CapabilitySource::AgentDefault)
                    } else {
                        (
                            out,
                            CapabilitySource::EnvVar {
                                container: ac_name,
                                rewritten: true,
                            },
                        )
                    }
                } else if !literal.is_empty() {
                    let mut out = Vec::new();
                    split_into(&mut out, literal, env_origin);
                    (
                        out,
                        CapabilitySource::EnvVar {
                            container: ac_name,
                            rewritten: false,
                        },
                    )
                } else if value_from {
                    capabilities_note = Some(format!(
                        "{ENV_CAPABILITIES} is set with valueFrom: its value is only known at run time"
                    ));
                    (Vec::new(), CapabilitySource::Unknown)
                } else {
                    capabilities_note = Some(format!(
                        "{ENV_CAPABILITIES} is empty, which the agent treats as unset: default sklearn,xgboost"
                    ));
                    (default_caps(), CapabilitySource::AgentDefault)
                }
            } else if ac
                .get("envFrom")
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
            {
                capabilities_note = Some(format!(
                    "the agent container has envFrom and no {ENV_CAPABILITIES} entry: the \
                     capabilities may come from a ConfigMap/Secret (else default sklearn,xgboost)"
                ));
                (default_caps(), CapabilitySource::Unknown)
            } else {
                if capabilities_note.is_none() {
                    capabilities_note = Some(format!(
                        "no {ENV_CAPABILITIES} in the agent container: default sklearn,xgboost"
                    ));
                }
                (default_caps(), CapabilitySource::AgentDefault)
            }
        }
    };

    // ---- memory -------------------------------------------------------------------------
    let mut inference_container = None;
    let (memory_bytes, memory_source) = match agent {
        None => (Some(AGENT_DEFAULT_MEMORY_BYTES), MemorySource::AgentDefault),
        Some((ai, ac)) => {
            if let Some((v, p)) = agent_flag(&argv, "memory-bytes") {
                match v.parse::<i64>() {
                    Ok(n) => (
                        Some(i128::from(n as u64)),
                        MemorySource::AgentFlag {
                            origin: origin_at(&p),
                        },
                    ),
                    Err(_) => {
                        agent_problems.push(format!(
                            "agent flag --memory-bytes={v:?} is not an integer: the agent exits"
                        ));
                        (None, MemorySource::Unknown)
                    }
                }
            } else {
                memory_from_env(
                    ai,
                    ac,
                    &containers,
                    &pod_spec,
                    &mut inference_container,
                    &mut agent_problems,
                    &mut notes,
                )
            }
        }
    };

    // ---- overcommit ---------------------------------------------------------------------
    let overcommit_percent = match agent {
        None => 0,
        Some((ai, ac)) => {
            if let Some((v, _)) = agent_flag(&argv, "over-commit-percentage") {
                match v.parse::<i64>() {
                    Ok(n) => n as u32, // uint32(int) in NewLocalStateManager
                    Err(_) => {
                        agent_problems.push(format!(
                            "agent flag --over-commit-percentage={v:?} is not an integer: the agent exits"
                        ));
                        0
                    }
                }
            } else {
                match env_entry(ac, ENV_OVERCOMMIT) {
                    None => 0,
                    Some((ei, e)) => {
                        let literal = e.get("value").and_then(Value::as_str).unwrap_or("");
                        if literal.is_empty() {
                            if e.get("valueFrom").is_some_and(|v| !v.is_null()) {
                                notes.push(format!(
                                    "{ENV_OVERCOMMIT} is set with valueFrom (containers[{ai}].env[{ei}]); assumed 0"
                                ));
                            }
                            0
                        } else {
                            match parse_uint(literal) {
                                Some(n) => n as u32,
                                None => {
                                    agent_problems.push(format!(
                                        "{ENV_OVERCOMMIT}={literal:?} is not an unsigned integer: the \
                                         agent exits (\"Failed to parse {ENV_OVERCOMMIT} for overcommit percentage\")"
                                    ));
                                    0
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let capacity_bytes = memory_bytes.map(|m| {
        let m = u64::try_from(m.max(0)).unwrap_or(u64::MAX);
        i128::from(capacity_with_overcommit(m, overcommit_percent))
    });

    // ---- GPUs / extended resources -------------------------------------------------------
    let mut gpu: Vec<(String, i128)> = Vec::new();
    for name in gpu_resources {
        let mut total: i128 = 0;
        for c in &containers {
            let res = c.get("resources");
            let req = res
                .and_then(|r| r.get("requests"))
                .and_then(|r| r.get(*name));
            let lim = res.and_then(|r| r.get("limits")).and_then(|r| r.get(*name));
            let as_count = |v: &Value| match v {
                Value::String(s) => parse_bytes(s).ok(),
                Value::Number(n) => n.as_i64().map(i128::from),
                _ => None,
            };
            let (r, l) = (req.and_then(as_count), lim.and_then(as_count));
            if req.is_some() && lim.is_none() {
                notes.push(format!(
                    "container {} requests {name} without a limit: Kubernetes rejects the pod \
                     (extended resources need a limit equal to the request)",
                    cname(c)
                ));
            }
            if let (Some(a), Some(b)) = (r, l)
                && a != b
            {
                notes.push(format!(
                    "container {} has {name} request {a} != limit {b}: Kubernetes rejects the pod",
                    cname(c)
                ));
            }
            total += r.or(l).unwrap_or(0);
        }
        if total != 0 {
            gpu.push(((*name).to_string(), total));
        }
    }

    let (name, namespace) = super::identity(server);
    EffectiveServer {
        name,
        namespace,
        server_config: spec
            .get("serverConfig")
            .and_then(Value::as_str)
            .map(str::to_string),
        agent_container: agent.map(|(_, c)| cname(c).to_string()),
        capabilities,
        capabilities_source,
        capabilities_note,
        memory_bytes,
        memory_source,
        overcommit_percent,
        capacity_bytes,
        inference_container,
        scaling: validated_scaling(spec),
        gpu,
        ignored_fields: ignored,
        agent_problems,
        notes,
        pod_spec,
    }
}

/// `MEMORY_REQUEST` of the agent container, resolved like the kubelet does.
fn memory_from_env(
    ai: usize,
    ac: &Value,
    containers: &[Value],
    pod_spec: &MergedPodSpec,
    inference_container: &mut Option<String>,
    agent_problems: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> (Option<i128>, MemorySource) {
    let Some((ei, e)) = env_entry(ac, ENV_MEMORY_REQUEST) else {
        return (Some(AGENT_DEFAULT_MEMORY_BYTES), MemorySource::AgentDefault);
    };
    let epath = FieldPath::root()
        .key("containers")
        .index(ai)
        .key("env")
        .index(ei);
    let literal = e.get("value").and_then(Value::as_str).unwrap_or("");
    if !literal.is_empty() {
        return match parse_uint(literal) {
            Some(n) => (
                Some(i128::from(n)),
                MemorySource::Literal {
                    origin: pod_spec.origin_of(&epath.key("value")).cloned(),
                },
            ),
            None => {
                agent_problems.push(format!(
                    "{ENV_MEMORY_REQUEST}={literal:?} is not an unsigned integer: the agent exits"
                ));
                (None, MemorySource::Unknown)
            }
        };
    }
    let Some(vf) = e.get("valueFrom").filter(|v| !v.is_null()) else {
        return (Some(AGENT_DEFAULT_MEMORY_BYTES), MemorySource::AgentDefault);
    };
    let Some(rf) = vf.get("resourceFieldRef").filter(|v| v.is_object()) else {
        notes.push(format!(
            "{ENV_MEMORY_REQUEST} comes from a ConfigMap/Secret/fieldRef: only known at run time"
        ));
        return (None, MemorySource::Unknown);
    };
    let target_name = rf
        .get("containerName")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| cname(ac));
    let resource = rf.get("resource").and_then(Value::as_str).unwrap_or("");
    let Some((ti, target)) = containers
        .iter()
        .enumerate()
        .find(|(_, c)| cname(c) == target_name)
    else {
        agent_problems.push(format!(
            "{ENV_MEMORY_REQUEST} refers to container {target_name:?}, which is not in the pod: \
             the kubelet cannot start the agent"
        ));
        return (None, MemorySource::Unknown);
    };
    *inference_container = Some(target_name.to_string());
    let divisor = match rf.get("divisor") {
        None | Some(Value::Null) => Ok(1),
        Some(Value::String(s)) => parse_bytes(s),
        Some(Value::Number(n)) => parse_bytes(&n.to_string()),
        Some(_) => Err("not a quantity".to_string()),
    };
    let divisor = match divisor {
        Ok(d) if d > 0 => d,
        _ => {
            agent_problems.push(format!(
                "{ENV_MEMORY_REQUEST} has an invalid resourceFieldRef divisor: the pod is rejected"
            ));
            return (None, MemorySource::Unknown);
        }
    };
    let tpath = FieldPath::root().key("containers").index(ti);
    let res = target.get("resources");
    let get = |kind: &str| {
        res.and_then(|r| r.get(kind))
            .and_then(|r| r.get("memory"))
            .filter(|v| !v.is_null())
    };
    let (raw, from_limits, at) = match resource {
        "requests.memory" => match (get("requests"), get("limits")) {
            (Some(r), _) => (r, false, "requests"),
            // Kubernetes defaults a missing request to the limit (per resource)
            (None, Some(l)) => (l, true, "limits"),
            (None, None) => {
                notes.push(format!(
                    "container {target_name} has no memory request or limit: MEMORY_REQUEST is 0 \
                     and only models without memory fit"
                ));
                return (
                    Some(0),
                    MemorySource::NoMemoryRequest {
                        container: target_name.to_string(),
                    },
                );
            }
        },
        "limits.memory" => match get("limits") {
            Some(l) => (l, false, "limits"),
            None => {
                notes.push(format!(
                    "{ENV_MEMORY_REQUEST} uses limits.memory of {target_name}, which has no limit: \
                     the kubelet substitutes the node's allocatable memory"
                ));
                return (None, MemorySource::Unknown);
            }
        },
        other => {
            notes.push(format!(
                "{ENV_MEMORY_REQUEST} uses resource {other:?}, not requests.memory: value not modelled"
            ));
            return (None, MemorySource::Unknown);
        }
    };
    let bytes = match raw {
        Value::String(s) => parse_bytes(s),
        Value::Number(n) => parse_bytes(&n.to_string()),
        _ => Err("not a quantity".to_string()),
    };
    match bytes {
        Ok(b) => {
            // convertResourceMemoryToString: int64(math.Ceil(float64(value) / float64(divisor)))
            let v = ((b as f64) / (divisor as f64)).ceil() as i64;
            (
                Some(i128::from(v as u64)),
                MemorySource::ContainerRequest {
                    container: target_name.to_string(),
                    origin: pod_spec
                        .origin_of(&tpath.key("resources").key(at).key("memory"))
                        .cloned(),
                    from_limits,
                },
            )
        }
        Err(e) => {
            notes.push(format!("container {target_name} memory {at}: {e}"));
            (None, MemorySource::Unknown)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(agent_env: Value, inference_resources: Value) -> Value {
        json!({"kind": "ServerConfig", "metadata": {"name": "mlserver"}, "spec": {"podSpec": {"containers": [
            {"name": "rclone"},
            {"name": "agent", "env": agent_env},
            {"name": "mlserver", "resources": inference_resources}
        ]}}})
    }

    fn std_env(caps: &str) -> Value {
        json!([
            {"name": "SELDON_SERVER_CAPABILITIES", "value": caps},
            {"name": "SELDON_OVERCOMMIT_PERCENTAGE", "value": "10"},
            {"name": "MEMORY_REQUEST", "valueFrom": {"resourceFieldRef": {"containerName": "mlserver", "resource": "requests.memory"}}}
        ])
    }

    fn server(spec: Value) -> Value {
        json!({"kind": "Server", "metadata": {"name": "s1", "namespace": "seldon-mesh"}, "spec": spec})
    }

    fn names(e: &EffectiveServer) -> Vec<&str> {
        e.capabilities.iter().map(|c| c.name.as_str()).collect()
    }

    fn gi(n: i128) -> i128 {
        n << 30
    }

    // scheduler/cmd/agent/cli/cli.go maybeUpdateCapabilities (split on ",", TrimSpace, empty kept)
    #[test]
    fn capabilities_from_env_trimmed_with_empty_elements() {
        let cfg = config(std_env(" mlserver , sklearn,,gpu "), json!({}));
        let e = effective_server(
            &server(json!({"serverConfig": "mlserver"})),
            Some(&cfg),
            &[],
        );
        assert_eq!(names(&e), ["mlserver", "sklearn", "", "gpu"]);
        assert_eq!(
            e.capabilities[0].origin,
            Some(Origin::new(
                Side::ServerConfig,
                FieldPath::parse("spec.podSpec.containers[1].env[0].value").unwrap()
            ))
        );
    }

    // operator/controllers/reconcilers/server/server_reconciler.go updateCapabilities (capabilities replace, win over extra)
    #[test]
    fn capabilities_replace_and_win() {
        let cfg = config(std_env("mlserver,sklearn"), json!({}));
        let s = server(
            json!({"serverConfig": "mlserver", "capabilities": ["gpu", " llm"], "extraCapabilities": ["x"]}),
        );
        let e = effective_server(&s, Some(&cfg), &[]);
        assert_eq!(names(&e), ["gpu", "llm"]);
        assert_eq!(
            e.capabilities[1].origin.as_ref().unwrap().path.to_string(),
            "spec.capabilities[1]"
        );
        assert!(
            e.ignored_fields
                .iter()
                .any(|(p, _)| p.to_string() == "spec.extraCapabilities")
        );
    }

    // operator/controllers/reconcilers/server/server_reconciler.go updateCapabilities (extraCapabilities appended with ",")
    #[test]
    fn extra_capabilities_append() {
        let cfg = config(std_env("mlserver,sklearn"), json!({}));
        let s = server(
            json!({"serverConfig": "mlserver", "extraCapabilities": ["model-on-gpu", "a,b"]}),
        );
        let e = effective_server(&s, Some(&cfg), &[]);
        assert_eq!(names(&e), ["mlserver", "sklearn", "model-on-gpu", "a", "b"]);
        assert_eq!(
            e.capabilities[0].origin.as_ref().unwrap().side,
            Side::ServerConfig
        );
        assert_eq!(
            e.capabilities[4].origin.as_ref().unwrap().path.to_string(),
            "spec.extraCapabilities[1]"
        );
        assert_eq!(
            e.capabilities_source,
            CapabilitySource::EnvVar {
                container: "agent".into(),
                rewritten: true
            }
        );
    }

    // scheduler/cmd/agent/cli/flags.go (--capabilities default) + server_reconciler.go updateCapabilities (only existing env rewritten)
    #[test]
    fn env_absent_means_agent_default_and_spec_ignored() {
        let cfg = config(json!([]), json!({}));
        let s = server(
            json!({"serverConfig": "c", "capabilities": ["gpu"], "extraCapabilities": ["x"]}),
        );
        let e = effective_server(&s, Some(&cfg), &[]);
        assert_eq!(names(&e), ["sklearn", "xgboost"]);
        assert_eq!(e.capabilities_source, CapabilitySource::AgentDefault);
        assert!(
            e.capabilities_note
                .as_deref()
                .unwrap()
                .contains("default sklearn,xgboost")
        );
        let ignored: Vec<_> = e
            .ignored_fields
            .iter()
            .map(|(p, _)| p.to_string())
            .collect();
        assert!(ignored.contains(&"spec.capabilities".to_string()));
        assert!(ignored.contains(&"spec.extraCapabilities".to_string()));
    }

    // scheduler/cmd/agent/cli/env.go getEnvString ("" counts as not found) + server_reconciler.go updateCapabilities
    #[test]
    fn empty_and_value_from_capabilities() {
        let cfg = config(std_env(""), json!({}));
        let e = effective_server(&server(json!({})), Some(&cfg), &[]);
        assert_eq!(names(&e), ["sklearn", "xgboost"]);
        // extra appended to "" gives a leading empty capability
        let e = effective_server(
            &server(json!({"extraCapabilities": ["x"]})),
            Some(&cfg),
            &[],
        );
        assert_eq!(names(&e), ["", "x"]);

        let vf = config(
            json!([{"name": "SELDON_SERVER_CAPABILITIES", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}]),
            json!({}),
        );
        let e = effective_server(&server(json!({})), Some(&vf), &[]);
        assert_eq!(e.capabilities_source, CapabilitySource::Unknown);
        assert!(e.capabilities.is_empty());
        // capabilities replace the valueFrom env var with a literal
        let e = effective_server(&server(json!({"capabilities": ["a"]})), Some(&vf), &[]);
        assert_eq!(names(&e), ["a"]);
    }

    // scheduler/cmd/agent/cli/cli.go maybeUpdateCapabilities (flag passed => env ignored)
    #[test]
    fn agent_flag_beats_env() {
        let mut cfg = config(std_env("mlserver"), json!({}));
        cfg["spec"]["podSpec"]["containers"][1]["args"] =
            json!(["--tracing-config-path=/x", "--capabilities", "a,b"]);
        let e = effective_server(&server(json!({})), Some(&cfg), &[]);
        assert_eq!(names(&e), ["a", "b"]);
        assert_eq!(
            e.capabilities_source,
            CapabilitySource::AgentFlag {
                container: "agent".into()
            }
        );
    }

    // scheduler/pkg/agent/state_manager.go GetAvailableMemoryBytesWithOverCommit (float32) + MEMORY_REQUEST downward API
    #[test]
    fn memory_with_overcommit() {
        let cfg = config(
            std_env("mlserver"),
            json!({"requests": {"cpu": "100m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}}),
        );
        let e = effective_server(&server(json!({})), Some(&cfg), &[]);
        assert_eq!(e.memory_bytes, Some(gi(1)));
        assert_eq!(e.overcommit_percent, 10);
        // 1Gi + uint64(float32(0.1) * float32(1Gi)) = 1073741824 + 107374184
        assert_eq!(e.capacity_bytes, Some(1_181_116_008));
        assert_eq!(e.inference_container.as_deref(), Some("mlserver"));
        // a Server override of the inference container's request changes the replica memory
        let s = server(
            json!({"podSpec": {"containers": [{"name": "mlserver", "resources": {"requests": {"memory": "3Gi"}}}]}}),
        );
        let e = effective_server(&s, Some(&cfg), &[]);
        assert_eq!(e.memory_bytes, Some(gi(3)));
        match &e.memory_source {
            MemorySource::ContainerRequest {
                origin,
                from_limits,
                ..
            } => {
                assert!(!from_limits);
                assert_eq!(origin.as_ref().unwrap().side, Side::Server);
            }
            other => panic!("{other:?}"),
        }
    }

    // k8s SetDefaults_Pod (requests default to limits) + kubelet downward API resourceFieldRef
    #[test]
    fn limits_only_and_no_memory() {
        let cfg = config(
            std_env("mlserver"),
            json!({"limits": {"memory": "2Gi"}, "requests": {"cpu": "1"}}),
        );
        let e = effective_server(&server(json!({})), Some(&cfg), &[]);
        assert_eq!(e.memory_bytes, Some(gi(2)));
        assert!(matches!(
            e.memory_source,
            MemorySource::ContainerRequest {
                from_limits: true,
                ..
            }
        ));
        let cfg = config(std_env("mlserver"), json!({}));
        let e = effective_server(&server(json!({})), Some(&cfg), &[]);
        assert_eq!(e.memory_bytes, Some(0));
        assert_eq!(e.capacity_bytes, Some(0));
    }

    // scheduler/cmd/agent/cli/flags.go (--memory-bytes default 1000000, --over-commit-percentage default 0)
    #[test]
    fn memory_request_absent_uses_agent_default() {
        let cfg = config(
            json!([{"name": "SELDON_SERVER_CAPABILITIES", "value": "mlserver"}]),
            json!({}),
        );
        let e = effective_server(&server(json!({})), Some(&cfg), &[]);
        assert_eq!(e.memory_bytes, Some(1_000_000));
        assert_eq!(e.memory_source, MemorySource::AgentDefault);
        assert_eq!(e.overcommit_percent, 0);
        assert_eq!(e.capacity_bytes, Some(1_000_000));
    }

    // scheduler/cmd/agent/cli/cli.go maybeUpdateMemoryRequest / maybeUpdateOverCommitPercentage (log.Fatalf on parse errors)
    #[test]
    fn unparsable_agent_numbers_are_fatal() {
        let cfg = config(
            json!([{"name": "MEMORY_REQUEST", "value": "1Gi"}, {"name": "SELDON_OVERCOMMIT_PERCENTAGE", "value": "-5"}]),
            json!({}),
        );
        let e = effective_server(&server(json!({})), Some(&cfg), &[]);
        assert_eq!(e.agent_problems.len(), 2, "{:?}", e.agent_problems);
        assert_eq!(e.memory_bytes, None);
        let cfg = config(
            json!([{"name": "MEMORY_REQUEST", "valueFrom": {"resourceFieldRef": {"containerName": "nope", "resource": "requests.memory"}}}]),
            json!({}),
        );
        let e = effective_server(&server(json!({})), Some(&cfg), &[]);
        assert!(e.agent_problems[0].contains("\"nope\""));
    }

    // kubelet downward API convertResourceMemoryToString (ceil(value / divisor))
    #[test]
    fn divisor_applies() {
        let cfg = config(
            json!([{"name": "MEMORY_REQUEST", "valueFrom": {"resourceFieldRef": {"containerName": "mlserver", "resource": "requests.memory", "divisor": "1Mi"}}}]),
            json!({"requests": {"memory": "1Gi"}}),
        );
        let e = effective_server(&server(json!({})), Some(&cfg), &[]);
        assert_eq!(e.memory_bytes, Some(1024));
    }

    // operator/controllers/reconcilers/server/server_reconciler.go (imageOverrides unused) + merge pruning
    #[test]
    fn gpu_scaling_and_ignored_fields() {
        let cfg = config(std_env("mlserver"), json!({"requests": {"memory": "1Gi"}}));
        let s = server(json!({
            "serverConfig": "mlserver", "replicas": 2,
            "imageOverrides": {"agent": {"name": "agent"}},
            "podSpec": {"resources": {"limits": {"cpu": "1"}},
                        "containers": [{"name": "mlserver", "resources": {"requests": {"nvidia.com/gpu": 1}, "limits": {"nvidia.com/gpu": 2}}}]}
        }));
        let e = effective_server(&s, Some(&cfg), DEFAULT_GPU_RESOURCES);
        assert_eq!(e.gpu, vec![("nvidia.com/gpu".to_string(), 1)]);
        assert!(e.notes.iter().any(|n| n.contains("request 1 != limit 2")));
        assert_eq!(e.scaling.unwrap().replicas, 2);
        let ignored: Vec<_> = e
            .ignored_fields
            .iter()
            .map(|(p, _)| p.to_string())
            .collect();
        assert_eq!(ignored, ["spec.podSpec.resources", "spec.imageOverrides"]);
        assert_eq!(e.name, "s1");
        assert_eq!(e.server_config.as_deref(), Some("mlserver"));
    }

    #[test]
    fn junk_never_panics() {
        for s in [
            json!(null),
            json!({"spec": 3}),
            json!({"spec": {"capabilities": "x", "podSpec": []}}),
        ] {
            for c in [
                None,
                Some(json!(1)),
                Some(
                    json!({"spec": {"podSpec": {"containers": [{"name": "agent", "env": [{"name": "MEMORY_REQUEST", "valueFrom": {"resourceFieldRef": {"divisor": {}}}}]}]}}}),
                ),
            ] {
                let _ = effective_server(&s, c.as_ref(), DEFAULT_GPU_RESOURCES);
            }
        }
    }
}
