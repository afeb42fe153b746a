//! Every output format over hand-built reports: snapshots (`tests/snapshots/`), the official
//! SARIF 2.1.0 schema, a JUnit XSD (via `xmllint`, Debian package `libxml2-utils`), and the
//! invariants the consumers rely on (GitHub's "every result has an artifact URI", JUnit counts).
//!
//! Three scenarios: `errors` (errors and warnings with related locations, an exemption, a live
//! `cluster://` finding, a finding whose policy is not in the policy list, and hostile strings in
//! messages and file names), `warnings` (a warnings-only run) and `clean` (no findings).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use clap::ValueEnum;
use placecheck::finding::{self, Exemption, Finding, Location, Related, Severity};
use placecheck::inventory::ObjectRef;
use placecheck::report::{
    Format, FormatTarget, FormatTargetError, PolicyInfo, Report, ReportOptions, Stats,
};

/// A message that tries every escaping rule at once: format strings, workflow-command and XML
/// metacharacters, quotes, unicode, a newline and a terminal escape.
const HOSTILE: &str =
    "100% broken: a, b::c <tag> & \"double\" 'single' — ünïcödé ✓\nsecond line \u{1b}[31mred";
const HOSTILE_FILE: &str = "deploy/wëird %20 a:b,c <&\"'>.yaml";

fn obj(kind: &str, ns: &str, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: if kind == "Node" {
            "v1".into()
        } else {
            "mlops.seldon.io/v1alpha1".into()
        },
        kind: kind.into(),
        namespace: ns.into(),
        name: name.into(),
    }
}

fn at(file: &str, line: u32, column: u32, path: &str) -> Location {
    Location {
        file: Some(file.into()),
        line: Some(line),
        column: Some(column),
        document: Some(0),
        cluster: None,
        path: Some(path.into()),
    }
}

fn finding(
    policy: &str,
    severity: Severity,
    message: &str,
    resource: Option<ObjectRef>,
    location: Location,
) -> Finding {
    Finding {
        policy: policy.into(),
        severity,
        message: message.into(),
        resource,
        location,
        related: vec![],
        remediation: None,
        exemption: None,
        notes: vec![],
    }
}

fn policy(id: &str, severity: Severity, title: &str, help_uri: &str) -> PolicyInfo {
    PolicyInfo {
        id: id.into(),
        severity,
        title: title.into(),
        description: format!("{title}. Long description of {id}."),
        remediation: format!("Fix {id}."),
        source: "builtin".into(),
        help_uri: help_uri.into(),
    }
}

const MODELS: &str = "\
apiVersion: mlops.seldon.io/v1alpha1
kind: Model
metadata:
  name: small
  namespace: seldon-mesh
spec:
  storageUri: gs://models/small
---
apiVersion: mlops.seldon.io/v1alpha1
kind: Model
metadata:
  name: llm
  namespace: seldon-mesh
spec:
  storageUri: gs://models/llm
  requirements:
    - gpu
";

const NODES: &str = "\
apiVersion: v1
kind: Node
metadata:
  name: gpu-1
spec:
  taints:
    - key: nvidia.com/gpu
      effect: NoSchedule
";

const HOSTILE_SOURCE: &str = "kind: Model\nmetadata: {name: [broken\n";

struct Scenario {
    name: &'static str,
    findings: Vec<Finding>,
    exempted: Vec<Finding>,
    policies: Vec<PolicyInfo>,
    checked: Vec<(String, ObjectRef)>,
    sources: BTreeMap<String, Arc<str>>,
    stats: Stats,
    exit_code: i32,
}

impl Scenario {
    fn report(&self, options: ReportOptions) -> Report<'_> {
        Report {
            findings: &self.findings,
            exempted: &self.exempted,
            policies: &self.policies,
            checked: &self.checked,
            sources: &self.sources,
            stats: self.stats,
            exit_code: self.exit_code,
            options,
        }
    }
}

fn policies() -> Vec<PolicyInfo> {
    vec![
        policy(
            "model-requirements-missing",
            Severity::Info,
            "Models should declare requirements",
            "",
        ),
        policy(
            "model-unplaceable",
            Severity::Error,
            "Every Model must fit a Server",
            "https://example.com/placecheck/policies#model-unplaceable",
        ),
        policy(
            "server-gpu-untolerated",
            Severity::Warning,
            "GPU Servers must tolerate the GPU taint",
            "docs/policies.md#server-gpu-untolerated",
        ),
    ]
}

