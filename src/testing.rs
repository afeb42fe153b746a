//! `placecheck test`: how policy authors test policies (product spec §6), like `opa test` plus
//! fixture cases.
//!
//! Two kinds of tests, reported alike (`PASS`/`FAIL name`, then `N passed, M failed`):
//!
//! * **Rego unit tests**: every rule named `test_*` in a test module (a `*_test.rego` file, or a
//!   package whose name ends in `_test`). It passes when it evaluates to anything but `false` or
//!   undefined. `print()` output is shown for failures.
//! * **Fixture cases**: `<DIR>/<id>/{pass,fail}/` or `<DIR>/testdata/policies/<id>/{pass,fail}/`
//!   (also `pass-*`/`fail-*`). Each case directory is loaded as one inventory through the real
//!   pipeline (`source::load` → `Inventory::from_loaded` → `run::run`). A `pass` case must produce
//!   no finding of `<id>`; a `fail` case must produce a finding of `<id>` on exactly the lines
//!   that follow a `# expect: <id>` comment line, and no other. This is the one implementation of
//!   the marker rule; `tests/policies.rs` runs the built-in catalog's fixtures through it.
//!
//! The built-in `lib/*_test.rego` modules (the `data.placecheck.lib.testing` input builders) are
//! always loaded so users' tests can build inputs with them; the catalog's own unit tests run
//! only with `--builtin`. A module identical to a built-in one (running inside a checkout of
//! placecheck) is not loaded twice.
//!
//! This module decides what a test is and whether it passed; it must not parse command-line flags
//! beyond [`TestArgs`] nor decide how findings are printed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;
use regorus::{Engine, Value};

use crate::config;
use crate::finding::Finding;
use crate::inventory::Inventory;
use crate::policy::{self, EngineOptions, Module, PolicyError, PolicySet};
use crate::run::{self, RunOptions};
use crate::source::{self, Input, InputKind, LoadOptions};

/// The marker that announces a finding on the next line: `# expect: <policy-id>`.
pub const MARKER_PREFIX: &str = "# expect:";

/// Flags of `placecheck test`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Examples:
  placecheck test policies/                      Rego tests and fixtures of your policies
  placecheck test examples/custom-policy         the example custom policy
  placecheck test --builtin testdata/policies    the built-in catalog, in a placecheck checkout
  placecheck test policies/ --run memory -v      only tests whose name contains `memory`")]
pub struct TestArgs {
    /// Directories (or .rego files) with policies, `*_test.rego` tests and fixture
    /// directories `<id>/{pass,fail}/` or `testdata/policies/<id>/{pass,fail}/`. Added to
    /// `policies.paths` of .placecheck.yaml; default: the current directory.
    #[arg(value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Also run the built-in catalog's Rego unit tests (embedded in the binary).
    #[arg(long)]
    pub builtin: bool,
    /// Only run tests whose name contains this text.
    #[arg(long, value_name = "TEXT")]
    pub run: Option<String>,
    /// Stop a test (or a policy over a fixture) that runs longer than this many seconds.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub timeout: f64,
}

/// `placecheck test` could not run the tests (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum TestError {
    #[error("{0}")]
    Policy(#[from] PolicyError),
    #[error("test directory {0} does not exist")]
    MissingDir(String),
    #[error(
        "no tests found in {0}: tests are `test_*` rules in *_test.rego files and fixture directories <id>/{{pass,fail}}/ or testdata/policies/<id>/{{pass,fail}}/"
    )]
    NoTests(String),
    #[error("cannot write the report: {0}")]
    Io(#[from] std::io::Error),
}

/// How a case directory must behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CaseKind {
    /// No finding of the policy.
    Pass,
    /// Findings of the policy exactly on the marked lines.
    Fail,
}

impl CaseKind {
    /// `pass`, `pass-*` → Pass; `fail`, `fail-*` → Fail.
    pub fn from_dir_name(name: &str) -> Option<CaseKind> {
        let is = |base: &str| {
            name == base
                || name
                    .strip_prefix(base)
                    .is_some_and(|rest| rest.starts_with('-'))
        };
        if is("pass") {
            Some(CaseKind::Pass)
        } else if is("fail") {
            Some(CaseKind::Fail)
        } else {
            None
        }
    }
}

