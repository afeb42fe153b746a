//! One evaluation: inventory → facts → policies → findings, with exemptions applied.
//!
//! Shared by `lint`, `audit --once`, the fixture harness and `placecheck test`, so they can never
//! disagree. It must not print anything or decide how output looks.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::config;
use crate::facts::input::{InputBuilder, Mode};
use crate::facts::{Facts, FactsOptions};
use crate::finding::{self, Exemption, Finding, Location, Related, Severity};
use crate::inventory::{Inventory, ObjectRef, Problem, ProblemAt};
use crate::path::FieldPath;
use crate::policy::PolicySet;
use crate::report::{PolicyInfo, Stats};

/// Annotation listing policies to ignore on an object (`"policy-a,policy-b"` or `"*"`).
pub const IGNORE_ANNOTATION: &str = "placecheck.io/ignore";
pub const IGNORE_REASON_ANNOTATION: &str = "placecheck.io/ignore-reason";

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub mode: Mode,
    pub facts: FactsOptions,
    pub annotation_exemptions: bool,
    /// The date exemptions are judged against (today, in tests a fixed day).
    pub today: jiff::civil::Date,
}

/// The outcome of one evaluation.
#[derive(Debug, Default)]
pub struct RunResult {
    pub findings: Vec<Finding>,
    pub exempted: Vec<Finding>,
    pub policies: Vec<PolicyInfo>,
    pub checked: Vec<(String, ObjectRef)>,
    pub sources: BTreeMap<String, Arc<str>>,
    pub stats: Stats,
    pub facts_stats: crate::facts::FactStats,
}

