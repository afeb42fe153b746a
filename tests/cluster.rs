//! The live read path against a real kube-apiserver (no mocks): `audit --once`, `lint --cluster`,
//! `explain --cluster`, the shipped RBAC, and a cluster without the Seldon CRDs.
//!
//! The control plane comes from `scripts/testenv.sh` (docs/test-cluster.md). When both
//! `KUBECONFIG` and `PLACECHECK_TESTENV_KUBECONFIG_RESTRICTED` are set (e.g. after
//! `eval "$(scripts/testenv.sh start)"`) that instance is used; otherwise the first test starts one
//! (or reuses the healthy one in the default state dir) and leaves it running for the next test
//! process — `scripts/testenv.sh stop` (or `just test`) stops it. Requiring both variables keeps
//! the tests away from a developer's real cluster: they delete every Node and workload they see.
//!
//! The tests never skip. Nodes, CRDs and RBAC are cluster-wide and `audit` reads the whole
//! cluster, so the tests that seed the cluster take one lock, and each starts by resetting the
//! objects placecheck reads and installing (or removing) the CRDs it needs: their order never
//! matters.

#![cfg(feature = "cluster")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::{ApiCapabilities, Scope};
use kube::{Client, Config};
use serde_json::{Value, json};

const MANAGER: &str = "placecheck-tests";

// ------------------------------------------------------------------------------------------------
// the test cluster

struct TestEnv {
    admin: PathBuf,
    restricted: PathBuf,
}

fn testenv() -> &'static TestEnv {
    static ENV: OnceLock<TestEnv> = OnceLock::new();
    ENV.get_or_init(|| {
        if let (Some(admin), Some(restricted)) = (
            std::env::var_os("KUBECONFIG"),
            std::env::var_os("PLACECHECK_TESTENV_KUBECONFIG_RESTRICTED"),
        ) {
            return TestEnv {
                admin: admin.into(),
                restricted: restricted.into(),
            };
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/testenv.sh");
        let out = Command::new(&script)
            .arg("start")
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/testenv.sh start");
        assert!(
            out.status.success(),
            "scripts/testenv.sh start failed ({})",
            out.status
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let var = |name: &str| {
            stdout
                .lines()
                .find_map(|l| {
                    l.strip_prefix(&format!("export {name}="))
                        .map(|v| PathBuf::from(v.trim()))
                })
                .unwrap_or_else(|| panic!("scripts/testenv.sh start printed no {name}:\n{stdout}"))
        };
        TestEnv {
            admin: var("KUBECONFIG"),
            restricted: var("PLACECHECK_TESTENV_KUBECONFIG_RESTRICTED"),
        }
    })
}

/// Serialises the tests that change cluster-wide state (a failed test must not block the rest).
fn cluster_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

async fn client(kubeconfig: &Path) -> Client {
    let kc = Kubeconfig::read_from(kubeconfig).expect("read kubeconfig");
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("kubeconfig");
    Client::try_from(config).expect("client")
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

// ------------------------------------------------------------------------------------------------
// running placecheck

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

/// Runs the binary in an empty directory (no `.placecheck.yaml` is discovered).
fn placecheck(args: &[&str], kubeconfig: &Path) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Instant::now();
    let out: Output = Command::new(env!("CARGO_BIN_EXE_placecheck"))
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("NO_COLOR", "1")
        .env_remove("PLACECHECK_LOG")
        .current_dir(dir.path())
        .output()
        .expect("run placecheck");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: t.elapsed(),
    }
}

fn json_findings(run: &Run) -> Vec<Value> {
    let doc: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); exit {}, stderr:\n{}\nstdout:\n{}",
            run.code, run.stderr, run.stdout
        )
    });
    doc["findings"].as_array().cloned().unwrap_or_default()
}

/// (policy, kind, namespace, name, path, message): what must agree between live and offline.
fn essence(findings: &[Value]) -> BTreeSet<(String, String, String, String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    findings
        .iter()
        .map(|f| {
            let r = &f["resource"];
            (
                s(&f["policy"]),
                s(&r["kind"]),
                s(&r["namespace"]),
                s(&r["name"]),
                s(&f["location"]["path"]),
                s(&f["message"]),
            )
        })
        .collect()
}