fn sources() -> BTreeMap<String, Arc<str>> {
    BTreeMap::from([
        ("deploy/models.yaml".to_owned(), Arc::from(MODELS)),
        ("cluster/nodes.yaml".to_owned(), Arc::from(NODES)),
        (HOSTILE_FILE.to_owned(), Arc::from(HOSTILE_SOURCE)),
    ])
}

fn errors_scenario() -> Scenario {
    let llm = obj("Model", "seldon-mesh", "llm");
    let triton = obj("Server", "seldon-mesh", "triton-a100");
    let cpu = obj("Server", "seldon-mesh", "mlserver-cpu");
    let legacy = obj("Model", "prod", "legacy");

    let mut unplaceable = finding(
        "model-unplaceable",
        Severity::Error,
        "no Server can host Model seldon-mesh/llm: closest Server \"triton-a100\" lacks capabilities [gpu]",
        Some(llm.clone()),
        at("deploy/models.yaml", 17, 7, "spec.requirements[0]"),
    );
    unplaceable.remediation = Some(
        "Add the missing capability to a Server (extraCapabilities) or fix the model requirements."
            .into(),
    );
    unplaceable.related = vec![
        Related {
            resource: Some(triton.clone()),
            location: at("deploy/servers.yaml", 9, 5, "spec.capabilities"),
            message: "closest Server \"triton-a100\" declares capabilities [triton, onnx]".into(),
        },
        Related {
            resource: Some(obj("Node", "", "gpu-1")),
            location: at("cluster/nodes.yaml", 7, 7, "spec.taints[0]"),
            message: "the only GPU node is tainted here".into(),
        },
    ];
    unplaceable.notes = vec!["3 Servers were considered.".into()];

    let mut untolerated = finding(
        "server-gpu-untolerated",
        Severity::Warning,
        "Server seldon-mesh/triton-a100 requests nvidia.com/gpu but tolerates no taint of node gpu-1",
        Some(triton.clone()),
        at("deploy/servers.yaml", 12, 3, "spec.podSpec"),
    );
    untolerated.remediation = Some("Add a toleration for nvidia.com/gpu.".into());
    untolerated.notes = vec!["the exemption for this finding expired on 2026-01-01".into()];

    let mut hostile = finding(
        "invalid-manifest",
        Severity::Error,
        HOSTILE,
        None,
        at(HOSTILE_FILE, 2, 18, ""),
    );
    hostile.location.path = None;
    hostile.remediation = Some("Fix the YAML syntax: 50% of\n\"flow\" <mappings> & co.".into());

    let mut live = finding(
        "model-requirements-missing",
        Severity::Info,
        "Model prod/legacy declares no requirements and may land on any Server",
        Some(legacy.clone()),
        Location {
            cluster: Some("cluster://Model/prod/legacy".into()),
            path: Some("spec.requirements".into()),
            ..Location::default()
        },
    );
    live.related = vec![Related {
        resource: Some(triton.clone()),
        location: Location {
            cluster: Some("cluster://Server/seldon-mesh/triton-a100".into()),
            path: Some("spec".into()),
            ..Location::default()
        },
        message: "it may be scheduled on this GPU Server".into(),
    }];

    let mut findings = vec![live, hostile, untolerated, unplaceable];
    finding::sort(&mut findings);

    let mut exempt = finding(
        "server-gpu-untolerated",
        Severity::Warning,
        "Server seldon-mesh/mlserver-cpu requests nvidia.com/gpu but tolerates no taint",
        Some(cpu.clone()),
        at("deploy/servers.yaml", 30, 3, "spec.podSpec"),
    );
    exempt.exemption = Some(Exemption {
        source: "config",
        reason: "CPU pool on purpose; tracked in OPS-123 <see & \"wiki\">".into(),
    });

    Scenario {
        name: "errors",
        findings,
        exempted: vec![exempt],
        policies: policies(),
        checked: vec![
            ("model-requirements-missing".into(), legacy),
            ("model-requirements-missing".into(), llm.clone()),
            ("model-unplaceable".into(), llm),
            (
                "model-unplaceable".into(),
                obj("Model", "seldon-mesh", "small"),
            ),
            ("server-gpu-untolerated".into(), cpu),
            ("server-gpu-untolerated".into(), triton),
        ],
        sources: sources(),
        stats: Stats {
            files: 4,
            objects: 7,
            policies: 3,
        },
        exit_code: 1,
    }
}