/// One fixture directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureCase {
    pub id: String,
    pub kind: CaseKind,
    /// `pass`, `fail`, `fail-pinned`, …
    pub case: String,
    pub dir: PathBuf,
}

impl FixtureCase {
    pub fn name(&self) -> String {
        format!("fixture {}/{}", self.id, self.case)
    }
}

/// One Rego unit test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegoTest {
    /// `data.<package>.<rule>`, also the rule path evaluated.
    pub name: String,
    /// The module it is in and the line of its (first) head.
    pub file: String,
    pub line: usize,
}

/// The outcome of one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    pub name: String,
    /// Where the test is: `file:line` or the fixture directory.
    pub location: String,
    pub passed: bool,
    /// Why it failed, and `print()` output.
    pub details: Vec<String>,
}

// ------------------------------------------------------------------------------------------------
// Fixtures

/// `(file relative to dir, line)` of every line that follows a `# expect: <id>` marker, in every
/// file under `dir` (recursively, hidden entries skipped). Paths use `/`.
pub fn expectations(dir: &Path, id: &str) -> BTreeSet<(String, u32)> {
    let mut out = BTreeSet::new();
    let walk = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for e in walk.flatten() {
        if !e.file_type().is_file() {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        let rel = relative(e.path(), dir);
        for (i, line) in text.lines().enumerate() {
            if is_marker(line, id) {
                out.insert((rel.clone(), u32::try_from(i + 2).unwrap_or(u32::MAX)));
            }
        }
    }
    out
}

fn is_marker(line: &str, id: &str) -> bool {
    line.trim()
        .strip_prefix(MARKER_PREFIX)
        .is_some_and(|rest| rest.trim() == id)
}

/// `path` relative to `base` with `/` separators (unchanged when it is not under `base`).
fn relative(path: &Path, base: &Path) -> String {
    // `./x` and `x` name the same file: the loader drops leading `./` from displayed paths.
    let plain = |p: &Path| -> PathBuf {
        p.components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect()
    };
    let (path, base) = (plain(path), plain(base));
    let rel = path.strip_prefix(&base).unwrap_or(&path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Loads `dir` as one inventory, as `placecheck lint DIR` would, and evaluates the policies.
pub fn lint_dir(
    policies: &PolicySet,
    dir: &Path,
    cfg: &config::Loaded,
    opts: &RunOptions,
) -> Result<Vec<Finding>, source::LoadError> {
    let loaded = source::load(
        &[Input {
            kind: InputKind::Path(dir.to_path_buf()),
            context: false,
        }],
        &LoadOptions::default(),
    )?;
    let inv = Inventory::from_loaded(loaded);
    Ok(run::run(&inv, policies, cfg, opts).findings)
}

/// Compares the findings of policy `id` over a case directory with what the case expects.
/// Returns the problems, one line each; empty when the case passes.
pub fn check_case(findings: &[Finding], dir: &Path, id: &str, kind: CaseKind) -> Vec<String> {
    let ours: Vec<&Finding> = findings.iter().filter(|f| f.policy == id).collect();
    let key = |f: &Finding| {
        let file = f
            .location
            .file
            .as_deref()
            .map(|p| relative(Path::new(p), dir))
            .unwrap_or_default();
        (file, f.location.line.unwrap_or(0))
    };
    let got: BTreeSet<(String, u32)> = ours.iter().map(|f| key(f)).collect();
    let want = match kind {
        CaseKind::Pass => BTreeSet::new(),
        CaseKind::Fail => expectations(dir, id),
    };
    let mut problems = Vec::new();
    if kind == CaseKind::Fail && want.is_empty() {
        problems.push(format!(
            "no `{MARKER_PREFIX} {id}` marker in {}: put one on the line above each line a finding must point to",
            dir.display()
        ));
    }
    for (file, line) in want.difference(&got) {
        problems.push(format!(
            "expected a finding of {id} at {file}:{line} (marked on line {}), got none there",
            line.saturating_sub(1)
        ));
    }
    for f in &ours {
        let k = key(f);
        if !want.contains(&k) {
            let at = if k.0.is_empty() {
                "(no file)".to_string()
            } else {
                format!("{}:{}", k.0, k.1)
            };
            problems.push(format!("unexpected finding of {id} at {at}: {}", f.message));
        }
    }
    problems.dedup();
    problems
}

/// Runs one fixture case through the real pipeline.
pub fn run_case(
    policies: &PolicySet,
    case: &FixtureCase,
    cfg: &config::Loaded,
    opts: &RunOptions,
) -> TestResult {
    let details = if policies.find(&case.id).is_none() {
        let known: Vec<&str> = policies
            .policies
            .iter()
            .map(|p| p.info.id.as_str())
            .collect();
        vec![format!(
            "no loaded policy has the id {:?} (known: {})",
            case.id,
            known.join(", ")
        )]
    } else {
        match lint_dir(policies, &case.dir, cfg, opts) {
            Ok(findings) => check_case(&findings, &case.dir, &case.id, case.kind),
            Err(e) => vec![e.to_string()],
        }
    };
    TestResult {
        name: case.name(),
        location: case.dir.display().to_string(),
        passed: details.is_empty(),
        details,
    }
}

/// The fixture cases under `dir`: `dir/<id>/<case>/` and `dir/testdata/policies/<id>/<case>/`.
pub fn fixture_cases(dir: &Path) -> Vec<FixtureCase> {
    let mut out = Vec::new();
    for root in [dir.to_path_buf(), dir.join("testdata").join("policies")] {
        for id_dir in sorted_subdirs(&root) {
            let Some(id) = id_dir.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                continue;
            };
            for case_dir in sorted_subdirs(&id_dir) {
                let case = case_dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if let Some(kind) = CaseKind::from_dir_name(&case) {
                    out.push(FixtureCase {
                        id: id.clone(),
                        kind,
                        case,
                        dir: case_dir,
                    });
                }
            }
        }
    }
    out
}

fn sorted_subdirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

// ------------------------------------------------------------------------------------------------
// Rego unit tests

/// The package a module declares (`placecheck.policies.x_test`), without `data.`.
pub fn package_of(source: &str) -> Option<String> {
    source.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("package")?;
        if !rest.starts_with(char::is_whitespace) {
            return None;
        }
        let pkg = rest.split('#').next().unwrap_or_default().trim();
        (!pkg.is_empty()).then(|| pkg.to_string())
    })
}

