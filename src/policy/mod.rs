//! The policy engine: the only user of regorus.
//!
//! Policies are data: `.rego` modules under `data.placecheck.policies.<id>` with a `meta` rule
//! and a `violation` set (product spec §3). Built-ins are embedded at build time
//! (`build.rs`); user directories are read at start-up. Everything is compiled once; each
//! evaluation clones the prepared engine (a reference-count copy) and is bounded in time.
//! This module must not read anything but policy files, and must not know placement rules:
//! those reach Rego as facts in `input` and as the extensions in `extensions.rs`.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;
use regorus::{Engine, Value};

use crate::finding::Severity;
use crate::inventory::ObjectRef;
use crate::report::PolicyInfo;

pub mod extensions;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));
}

/// Package prefix of every policy.
pub const PACKAGE_PREFIX: &str = "data.placecheck.policies.";

/// Where the documentation of a built-in policy lives.
pub const DOCS_BASE: &str = "https://github.com/placecheck/placecheck/blob/main/docs/policies/";

/// Policies whose findings are produced in Rust (the loader and inventory); their modules carry
/// only `meta`.
pub const RUST_SIDE: &[&str] = &["invalid-manifest", "yaml-ambiguous-scalar"];

/// A policy set could not be loaded: exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy directory {path}: {error}")]
    Read { path: String, error: String },
    #[error("policy does not compile: {message}")]
    Compile { message: String },
    #[error("{file}: {message}")]
    Meta { file: String, message: String },
}

/// One Rego module, built-in or the user's.
#[derive(Debug, Clone)]
pub struct Module {
    /// `builtin:model_unplaceable.rego` or the user's path.
    pub path: String,
    pub source: String,
    pub builtin: bool,
}

/// A loaded policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub info: PolicyInfo,
    /// `data.placecheck.policies.model_unplaceable`
    pub package: String,
    /// The module file it came from.
    pub file: String,
    pub rust_side: bool,
    /// Kinds the policy judges (`meta.kinds`); empty = every kind. Used for JUnit test cases.
    pub kinds: Vec<String>,
}

impl Policy {
    pub fn applies_to(&self, kind: &str) -> bool {
        self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind)
    }
}

/// What one `violation` element says.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub msg: String,
    pub resource: Option<ObjectRef>,
    pub path: Option<String>,
    pub severity: Option<Severity>,
    pub related: Vec<RelatedViolation>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RelatedViolation {
    pub resource: Option<ObjectRef>,
    pub path: Option<String>,
    pub msg: String,
}

/// The result of evaluating one policy.
#[derive(Debug)]
pub struct Outcome {
    pub policy: usize,
    pub result: Result<Vec<Violation>, String>,
}

#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Longest one policy may run before it is stopped and reported as an error.
    pub timeout: Duration,
    pub gates: crate::scheduling::FeatureGates,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            timeout: Duration::from_secs(10),
            gates: Default::default(),
        }
    }
}

/// A compiled set of policies.
#[derive(Clone)]
pub struct PolicySet {
    engine: Engine,
    pub policies: Vec<Policy>,
    pub modules: Vec<Module>,
    opts: EngineOptions,
}

/// The built-in modules.
pub fn builtin_modules() -> Vec<Module> {
    builtin::BUILTIN
        .iter()
        .map(|(p, src)| Module {
            path: format!("builtin:{p}"),
            source: (*src).to_string(),
            builtin: true,
        })
        .collect()
}

/// Reads every `*.rego` (tests excluded unless `with_tests`) under the given paths, sorted.
pub fn read_modules(paths: &[PathBuf], with_tests: bool) -> Result<Vec<Module>, PolicyError> {
    let mut out = Vec::new();
    for p in paths {
        let mut files = Vec::new();
        if p.is_file() {
            files.push(p.clone());
        } else {
            let walk = walkdir::WalkDir::new(p).follow_links(true).sort_by_file_name();
            for e in walk {
                let e = e.map_err(|e| PolicyError::Read {
                    path: p.display().to_string(),
                    error: e.to_string(),
                })?;
                if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "rego") {
                    files.push(e.into_path());
                }
            }
        }
        if files.is_empty() && !p.exists() {
            return Err(PolicyError::Read {
                path: p.display().to_string(),
                error: "no such file or directory".into(),
            });
        }
        for f in files {
            let is_test = f.file_name().is_some_and(|n| n.to_string_lossy().ends_with("_test.rego"));
            if is_test && !with_tests {
                continue;
            }
            let source = std::fs::read_to_string(&f).map_err(|e| PolicyError::Read {
                path: f.display().to_string(),
                error: e.to_string(),
            })?;
            out.push(Module {
                path: f.display().to_string(),
                source,
                builtin: false,
            });
        }
    }
    Ok(out)
}