impl RunResult {
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Evaluates every enabled policy over an inventory.
pub fn run(inv: &Inventory, policies: &PolicySet, cfg: &config::Loaded, opts: &RunOptions) -> RunResult {
    let t = std::time::Instant::now();
    let facts = Facts::compute(inv, &opts.facts);
    tracing::debug!(elapsed = ?t.elapsed(), stats = ?facts.stats, "placement facts");
    let t = std::time::Instant::now();
    let input = InputBuilder::new(inv, &facts).build(opts.mode, &opts.facts.params.all);
    tracing::debug!(elapsed = ?t.elapsed(), "input document");
    let t = std::time::Instant::now();
    let disabled: BTreeSet<&str> = cfg.config.policies.disable.iter().map(String::as_str).collect();
    let enabled = |p: &crate::policy::Policy| !disabled.contains(p.info.id.as_str());
    let outcomes = policies.evaluate(&input, &enabled);
    tracing::debug!(elapsed = ?t.elapsed(), "policy evaluation");

    let severity_of = |id: &str, default: Severity| {
        cfg.config
            .policies
            .severity
            .get(id)
            .and_then(|s| Severity::parse(s))
            .unwrap_or(default)
    };
    let info_of = |id: &str| policies.find(id).map(|p| &p.info);

    let mut all: Vec<(Option<usize>, Finding)> = Vec::new();
    for o in outcomes {
        let p = &policies.policies[o.policy];
        match o.result {
            Ok(vs) => {
                for v in vs {
                    let obj = v.resource.as_ref().and_then(|r| inv.find(r));
                    let path = v.path.as_deref().and_then(FieldPath::parse);
                    let location = match obj {
                        Some(i) => inv.locate(i, &path.clone().unwrap_or_default()),
                        None => Location {
                            path: v.path.clone(),
                            ..Location::default()
                        },
                    };
                    let related = v
                        .related
                        .iter()
                        .map(|r| {
                            let ro = r.resource.as_ref().and_then(|x| inv.find(x));
                            let rp = r.path.as_deref().and_then(FieldPath::parse).unwrap_or_default();
                            Related {
                                resource: r.resource.clone(),
                                location: ro.map(|i| inv.locate(i, &rp)).unwrap_or_default(),
                                message: r.msg.clone(),
                            }
                        })
                        .collect();
                    let default = v.severity.unwrap_or(p.info.severity);
                    all.push((
                        obj,
                        Finding {
                            policy: p.info.id.clone(),
                            severity: severity_of(&p.info.id, default),
                            message: v.msg,
                            resource: v.resource,
                            location,
                            related,
                            remediation: Some(p.info.remediation.clone()).filter(|r| !r.is_empty()),
                            exemption: None,
                            notes: Vec::new(),
                        },
                    ));
                }
            }
            Err(e) => {
                // A broken or runaway policy is an error finding of that policy, located at
                // its file; the other policies' results stand.
                all.push((
                    None,
                    Finding {
                        policy: p.info.id.clone(),
                        severity: Severity::Error,
                        message: format!("policy {} could not be evaluated: {e}", p.info.id),
                        resource: None,
                        location: Location {
                            file: (!p.file.starts_with("builtin:")).then(|| p.file.clone()),
                            ..Location::default()
                        },
                        related: Vec::new(),
                        remediation: Some("fix the policy, or disable it with policies.disable in .placecheck.yaml".into()),
                        exemption: None,
                        notes: Vec::new(),
                    },
                ));
            }
        }
    }
    for pr in inv.problems.iter().chain(facts.problems.iter()) {
        if disabled.contains(pr.policy) {
            continue;
        }
        let default = info_of(pr.policy).map(|i| i.severity).unwrap_or(Severity::Error);
        let (obj, f) = problem_finding(inv, pr, severity_of(pr.policy, default));
        all.push((obj, f));
    }

    // Which (policy, object) pairs were checked: every enabled policy against every reported
    // object of the kinds it declares (all objects when it declares none).
    let mut checked = Vec::new();
    for p in &policies.policies {
        if disabled.contains(p.info.id.as_str()) {
            continue;
        }
        for (i, o) in inv.objects.iter().enumerate() {
            if inv.reported(i) && p.applies_to(&o.r#ref.kind) {
                checked.push((p.info.id.clone(), o.r#ref.clone()));
            }
        }
    }

    let mut findings = Vec::new();
    let mut exempted = Vec::new();
    for (obj, mut f) in all {
        if let Some(i) = obj
            && !inv.reported(i)
        {
            continue;
        }
        if obj.is_none() && f.location.file.as_deref().is_some_and(|file| is_context_file(inv, file)) {
            continue;
        }
        if let Some(e) = exemption(inv, obj, &f, cfg, opts) {
            match e {
                Ok(ex) => {
                    f.exemption = Some(ex);
                    exempted.push(f);
                    continue;
                }
                Err(note) => f.notes.push(note),
            }
        }
        findings.push(f);
    }
    finding::sort(&mut findings);
    finding::sort(&mut exempted);
    findings.dedup();

    let sources = inv
        .files
        .iter()
        .filter_map(|f| f.text.clone().map(|t| (f.path.clone(), t)))
        .collect();
    let enabled_count = policies.policies.iter().filter(|p| !disabled.contains(p.info.id.as_str())).count();
    RunResult {
        findings,
        exempted,
        policies: policies.policies.iter().map(|p| {
            let mut i = p.info.clone();
            i.severity = severity_of(&i.id, i.severity);
            i
        }).collect(),
        checked,
        sources,
        stats: Stats {
            files: inv.files.iter().filter(|f| !f.context).count(),
            objects: inv.objects.len(),
            policies: enabled_count,
        },
        facts_stats: facts.stats,
    }
}

fn is_context_file(inv: &Inventory, file: &str) -> bool {
    inv.files.iter().any(|f| f.path == file && f.context)
}

fn problem_finding(inv: &Inventory, pr: &Problem, severity: Severity) -> (Option<usize>, Finding) {
    let (obj, location) = match &pr.at {
        ProblemAt::File { file, document, position } => (
            // A problem in a context file is dropped by its file's flag in `run`.
            None,
            Location {
                file: inv.files.get(*file).map(|f| f.path.clone()),
                line: Some(position.line),
                column: Some(position.column),
                document: *document,
                cluster: None,
                path: None,
            },
        ),
        ProblemAt::Object(i, p) => (Some(*i), inv.locate(*i, p)),
    };
    let related = pr
        .related
        .iter()
        .map(|(i, p, m)| Related {
            resource: inv.objects.get(*i).map(|o| o.r#ref.clone()),
            location: inv.locate(*i, p),
            message: m.clone(),
        })
        .collect();
    (
        obj,
        Finding {
            policy: pr.policy.to_string(),
            severity,
            message: pr.message.clone(),
            resource: pr.resource.clone(),
            location,
            related,
            remediation: pr.help.clone(),
            exemption: None,
            notes: Vec::new(),
        },
    )
}

fn glob_match(pattern: &str, text: &str) -> bool {
    globset::Glob::new(pattern)
        .map(|g| g.compile_matcher().is_match(text))
        .unwrap_or(pattern == text)
}

/// `Some(Ok)` when the finding is exempted, `Some(Err(note))` when an exemption matched but
/// has expired (the finding counts again and says so), `None` otherwise.
fn exemption(
    inv: &Inventory,
    obj: Option<usize>,
    f: &Finding,
    cfg: &config::Loaded,
    opts: &RunOptions,
) -> Option<Result<Exemption, String>> {
    let r = f.resource.as_ref();
    if opts.annotation_exemptions
        && let Some(i) = obj
    {
        let meta = inv.objects[i].value.get("metadata");
        let ann = meta.and_then(|m| m.get("annotations"));
        if let Some(list) = ann.and_then(|a| a.get(IGNORE_ANNOTATION)).and_then(|v| v.as_str())
            && list.split(',').map(str::trim).any(|p| p == f.policy || p == "*")
        {
            let reason = ann
                .and_then(|a| a.get(IGNORE_REASON_ANNOTATION))
                .and_then(|v| v.as_str())
                .unwrap_or("no reason given (placecheck.io/ignore-reason)")
                .to_string();
            return Some(Ok(Exemption { source: "annotation", reason }));
        }
    }
    let mut expired = None;
    for (n, e) in cfg.config.exemptions.iter().enumerate() {
        if e.policy != f.policy && e.policy != "*" {
            continue;
        }
        let matches = e.resources.is_empty()
            || r.is_some_and(|r| {
                e.resources.iter().any(|m| {
                    m.kind.as_deref().is_none_or(|k| k == r.kind)
                        && m.namespace.as_deref().is_none_or(|ns| glob_match(ns, &r.namespace))
                        && m.name.as_deref().is_none_or(|nm| glob_match(nm, &r.name))
                })
            });
        if !matches {
            continue;
        }
        if let Some(date) = e.expires.as_ref().and_then(config::parse_date)
            && opts.today > date
        {
            let at = cfg.where_is(&FieldPath::root().key("exemptions").index(n));
            expired = Some(format!(
                "the exemption at {at} (\"{}\") expired on {date} and no longer applies",
                e.reason
            ));
            continue;
        }
        return Some(Ok(Exemption { source: "config", reason: e.reason.clone() }));
    }
    expired.map(Err)
}