/// Whether a module holds tests: a `*_test.rego` file or a package ending in `_test`.
pub fn is_test_module(m: &Module) -> bool {
    m.path.ends_with("_test.rego") || package_of(&m.source).is_some_and(|p| p.ends_with("_test"))
}

/// Candidate test rule names with the line of their first appearance: identifiers `test_*`
/// that start a line. The caller confirms each with the engine (comments and strings that
/// happen to match are not rules).
fn test_rule_candidates(source: &str) -> Vec<(String, usize)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let l = line.trim_start();
        if !l.starts_with("test_") {
            continue;
        }
        let end = l
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(l.len());
        let name = &l[..end];
        if seen.insert(name.to_string()) {
            out.push((name.to_string(), i + 1));
        }
    }
    out
}

/// The Rego unit tests of the test modules for which `include` is true, in module order and
/// then source order.
pub fn rego_tests(set: &PolicySet, include: &dyn Fn(&Module) -> bool) -> Vec<RegoTest> {
    let engine = set.engine();
    let mut out = Vec::new();
    for m in &set.modules {
        if !is_test_module(m) || !include(m) {
            continue;
        }
        let Some(pkg) = package_of(&m.source) else {
            continue;
        };
        for (rule, line) in test_rule_candidates(&m.source) {
            if engine
                .has_declared_rule_rooted_at(&m.path, &rule)
                .unwrap_or(false)
            {
                out.push(RegoTest {
                    name: format!("data.{pkg}.{rule}"),
                    file: m.path.clone(),
                    line,
                });
            }
        }
    }
    out
}

