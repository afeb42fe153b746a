//! Runs every case transcribed from the Kubernetes unit tests (`testdata/k8s/`, see its README)
//! through the public `placecheck::scheduling` API and compares with upstream's expectation.
//!
//! Scheduling cases: `fits`, `reason` (first reason), `reasons` (full NodeResourcesFit list) and,
//! where given, `expectedPodRequests`. Resource cases also carry the upstream test's original node
//! and the usage of the pods already on it (`originalNode`, `originalNodeUsage`); they are run a
//! second time in that form with `check_with_usage`, and `statusCode` (which refers to the original
//! node) is compared there. `featureGates` cases run with the gate on, and must not fit with it off
//! (the v1.36 default). No case is skipped.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, PodSpec};
use placecheck::quantity::Quantity;
use placecheck::scheduling::{
    Code, FeatureGates, NodeUsage, SchedulingOptions, check, check_with_usage, pod_requests,
};
use serde_json::Value;

fn load(name: &str) -> Vec<Value> {
    let path = format!("{}/testdata/k8s/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn pod_spec(v: &Value) -> Result<PodSpec, String> {
    let mut v = v.clone();
    if let Some(m) = v.as_object_mut() {
        m.entry("containers")
            .or_insert_with(|| Value::Array(vec![]));
    }
    serde_json::from_value(v).map_err(|e| format!("pod does not deserialize: {e}"))
}

fn node(v: &Value) -> Result<Node, String> {
    serde_json::from_value(v.clone()).map_err(|e| format!("node does not deserialize: {e}"))
}

fn quantities(v: &Value) -> Result<BTreeMap<String, Quantity>, String> {
    let mut out = BTreeMap::new();
    for (k, q) in v.as_object().into_iter().flatten() {
        let s = q.as_str().ok_or_else(|| format!("{k}: not a string"))?;
        out.insert(k.clone(), Quantity::parse(s).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

fn show(m: &BTreeMap<String, Quantity>) -> String {
    let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", parts.join(", "))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

/// Compares one scheduling case; returns the disagreements.
fn scheduling_case(case: &Value) -> Result<Vec<String>, String> {
    let mut problems = Vec::new();
    let pod = pod_spec(&case["pod"])?;
    let n = node(&case["node"])?;
    let gate = case["featureGates"]["TaintTolerationComparisonOperators"] == Value::Bool(true);
    let opts = SchedulingOptions {
        gates: FeatureGates {
            taint_toleration_comparison_operators: gate,
        },
        ..Default::default()
    };
    let want_fits = case["fits"].as_bool().ok_or("no `fits`")?;
    let want_reason = case["reason"].as_str().unwrap_or("");
    let got = check(&pod, &n, &opts);
    let (got_fits, got_reasons, got_code) = match &got {
        Ok(()) => (true, vec![], None),
        Err(u) => (false, u.reasons.clone(), Some(u.code)),
    };
    let got_reason = got_reasons.first().map_or("", String::as_str);
    if got_fits != want_fits || got_reason != want_reason {
        problems.push(format!(
            "expected fits={want_fits} reason={want_reason:?}, got fits={got_fits} reason={got_reason:?}{}",
            got.as_ref()
                .err()
                .map(|u| format!(" ({}: {})", u.plugin, u.detail))
                .unwrap_or_default()
        ));
    }
    if case.get("reasons").is_some() {
        let want = strings(&case["reasons"]);
        if want != got_reasons {
            problems.push(format!("expected reasons {want:?}, got {got_reasons:?}"));
        }
    }
    if gate && check(&pod, &n, &SchedulingOptions::default()).is_ok() {
        // With the gate off (the v1.36 default) Lt/Gt tolerations never match.
        problems.push("fits with TaintTolerationComparisonOperators off".to_string());
    }
    let want_code = case["statusCode"].as_str();
    if let Some(orig) = case.get("originalNode") {
        // The upstream test's own node, with the pods it already ran.
        let usage_v = &case["originalNodeUsage"];
        let usage = NodeUsage {
            pod_count: usage_v["podCount"].as_u64().unwrap_or(0) as usize,
            requested: quantities(&usage_v["requested"])?,
        };
        let on_orig = check_with_usage(&pod, &node(orig)?, &usage, &opts);
        let (fits, reasons, code) = match &on_orig {
            Ok(()) => (true, vec![], None),
            Err(u) => (false, u.reasons.clone(), Some(u.code)),
        };
        let want_reasons = if case.get("reasons").is_some() {
            strings(&case["reasons"])
        } else {
            got_reasons.clone()
        };
        if fits != want_fits || reasons != want_reasons {
            problems.push(format!(
                "on the original node with usage: expected fits={want_fits} reasons={want_reasons:?}, got fits={fits} reasons={reasons:?}"
            ));
        }
        if let Some(w) = want_code {
            let got = code.map(code_name).unwrap_or("Success");
            if got != w {
                problems.push(format!(
                    "on the original node: expected statusCode {w}, got {got}"
                ));
            }
        }
    } else if let Some(w) = want_code {
        let got = got_code.map(code_name).unwrap_or("Success");
        if got != w {
            problems.push(format!("expected statusCode {w}, got {got}"));
        }
    }
    if let Some(want) = case.get("expectedPodRequests") {
        let want = quantities(want)?;
        let got = pod_requests(&pod);
        if want != got {
            problems.push(format!(
                "expected pod requests {}, got {}",
                show(&want),
                show(&got)
            ));
        }
    }
    Ok(problems)
}

fn code_name(c: Code) -> &'static str {
    match c {
        Code::Unschedulable => "Unschedulable",
        Code::UnschedulableAndUnresolvable => "UnschedulableAndUnresolvable",
    }
}

fn requests_case(case: &Value) -> Result<Vec<String>, String> {
    let pod = pod_spec(&case["pod"])?;
    let want = quantities(&case["expectedRequests"])?;
    let got = pod_requests(&pod);
    Ok(if want == got {
        vec![]
    } else {
        vec![format!("expected {}, got {}", show(&want), show(&got))]
    })
}

fn run(file: &str, f: fn(&Value) -> Result<Vec<String>, String>) -> (usize, Vec<String>) {
    let cases = load(file);
    let mut failures = Vec::new();
    for case in &cases {
        let id = &case["id"];
        let name = case["name"].as_str().unwrap_or("");
        let problems = f(case).unwrap_or_else(|e| vec![e]);
        for p in problems {
            failures.push(format!("{file} #{id} ({name}): {p}"));
        }
    }
    (cases.len(), failures)
}

#[test]
fn kubernetes_cases_agree() {
    let mut all_failures = Vec::new();
    for (file, f) in [
        (
            "k8s-scheduling-cases.json",
            scheduling_case as fn(&Value) -> Result<Vec<String>, String>,
        ),
        ("k8s-pod-requests-cases.json", requests_case),
    ] {
        let (n, failures) = run(file, f);
        let failing_ids: std::collections::BTreeSet<&str> = failures
            .iter()
            .filter_map(|l| l.split(" (").next())
            .collect();
        println!(
            "{file}: {n} cases, {} agree",
            n.saturating_sub(failing_ids.len())
        );
        all_failures.extend(failures);
    }
    if !all_failures.is_empty() {
        for f in &all_failures {
            println!("DISAGREE {f}");
        }
        panic!("{} disagreement(s), listed above", all_failures.len());
    }
}
