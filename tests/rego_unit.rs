//! Runs the Rego unit tests of the built-in catalog (`policies/**/*_test.rego`, rules `test_*`)
//! and checks every policy module's `meta`.
//!
//! regorus reports unsafe variables, unknown functions and rule conflicts only at the first
//! evaluation, so this test evaluates every module: each `test_*` rule, each policy's `meta`, and
//! each policy's `violation` set over an empty inventory.
//!
//! The three Rust extensions (`placecheck.tolerates`, `placecheck.matches_node`,
//! `placecheck.quantity`) are registered as small stand-ins here; the real ones live in the
//! `policy` module. The policies reach them only through `policies/lib/k8s.rego`, whose wrappers
//! the Rego tests replace with pure-Rego doubles (`with k8s.tolerates as k8s.tolerates_rego`),
//! because regorus' `with` cannot target an extension.

use std::fs;
use std::path::{Path, PathBuf};

use regorus::{Engine, Value};
use serde_json::{Value as Json, json};

fn policy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")
}

/// Every `.rego` file under `policies/`, sorted, as (path, is_test).
fn rego_files() -> Vec<(PathBuf, bool)> {
    let mut out = Vec::new();
    let mut dirs = vec![policy_dir()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("read policies/") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rego") {
                let is_test = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .is_some_and(|s| s.ends_with("_test"));
                out.push((path, is_test));
            }
        }
    }
    out.sort();
    out
}

/// Names of the `test_*` rules a module declares (a rule head starts a line).
fn test_rules(src: &str) -> Vec<String> {
    let mut names: Vec<String> = src
        .lines()
        .filter(|l| l.starts_with("test_"))
        .filter_map(|l| {
            let end = l.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
            Some(l[..end].to_string())
        })
        .collect();
    names.dedup();
    names
}

fn to_json(v: &Value) -> Json {
    serde_json::to_value(v).expect("regorus value to JSON")
}

fn str_field<'a>(v: &'a Json, k: &str) -> &'a str {
    v.get(k).and_then(Json::as_str).unwrap_or("")
}

/// kube-scheduler's ToleratesTaint with the comparison-operator gate off (scheduling.md §2.1).
fn tolerates(tolerations: &Json, taint: &Json) -> bool {
    tolerations.as_array().into_iter().flatten().any(|t| {
        let (effect, key) = (str_field(t, "effect"), str_field(t, "key"));
        (effect.is_empty() || effect == str_field(taint, "effect"))
            && (key.is_empty() || key == str_field(taint, "key"))
            && match str_field(t, "operator") {
                "" | "Equal" => str_field(t, "value") == str_field(taint, "value"),
                "Exists" => true,
                _ => false,
            }
    })
}

/// `nodeSelector` only: enough for a stand-in (required affinity is the Rust side's job).
fn matches_node(pod_spec: &Json, node: &Json) -> bool {
    let labels = &node["metadata"]["labels"];
    pod_spec["nodeSelector"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v))
}

/// Decimal and binary suffixes and milli; enough for a stand-in.
fn quantity(q: &Json) -> anyhow::Result<f64> {
    if let Some(n) = q.as_f64() {
        return Ok(n);
    }
    let s = q
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("quantity: not a string"))?;
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let scale = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => anyhow::bail!("quantity: unknown suffix in {s:?}"),
    };
    Ok(num.parse::<f64>()? * scale)
}

fn engine() -> Engine {
    let mut e = Engine::new();
    e.set_gather_prints(true);
    e.add_extension(
        "placecheck.tolerates".into(),
        2,
        Box::new(|a: Vec<Value>| Ok(Value::from(tolerates(&to_json(&a[0]), &to_json(&a[1]))))),
    )
    .expect("register placecheck.tolerates");
    e.add_extension(
        "placecheck.matches_node".into(),
        2,
        Box::new(|a: Vec<Value>| Ok(Value::from(matches_node(&to_json(&a[0]), &to_json(&a[1]))))),
    )
    .expect("register placecheck.matches_node");
    e.add_extension(
        "placecheck.quantity".into(),
        1,
        Box::new(|a: Vec<Value>| Ok(Value::from(quantity(&to_json(&a[0]))?))),
    )
    .expect("register placecheck.quantity");
    e
}