fn warnings_scenario() -> Scenario {
    let small = obj("Model", "seldon-mesh", "small");
    let mut w = finding(
        "model-requirements-missing",
        Severity::Warning,
        "Model seldon-mesh/small declares no requirements and may land on any Server",
        Some(small.clone()),
        at("deploy/models.yaml", 6, 1, "spec"),
    );
    w.remediation = Some("Add `spec.requirements`.".into());
    Scenario {
        name: "warnings",
        findings: vec![w],
        exempted: vec![],
        policies: policies(),
        checked: vec![
            ("model-requirements-missing".into(), small.clone()),
            ("model-unplaceable".into(), small),
        ],
        sources: sources(),
        stats: Stats {
            files: 1,
            objects: 2,
            policies: 3,
        },
        exit_code: 0,
    }
}

fn clean_scenario() -> Scenario {
    let small = obj("Model", "seldon-mesh", "small");
    Scenario {
        name: "clean",
        findings: vec![],
        exempted: vec![],
        policies: policies(),
        checked: vec![
            ("model-requirements-missing".into(), small.clone()),
            ("model-unplaceable".into(), small),
        ],
        sources: BTreeMap::new(),
        stats: Stats {
            files: 1,
            objects: 1,
            policies: 3,
        },
        exit_code: 0,
    }
}

fn scenarios() -> Vec<Scenario> {
    vec![errors_scenario(), warnings_scenario(), clean_scenario()]
}

fn render(format: Format, report: &Report<'_>) -> String {
    let mut out = Vec::new();
    format
        .reporter()
        .report(report, &mut out)
        .expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("reporters write UTF-8")
}

/// Replaces what depends on the machine or the release: the current directory (SARIF's
/// `%SRCROOT%`) and the crate version.
fn portable(format: Format, s: String) -> String {
    if format != Format::Sarif {
        return s;
    }
    let v: serde_json::Value = serde_json::from_str(&s).expect("SARIF is JSON");
    let cwd = v["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("originalUriBaseIds is written")
        .to_owned();
    let version = format!("\"{}\"", env!("CARGO_PKG_VERSION"));
    s.replace(&cwd, "file:///[CWD]/")
        .replace(&version, "\"[VERSION]\"")
}

#[test]
fn snapshots_of_every_format() {
    for scenario in scenarios() {
        let report = scenario.report(ReportOptions::default());
        for &format in Format::value_variants() {
            let out = portable(format, render(format, &report));
            insta::assert_snapshot!(format!("{}__{}", scenario.name, format.name()), out);
        }
    }
}

#[test]
fn human_variants() {
    let s = errors_scenario();
    let variants = [
        (
            "color",
            ReportOptions {
                color: true,
                ..ReportOptions::default()
            },
        ),
        (
            "verbose",
            ReportOptions {
                verbose: true,
                ..ReportOptions::default()
            },
        ),
        (
            "quiet",
            ReportOptions {
                quiet: true,
                ..ReportOptions::default()
            },
        ),
    ];
    for (name, options) in variants {
        let out = render(Format::Human, &s.report(options));
        insta::assert_snapshot!(format!("errors__human_{name}"), out);
    }
    // Without colour there is no escape sequence at all: the hostile ESC is shown escaped.
    let plain = render(Format::Human, &s.report(ReportOptions::default()));
    assert!(!plain.contains('\u{1b}'), "{plain}");
    assert!(plain.contains("\\u{1b}[31mred"));
}

#[test]
fn clean_run_says_so() {
    let s = clean_scenario();
    let out = render(Format::Human, &s.report(ReportOptions::default()));
    assert_eq!(out, "no findings in 1 file (1 object, 3 policies)\n");
    let quiet = ReportOptions {
        quiet: true,
        ..ReportOptions::default()
    };
    assert_eq!(render(Format::Human, &s.report(quiet)), "");
    assert_eq!(render(Format::Github, &s.report(quiet)), "");
}

#[test]
fn output_is_deterministic() {
    for scenario in scenarios() {
        let report = scenario.report(ReportOptions::default());
        for &format in Format::value_variants() {
            assert_eq!(render(format, &report), render(format, &report), "{format}");
        }
    }
}

fn sarif_validator() -> jsonschema::Validator {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/schemas/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&path).expect("the vendored SARIF schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let validator = sarif_validator();
    for scenario in scenarios() {
        let out = render(Format::Sarif, &scenario.report(ReportOptions::default()));
        let v: serde_json::Value = serde_json::from_str(&out).expect("SARIF is JSON");
        let errors: Vec<String> = validator
            .iter_errors(&v)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", scenario.name);
    }
}

#[test]
fn sarif_schema_check_is_not_vacuous() {
    let validator = sarif_validator();
    let bad = serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": { "name": "x" } },
                   "results": [{ "message": { "text": "m" }, "level": "fatal" }] }]
    });
    assert!(!validator.is_valid(&bad));
    let bad_uri = serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": { "name": "x", "informationUri": "not a uri" } } }]
    });
    assert!(!validator.is_valid(&bad_uri));
}

