//! A Model against one Server, in the Seldon scheduler's terms
//! (`scheduler/pkg/scheduler/scheduler.go` DefaultSchedulerConfig and `filters/*`, seldon.md
//! §2.1–2.3, §2.6), plus a ranking to name "the closest Server" when none fits.
//!
//! Why it exists: users ask "why is my Model ScheduleFailed?" and "which Server would take it?";
//! the answer must be the scheduler's, in plain words.
//!
//! Must not: know Nodes or Kubernetes scheduling. How many Server pods Kubernetes can run is an
//! input ([`ServerSummary::runnable_replicas`]), computed elsewhere.
//!
//! Filters reproduced: ServerReplicaFilter (≥1 connected replica), SharingServerFilter (pin by
//! exact name), DeletedServerFilter (expected replicas ≠ 0), ServerRequirementFilter (every
//! requirement, `TrimSpace`d, equals a capability exactly), AvailableMemoryReplicaFilter (memory
//! ≤ replica capacity incl. overcommit, empty replicas assumed), ExplainerFilter (`alibi-explain`),
//! and the replica count (model replicas ≤ eligible server replicas, or ≥ `minReplicas` when
//! `minReplicas > 0`: partial scheduling, v2.9+). Servers in another namespace are never
//! candidates: each namespace's SeldonRuntime runs its own scheduler.

use super::bytes::human_bytes;
use super::model::ModelFacts;
use super::server::EffectiveServer;

/// What [`judge`] needs to know about a Server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSummary {
    pub name: String,
    pub namespace: String,
    pub capabilities: Vec<String>,
    /// Validated `spec.replicas` (what the operator notifies the scheduler of).
    pub expected_replicas: u32,
    /// Per-replica memory the agent reports (`MEMORY_REQUEST`); `i128::MAX` when unknown.
    pub memory_bytes: i128,
    pub overcommit_percent: u32,
    /// What an empty replica accepts (memory + overcommit); `i128::MAX` when unknown.
    pub memory_capacity_bytes: i128,
    /// `None` = nodes unknown; `Some(k)` = how many replicas Kubernetes can place.
    pub runnable_replicas: Option<u32>,
    /// The referenced ServerConfig was found (or is a shipped default).
    pub config_known: bool,
    /// Why the agent exits or never starts (no replica ever connects), if it does.
    pub agent_problem: Option<String>,
}

impl EffectiveServer {
    /// The judge's view of this Server. `namespace` is used when the manifest has none.
    pub fn summary(
        &self,
        namespace: &str,
        runnable_replicas: Option<u32>,
        config_known: bool,
    ) -> ServerSummary {
        ServerSummary {
            name: self.name.clone(),
            namespace: self
                .namespace
                .clone()
                .unwrap_or_else(|| namespace.to_string()),
            capabilities: self.capability_names(),
            // An invalid scaling spec is not notified to the scheduler; connected agents still
            // register the Server, so the StatefulSet's replica count (default 1) is what counts.
            expected_replicas: self.scaling.as_ref().map_or(1, |s| s.replicas),
            memory_bytes: self.memory_bytes.unwrap_or(i128::MAX),
            overcommit_percent: self.overcommit_percent,
            memory_capacity_bytes: self.capacity_bytes.unwrap_or(i128::MAX),
            runnable_replicas,
            config_known,
            agent_problem: self.agent_problems.first().cloned(),
        }
    }
}

/// Why a Server is not a candidate for a Model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// `server-pinned-elsewhere` | `server-scaled-to-zero` | `missing-capabilities` |
    /// `not-enough-memory` | `too-few-replicas` | `explainer-needs-alibi-explain` |
    /// `server-pods-unschedulable` | `server-config-unknown` | `other-namespace` |
    /// `agent-cannot-start` (its agent exits: no replica connects) |
    /// `model-invalid` (the Model never reaches the scheduler); from [`risks`]:
    /// `exceeds-main-memory`, `partial-replicas`.
    pub code: &'static str,
    pub message: String,
    /// For `missing-capabilities`: the trimmed requirements not offered.
    pub missing: Vec<String>,
}

fn rej(code: &'static str, message: String) -> Rejection {
    Rejection {
        code,
        message,
        missing: Vec::new(),
    }
}