fn ids(findings: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = findings
        .iter()
        .map(|f| {
            let r = &f["resource"];
            format!(
                "{} {}/{}",
                f["policy"].as_str().unwrap_or(""),
                r["kind"].as_str().unwrap_or(""),
                r["name"].as_str().unwrap_or("")
            )
        })
        .collect();
    v.sort();
    v
}

// ------------------------------------------------------------------------------------------------
// manifests

/// Every object of the given files or directories, read with placecheck's own loader.
fn manifests(paths: &[PathBuf]) -> Vec<Value> {
    let inputs: Vec<placecheck::source::Input> = paths
        .iter()
        .map(|p| placecheck::source::Input {
            kind: placecheck::source::InputKind::Path(p.clone()),
            context: false,
        })
        .collect();
    let loaded = placecheck::source::load(&inputs, &placecheck::source::LoadOptions::default())
        .expect("load manifests");
    let inv = placecheck::inventory::Inventory::from_loaded(loaded);
    assert!(
        inv.problems.is_empty(),
        "seed manifests have problems: {:?}",
        inv.problems
    );
    inv.objects.iter().map(|o| (*o.value).clone()).collect()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write manifest");
    p
}

/// Objects the examples do not have: a Kafka node pool that can land beside the inference
/// Servers, pods of two Servers (one running, one pending), a Model that failed to schedule.
const EXTRA: &str = r#"
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaNodePool
metadata:
  name: brokers
  namespace: kafka
  labels:
    strimzi.io/cluster: events
spec:
  replicas: 3
  roles: [broker]
  storage: {type: ephemeral}
  template:
    pod:
      terminationGracePeriodSeconds: 120
"#;

const SERVER_PODS: &str = r#"
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata:
      name: mlserver-0
      namespace: seldon-mesh
      labels: {seldon-server-name: mlserver, app.kubernetes.io/name: seldon-server}
    spec:
      nodeName: cpu-1
      containers: [{name: mlserver, image: seldonio/mlserver:1.7.1}]
    status: {phase: Running}
  - apiVersion: v1
    kind: Pod
    metadata:
      name: mlserver-1
      namespace: seldon-mesh
      labels: {seldon-server-name: mlserver, app.kubernetes.io/name: seldon-server}
    spec:
      nodeName: cpu-2
      containers: [{name: mlserver, image: seldonio/mlserver:1.7.1}]
    status: {phase: Running}
  - apiVersion: v1
    kind: Pod
    metadata:
      name: llm-a100-0
      namespace: seldon-mesh
      labels: {seldon-server-name: llm-a100, app.kubernetes.io/name: seldon-server}
    spec:
      containers: [{name: mlserver, image: seldonio/mlserver:1.7.1}]
"#;

/// A test-only policy that turns `servers[].pods` and `models[].status` into findings, so the
/// live fields are checked end to end through the Rego input.
const PROBE: &str = r#"package placecheck.policies.live_probe

import rego.v1

meta := {
	"id": "live-probe",
	"severity": "info",
	"title": "Test probe of the live-only input fields",
	"description": "Reports servers[].pods and models[].status.",
	"remediation": "Nothing to fix.",
}

violation contains v if {
	some s in input.servers
	some p in s.pods
	v := {"msg": sprintf("%s pod %s node=%v phase=%v", [input.mode, p.name, p.nodeName, p.phase]), "resource": s.ref, "path": "metadata.name"}
}

violation contains v if {
	some m in input.models
	m.status != null
	v := {"msg": sprintf("%s model state=%v ready=%v reason=%v", [input.mode, m.status.state, m.status.ready, m.status.reason]), "resource": m.ref, "path": "status"}
}
"#;

// ------------------------------------------------------------------------------------------------
// talking to the API server

async fn resource(
    client: &Client,
    api_version: &str,
    kind: &str,
) -> Option<(ApiResource, ApiCapabilities)> {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    kube::discovery::pinned_kind(client, &GroupVersionKind::gvk(group, version, kind))
        .await
        .ok()
}