/// A fresh engine with placecheck's settings and extensions.
pub fn new_engine(opts: &EngineOptions) -> Engine {
    let mut e = Engine::new();
    // Undefined on a builtin error (e.g. to_number("x")) rather than failing the whole policy,
    // as OPA does by default.
    e.set_strict_builtin_errors(false);
    extensions::register(&mut e, &opts.gates);
    e
}

impl PolicySet {
    /// Compiles built-ins plus user modules. Any compile or semantic error is fatal (exit 2)
    /// and names file:line:col.
    pub fn load(user: Vec<Module>, opts: EngineOptions) -> Result<PolicySet, PolicyError> {
        let mut modules = builtin_modules();
        modules.extend(user);
        let mut engine = new_engine(&opts);
        for m in &modules {
            engine
                .add_policy(m.path.clone(), m.source.clone())
                .map_err(|e| PolicyError::Compile { message: format!("{e:#}") })?;
        }
        let mut set = PolicySet {
            engine,
            policies: Vec::new(),
            modules,
            opts,
        };
        set.discover()?;
        Ok(set)
    }

    fn discover(&mut self) -> Result<(), PolicyError> {
        let packages = self
            .engine
            .get_packages()
            .map_err(|e| PolicyError::Compile { message: format!("{e:#}") })?;
        // Map package → file by scanning module headers (regorus returns packages only).
        let file_of = |pkg: &str| -> String {
            let short = pkg.trim_start_matches("data.");
            self.modules
                .iter()
                .find(|m| {
                    m.source.lines().any(|l| {
                        let l = l.trim();
                        l.strip_prefix("package ").is_some_and(|p| p.trim() == short)
                    })
                })
                .map(|m| m.path.clone())
                .unwrap_or_default()
        };
        let mut seen = std::collections::BTreeMap::new();
        for pkg in packages {
            let Some(tail) = pkg.strip_prefix(PACKAGE_PREFIX) else { continue };
            if tail.ends_with("_test") || tail.contains('.') {
                continue;
            }
            let file = file_of(&pkg);
            // The first evaluation prepares every module: semantic errors appear here.
            let meta = self
                .engine
                .eval_rule(format!("{pkg}.meta"))
                .map_err(|e| PolicyError::Compile { message: format!("{e:#}") })?;
            if meta == Value::Undefined {
                return Err(PolicyError::Meta {
                    file,
                    message: format!("package {} has no `meta` rule; every policy declares meta := {{\"id\", \"severity\", \"title\", \"description\", \"remediation\"}}", pkg.trim_start_matches("data.")),
                });
            }
            let info = parse_meta(&meta, tail, &file)?;
            if let Some(other) = seen.insert(info.id.clone(), file.clone()) {
                return Err(PolicyError::Meta {
                    file,
                    message: format!("policy id {:?} is already defined in {other}", info.id),
                });
            }
            let rust_side = RUST_SIDE.contains(&info.id.as_str());
            let kinds = match &meta["kinds"] {
                Value::Array(a) => a.iter().filter_map(|k| k.as_string().ok().map(|s| s.to_string())).collect(),
                _ => Vec::new(),
            };
            self.policies.push(Policy {
                info,
                package: pkg.clone(),
                file,
                rust_side,
                kinds,
            });
        }
        self.policies.sort_by(|a, b| a.info.id.cmp(&b.info.id));
        Ok(())
    }

    pub fn find(&self, id: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.info.id == id)
    }

    /// Evaluates the `violation` set of every policy for which `enabled` is true, in parallel
    /// on clones of the prepared engine, each bounded by the timeout.
    pub fn evaluate(&self, input: &Value, enabled: &(dyn Fn(&Policy) -> bool + Sync)) -> Vec<Outcome> {
        let todo: Vec<usize> = (0..self.policies.len())
            .filter(|&i| !self.policies[i].rust_side && enabled(&self.policies[i]))
            .collect();
        todo.par_iter()
            .map(|&i| {
                let p = &self.policies[i];
                let mut e = self.engine.clone();
                e.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
                    limit: self.opts.timeout,
                    check_interval: NonZeroU32::new(64).unwrap_or(NonZeroU32::MIN),
                });
                e.set_input(input.clone());
                let t = std::time::Instant::now();
                let result = match e.eval_rule(format!("{}.violation", p.package)) {
                    Ok(v) => parse_violations(&v),
                    Err(err) => Err(describe_eval_error(&format!("{err:#}"), self.opts.timeout)),
                };
                tracing::debug!(policy = %p.info.id, elapsed = ?t.elapsed(), "evaluated");
                Outcome { policy: i, result }
            })
            .collect()
    }

    /// The prepared engine, for `placecheck test`.
    pub fn engine(&self) -> Engine {
        self.engine.clone()
    }
}