fn list_caps(caps: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut v: Vec<String> = caps
        .iter()
        .take(SHOWN)
        .map(|c| {
            if c.is_empty() {
                "\"\"".to_string()
            } else {
                c.clone()
            }
        })
        .collect();
    if caps.len() > SHOWN {
        v.push("…".to_string());
    }
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(", ")
    }
}

fn replica_memory_words(server: &ServerSummary) -> String {
    let cap = human_bytes(server.memory_capacity_bytes);
    if server.overcommit_percent == 0 {
        format!("{cap} (memory request, no overcommit)")
    } else {
        format!(
            "{cap} ({} memory request + {}% overcommit)",
            human_bytes(server.memory_bytes),
            server.overcommit_percent
        )
    }
}

/// How many replicas of `server` can hold a model replica, ignoring memory/explainer.
fn available_replicas(server: &ServerSummary) -> u32 {
    match server.runnable_replicas {
        Some(k) => k.min(server.expected_replicas),
        None => server.expected_replicas,
    }
}

/// Every reason the Seldon scheduler would not place `model` on `server`; empty = candidate.
pub fn judge(model: &ModelFacts, model_namespace: &str, server: &ServerSummary) -> Vec<Rejection> {
    let mut out = Vec::new();
    if server.namespace != model_namespace {
        out.push(rej(
            "other-namespace",
            format!(
                "is in namespace {}; Models in {model_namespace} are placed by that namespace's own scheduler",
                server.namespace
            ),
        ));
        return out;
    }
    if let Some(e) = model.conversion_error() {
        out.push(rej(
            "model-invalid",
            format!("the operator never sends this Model to the scheduler: {e}"),
        ));
    }
    if !server.config_known {
        out.push(rej(
            "server-config-unknown",
            "its ServerConfig is not found, so the operator creates no pods for it".to_string(),
        ));
    }
    // SharingServerFilter
    if let Some(pin) = &model.server
        && pin != &server.name
    {
        out.push(rej(
            "server-pinned-elsewhere",
            format!("the Model is pinned to Server {pin:?} (spec.server)"),
        ));
    }
    // DeletedServerFilter / ServerReplicaFilter
    let mut connected = server.config_known;
    if server.expected_replicas == 0 {
        out.push(rej("server-scaled-to-zero", "has replicas: 0".to_string()));
        connected = false;
    } else if server.runnable_replicas == Some(0) {
        out.push(rej(
            "server-pods-unschedulable",
            "none of its pods can run, so no agent connects to the scheduler".to_string(),
        ));
        connected = false;
    } else if let Some(p) = &server.agent_problem
        && server.config_known
    {
        out.push(rej(
            "agent-cannot-start",
            format!("no agent connects to the scheduler: {p}"),
        ));
        connected = false;
    }
    // ServerRequirementFilter
    let mut missing: Vec<String> = Vec::new();
    for r in &model.requirements {
        let t = r.trimmed();
        if !server.capabilities.iter().any(|c| c == t) && !missing.iter().any(|m| m == t) {
            missing.push(t.to_string());
        }
    }
    if !missing.is_empty() {
        out.push(Rejection {
            code: "missing-capabilities",
            message: format!(
                "lacks capabilities [{}] (has {})",
                missing.join(", "),
                list_caps(&server.capabilities)
            ),
            missing,
        });
    }
    if !server.config_known {
        return out;
    }
    // Replica filters: every replica of a Server is alike, so one failing filter fails all.
    let mut replicas_fit = true;
    if let Some(need) = model.required_memory()
        && need > server.memory_capacity_bytes
    {
        replicas_fit = false;
        out.push(rej(
            "not-enough-memory",
            format!(
                "needs {} per replica but a replica holds {}",
                human_bytes(need),
                replica_memory_words(server)
            ),
        ));
    }
    if model.explainer && !server.capabilities.iter().any(|c| c == "alibi-explain") {
        replicas_fit = false;
        out.push(rej(
            "explainer-needs-alibi-explain",
            "the Model has an explainer, which only loads on replicas with the alibi-explain capability"
                .to_string(),
        ));
    }
    if replicas_fit
        && connected
        && let Ok(s) = &model.scaling
    {
        let avail = available_replicas(server);
        let partial_ok = s.min_replicas > 0 && avail >= s.min_replicas;
        if avail < s.replicas && !partial_ok {
            let min = if s.min_replicas > 0 {
                format!(" (minReplicas {})", s.min_replicas)
            } else {
                String::new()
            };
            let has = match server.runnable_replicas {
                Some(k) if k < server.expected_replicas => format!(
                    "{avail} of {} replicas that Kubernetes can run",
                    server.expected_replicas
                ),
                _ => format!("{avail} replicas"),
            };
            out.push(rej(
                "too-few-replicas",
                format!(
                    "needs {} replicas{min} on one Server but it has {has}",
                    s.replicas
                ),
            ));
        }
    }
    out
}