/// An inventory with nothing in it: every policy must evaluate (and find nothing).
fn empty_input() -> Value {
    Value::from(json!({
        "version": 1, "mode": "lint",
        "nodesKnown": false, "serversKnown": false, "serverConfigsKnown": false,
        "objects": [], "nodes": [], "nodePools": [], "serverConfigs": [], "servers": [],
        "models": [], "workloads": [],
        "config": {
            "gpuResources": ["nvidia.com/gpu", "amd.com/gpu"],
            "gpuNodeLabels": ["nvidia.com/gpu.present", "cloud.google.com/gke-accelerator"],
            "gpuCapabilities": ["gpu", "model-on-gpu"],
            "dedicatedTaints": ["dedicated"],
            "criticalModels": {"matchLabels": {"placecheck.io/tier": "critical"}},
            "dependencies": [{"kind": "Kafka"}, {"kind": "KafkaNodePool"}],
            "seldonNamespace": "seldon-mesh",
            "controlPlaneTaints": ["node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master"]
        }
    }))
}

fn check_meta(stem: &str, meta: &Json) -> Vec<String> {
    let mut problems = Vec::new();
    let want_id = stem.replace('_', "-");
    if str_field(meta, "id") != want_id {
        problems.push(format!("meta.id is {:?}, want {want_id:?}", meta.get("id")));
    }
    if !["error", "warning", "info"].contains(&str_field(meta, "severity")) {
        problems.push(format!(
            "meta.severity {:?} is not error|warning|info",
            meta.get("severity")
        ));
    }
    for field in ["title", "description", "remediation"] {
        if str_field(meta, field).trim().is_empty() {
            problems.push(format!("meta.{field} is missing or empty"));
        }
    }
    if !str_field(meta, "remediation").ends_with('.') {
        problems.push("meta.remediation must end with a period".into());
    }
    if !meta.get("kinds").is_some_and(Json::is_array) {
        problems.push("meta.kinds must be a list of kinds".into());
    }
    problems
}