fn describe_eval_error(err: &str, timeout: Duration) -> String {
    let lower = err.to_lowercase();
    if lower.contains("time limit") || lower.contains("timed out") || lower.contains("execution time") {
        format!("evaluation stopped after {:?} (the policy time limit): {err}", timeout)
    } else {
        format!("evaluation failed: {err}")
    }
}

fn get_str(v: &Value, k: &str) -> Option<String> {
    match &v[k] {
        Value::String(s) => Some(s.to_string()),
        _ => None,
    }
}

fn parse_meta(meta: &Value, tail: &str, file: &str) -> Result<PolicyInfo, PolicyError> {
    let err = |m: String| PolicyError::Meta {
        file: file.to_string(),
        message: m,
    };
    let id = get_str(meta, "id").ok_or_else(|| err("meta.id must be a string".into()))?;
    if id.replace('-', "_") != tail {
        return Err(err(format!(
            "meta.id {id:?} does not match the package name `placecheck.policies.{tail}` (expected {:?})",
            tail.replace('_', "-")
        )));
    }
    let severity = get_str(meta, "severity")
        .and_then(|s| Severity::parse(&s))
        .ok_or_else(|| err(format!("meta.severity of {id} must be \"error\", \"warning\" or \"info\"")))?;
    let text = |k: &str| get_str(meta, k).unwrap_or_default();
    let builtin = file.starts_with("builtin:");
    Ok(PolicyInfo {
        help_uri: if builtin {
            format!("{DOCS_BASE}{id}.md")
        } else {
            String::new()
        },
        id,
        severity,
        title: text("title"),
        description: text("description"),
        remediation: text("remediation"),
        source: if builtin { "builtin".into() } else { file.to_string() },
    })
}

fn parse_ref(v: &Value) -> Option<ObjectRef> {
    if !matches!(v, Value::Object(_)) {
        return None;
    }
    Some(ObjectRef {
        api_version: get_str(v, "apiVersion").unwrap_or_default(),
        kind: get_str(v, "kind")?,
        namespace: get_str(v, "namespace").unwrap_or_default(),
        name: get_str(v, "name")?,
    })
}

fn parse_violations(v: &Value) -> Result<Vec<Violation>, String> {
    let items: Vec<&Value> = match v {
        Value::Undefined => return Ok(Vec::new()),
        Value::Set(s) => s.iter().collect(),
        Value::Array(a) => a.iter().collect(),
        other => return Err(format!("`violation` must be a set of objects, found {}", kind_of(other))),
    };
    let mut out = Vec::new();
    for it in items {
        let msg = match it {
            Value::String(s) => {
                out.push(Violation {
                    msg: s.to_string(),
                    resource: None,
                    path: None,
                    severity: None,
                    related: Vec::new(),
                });
                continue;
            }
            Value::Object(_) => get_str(it, "msg").ok_or("a violation has no string `msg`")?,
            other => return Err(format!("a violation must be an object, found {}", kind_of(other))),
        };
        let severity = match get_str(it, "severity") {
            Some(s) => Some(Severity::parse(&s).ok_or(format!("violation severity {s:?} is not error, warning or info"))?),
            None => None,
        };
        let related = match &it["related"] {
            Value::Array(a) => a
                .iter()
                .map(|r| RelatedViolation {
                    resource: parse_ref(&r["resource"]),
                    path: get_str(r, "path"),
                    msg: get_str(r, "msg").unwrap_or_default(),
                })
                .collect(),
            Value::Set(a) => a
                .iter()
                .map(|r| RelatedViolation {
                    resource: parse_ref(&r["resource"]),
                    path: get_str(r, "path"),
                    msg: get_str(r, "msg").unwrap_or_default(),
                })
                .collect(),
            _ => Vec::new(),
        };
        out.push(Violation {
            msg,
            resource: parse_ref(&it["resource"]),
            path: get_str(it, "path"),
            severity,
            related,
        });
    }
    Ok(out)
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Set(_) => "a set",
        Value::Object(_) => "an object",
        Value::Undefined => "undefined",
    }
}

/// Path of a policy file for messages: relative when under the current directory.
pub fn display_path(p: &Path) -> String {
    p.display().to_string()
}