/// Problems that do not stop the scheduler from choosing `server` but show up afterwards.
/// * `exceeds-main-memory`: the model fits the replica capacity only thanks to overcommit. The
///   scheduler assigns it, but the agent must fit it in main memory (`state_manager.go`
///   makeRoomIfNeeded finds nothing to evict on an empty replica), so the load fails.
/// * `partial-replicas`: fewer replicas than `spec.replicas` but ≥ `minReplicas` (v2.9 partial
///   scheduling): the Model is available with fewer replicas.
pub fn risks(model: &ModelFacts, server: &ServerSummary) -> Vec<Rejection> {
    let mut out = Vec::new();
    if let Some(need) = model.required_memory()
        && need > server.memory_bytes
        && need <= server.memory_capacity_bytes
    {
        out.push(rej(
            "exceeds-main-memory",
            format!(
                "needs {} but a replica has {} of main memory; only the overcommit allowance makes it \
                 schedulable, and the agent cannot load a model larger than main memory",
                human_bytes(need),
                human_bytes(server.memory_bytes)
            ),
        ));
    }
    if let Ok(s) = &model.scaling {
        let avail = available_replicas(server);
        if avail < s.replicas && s.min_replicas > 0 && avail >= s.min_replicas {
            out.push(rej(
                "partial-replicas",
                format!(
                    "only {avail} of {} replicas can be placed (minReplicas {} allows it)",
                    s.replicas, s.min_replicas
                ),
            ));
        }
    }
    out
}

fn severity(code: &str) -> u8 {
    match code {
        "model-invalid" => 0, // same for every Server: does not rank
        "too-few-replicas" => 1,
        "not-enough-memory" => 2,
        // A Server that matches but whose pods cannot run is closer than one that lacks a
        // capability: it is the root of the chain model → server → node (seldon.md §2.9).
        "server-pods-unschedulable" | "agent-cannot-start" => 3,
        "explainer-needs-alibi-explain" => 4,
        "missing-capabilities" => 5,
        "server-scaled-to-zero" => 6,
        "server-pinned-elsewhere" => 7,
        "server-config-unknown" => 8,
        "other-namespace" => 10,
        _ => 9,
    }
}

/// Sort key for "the closest Server": smaller is closer. Compares the worst rejection first,
/// then the number of rejections, then how many capabilities are missing. Break ties by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Closeness {
    pub worst: u8,
    pub count: usize,
    pub missing: usize,
}