/// GitHub code scanning rejects the whole upload if any result lacks an artifact URI.
#[test]
fn sarif_meets_github_ingestion_rules() {
    for scenario in scenarios() {
        let report = scenario.report(ReportOptions::default());
        let v: serde_json::Value =
            serde_json::from_str(&render(Format::Sarif, &report)).expect("SARIF is JSON");
        let run = &v["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        assert!(rules.len() >= report.policies.len());
        let results = run["results"]
            .as_array()
            .expect("results is always present");
        assert_eq!(results.len(), report.findings.len() + report.exempted.len());
        for r in results {
            let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap_or_default();
            assert!(!uri.is_empty(), "{r}");
            let i = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[i]["id"], r["ruleId"]);
        }
    }
}

fn xmllint() -> &'static str {
    let ok = Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "xmllint is required to validate JUnit output: install the Debian package libxml2-utils"
    );
    "xmllint"
}

#[test]
fn junit_is_valid_against_the_xsd() {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/schemas/junit-10.xsd");
    let dir = tempfile::tempdir().expect("temp dir");
    for scenario in scenarios() {
        let out = render(Format::Junit, &scenario.report(ReportOptions::default()));
        let file = dir.path().join(format!("{}.xml", scenario.name));
        std::fs::write(&file, &out).expect("write temp file");
        let res = Command::new(xmllint())
            .arg("--noout")
            .arg("--schema")
            .arg(&xsd)
            .arg(&file)
            .output()
            .expect("run xmllint");
        assert!(
            res.status.success(),
            "{}: {}\n{out}",
            scenario.name,
            String::from_utf8_lossy(&res.stderr)
        );
    }
}

#[test]
fn junit_counts_match_the_body() {
    for scenario in scenarios() {
        let out = render(Format::Junit, &scenario.report(ReportOptions::default()));
        let attr = |tag: &str, name: &str| -> usize {
            let start = out.find(&format!("<{tag} ")).expect(tag);
            let rest = &out[start..];
            let key = format!(" {name}=\"");
            let at = rest.find(&key).expect(name) + key.len();
            rest[at..]
                .split('"')
                .next()
                .unwrap_or("")
                .parse()
                .expect("a count")
        };
        assert_eq!(
            attr("testsuites", "tests"),
            out.matches("<testcase ").count()
        );
        assert_eq!(
            attr("testsuites", "failures"),
            out.matches("<failure ").count()
        );
        assert_eq!(attr("testsuites", "errors"), 0);
        // Every finding appears in some failure, however its pair was checked.
        for f in &scenario.findings {
            let first_line = f.message.lines().next().unwrap_or_default();
            let escaped = first_line
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            let escaped = escaped.replace('\u{1b}', "\\u{1b}");
            assert!(out.contains(&escaped), "{first_line}\n{out}");
        }
    }
}

#[test]
fn github_commands_are_one_line_each() {
    let s = errors_scenario();
    let out = render(Format::Github, &s.report(ReportOptions::default()));
    assert_eq!(out.lines().count(), s.findings.len());
    for line in out.lines() {
        assert!(
            line.starts_with("::error ")
                || line.starts_with("::warning ")
                || line.starts_with("::notice "),
            "{line}"
        );
        // Properties are escaped so they hold no `:` at all: the first `::` after the command
        // name is the separator, whatever the message holds.
        let (command, _message) = line[2..].split_once("::").expect("a message separator");
        assert!(!command.contains(':'), "{command}");
        assert!(command.contains("title=placecheck "), "{command}");
    }
    assert!(out.contains("file=deploy/wëird %2520 a%3Ab%2Cc <&\"'>.yaml,line=2,col=18,"));
    assert!(out.contains("100%25 broken: a, b::c <tag>"));
    assert!(out.contains("%0Asecond line \\u{1b}[31mred"));
    assert!(
        !out.contains('\u{1b}'),
        "no raw terminal escape reaches the job log"
    );
    assert!(out.contains("::notice title=placecheck model-requirements-missing::cluster://Model/prod/legacy (spec.requirements): "));
}