#[test]
fn rego_unit_tests_and_meta() {
    let mut e = engine();
    let mut tests: Vec<(String, String)> = Vec::new(); // (display name, rule path)
    let mut policies: Vec<(String, String)> = Vec::new(); // (file stem, package)
    for (path, is_test) in rego_files() {
        let src = fs::read_to_string(&path).expect("read policy");
        let shown = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&path)
            .display()
            .to_string();
        let package = e
            .add_policy(shown.clone(), src.clone())
            .unwrap_or_else(|err| panic!("{shown} does not parse:\n{err}"));
        if is_test {
            for rule in test_rules(&src) {
                tests.push((format!("{package}.{rule}"), format!("{package}.{rule}")));
            }
        } else if package.starts_with("data.placecheck.policies.") {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            policies.push((stem.to_string(), package));
        }
    }
    assert!(!policies.is_empty(), "no policies found under policies/");
    assert!(!tests.is_empty(), "no test_* rules found under policies/");

    // A semantic error anywhere fails every evaluation: report it once.
    e.set_input(empty_input());
    if let Err(err) = e.eval_rule(format!("{}.meta", policies[0].1)) {
        panic!("the policies do not compile:\n{err}");
    }

    let mut failures = Vec::new();
    for (stem, package) in &policies {
        let want = format!("data.placecheck.policies.{stem}");
        if *package != want {
            failures.push(format!("{stem}.rego: package is {package}, want {want}"));
        }
        e.set_input(empty_input());
        match e.eval_rule(format!("{package}.meta")) {
            Ok(meta) => failures.extend(
                check_meta(stem, &to_json(&meta))
                    .into_iter()
                    .map(|p| format!("{stem}.rego: {p}")),
            ),
            Err(err) => failures.push(format!("{stem}.rego: meta does not evaluate:\n{err}")),
        }
        match e.eval_rule(format!("{package}.violation")) {
            Ok(v) if to_json(&v) == json!([]) => {}
            Ok(v) => failures.push(format!(
                "{stem}.rego: violations over an empty inventory: {}",
                to_json(&v)
            )),
            Err(err) => failures.push(format!("{stem}.rego: violation does not evaluate:\n{err}")),
        }
    }

    let mut passed = 0;
    for (name, rule) in &tests {
        e.set_input(Value::new_object());
        let outcome = e.eval_rule(rule.clone());
        // `print(…)` output of a failing test helps; a passing test's is dropped.
        let prints = e.take_prints().unwrap_or_default();
        let prints = if prints.is_empty() {
            String::new()
        } else {
            format!("\n    {}", prints.join("\n    "))
        };
        match outcome {
            Ok(Value::Bool(true)) => passed += 1,
            Ok(Value::Undefined) => failures.push(format!("FAIL {name}: undefined{prints}")),
            Ok(other) => failures.push(format!("FAIL {name}: {}{prints}", to_json(&other))),
            Err(err) => failures.push(format!("ERROR {name}:\n{err}{prints}")),
        }
    }
    eprintln!(
        "rego: {passed}/{} tests passed, {} policies checked",
        tests.len(),
        policies.len()
    );
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A fleet in the docs/input.md shape: 5,000 Nodes in 20 pools, 2,000 Servers, 50,000 Models.
/// Not a benchmark (debug build, stand-in extensions): a guard against quadratic policies.
/// `cargo test --test rego_unit -- --ignored --nocapture`
fn fleet() -> Json {
    let pools: Vec<Json> = (0..20)
        .map(|p| {
            let gpu = p < 4;
            let taints = if gpu {
                json!([{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}])
            } else if p < 6 {
                json!([{"key": "dedicated", "value": "critical", "effect": "NoSchedule"}])
            } else {
                json!([])
            };
            json!({"id": format!("pool-{p}"), "nodes": (0..250).map(|i| format!("n-{p}-{i}")).collect::<Vec<_>>(),
                   "size": 250, "labels": {"pool": format!("pool-{p}")}, "taints": taints, "allocatable": {},
                   "unschedulable": false, "gpu": gpu, "controlPlane": false, "dedicated": (4..6).contains(&p)})
        })
        .collect();
    let nodes: Vec<Json> = pools
        .iter()
        .flat_map(|p| {
            let p = p.clone();
            (0..250).map(move |i| {
                let name = format!("{}-{i}", p["id"].as_str().unwrap_or_default().replace("pool", "n"));
                let taints: Vec<Json> = p["taints"].as_array().into_iter().flatten().enumerate()
                    .map(|(k, t)| { let mut t = t.clone(); t["index"] = json!(k); t }).collect();
                json!({"ref": {"apiVersion": "v1", "kind": "Node", "namespace": "", "name": name},
                       "object": {}, "name": name, "labels": p["labels"], "taints": taints,
                       "allocatable": {"nvidia.com/gpu": "4"}, "allocatableKnown": true, "unschedulable": false,
                       "pool": p["id"], "gpus": if p["gpu"] == json!(true) { json!({"nvidia.com/gpu": 4}) } else { json!({}) },
                       "gpu": p["gpu"], "controlPlane": false, "dedicated": p["dedicated"]})
            })
        })
        .collect();
    let servers: Vec<Json> = (0..2000)
        .map(|s| {
            let pool = s % 20;
            let gpu = pool < 4;
            let name = format!("srv-{s}");
            let tol = if gpu {
                json!([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule",
                        "origin": {"resource": {"apiVersion": "mlops.seldon.io/v1alpha1", "kind": "Server", "namespace": "seldon-mesh", "name": name}, "path": "spec.podSpec.tolerations[0]"}}])
            } else {
                json!([])
            };
            let fits: Vec<String> = (0..250).map(|i| format!("n-{pool}-{i}")).collect();
            json!({"ref": {"apiVersion": "mlops.seldon.io/v1alpha1", "kind": "Server", "namespace": "seldon-mesh", "name": name},
                   "object": {"spec": {"serverConfig": "mlserver"}},
                   "serverConfig": {"name": "mlserver", "known": true, "builtin": true, "ref": null},
                   "podSpec": {"containers": [{"name": "mlserver", "resources": {"requests": {"memory": "1Gi"}}}]},
                   "origins": {}, "tolerations": tol, "nodeSelector": {"pool": format!("pool-{pool}")}, "requiredTerms": [],
                   "hasSelector": s % 7 != 0, "capabilities": ["mlserver", "sklearn", format!("cap-{}", s % 50)],
                   "capabilitiesOrigin": null, "replicas": 2, "minReplicas": 0, "maxReplicas": 0, "memoryBytes": 1181116006,
                   "gpu": if gpu && s % 3 != 0 { json!({"resource": "nvidia.com/gpu", "count": 1, "origin": null}) } else { Json::Null },
                   "requests": {}, "labels": {}, "ignoredFields": [],
                   "placement": {"nodesKnown": true, "nodes": fits, "pools": [format!("pool-{pool}")], "rejected": [],
                                 "rejectedPools": [], "message": "", "resourcesChecked": true, "oneReplicaPerNode": false},
                   "pods": []})
        })
        .collect();
    let models: Vec<Json> = (0..50_000)
        .map(|m| {
            let name = format!("model-{m}");
            let cands: Vec<String> = if m % 97 == 0 { vec![] } else { (0..3).map(|k| format!("srv-{}", (m * 7 + k * 50) % 2000)).collect() };
            let labels = if m % 500 == 0 { json!({"placecheck.io/tier": "critical"}) } else { json!({}) };
            json!({"ref": {"apiVersion": "mlops.seldon.io/v1alpha1", "kind": "Model", "namespace": "seldon-mesh", "name": name},
                   "object": {"metadata": {"labels": labels}, "spec": {"requirements": ["sklearn"]}},
                   "requirements": if m % 5 == 0 { json!(["sklearn", "gpu"]) } else { json!(["sklearn"]) },
                   "requirementOrigins": ["spec.requirements[0]"], "memoryBytes": 0, "replicas": 1, "minReplicas": 0,
                   "maxReplicas": 0, "server": null, "explainer": false,
                   "placement": {"serversKnown": true, "servers": cands,
                                 "rejected": [{"server": "srv-1", "reasons": ["lacks capability \"x\""], "codes": ["missing-capabilities"], "missing": ["x"]}],
                                 "closest": {"server": "srv-1", "reasons": ["lacks capability \"x\""], "codes": ["missing-capabilities"], "missing": ["x"]},
                                 "nodes": []}})
        })
        .collect();
    let mut input = to_json(&empty_input());
    input["nodesKnown"] = json!(true);
    input["serversKnown"] = json!(true);
    input["nodes"] = json!(nodes);
    input["nodePools"] = json!(pools);
    input["servers"] = json!(servers);
    input["models"] = json!(models);
    input
}