/// [`Closeness`] of a rejection list (`model-invalid` is ignored: it applies to every Server).
pub fn closeness(rejections: &[Rejection]) -> Closeness {
    let ranked = rejections.iter().filter(|r| r.code != "model-invalid");
    Closeness {
        worst: ranked.clone().map(|r| severity(r.code)).max().unwrap_or(0),
        count: ranked.clone().count(),
        missing: ranked.map(|r| r.missing.len()).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seldon::model::model_requirements;
    use serde_json::{Value, json};

    fn model(spec: Value) -> ModelFacts {
        model_requirements(
            &json!({"metadata": {"name": "m", "namespace": "seldon-mesh"}, "spec": spec}),
        )
    }

    fn mlserver() -> ServerSummary {
        ServerSummary {
            name: "mlserver".into(),
            namespace: "seldon-mesh".into(),
            capabilities: "mlserver,alibi-detect,alibi-explain,huggingface,lightgbm,mlflow,python,sklearn,spark-mlib,xgboost"
                .split(',')
                .map(str::to_string)
                .collect(),
            expected_replicas: 1,
            memory_bytes: 1 << 30,
            overcommit_percent: 10,
            memory_capacity_bytes: 1_181_116_008,
            runnable_replicas: None,
            config_known: true,
            agent_problem: None,
        }
    }

    fn codes(r: &[Rejection]) -> Vec<&str> {
        r.iter().map(|r| r.code).collect()
    }

    // scheduler/pkg/scheduler/filters/serverrequirements.go (exact, case-sensitive, TrimSpace'd requirement)
    #[test]
    fn requirements_exact_and_trimmed() {
        let s = mlserver();
        assert!(
            judge(
                &model(json!({"requirements": [" sklearn "]})),
                "seldon-mesh",
                &s
            )
            .is_empty()
        );
        let r = judge(
            &model(json!({"requirements": ["SKLearn", "gpu"]})),
            "seldon-mesh",
            &s,
        );
        assert_eq!(codes(&r), ["missing-capabilities"]);
        assert_eq!(r[0].missing, ["SKLearn", "gpu"]);
        assert!(
            r[0].message
                .starts_with("lacks capabilities [SKLearn, gpu] (has mlserver, alibi-detect")
        );
        assert!(r[0].message.ends_with("…)"));
        // requirement-less models match every server
        assert!(judge(&model(json!({})), "seldon-mesh", &s).is_empty());
        // modelType is a requirement too
        let r = judge(
            &model(json!({"modelType": "tensorflow"})),
            "seldon-mesh",
            &s,
        );
        assert_eq!(r[0].missing, ["tensorflow"]);
    }

    // scheduler/pkg/scheduler/filters/replicamemory.go AvailableMemoryReplicaFilter
    #[test]
    fn memory_against_capacity() {
        let s = mlserver();
        let r = judge(&model(json!({"memory": "3Gi"})), "seldon-mesh", &s);
        assert_eq!(codes(&r), ["not-enough-memory"]);
        assert_eq!(
            r[0].message,
            "needs 3Gi per replica but a replica holds 1.1Gi (1Gi memory request + 10% overcommit)"
        );
        assert!(judge(&model(json!({"memory": "100Ki"})), "seldon-mesh", &s).is_empty());
        // fits only thanks to overcommit: scheduled, but the agent cannot load it
        let m = model(json!({"memory": "1100Mi"}));
        assert!(judge(&m, "seldon-mesh", &s).is_empty());
        assert_eq!(codes(&risks(&m, &s)), ["exceeds-main-memory"]);
    }

    // scheduler/pkg/scheduler/filters/explainer.go ExplainerFilter
    #[test]
    fn explainer_needs_alibi_explain() {
        let m = model(json!({"explainer": {"type": "anchor_tabular", "modelRef": "income"}}));
        assert!(judge(&m, "seldon-mesh", &mlserver()).is_empty());
        let mut triton = mlserver();
        triton.name = "triton".into();
        triton.capabilities = vec!["triton".into(), "python".into()];
        assert_eq!(
            codes(&judge(&m, "seldon-mesh", &triton)),
            ["explainer-needs-alibi-explain"]
        );
    }

    // scheduler/pkg/scheduler/filters/sharing.go SharingServerFilter (pin by exact name)
    #[test]
    fn pin_by_exact_name() {
        let s = mlserver();
        assert!(judge(&model(json!({"server": "mlserver"})), "seldon-mesh", &s).is_empty());
        let r = judge(&model(json!({"server": "MLServer"})), "seldon-mesh", &s);
        assert_eq!(codes(&r), ["server-pinned-elsewhere"]);
    }

    // seldon.md §2.2: each namespace's SeldonRuntime has its own scheduler
    #[test]
    fn other_namespace_never_candidate() {
        let r = judge(&model(json!({})), "team-a", &mlserver());
        assert_eq!(codes(&r), ["other-namespace"]);
    }

    // scheduler/pkg/scheduler/scheduler.go scheduleToServer (partial scheduling with minReplicas, v2.9+)
    #[test]
    fn replicas_and_min_replicas() {
        let mut s = mlserver();
        s.expected_replicas = 3;
        s.runnable_replicas = Some(2);
        let r = judge(&model(json!({"replicas": 3})), "seldon-mesh", &s);
        assert_eq!(codes(&r), ["too-few-replicas"]);
        assert_eq!(
            r[0].message,
            "needs 3 replicas on one Server but it has 2 of 3 replicas that Kubernetes can run"
        );
        let m = model(json!({"replicas": 3, "minReplicas": 2}));
        assert!(judge(&m, "seldon-mesh", &s).is_empty());
        assert_eq!(codes(&risks(&m, &s)), ["partial-replicas"]);
        let r = judge(
            &model(json!({"replicas": 3, "minReplicas": 3})),
            "seldon-mesh",
            &s,
        );
        assert_eq!(codes(&r), ["too-few-replicas"]);
        s.runnable_replicas = None;
        assert!(judge(&model(json!({"replicas": 3})), "seldon-mesh", &s).is_empty());
    }

    // scheduler/pkg/scheduler/filters/deletedserver.go + serverreplicas.go
    #[test]
    fn scaled_to_zero_and_unschedulable() {
        let mut s = mlserver();
        s.expected_replicas = 0;
        assert_eq!(
            codes(&judge(&model(json!({})), "seldon-mesh", &s)),
            ["server-scaled-to-zero"]
        );
        let mut s = mlserver();
        s.runnable_replicas = Some(0);
        assert_eq!(
            codes(&judge(&model(json!({"replicas": 2})), "seldon-mesh", &s)),
            ["server-pods-unschedulable"]
        );
        let mut s = mlserver();
        s.agent_problem = Some("MEMORY_REQUEST=\"1Gi\" is not an unsigned integer".into());
        let r = judge(&model(json!({})), "seldon-mesh", &s);
        assert_eq!(codes(&r), ["agent-cannot-start"]);
        assert!(r[0].message.contains("MEMORY_REQUEST"));
        let mut s = mlserver();
        s.config_known = false;
        assert_eq!(
            codes(&judge(&model(json!({"memory": "9Gi"})), "seldon-mesh", &s)),
            ["server-config-unknown"]
        );
    }

    // k8s/helm-charts/seldon-core-v2-setup (shipped ServerConfigs) + scheduler/pkg/scheduler/filters/* end to end
    #[test]
    fn effective_server_summary_end_to_end() {
        use crate::seldon::{defaults::shipped_server_config, server::effective_server};
        let srv = |name: &str, pod: Value| {
            json!({"metadata": {"name": name, "namespace": "seldon-mesh"},
                   "spec": {"serverConfig": name, "podSpec": pod}})
        };
        let mls = effective_server(
            &srv("mlserver", Value::Null),
            shipped_server_config("mlserver").as_ref(),
            &[],
        )
        .summary("seldon-mesh", Some(1), true);
        let big = model(json!({"memory": "3Gi", "requirements": ["huggingface"]}));
        assert_eq!(
            codes(&judge(&big, "seldon-mesh", &mls)),
            ["not-enough-memory"]
        );
        let tri = effective_server(
            &srv("triton", json!({"containers": [{"name": "triton", "resources": {"requests": {"memory": "3Gi"}}}]})),
            shipped_server_config("triton").as_ref(),
            &[],
        )
        .summary("seldon-mesh", None, true);
        assert_eq!(tri.memory_capacity_bytes, 3_543_348_032);
        let r = judge(&big, "seldon-mesh", &tri);
        assert_eq!(codes(&r), ["missing-capabilities"]);
        assert_eq!(r[0].missing, ["huggingface"]);
        // the closest Server for the big model is mlserver (memory) rather than triton (capabilities)
        assert!(closeness(&judge(&big, "seldon-mesh", &mls)) < closeness(&r));
    }

    // operator/apis/mlops/v1alpha1/model_types.go AsSchedulerModel (conversion errors never reach the scheduler)
    #[test]
    fn invalid_model_and_closeness() {
        let m = model(json!({"memory": "100m", "requirements": ["gpu"]}));
        let r = judge(&m, "seldon-mesh", &mlserver());
        assert_eq!(codes(&r), ["model-invalid", "missing-capabilities"]);

        let mem = vec![rej("not-enough-memory", String::new())];
        let caps = vec![Rejection {
            code: "missing-capabilities",
            message: String::new(),
            missing: vec!["gpu".into()],
        }];
        let two = vec![
            rej("not-enough-memory", String::new()),
            rej("too-few-replicas", String::new()),
        ];
        assert!(closeness(&[]) < closeness(&mem));
        assert!(closeness(&mem) < closeness(&two));
        assert!(closeness(&two) < closeness(&caps));
        let pinned = vec![rej("server-pinned-elsewhere", String::new())];
        assert!(closeness(&caps) < closeness(&pinned));
        assert_eq!(
            closeness(&[rej("model-invalid", String::new())]),
            closeness(&[])
        );
    }
}
