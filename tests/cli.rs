//! The real binary: exit codes, inputs, configuration, exemptions, user policies, output.

use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_placecheck"));
    c.env_remove("NO_COLOR").env("PLACECHECK_LOG", "off");
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    bin().current_dir(dir).args(args).output().expect("run placecheck")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const NODES: &str = "\
apiVersion: v1
kind: Node
metadata:
  name: gpu-1
  labels: {pool: gpu}
spec:
  taints:
    - {key: nvidia.com/gpu, value: present, effect: NoSchedule}
status:
  allocatable: {cpu: \"8\", memory: 64Gi, pods: \"110\", nvidia.com/gpu: \"4\"}
---
apiVersion: v1
kind: Node
metadata:
  name: cpu-1
  labels: {pool: cpu}
status:
  allocatable: {cpu: \"8\", memory: 32Gi, pods: \"110\"}
";

/// A Server that selects the GPU pool without tolerating its taint: server-unschedulable.
const BAD_SERVER: &str = "\
apiVersion: mlops.seldon.io/v1alpha1
kind: Server
metadata:
  name: gpu-server
  namespace: seldon-mesh
spec:
  serverConfig: mlserver
  podSpec:
    nodeSelector:
      pool: gpu
";

const GOOD_SERVER: &str = "\
apiVersion: mlops.seldon.io/v1alpha1
kind: Server
metadata:
  name: cpu-server
  namespace: seldon-mesh
spec:
  serverConfig: mlserver
  podSpec:
    nodeSelector:
      pool: cpu
";

const MODEL: &str = "\
apiVersion: mlops.seldon.io/v1alpha1
kind: Model
metadata:
  name: iris
  namespace: seldon-mesh
spec:
  storageUri: gs://models/iris
  requirements: [sklearn]
";

fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (n, t) in files {
        write(d.path(), n, t);
    }
    d
}

#[test]
fn clean_repository_exits_0() {
    let d = repo(&[("nodes.yaml", NODES), ("server.yaml", GOOD_SERVER), ("model.yaml", MODEL)]);
    let o = run(d.path(), &["lint", "."]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("no findings in 3 files"), "{}", stdout(&o));
}

#[test]
fn error_finding_exits_1_and_points_at_the_line() {
    let d = repo(&[("nodes.yaml", NODES), ("server.yaml", BAD_SERVER)]);
    let o = run(d.path(), &["lint", ".", "--color", "never"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("error[server-unschedulable]"), "{out}");
    assert!(out.contains("--> ./server.yaml:8:3") || out.contains("--> server.yaml:8:3"), "{out}");
}

#[test]
fn tool_failures_exit_2() {
    let d = repo(&[("model.yaml", MODEL)]);
    let o = run(d.path(), &["lint", "does-not-exist"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does-not-exist"), "{}", stderr(&o));
    let o = run(d.path(), &["lint", ".", "--format", "yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown format"), "{}", stderr(&o));
    let o = run(d.path(), &["lint", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn stdin_is_read_with_dash() {
    let o = bin()
        .args(["lint", "-", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(format!("{NODES}---\n{BAD_SERVER}").as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!(f["policy"], "server-unschedulable");
    assert_eq!(f["location"]["file"], "<stdin>");
    assert_eq!(f["location"]["line"], 27, "spec.podSpec of the Server, counted through the stream");
}

#[test]
fn context_files_inform_but_are_not_reported() {
    // The broken Server is context; only the named (clean) file is reported.
    let d = repo(&[("cluster/nodes.yaml", NODES), ("cluster/bad.yaml", BAD_SERVER), ("server.yaml", GOOD_SERVER)]);
    let o = run(d.path(), &["lint", "server.yaml", "--context", "cluster"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // Without the Nodes as context, node-dependent policies stay silent; with them the named
    // bad file is judged against the context Nodes.
    let o = run(d.path(), &["lint", "cluster/bad.yaml", "--context", "cluster/nodes.yaml", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["files"], 1);
    assert!(v["findings"].as_array().unwrap().iter().all(|f| f["location"]["file"] == "cluster/bad.yaml"));
}

#[test]
fn fail_on_sets_the_threshold() {
    // toleration-without-selector is a warning.
    let server = "\
apiVersion: mlops.seldon.io/v1alpha1
kind: Server
metadata: {name: tol, namespace: seldon-mesh}
spec:
  serverConfig: mlserver
  podSpec:
    tolerations:
      - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
";
    let d = repo(&[("nodes.yaml", NODES), ("server.yaml", server)]);
    let o = run(d.path(), &["lint", ".", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["errors"], 0, "{v}");
    assert!(v["summary"]["warnings"].as_u64().unwrap() >= 1, "{v}");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(run(d.path(), &["lint", ".", "--fail-on", "warning"]).status.code(), Some(1));
    assert_eq!(run(d.path(), &["lint", ".", "--fail-on", "never"]).status.code(), Some(0));
}

#[test]
fn config_errors_name_the_key_and_line() {
    let d = repo(&[("model.yaml", MODEL), (".placecheck.yaml", "policies:\n  disable: []\n  disabel: [x]\n")]);
    let o = run(d.path(), &["lint", "."]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains(".placecheck.yaml:3:"), "{err}");
    assert!(err.contains("disabel"), "{err}");
}

#[test]
fn config_disables_and_overrides_severity() {
    let d = repo(&[("nodes.yaml", NODES), ("server.yaml", BAD_SERVER)]);
    write(d.path(), ".placecheck.yaml", "policies:\n  severity: {server-unschedulable: warning}\n");
    let o = run(d.path(), &["lint", ".", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["findings"][0]["severity"], "warning");
    write(d.path(), ".placecheck.yaml", "policies:\n  disable: [server-unschedulable]\n");
    let o = run(d.path(), &["lint", ".", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 0, "{v}");
}

#[test]
fn exemptions_apply_until_they_expire() {
    let d = repo(&[("nodes.yaml", NODES), ("server.yaml", BAD_SERVER)]);
    write(
        d.path(),
        ".placecheck.yaml",
        "exemptions:\n  - policy: server-unschedulable\n    resources: [{kind: Server, name: \"gpu-*\"}]\n    reason: GPU pool being rebuilt\n    expires: 2999-01-01\n",
    );
    let o = run(d.path(), &["lint", ".", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["exempted"], 1);
    assert_eq!(v["exempted"][0]["exemption"]["reason"], "GPU pool being rebuilt");
    let o = run(d.path(), &["lint", ".", "-v", "--color", "never"]);
    assert!(stdout(&o).contains("GPU pool being rebuilt"), "{}", stdout(&o));

    write(
        d.path(),
        ".placecheck.yaml",
        "exemptions:\n  - policy: server-unschedulable\n    reason: GPU pool being rebuilt\n    expires: 2020-01-01\n",
    );
    let o = run(d.path(), &["lint", ".", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let notes = v["findings"][0]["notes"].to_string();
    assert!(notes.contains("expired on 2020-01-01"), "{v}");
}

#[test]
fn annotations_exempt_unless_disabled() {
    let server = BAD_SERVER.replace(
        "  namespace: seldon-mesh\n",
        "  namespace: seldon-mesh\n  annotations:\n    placecheck.io/ignore: \"server-unschedulable\"\n    placecheck.io/ignore-reason: waiting for GPU quota\n",
    );
    let d = repo(&[("nodes.yaml", NODES), ("server.yaml", &server)]);
    let o = run(d.path(), &["lint", ".", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["exempted"][0]["exemption"]["reason"], "waiting for GPU quota");
    let o = run(d.path(), &["lint", ".", "--no-annotation-exemptions"]);
    assert_eq!(o.status.code(), Some(1));
}

const USER_POLICY: &str = "\
package placecheck.policies.models_need_memory

import rego.v1

meta := {
  \"id\": \"models-need-memory\",
  \"severity\": \"warning\",
  \"title\": \"Models declare memory\",
  \"description\": \"Without spec.memory Seldon assumes 0 bytes.\",
  \"remediation\": \"Set spec.memory.\",
}

violation contains v if {
  some m in input.models
  not m.object.spec.memory
  v := {\"msg\": sprintf(\"Model %s declares no memory\", [m.ref.name]), \"resource\": m.ref, \"path\": \"spec\"}
}
";

#[test]
fn user_policy_directory_is_loaded() {
    let d = repo(&[("model.yaml", MODEL), ("rules/memory.rego", USER_POLICY)]);
    let o = run(d.path(), &["lint", "model.yaml", "--policy", "rules", "--format", "json", "--fail-on", "warning"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["findings"][0]["policy"], "models-need-memory");
    assert_eq!(v["findings"][0]["location"]["line"], 6);
    // The same through the configuration file.
    write(d.path(), ".placecheck.yaml", "policies:\n  paths: [rules]\n");
    let o = run(d.path(), &["policies"]);
    assert!(stdout(&o).contains("models-need-memory"), "{}", stdout(&o));
}

#[test]
fn broken_user_policy_exits_2_with_its_location() {
    let d = repo(&[("model.yaml", MODEL), ("rules/bad.rego", "package placecheck.policies.bad\nimport rego.v1\nmeta := {\"id\": \"bad\"}\nviolation contains v if {\n  v := x +* 2\n}\n")]);
    let o = run(d.path(), &["lint", ".", "--policy", "rules"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("rules/bad.rego:5:"), "{err}");
}

#[test]
fn runaway_user_policy_becomes_an_error_finding() {
    let runaway = "\
package placecheck.policies.runaway
import rego.v1
meta := {\"id\": \"runaway\", \"severity\": \"warning\", \"title\": \"t\", \"description\": \"d\", \"remediation\": \"r.\"}
violation contains v if {
  some i in numbers.range(1, 100000000)
  i < 0
  v := {\"msg\": \"never\"}
}
";
    let d = repo(&[("model.yaml", MODEL), ("rules/runaway.rego", runaway)]);
    let start = std::time::Instant::now();
    let o = run(d.path(), &["lint", ".", "--policy", "rules", "--policy-timeout", "0.5", "--format", "json"]);
    assert!(start.elapsed().as_secs() < 60, "the time limit did not stop the policy");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = v["findings"].as_array().unwrap().iter().find(|f| f["policy"] == "runaway").expect("a finding for the runaway policy");
    assert_eq!(f["severity"], "error");
    assert!(f["message"].as_str().unwrap().contains("could not be evaluated"), "{f}");
}

#[test]
fn broken_files_do_not_hide_the_others() {
    let d = repo(&[("nodes.yaml", NODES), ("server.yaml", BAD_SERVER), ("broken.yaml", "a: [1, 2\nb: 3\n"), ("empty.yaml", "")]);
    let o = run(d.path(), &["lint", ".", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let policies: Vec<&str> = v["findings"].as_array().unwrap().iter().map(|f| f["policy"].as_str().unwrap()).collect();
    assert!(policies.contains(&"invalid-manifest"), "{policies:?}");
    assert!(policies.contains(&"server-unschedulable"), "{policies:?}");
}

#[test]
fn explain_answers_why_per_pool() {
    let d = repo(&[("nodes.yaml", NODES), ("server.yaml", BAD_SERVER)]);
    let o = run(d.path(), &["explain", ".", "--server", "gpu-server", "--color", "never"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("fits none of 2 nodes"), "{out}");
    assert!(out.contains("pool gpu (1/1 nodes): node(s) had untolerated taint(s)"), "{out}");
    assert!(out.contains("pool cpu (1/1 nodes): node(s) didn't match Pod's node affinity/selector"), "{out}");
    let o = run(d.path(), &["explain", ".", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["servers"][0]["ref"]["name"], "gpu-server");
    assert_eq!(v["servers"][0]["placement"]["nodes"].as_array().unwrap().len(), 0);
    assert_eq!(v["servers"][0]["placement"]["rejected"].as_array().unwrap().len(), 2);
}

#[test]
fn init_writes_a_config_that_loads() {
    let d = repo(&[("model.yaml", MODEL)]);
    assert_eq!(run(d.path(), &["init"]).status.code(), Some(0));
    assert!(d.path().join(".placecheck.yaml").is_file());
    assert_eq!(run(d.path(), &["init"]).status.code(), Some(2), "refuses to overwrite");
    assert_eq!(run(d.path(), &["lint", "."]).status.code(), Some(0));
}

#[test]
fn policies_show_prints_the_documentation() {
    let d = tempfile::tempdir().unwrap();
    let o = run(d.path(), &["policies", "show", "model-unplaceable"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("# model-unplaceable"));
    assert_eq!(run(d.path(), &["policies", "show", "nope"]).status.code(), Some(2));
}

#[test]
fn human_and_json_output_of_the_example_are_stable() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = run(root, &["lint", "examples/cluster", "--color", "never"]);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("example_human", stdout(&o));
    let o = run(root, &["lint", "examples/cluster", "--format", "json"]);
    insta::assert_snapshot!("example_json", stdout(&o));
}