#[test]
fn json_is_versioned_and_complete() {
    let s = errors_scenario();
    let out = render(Format::Json, &s.report(ReportOptions::default()));
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["version"], 1);
    assert_eq!(
        v["findings"].as_array().map(Vec::len),
        Some(s.findings.len())
    );
    assert_eq!(v["exempted"][0]["exemption"]["source"], "config");
    assert!(v["findings"][0].get("exemption").is_none());
    assert_eq!(v["summary"]["errors"], 2);
    assert_eq!(v["summary"]["warnings"], 1);
    assert_eq!(v["summary"]["infos"], 1);
    assert_eq!(v["summary"]["exempted"], 1);
    for f in v["findings"].as_array().into_iter().flatten() {
        for key in ["file", "line", "column", "document", "cluster", "path"] {
            assert!(
                f["location"].get(key).is_some(),
                "location.{key} missing in {f}"
            );
        }
    }
}

#[test]
fn format_targets_parse() {
    let t: FormatTarget = "sarif=out/report.sarif".parse().expect("valid");
    assert_eq!(t.format, Format::Sarif);
    assert_eq!(t.file.as_deref(), Some(Path::new("out/report.sarif")));
    let t: FormatTarget = "JSON".parse().expect("case-insensitive");
    assert_eq!((t.format, t.file), (Format::Json, None));
    let t: FormatTarget = "human=-".parse().expect("- is stdout");
    assert_eq!(t.file, None);
    let t: FormatTarget = "junit=a=b.xml".parse().expect("= in file names");
    assert_eq!(t.file.as_deref(), Some(Path::new("a=b.xml")));
    assert_eq!(t.to_string(), "junit=a=b.xml");

    let err = "xml".parse::<FormatTarget>().expect_err("unknown kind");
    assert_eq!(err, FormatTargetError::UnknownFormat("xml".into()));
    assert_eq!(
        err.to_string(),
        "unknown output format `xml`; valid formats: human, json, sarif, junit, github"
    );
    let err = "sarif=".parse::<FormatTarget>().expect_err("missing file");
    assert!(
        err.to_string().contains("missing file name after `sarif=`"),
        "{err}"
    );
}

#[test]
fn format_names_agree_with_clap() {
    assert_eq!(Format::value_variants(), Format::ALL.as_slice());
    for f in Format::value_variants() {
        let pv = f.to_possible_value().expect("no hidden variants");
        assert_eq!(pv.get_name(), f.name());
        assert!(pv.get_help().is_some(), "{f} has a --help text");
    }
}

/// Positions that do not match the source text (a stale index, an empty file, line 0) must not
/// panic any reporter, and SARIF must stay valid.
#[test]
fn degenerate_locations_do_not_panic() {
    let mut s = warnings_scenario();
    let base = s.findings[0].clone();
    let mut add = |line: Option<u32>, column: Option<u32>, file: &str| {
        let mut f = base.clone();
        f.location.file = Some(file.into());
        f.location.line = line;
        f.location.column = column;
        s.findings.push(f);
    };
    add(Some(0), Some(0), "deploy/models.yaml");
    add(Some(999), Some(3), "deploy/models.yaml");
    add(Some(17), Some(999), "deploy/models.yaml");
    add(Some(17), None, "deploy/models.yaml");
    add(None, Some(4), "deploy/models.yaml");
    add(Some(1), Some(1), "empty.yaml");
    s.sources.insert("empty.yaml".into(), Arc::from(""));
    let validator = sarif_validator();
    for options in [
        ReportOptions::default(),
        ReportOptions {
            color: true,
            verbose: true,
            quiet: false,
        },
    ] {
        let report = s.report(options);
        for &format in Format::value_variants() {
            let out = render(format, &report);
            assert!(!out.is_empty(), "{format}");
            if format == Format::Sarif {
                let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
                assert!(validator.is_valid(&v));
            }
        }
    }
    let out = render(Format::Human, &s.report(ReportOptions::default()));
    // No column: the underline starts at the line's first token, not its indentation (and a
    // list item's token is the item, not its dash).
    assert!(out.contains("  --> deploy/models.yaml:17\n   |\n16 |   requirements:\n17 |     - gpu\n   |       ^^^\n"), "{out}");
}