async fn ensure_namespace(client: &Client, ns: &str) {
    let api: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("", "v1", "Namespace"),
            "namespaces",
        ),
    );
    let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
    api.patch(
        ns,
        &PatchParams::apply(MANAGER).force(),
        &Patch::Apply(&body),
    )
    .await
    .expect("namespace");
}

/// Creates or updates an object, then sets what `apply` cannot: Node taints (the API server adds
/// `node.kubernetes.io/not-ready` on create), and `status` through the status subresource.
async fn apply(client: &Client, value: &Value) {
    let api_version = value["apiVersion"].as_str().expect("apiVersion");
    let kind = value["kind"].as_str().expect("kind");
    let name = value["metadata"]["name"].as_str().expect("name");
    let (ar, caps) = resource(client, api_version, kind)
        .await
        .unwrap_or_else(|| panic!("the API server does not serve {api_version} {kind}"));
    let api: Api<DynamicObject> = if caps.scope == Scope::Namespaced {
        let ns = value["metadata"]["namespace"].as_str().unwrap_or("default");
        ensure_namespace(client, ns).await;
        Api::namespaced_with(client.clone(), ns, &ar)
    } else {
        Api::all_with(client.clone(), &ar)
    };
    let mut body = value.clone();
    if let Some(m) = body.as_object_mut() {
        m.remove("status");
    }
    api.patch(
        name,
        &PatchParams::apply(MANAGER).force(),
        &Patch::Apply(&body),
    )
    .await
    .unwrap_or_else(|e| panic!("apply {kind} {name}: {e}"));
    if kind == "Node" {
        let taints = value["spec"]["taints"].clone();
        api.patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"taints": taints}})),
        )
        .await
        .unwrap_or_else(|e| panic!("set the taints of {name}: {e}"));
    }
    if let Some(status) = value.get("status") {
        api.patch_status(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"status": status})),
        )
        .await
        .unwrap_or_else(|e| panic!("status of {kind} {name}: {e}"));
    }
}

/// Deletes every object of the kinds placecheck reads (Nodes, pods, workloads, and the custom
/// resources where their CRDs exist). Namespaces stay: they never finish deleting here.
async fn reset(client: &Client) {
    let kinds = [
        ("v1", "Node"),
        ("v1", "Pod"),
        ("node.k8s.io/v1", "RuntimeClass"),
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("mlops.seldon.io/v1alpha1", "Server"),
        ("mlops.seldon.io/v1alpha1", "ServerConfig"),
        ("mlops.seldon.io/v1alpha1", "Model"),
        ("mlops.seldon.io/v1alpha1", "SeldonRuntime"),
        ("mlops.seldon.io/v1alpha1", "SeldonConfig"),
        ("kafka.strimzi.io/v1beta2", "Kafka"),
        ("kafka.strimzi.io/v1beta2", "KafkaNodePool"),
    ];
    for (api_version, kind) in kinds {
        let Some((ar, caps)) = resource(client, api_version, kind).await else {
            continue;
        };
        let all: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
        let items = all
            .list(&ListParams::default())
            .await
            .unwrap_or_else(|e| panic!("list {kind}: {e}"));
        for o in items {
            let Some(name) = o.metadata.name.clone() else {
                continue;
            };
            let api: Api<DynamicObject> =
                match (&o.metadata.namespace, caps.scope == Scope::Namespaced) {
                    (Some(ns), true) => Api::namespaced_with(client.clone(), ns, &ar),
                    _ => Api::all_with(client.clone(), &ar),
                };
            // Bound pods wait forever for a kubelet unless deleted at once.
            let dp = DeleteParams {
                grace_period_seconds: Some(0),
                ..DeleteParams::default()
            };
            match api.delete(&name, &dp).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => panic!("delete {kind} {name}: {e}"),
            }
        }
    }
}

