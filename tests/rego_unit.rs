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