#[test]
#[ignore = "slow in debug builds; run explicitly"]
fn fleet_evaluates_without_quadratic_blowup() {
    let mut e = engine();
    for (path, is_test) in rego_files() {
        if !is_test {
            let src = fs::read_to_string(&path).expect("read policy");
            e.add_policy(path.display().to_string(), src)
                .expect("parse");
        }
    }
    let input = Value::from(fleet());
    let mut total = std::time::Duration::ZERO;
    for pkg in e.get_packages().expect("packages") {
        if !pkg.starts_with("data.placecheck.policies.") {
            continue;
        }
        e.set_input(input.clone());
        let start = std::time::Instant::now();
        let v = e.eval_rule(format!("{pkg}.violation")).expect("eval");
        let took = start.elapsed();
        total += took;
        let n = to_json(&v).as_array().map_or(0, Vec::len);
        eprintln!("{took:>12.3?}  {n:>6} findings  {pkg}");
    }
    eprintln!("{total:>12.3?}  total");
    // Rules named in PLACECHECK_RULES (comma-separated) are timed on their own.
    for rule in std::env::var("PLACECHECK_RULES")
        .unwrap_or_default()
        .split(',')
        .filter(|r| !r.is_empty())
    {
        e.set_input(input.clone());
        let start = std::time::Instant::now();
        let v = e.eval_rule(rule.to_string()).expect("eval");
        let n = to_json(&v).as_array().map_or(0, Vec::len);
        eprintln!("{:>12.3?}  {n:>6}  {rule}", start.elapsed());
    }
}