/// The CRDs exactly as `placecheck crds` prints them.
fn crd_values() -> Vec<Value> {
    let run = placecheck(&["crds"], Path::new("/nonexistent"));
    assert_eq!(run.code, 0, "placecheck crds: {}", run.stderr);
    let dir = tempfile::tempdir().expect("tempdir");
    let values = manifests(&[write(dir.path(), "crds.yaml", &run.stdout)]);
    assert_eq!(values.len(), 7, "seven CRDs");
    values
}

async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn install_crds(client: &Client) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for v in crd_values() {
        let name = v["metadata"]["name"]
            .as_str()
            .expect("crd name")
            .to_string();
        api.patch(
            &name,
            &PatchParams::apply(MANAGER).force(),
            &Patch::Apply(&v),
        )
        .await
        .unwrap_or_else(|e| panic!("install CRD {name}: {e}"));
        wait_until(
            &format!("CRD {name} to be established"),
            Duration::from_secs(60),
            || {
                let api = api.clone();
                let name = name.clone();
                async move {
                    api.get_opt(&name).await.ok().flatten().is_some_and(|c| {
                        c.status
                            .and_then(|s| s.conditions)
                            .unwrap_or_default()
                            .iter()
                            .any(|c| c.type_ == "Established" && c.status == "True")
                    })
                }
            },
        )
        .await;
        let kind = v["spec"]["names"]["kind"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let api_version = format!(
            "{}/{}",
            v["spec"]["group"].as_str().unwrap_or_default(),
            v["spec"]["versions"][0]["name"]
                .as_str()
                .unwrap_or_default()
        );
        wait_until(
            &format!("{kind} in discovery"),
            Duration::from_secs(60),
            || {
                let (c, a, k) = (client.clone(), api_version.clone(), kind.clone());
                async move { resource(&c, &a, &k).await.is_some() }
            },
        )
        .await;
    }
}

async fn remove_crds(client: &Client) {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let names: Vec<String> = crd_values()
        .iter()
        .filter_map(|v| v["metadata"]["name"].as_str().map(str::to_string))
        .collect();
    for name in &names {
        match api.delete(name, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => panic!("delete CRD {name}: {e}"),
        }
    }
    wait_until("the CRDs to be deleted", Duration::from_secs(90), || {
        let (api, names) = (api.clone(), names.clone());
        async move {
            for n in &names {
                if api.get_opt(n).await.ok().flatten().is_some() {
                    return false;
                }
            }
            true
        }
    })
    .await;
    for group in ["mlops.seldon.io", "kafka.strimzi.io"] {
        wait_until(
            &format!("{group} to leave discovery"),
            Duration::from_secs(60),
            || {
                let c = client.clone();
                async move { kube::discovery::group(&c, group).await.is_err() }
            },
        )
        .await;
    }
}

fn examples() -> PathBuf {
    root().join("examples/cluster")
}

/// The example cluster plus [`EXTRA`], as the tests seed it.
async fn seed_examples(client: &Client, extra: &Path) {
    for v in manifests(&[examples(), extra.to_path_buf()]) {
        apply(client, &v).await;
    }
}

// ------------------------------------------------------------------------------------------------
// tests