/// Evaluates one test rule on a fresh clone of the prepared engine.
pub fn run_rego_test(engine: &Engine, t: &RegoTest, timeout: Duration) -> TestResult {
    let mut e = engine.clone();
    e.set_gather_prints(true);
    e.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
        limit: timeout,
        check_interval: NonZeroU32::new(64).unwrap_or(NonZeroU32::MIN),
    });
    let outcome = e.eval_rule(t.name.clone());
    let prints = e.take_prints().unwrap_or_default();
    let mut details = match outcome {
        Ok(Value::Bool(false)) => vec!["the test evaluated to false".to_string()],
        Ok(Value::Undefined) => {
            vec!["the test is undefined: a condition in its body did not hold".to_string()]
        }
        Ok(_) => Vec::new(),
        Err(err) => vec![format!("error: {err:#}")],
    };
    let passed = details.is_empty();
    if !passed {
        details.extend(prints.iter().map(|p| format!("print: {p}")));
    }
    TestResult {
        name: t.name.clone(),
        location: format!("{}:{}", t.file, t.line),
        passed,
        details,
    }
}

// ------------------------------------------------------------------------------------------------
// The command

/// How to print the results.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
    pub verbose: bool,
    pub quiet: bool,
}

/// The directories to test: the arguments plus `policies.paths` (relative to the configuration
/// file), else the current directory; each existing, each once.
pub fn test_dirs(args: &TestArgs, cfg: &config::Loaded) -> Result<Vec<PathBuf>, TestError> {
    let mut dirs = cfg.policy_paths();
    dirs.extend(args.dirs.iter().cloned());
    if dirs.is_empty() {
        dirs.push(PathBuf::from("."));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for d in dirs {
        if !d.exists() {
            return Err(TestError::MissingDir(d.display().to_string()));
        }
        let key = std::fs::canonicalize(&d).unwrap_or_else(|_| d.clone());
        if seen.insert(key) {
            out.push(d);
        }
    }
    Ok(out)
}

/// The modules `placecheck test` compiles besides the built-in policies: the built-in test
/// library (and with `builtin`, the built-in unit tests), then the user's modules with their
/// tests — each file once, and none that is identical to a built-in module.
pub fn test_modules(dirs: &[PathBuf], builtin: bool) -> Result<Vec<Module>, PolicyError> {
    let mut modules: Vec<Module> = policy::builtin_test_modules()
        .into_iter()
        .filter(|m| builtin || m.path.starts_with("builtin:lib/"))
        .collect();
    let known: BTreeSet<String> = policy::builtin_modules()
        .into_iter()
        .chain(modules.iter().cloned())
        .map(|m| m.source)
        .collect();
    let mut files = BTreeSet::new();
    for m in policy::read_modules(dirs, true)? {
        let key = std::fs::canonicalize(&m.path).unwrap_or_else(|_| PathBuf::from(&m.path));
        if known.contains(&m.source) || !files.insert(key) {
            continue;
        }
        modules.push(m);
    }
    Ok(modules)
}

/// Runs `placecheck test`: prints one line per failing test (every test with `verbose`), the
/// details of failures and the summary. Returns the exit code: 0 all passed, 1 a test failed.
pub fn command(
    args: &TestArgs,
    cfg: &config::Loaded,
    opts: &RunOptions,
    style: Style,
    out: &mut dyn Write,
) -> Result<u8, TestError> {
    let dirs = test_dirs(args, cfg)?;
    let timeout = Duration::from_secs_f64(args.timeout.clamp(0.001, 1e9));
    let modules = test_modules(&dirs, args.builtin)?;
    let set = PolicySet::load(
        modules,
        EngineOptions {
            timeout,
            gates: opts.facts.scheduling.gates,
        },
    )?;
    let selected = |name: &str| args.run.as_deref().is_none_or(|r| name.contains(r));

    let tests: Vec<RegoTest> = rego_tests(&set, &|m| args.builtin || !m.builtin)
        .into_iter()
        .filter(|t| selected(&t.name))
        .collect();
    let mut cases: Vec<FixtureCase> = Vec::new();
    let mut seen = BTreeSet::new();
    for d in dirs.iter().filter(|d| d.is_dir()) {
        for c in fixture_cases(d) {
            let key = std::fs::canonicalize(&c.dir).unwrap_or_else(|_| c.dir.clone());
            if seen.insert(key) && selected(&c.name()) {
                cases.push(c);
            }
        }
    }
    if tests.is_empty() && cases.is_empty() {
        let shown: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(TestError::NoTests(shown.join(", ")));
    }

    // Fixtures are judged with the configuration's parameters and Kubernetes settings, but
    // every policy enabled and no configured exemption: a case tests the policy, not the repo.
    let mut fixture_cfg = cfg.clone();
    fixture_cfg.config.policies.disable.clear();
    fixture_cfg.config.policies.severity.clear();
    fixture_cfg.config.exemptions.clear();

    let engine = set.engine();
    let mut results: Vec<TestResult> = tests
        .par_iter()
        .map(|t| run_rego_test(&engine, t, timeout))
        .collect();
    let fixtures: Vec<TestResult> = cases
        .par_iter()
        .map(|c| run_case(&set, c, &fixture_cfg, opts))
        .collect();
    results.extend(fixtures);
    report(&results, style, out)?;
    Ok(u8::from(results.iter().any(|r| !r.passed)))
}

/// Prints results: `FAIL name (where)` with indented details, `PASS name` with `verbose`, and
/// `N passed, M failed` (unless `quiet`).
pub fn report(results: &[TestResult], style: Style, out: &mut dyn Write) -> std::io::Result<()> {
    let paint = |s: anstyle::Style, text: &str| {
        if style.color {
            format!("{}{text}{}", s.render(), s.render_reset())
        } else {
            text.to_string()
        }
    };
    let red = anstyle::AnsiColor::Red.on_default().bold();
    let green = anstyle::AnsiColor::Green.on_default().bold();
    let mut counts: BTreeMap<bool, usize> = BTreeMap::new();
    for r in results {
        *counts.entry(r.passed).or_default() += 1;
        if r.passed {
            if style.verbose {
                writeln!(out, "{} {}", paint(green, "PASS"), r.name)?;
            }
            continue;
        }
        writeln!(out, "{} {} ({})", paint(red, "FAIL"), r.name, r.location)?;
        for d in &r.details {
            for line in d.lines() {
                writeln!(out, "    {line}")?;
            }
        }
    }
    if !style.quiet {
        let passed = counts.get(&true).copied().unwrap_or(0);
        let failed = counts.get(&false).copied().unwrap_or(0);
        writeln!(out, "{passed} passed, {failed} failed")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_kinds_from_directory_names() {
        assert_eq!(CaseKind::from_dir_name("pass"), Some(CaseKind::Pass));
        assert_eq!(CaseKind::from_dir_name("fail-pinned"), Some(CaseKind::Fail));
        assert_eq!(CaseKind::from_dir_name("failure"), None);
        assert_eq!(CaseKind::from_dir_name("passes"), None);
    }

    #[test]
    fn markers_are_exact() {
        assert!(is_marker(
            "  # expect: model-unplaceable",
            "model-unplaceable"
        ));
        assert!(is_marker(
            "# expect:model-unplaceable ",
            "model-unplaceable"
        ));
        assert!(!is_marker(
            "# expect: model-unplaceable-x",
            "model-unplaceable"
        ));
        assert!(!is_marker(
            "x: 1 # expect: model-unplaceable",
            "model-unplaceable"
        ));
    }

    #[test]
    fn packages_and_candidates() {
        let src = "# a comment\npackage  a.b_test # tests\n\nimport rego.v1\n\ntest_one if {\n  true\n}\n\n# test_not_a_rule\ntest_two := true\ntest_one if false\n";
        assert_eq!(package_of(src).as_deref(), Some("a.b_test"));
        let names: Vec<String> = test_rule_candidates(src)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["test_one", "test_two"]);
        assert_eq!(package_of("packages := 1\n"), None);
    }

    #[test]
    fn relative_paths_use_slashes() {
        assert_eq!(
            relative(Path::new("a/b/fail/x/y.yaml"), Path::new("a/b/fail")),
            "x/y.yaml"
        );
        assert_eq!(relative(Path::new("z.yaml"), Path::new("a")), "z.yaml");
        assert_eq!(
            relative(Path::new("t/fail/y.yaml"), Path::new("./t/fail")),
            "y.yaml"
        );
    }
}