#[test]
fn audit_once_reports_exactly_what_lint_finds_in_the_same_manifests() {
    let env = testenv();
    let _guard = cluster_lock();
    let dir = tempfile::tempdir().expect("tempdir");
    let extra = write(dir.path(), "extra.yaml", EXTRA);
    let pods = write(dir.path(), "pods.yaml", SERVER_PODS);
    let probe_dir = dir.path().join("probe");
    std::fs::create_dir_all(&probe_dir).expect("mkdir");
    write(&probe_dir, "live_probe.rego", PROBE);
    runtime().block_on(async {
        let c = client(&env.admin).await;
        reset(&c).await;
        install_crds(&c).await;
        seed_examples(&c, &extra).await;
        for v in manifests(&[pods]) {
            apply(&c, &v).await;
        }
        let model_status = json!({
            "apiVersion": "mlops.seldon.io/v1alpha1", "kind": "Model",
            "metadata": {"name": "llama3", "namespace": "seldon-mesh"},
            "spec": {"storageUri": "gs://models/llama3-8b", "requirements": ["llm", "gpu"], "memory": "40Gi"},
            "status": {"conditions": [{"type": "ModelReady", "status": "False", "message": "ScheduleFailed",
                "reason": "Failed to schedule model as no matching servers are available"}]}
        });
        apply(&c, &model_status).await;
    });

    let offline = placecheck(
        &[
            "lint",
            &examples().to_string_lossy(),
            &extra.to_string_lossy(),
            "--format",
            "json",
        ],
        Path::new("/nonexistent"),
    );
    assert_eq!(offline.code, 1, "{}", offline.stderr);
    let offline = json_findings(&offline);

    let probe = probe_dir.to_string_lossy().to_string();
    let audit = placecheck(
        &["audit", "--once", "--format", "json", "--policy", &probe],
        &env.admin,
    );
    assert_eq!(
        audit.code, 1,
        "errors found, so exit 1; stderr:\n{}",
        audit.stderr
    );
    let all = json_findings(&audit);
    let (probes, live): (Vec<Value>, Vec<Value>) =
        all.into_iter().partition(|f| f["policy"] == "live-probe");

    // Exactly these findings, the same as the files give offline.
    assert_eq!(
        ids(&live),
        [
            "control-plane-exposed Deployment/metrics-exporter",
            "dependency-shares-inference-nodes KafkaNodePool/brokers",
            "gpu-request-invalid Server/triton-gpu",
            "gpu-server-admits-cpu-models Server/triton-gpu",
            "model-unplaceable Model/llama3",
            "model-unplaceable Model/ranking",
            "non-gpu-workload-on-gpu-nodes Deployment/metrics-exporter",
            "placement-drift Model/llama3",
            "server-unschedulable Server/llm-a100",
            "toleration-without-selector Deployment/metrics-exporter",
        ],
        "{:#?}",
        live
    );
    // The files have no status: only the live ScheduleFailed Model gets placement-drift.
    let without_drift: Vec<Value> = live
        .iter()
        .filter(|f| f["policy"] != "placement-drift")
        .cloned()
        .collect();
    assert_eq!(
        essence(&without_drift),
        essence(&offline),
        "live and offline findings differ"
    );
    // Read page by page (two objects per list request): the same findings.
    let paged = placecheck(
        &["audit", "--once", "--format", "json", "--chunk-size", "2"],
        &env.admin,
    );
    assert_eq!(paged.code, 1, "{}", paged.stderr);
    assert_eq!(essence(&json_findings(&paged)), essence(&live));

    // Live findings point at cluster://Kind/ns/name plus the field path, never at a file.
    for f in &live {
        let loc = &f["location"];
        assert!(loc["file"].is_null(), "{f}");
        let r = &f["resource"];
        let want = if r["namespace"] == "" {
            format!(
                "cluster://{}/{}",
                r["kind"].as_str().unwrap_or(""),
                r["name"].as_str().unwrap_or("")
            )
        } else {
            format!(
                "cluster://{}/{}/{}",
                r["kind"].as_str().unwrap_or(""),
                r["namespace"].as_str().unwrap_or(""),
                r["name"].as_str().unwrap_or("")
            )
        };
        assert_eq!(loc["cluster"], want.as_str(), "{f}");
    }
    let llm = live
        .iter()
        .find(|f| f["policy"] == "server-unschedulable")
        .expect("server-unschedulable");
    assert_eq!(
        llm["location"]["cluster"],
        "cluster://Server/seldon-mesh/llm-a100"
    );
    assert_eq!(llm["location"]["path"], "spec.podSpec");

    // servers[].pods and models[].status reach the policies, in audit mode.
    let mut probe_msgs: Vec<String> = probes
        .iter()
        .filter_map(|f| f["message"].as_str().map(str::to_string))
        .collect();
    probe_msgs.sort();
    assert_eq!(
        probe_msgs,
        [
            "audit model state=ScheduleFailed ready=false reason=Failed to schedule model as no matching servers are available",
            "audit pod llm-a100-0 node=null phase=Pending",
            "audit pod mlserver-0 node=cpu-1 phase=Running",
            "audit pod mlserver-1 node=cpu-2 phase=Running",
        ]
    );

    // Every lint format works on live findings; the human one names the cluster location.
    let human = placecheck(&["audit", "--once"], &env.admin);
    assert_eq!(human.code, 1);
    assert!(
        human
            .stdout
            .contains("cluster://Server/seldon-mesh/llm-a100"),
        "{}",
        human.stdout
    );
    let sarif = placecheck(
        &["audit", "--once", "--format", "sarif", "--fail-on", "never"],
        &env.admin,
    );
    assert_eq!(sarif.code, 0, "--fail-on never: {}", sarif.stderr);
    assert!(sarif.stdout.contains("cluster://"), "{}", sarif.stdout);

    // explain --cluster without paths reads the cluster alone.
    let explain = placecheck(
        &["explain", "--cluster", "--server", "llm-a100"],
        &env.admin,
    );
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    assert!(explain.stdout.contains("llm-a100"), "{}", explain.stdout);
    assert!(
        explain.stdout.contains("pool gpu-a100 (2/2 nodes)"),
        "{}",
        explain.stdout
    );

    // Measured: wall time of `audit --once` on this cluster (printed with --nocapture).
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            let r = placecheck(&["audit", "--once", "--format", "json"], &env.admin);
            assert_eq!(r.code, 1);
            r.elapsed
        })
        .collect();
    times.sort();
    eprintln!(
        "audit --once on the seeded cluster ({} findings): min {:?}, median {:?}, max {:?} (debug build)",
        live.len(),
        times[0],
        times[2],
        times[4]
    );
}

#[test]
fn lint_cluster_judges_a_new_manifest_against_the_live_nodes() {
    let env = testenv();
    let _guard = cluster_lock();
    let dir = tempfile::tempdir().expect("tempdir");
    let extra = write(dir.path(), "extra.yaml", EXTRA);
    runtime().block_on(async {
        let c = client(&env.admin).await;
        reset(&c).await;
        install_crds(&c).await;
        seed_examples(&c, &extra).await;
    });

    // A new GPU Server that selects the A100 pool but does not tolerate its taint.
    let new_server = write(
        dir.path(),
        "triton-a100.yaml",
        "# A new Triton Server for the A100 pool.\n\
         apiVersion: mlops.seldon.io/v1alpha1\n\
         kind: Server\n\
         metadata:\n\
         \x20 name: triton-a100\n\
         \x20 namespace: seldon-mesh\n\
         spec:\n\
         \x20 serverConfig: triton\n\
         \x20 podSpec:\n\
         \x20   nodeSelector:\n\
         \x20     pool: gpu-a100\n",
    );
    let file = new_server.to_string_lossy().to_string();
    let run = placecheck(
        &["lint", &file, "--cluster", "--format", "json"],
        &env.admin,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let findings = json_findings(&run);
    assert!(!findings.is_empty());
    for f in &findings {
        assert_eq!(
            f["location"]["file"],
            file.as_str(),
            "only findings on the file are reported: {f}"
        );
    }
    let f = findings
        .iter()
        .find(|f| f["policy"] == "server-unschedulable")
        .expect("server-unschedulable on the file");
    assert_eq!(f["resource"]["name"], "triton-a100");
    assert_eq!(f["location"]["line"], 9, "at `podSpec:`: {f}");
    let msg = f["message"].as_str().unwrap_or("");
    assert!(
        msg.contains("nvidia.com/gpu"),
        "names the live taint: {msg}"
    );
    // Without --cluster there are no Nodes to judge against: no such finding.
    let offline = placecheck(&["lint", &file, "--format", "json"], &env.admin);
    assert!(
        json_findings(&offline)
            .iter()
            .all(|f| f["policy"] != "server-unschedulable"),
        "{}",
        offline.stdout
    );

    // A Model that needs the live llm-a100 Server, whose pods cannot run: unplaceable…
    let model = write(
        dir.path(),
        "llama-70b.yaml",
        "apiVersion: mlops.seldon.io/v1alpha1\nkind: Model\nmetadata:\n  name: llama-70b\n  namespace: seldon-mesh\nspec:\n  storageUri: gs://models/llama-70b\n  requirements: [llm, gpu]\n",
    );
    let model = model.to_string_lossy().to_string();
    let run = placecheck(
        &["lint", &model, "--cluster", "--format", "json"],
        &env.admin,
    );
    assert_eq!(
        ids(&json_findings(&run)),
        ["model-unplaceable Model/llama-70b"],
        "{}",
        run.stdout
    );
    // …until the change also fixes the Server: the file replaces the live llm-a100.
    let fixed = write(
        dir.path(),
        "llm-a100.yaml",
        "apiVersion: mlops.seldon.io/v1alpha1\nkind: Server\nmetadata:\n  name: llm-a100\n  namespace: seldon-mesh\nspec:\n  serverConfig: mlserver-llm\n  capabilities: [llm, huggingface, gpu]\n  podSpec:\n    nodeSelector:\n      pool: gpu-a100\n    tolerations:\n      - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}\n    containers:\n      - name: mlserver\n        resources:\n          requests: {nvidia.com/gpu: 1}\n          limits: {nvidia.com/gpu: 1}\n",
    );
    let fixed = fixed.to_string_lossy().to_string();
    let run = placecheck(
        &["lint", &model, &fixed, "--cluster", "--format", "json"],
        &env.admin,
    );
    let found = json_findings(&run);
    assert!(
        found
            .iter()
            .all(|f| f["policy"] != "model-unplaceable" && f["policy"] != "server-unschedulable"),
        "{found:#?}"
    );
}

#[test]
fn shipped_clusterrole_is_enough_and_one_verb_less_is_a_clear_error() {
    let env = testenv();
    let _guard = cluster_lock();
    let dir = tempfile::tempdir().expect("tempdir");
    let extra = write(dir.path(), "extra.yaml", EXTRA);
    let role = manifests(&[root().join("deploy/clusterrole.yaml")])
        .pop()
        .expect("ClusterRole");
    // Least privilege: read-only on what placecheck reads, Events only to write, no Secrets.
    for rule in role["rules"].as_array().expect("rules") {
        let list = |k: &str| rule[k].as_array().cloned().unwrap_or_default();
        assert!(
            !list("resources")
                .iter()
                .any(|r| r == "secrets" || r == "*" || r == "configmaps"),
            "{rule}"
        );
        assert!(
            !list("verbs")
                .iter()
                .any(|v| v == "*" || v == "delete" || v == "update"),
            "{rule}"
        );
        if list("apiGroups").iter().any(|g| g == "events.k8s.io") {
            assert_eq!(list("verbs"), [json!("create"), json!("patch")]);
        } else {
            assert_eq!(
                list("verbs"),
                [json!("get"), json!("list"), json!("watch")],
                "{rule}"
            );
        }
    }
    let binding = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "placecheck-test-user"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role["metadata"]["name"]},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "placecheck-test"}]
    });
    let rt = runtime();
    let c = rt.block_on(async {
        let c = client(&env.admin).await;
        reset(&c).await;
        install_crds(&c).await;
        seed_examples(&c, &extra).await;
        apply(&c, &role).await;
        apply(&c, &binding).await;
        c
    });
    let admin = placecheck(&["audit", "--once", "--format", "json"], &env.admin);
    assert_eq!(admin.code, 1, "{}", admin.stderr);

    // RBAC changes take effect within a moment: poll.
    let deadline = Instant::now() + Duration::from_secs(20);
    let restricted = loop {
        let r = placecheck(&["audit", "--once", "--format", "json"], &env.restricted);
        if r.code != 2 || Instant::now() > deadline {
            break r;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert_eq!(
        restricted.code, 1,
        "deploy/clusterrole.yaml is enough; stderr:\n{}",
        restricted.stderr
    );
    assert_eq!(
        essence(&json_findings(&restricted)),
        essence(&json_findings(&admin))
    );

    // Take `list` on nodes away (nodes keep get/watch; pods keep everything).
    let mut reduced = role.clone();
    let rules = reduced["rules"].as_array_mut().expect("rules");
    rules.retain(|r| r["apiGroups"] != json!([""]));
    rules.push(json!({"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "watch"]}));
    rules
        .push(json!({"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}));
    rt.block_on(apply(&c, &reduced));
    let want = r#"error: cannot list nodes at cluster scope: RBAC forbids it for user "placecheck-test"; grant get/list/watch on nodes (see deploy/clusterrole.yaml)"#;
    let deadline = Instant::now() + Duration::from_secs(20);
    let denied = loop {
        let r = placecheck(&["audit", "--once"], &env.restricted);
        if r.code == 2 || Instant::now() > deadline {
            break r;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert_eq!(denied.code, 2, "{}", denied.stderr);
    assert_eq!(denied.stderr.trim(), want);
    assert!(
        denied.stdout.is_empty(),
        "no report when the cluster cannot be read: {}",
        denied.stdout
    );

    // Leave the shipped role as it was and the identity without rights.
    rt.block_on(async {
        apply(&c, &role).await;
        let api: Api<DynamicObject> = Api::all_with(
            c.clone(),
            &ApiResource::from_gvk_with_plural(
                &GroupVersionKind::gvk("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"),
                "clusterrolebindings",
            ),
        );
        let _ = api
            .delete("placecheck-test-user", &DeleteParams::default())
            .await;
    });
}

#[test]
fn without_seldon_crds_nodes_and_workloads_are_still_audited() {
    let env = testenv();
    let _guard = cluster_lock();
    let dir = tempfile::tempdir().expect("tempdir");
    let gpu_node = write(
        dir.path(),
        "t4.yaml",
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: gpu-t4-1\n  labels: {pool: gpu-t4, kubernetes.io/hostname: gpu-t4-1}\nstatus:\n  allocatable: {cpu: \"15\", memory: 60Gi, pods: \"110\", nvidia.com/gpu: \"1\"}\n",
    );
    let inputs = [
        examples().join("nodes.yaml"),
        examples().join("workloads.yaml"),
        gpu_node,
    ];
    runtime().block_on(async {
        let c = client(&env.admin).await;
        reset(&c).await;
        remove_crds(&c).await;
        for v in manifests(&inputs) {
            apply(&c, &v).await;
        }
    });
    let run = placecheck(&["audit", "--once", "--format", "json", "-v"], &env.admin);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "not served by the API server: ServerConfig.mlops.seldon.io, Server.mlops.seldon.io"
        ),
        "the missing CRDs are named: {}",
        run.stderr
    );
    let live = json_findings(&run);
    assert_eq!(
        ids(&live),
        [
            "control-plane-exposed Deployment/metrics-exporter",
            "gpu-node-not-tainted Node/gpu-t4-1",
            "non-gpu-workload-on-gpu-nodes Deployment/metrics-exporter",
            "toleration-without-selector Deployment/metrics-exporter",
        ],
        "{live:#?}"
    );
    let args: Vec<String> = inputs
        .iter()
        .map(|p| p.to_string_lossy().to_string())
        .collect();
    let mut lint: Vec<&str> = vec!["lint", "--format", "json"];
    lint.extend(args.iter().map(String::as_str));
    let offline = placecheck(&lint, Path::new("/nonexistent"));
    assert_eq!(essence(&live), essence(&json_findings(&offline)));
}

#[test]
fn unreachable_cluster_names_the_server_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = write(
        dir.path(),
        "kubeconfig",
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\"}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n",
    );
    let run = placecheck(&["audit", "--once"], &kc);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: cannot reach the Kubernetes API server at https://127.0.0.1:1"),
        "{}",
        run.stderr
    );
    let run = placecheck(
        &[
            "lint",
            "--cluster",
            "--kubeconfig",
            &kc.to_string_lossy(),
            &examples().to_string_lossy(),
        ],
        Path::new("/nonexistent"),
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("https://127.0.0.1:1"), "{}", run.stderr);
    let run = placecheck(&["audit"], &kc);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("the continuous auditor is not implemented yet; use --once"),
        "{}",
        run.stderr
    );
    let run = placecheck(&["lint", "--kubeconfig", "x"], &kc);
    assert_eq!(run.code, 2, "--kubeconfig needs --cluster: {}", run.stderr);
}
