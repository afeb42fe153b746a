//! The command line: flags (clap derive; doc comments are the `--help` text) and dispatch.
//!
//! Raw flags plus `.placecheck.yaml` become validated settings here; the commands then call the
//! library. Exit codes (product spec §1): 0 clean, 1 findings at or above `--fail-on`, 2 the
//! tool could not do its job.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::config;
use crate::facts::input::Mode;
use crate::facts::{FactsOptions, Params};
use crate::finding::Severity;
use crate::inventory::Inventory;
use crate::policy::{EngineOptions, PolicySet};
use crate::report::{Format, FormatTarget, FormatTargetError, Report, ReportOptions};
use crate::run::{RunOptions, RunResult};
use crate::scheduling::{FeatureGates, SchedulingOptions};
use crate::source::{self, Input, InputKind, LoadOptions};

const EXAMPLES: &str = "\
Examples:
  placecheck lint deploy/                      lint every manifest under deploy/
  placecheck lint models/new.yaml --context .  lint one file with the whole repo as context
  helm template charts/seldon | placecheck lint -
  placecheck explain deploy/ --server triton-a100
  placecheck lint deploy/ --format human --format sarif=placecheck.sarif
  placecheck lint servers/new.yaml --cluster   judge a change against the live cluster
  placecheck audit --once --format json        evaluate the live cluster once (CI gate)";

/// Placement policies for Seldon Core 2 and Kubernetes: will every Model land on the right Node?
#[derive(Debug, Parser)]
#[command(name = "placecheck", version, after_help = EXAMPLES, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// When to use colors.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// Print only findings (no summary).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More output: exempted findings, skipped documents; -vv for debug logs (on stderr).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Configuration file (default: .placecheck.yaml found from the current directory upwards).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests against the placement policies.
    #[command(after_help = EXAMPLES)]
    Lint(LintArgs),
    /// Show where Servers, workloads and Models can land, and why not, per node and per Server.
    Explain(ExplainArgs),
    /// Evaluate the live cluster (kubeconfig or in-cluster). `--once`: one evaluation, printed
    /// like `lint`, with lint's exit codes.
    Audit(AuditArgs),
    /// Print the partial Seldon and Strimzi CRDs placecheck's tests install (YAML; for tests
    /// and scratch clusters, never for production: Seldon and Strimzi ship the real ones).
    #[command(hide = true)]
    Crds,
    /// List the policies, or show one policy's documentation.
    Policies(PoliciesArgs),
    /// Run policy tests: Rego `test_*` rules and fixture cases (`<id>/{pass,fail}/`).
    Test(crate::testing::TestArgs),
    /// Write a commented starter .placecheck.yaml.
    Init(InitArgs),
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

#[derive(Debug, Args, Clone)]
pub struct InputArgs {
    /// Files or directories to read (`-` for stdin). Directories are read recursively
    /// (*.yaml, *.yml, *.json), skipping hidden and .gitignored paths.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Also load these files or directories as context (Nodes, Servers, …) without reporting
    /// findings on them. Repeatable.
    #[arg(long, value_name = "PATH")]
    pub context: Vec<PathBuf>,
    /// Skip paths matching this glob. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Kubernetes feature gates, e.g. TaintTolerationComparisonOperators=true.
    #[arg(long, value_name = "GATE=BOOL", value_delimiter = ',')]
    pub feature_gates: Vec<String>,
}

/// Which cluster to read.
#[derive(Debug, Args, Clone)]
pub struct KubeArgs {
    /// Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then the in-cluster service account).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub kube_context: Option<String>,
    /// Objects per list request; larger lists are read page by page.
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    pub chunk_size: u32,
}

/// `--cluster` for `lint` and `explain`.
#[derive(Debug, Args, Clone)]
pub struct ClusterArgs {
    /// Also read Nodes, ServerConfigs, Servers, Models, pods and workloads from the live cluster
    /// as context. Objects in the files replace the live object with the same identity.
    #[arg(long)]
    pub cluster: bool,
    /// Kubeconfig file (with --cluster; default: $KUBECONFIG, ~/.kube/config, then in-cluster).
    #[arg(long, value_name = "FILE", requires = "cluster")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (with --cluster; default: the current context).
    #[arg(long, value_name = "NAME", requires = "cluster")]
    pub kube_context: Option<String>,
    /// Objects per list request (with --cluster); larger lists are read page by page.
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    pub chunk_size: u32,
}

impl ClusterArgs {
    fn kube(&self) -> Option<KubeArgs> {
        self.cluster.then(|| KubeArgs {
            kubeconfig: self.kubeconfig.clone(),
            kube_context: self.kube_context.clone(),
            chunk_size: self.chunk_size,
        })
    }
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Evaluate one snapshot, print the findings and exit (the continuous auditor is not
    /// implemented yet).
    #[arg(long)]
    pub once: bool,
    #[command(flatten)]
    pub kube: KubeArgs,
    #[command(flatten)]
    pub eval: EvalArgs,
    /// Kubernetes feature gates, e.g. TaintTolerationComparisonOperators=true.
    #[arg(long, value_name = "GATE=BOOL", value_delimiter = ',')]
    pub feature_gates: Vec<String>,
}

impl EvalArgs {
    /// The `--format` values, parsed (the reporters own the `KIND[=FILE]` syntax).
    fn targets(&self) -> Result<Vec<FormatTarget>, Fatal> {
        self.format
            .iter()
            .map(|f| {
                f.parse::<FormatTarget>().map_err(|e| match e {
                    FormatTargetError::UnknownFormat(_) => {
                        Fatal(format!("--format {f:?} names an unknown format: {e}"))
                    }
                    FormatTargetError::MissingFile(_) => Fatal(e.to_string()),
                })
            })
            .collect()
    }
}

/// How findings are evaluated and reported (`lint` and `audit`).
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Output format, optionally written to a file: `json`, `json=out.json`. Repeatable.
    #[arg(long, value_name = "FORMAT[=FILE]", default_value = "human")]
    pub format: Vec<String>,
    /// Lowest severity that makes the exit code 1 (`never`: always 0).
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Extra policy directory or file (Rego). Repeatable; adds to `policies.paths`.
    #[arg(long, value_name = "DIR")]
    pub policy: Vec<PathBuf>,
    /// Ignore placecheck.io/ignore annotations (so editing a manifest cannot silence the gate).
    #[arg(long)]
    pub no_annotation_exemptions: bool,
    /// Stop a policy that runs longer than this many seconds.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub policy_timeout: f64,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub eval: EvalArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Only this Server (name or namespace/name).
    #[arg(long)]
    pub server: Option<String>,
    /// Only this Model (name or namespace/name).
    #[arg(long)]
    pub model: Option<String>,
    /// Only this Node's verdicts.
    #[arg(long)]
    pub node: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
    pub format: ExplainFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct PoliciesArgs {
    #[command(subcommand)]
    pub action: Option<PoliciesAction>,
    /// Extra policy directory or file (Rego). Repeatable.
    #[arg(long, value_name = "DIR", global = true)]
    pub policy: Vec<PathBuf>,
    /// Output format of the listing.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
    pub format: ExplainFormat,
}

#[derive(Debug, Subcommand)]
pub enum PoliciesAction {
    /// Print one policy's documentation (what, why, example, fix) as Markdown.
    Show {
        /// The policy id, e.g. model-unplaceable.
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write (default: ./.placecheck.yaml).
    #[arg(default_value = config::FILE_NAME)]
    pub path: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

/// A failure of the tool itself (exit code 2).
#[derive(Debug)]
pub struct Fatal(pub String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(e: E) -> Self {
        Fatal(e.to_string())
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.global.verbose);
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(Fatal(msg)) => {
            if msg.contains("Broken pipe") {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 | 1 => "warn",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PLACECHECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("placecheck={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}

fn run(cli: Cli) -> Result<u8, Fatal> {
    let g = &cli.global;
    match &cli.command {
        Command::Lint(a) => lint(g, a),
        Command::Explain(a) => explain(g, a),
        Command::Audit(a) => audit(g, a),
        Command::Crds => crds(),
        Command::Policies(a) => policies(g, a),
        Command::Test(a) => test(g, a),
        Command::Init(a) => init(a),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(*shell, &mut cmd, "placecheck", &mut std::io::stdout());
            Ok(0)
        }
        Command::Man => {
            let man = clap_mangen::Man::new(Cli::command());
            man.render(&mut std::io::stdout())?;
            Ok(0)
        }
    }
}

fn color(g: &Global) -> bool {
    match g.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
        }
    }
}

fn load_config(g: &Global) -> Result<config::Loaded, Fatal> {
    let cwd = std::env::current_dir()?;
    match config::discover(g.config.as_deref(), &cwd) {
        Some(p) => {
            if g.config.is_some() && !p.is_file() {
                return Err(Fatal(format!(
                    "configuration file {} does not exist",
                    p.display()
                )));
            }
            Ok(config::load(&p)?)
        }
        None => Ok(config::Loaded::default()),
    }
}

fn scheduling_options(cfg: &config::Loaded, flags: &[String]) -> Result<SchedulingOptions, Fatal> {
    let mut gates = FeatureGates::default();
    let mut set = |name: &str, on: bool| -> Result<(), Fatal> {
        match name {
            "TaintTolerationComparisonOperators" => {
                gates.taint_toleration_comparison_operators = on;
                Ok(())
            }
            other => Err(Fatal(format!(
                "unknown feature gate {other:?}: placecheck models TaintTolerationComparisonOperators"
            ))),
        }
    };
    for (k, v) in &cfg.config.kubernetes.feature_gates {
        set(k, *v)?;
    }
    for f in flags {
        let (k, v) = f.split_once('=').unwrap_or((f, "true"));
        let on = match v {
            "true" => true,
            "false" => false,
            _ => {
                return Err(Fatal(format!(
                    "--feature-gates {f}: the value must be true or false"
                )));
            }
        };
        set(k.trim(), on)?;
    }
    Ok(SchedulingOptions {
        gates,
        extended_resource_toleration: cfg
            .config
            .kubernetes
            .admission_plugins
            .iter()
            .any(|p| p == "ExtendedResourceToleration"),
    })
}

/// Loads the files (and, with `--cluster`, the live objects as context). Without paths, `lint`
/// reads the current directory; `explain --cluster` reads the cluster alone.
fn load_inventory(
    a: &InputArgs,
    g: &Global,
    live: Option<(&KubeArgs, &config::Loaded)>,
    cwd_by_default: bool,
) -> Result<Inventory, Fatal> {
    let mut inv = if !cwd_by_default && live.is_some() && a.paths.is_empty() && a.context.is_empty()
    {
        Inventory::default()
    } else {
        load_files(a, g)?
    };
    if let Some((k, cfg)) = live {
        add_live(&mut inv, k, cfg, true, g)?;
    }
    Ok(inv)
}

/// Reads the cluster into the inventory (`as_context`: findings on live objects not reported).
#[cfg(feature = "cluster")]
fn add_live(
    inv: &mut Inventory,
    k: &KubeArgs,
    cfg: &config::Loaded,
    as_context: bool,
    g: &Global,
) -> Result<(), Fatal> {
    let target = crate::cluster::Target {
        kubeconfig: k.kubeconfig.clone(),
        context: k.kube_context.clone(),
    };
    let params = Params::with_overrides(&cfg.config.parameters);
    let opts = crate::cluster::ReadOptions {
        seldon_namespace: params.seldon_namespace,
        page_size: k.chunk_size,
    };
    let snap = crate::cluster::read::read(&target, &opts).map_err(|e| Fatal(e.to_string()))?;
    let (server, elapsed, missing) = (snap.server.clone(), snap.elapsed, snap.missing.clone());
    let stats = crate::cluster::merge(inv, snap, as_context);
    tracing::debug!(?elapsed, ?stats, "live objects merged");
    if g.verbose > 0 {
        let replaced = if stats.overridden > 0 {
            format!("; {} replaced by the files", stats.overridden)
        } else {
            String::new()
        };
        let not_served = if missing.is_empty() {
            String::new()
        } else {
            format!("; not served by the API server: {}", missing.join(", "))
        };
        let _ = writeln!(
            std::io::stderr(),
            "note: read {} object(s) from {server} in {elapsed:.0?}{replaced}{not_served}",
            stats.added + stats.overridden,
        );
    }
    Ok(())
}

#[cfg(not(feature = "cluster"))]
fn add_live(
    _: &mut Inventory,
    _: &KubeArgs,
    _: &config::Loaded,
    _: bool,
    _: &Global,
) -> Result<(), Fatal> {
    Err(Fatal(
        "this placecheck was built without the `cluster` feature: it cannot read a cluster".into(),
    ))
}

fn load_files(a: &InputArgs, g: &Global) -> Result<Inventory, Fatal> {
    let mut inputs = Vec::new();
    let paths: Vec<PathBuf> = if a.paths.is_empty() && a.context.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    for p in &paths {
        let kind = if p.as_os_str() == "-" {
            InputKind::Stdin
        } else {
            InputKind::Path(p.clone())
        };
        inputs.push(Input {
            kind,
            context: false,
        });
    }
    for p in &a.context {
        inputs.push(Input {
            kind: InputKind::Path(p.clone()),
            context: true,
        });
    }
    let opts = LoadOptions {
        excludes: a.exclude.clone(),
        ..LoadOptions::default()
    };
    let t = std::time::Instant::now();
    let loaded = source::load(&inputs, &opts)?;
    tracing::debug!(elapsed = ?t.elapsed(), documents = loaded.documents.len(), "loaded");
    let t = std::time::Instant::now();
    let inv = Inventory::from_loaded(loaded);
    tracing::debug!(elapsed = ?t.elapsed(), objects = inv.objects.len(), "inventory");
    if g.verbose > 0 && inv.skipped > 0 {
        let _ = writeln!(
            std::io::stderr(),
            "note: skipped {} document(s) that are not Kubernetes objects",
            inv.skipped
        );
    }
    Ok(inv)
}

fn load_policies(
    cfg: &config::Loaded,
    extra: &[PathBuf],
    timeout: f64,
) -> Result<PolicySet, Fatal> {
    let mut dirs = cfg.policy_paths();
    dirs.extend(extra.iter().cloned());
    let modules = crate::policy::read_modules(&dirs, false)?;
    let opts = EngineOptions {
        timeout: std::time::Duration::from_secs_f64(timeout.max(0.001)),
        ..EngineOptions::default()
    };
    Ok(PolicySet::load(modules, opts)?)
}

fn run_options(
    cfg: &config::Loaded,
    a: &InputArgs,
    annotation_exemptions: bool,
) -> Result<RunOptions, Fatal> {
    Ok(RunOptions {
        mode: Mode::Lint,
        facts: FactsOptions {
            scheduling: scheduling_options(cfg, &a.feature_gates)?,
            params: Params::with_overrides(&cfg.config.parameters),
        },
        annotation_exemptions,
        today: jiff::Zoned::now().date(),
        list_checked: false,
    })
}

fn lint(g: &Global, a: &LintArgs) -> Result<u8, Fatal> {
    let formats = a.eval.targets()?;
    let cfg = load_config(g)?;
    let t = std::time::Instant::now();
    let policies = load_policies(&cfg, &a.eval.policy, a.eval.policy_timeout)?;
    tracing::debug!(elapsed = ?t.elapsed(), policies = policies.policies.len(), "policies compiled");
    let mut opts = run_options(&cfg, &a.input, !a.eval.no_annotation_exemptions)?;
    opts.list_checked = formats.iter().any(|t| t.format == Format::Junit);
    let kube = a.cluster.kube();
    let inv = load_inventory(&a.input, g, kube.as_ref().map(|k| (k, &cfg)), true)?;
    let result = crate::run::run(&inv, &policies, &cfg, &opts);
    let code = exit_code(&result, a.eval.fail_on);
    let t = std::time::Instant::now();
    write_reports(g, &formats, &result, code)?;
    tracing::debug!(elapsed = ?t.elapsed(), "reports written");
    // The process ends here: freeing a fleet-sized inventory piece by piece takes longer than
    // the evaluation of some policies, and the OS reclaims it at once.
    std::mem::forget(inv);
    std::mem::forget(result);
    Ok(code)
}

pub fn exit_code(r: &RunResult, fail_on: FailOn) -> u8 {
    match (fail_on.threshold(), r.worst()) {
        (Some(t), Some(w)) if w >= t => 1,
        _ => 0,
    }
}

fn write_reports(
    g: &Global,
    formats: &[FormatTarget],
    r: &RunResult,
    code: u8,
) -> Result<(), Fatal> {
    for FormatTarget { format, file } in formats {
        let report = Report {
            findings: &r.findings,
            exempted: &r.exempted,
            policies: &r.policies,
            checked: &r.checked,
            sources: &r.sources,
            stats: r.stats,
            exit_code: i32::from(code),
            options: ReportOptions {
                color: file.is_none() && color(g),
                verbose: g.verbose > 0,
                quiet: g.quiet,
            },
        };
        let reporter = format.reporter();
        match file {
            Some(path) => {
                let mut f = std::io::BufWriter::new(
                    std::fs::File::create(path)
                        .map_err(|e| Fatal(format!("cannot write {}: {e}", path.display())))?,
                );
                reporter.report(&report, &mut f)?;
                f.flush()?;
            }
            None => {
                let stdout = std::io::stdout();
                let mut w = std::io::BufWriter::new(stdout.lock());
                reporter.report(&report, &mut w)?;
                w.flush()?;
            }
        }
    }
    Ok(())
}

fn explain(g: &Global, a: &ExplainArgs) -> Result<u8, Fatal> {
    let cfg = load_config(g)?;
    let opts = run_options(&cfg, &a.input, true)?;
    let kube = a.cluster.kube();
    let inv = load_inventory(&a.input, g, kube.as_ref().map(|k| (k, &cfg)), false)?;
    let facts = crate::facts::Facts::compute(&inv, &opts.facts);
    let filter = crate::explain::Filter {
        server: a.server.clone(),
        model: a.model.clone(),
        node: a.node.clone(),
    };
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    match a.format {
        ExplainFormat::Human => crate::explain::human(&inv, &facts, &filter, color(g), &mut w)?,
        ExplainFormat::Json => {
            let doc = crate::explain::json(&inv, &facts, &filter, &opts.facts.params);
            serde_json::to_writer_pretty(&mut w, &doc)?;
            writeln!(w)?;
        }
    }
    w.flush()?;
    // Problems with the input still make the run fail, as in lint.
    let invalid = inv
        .problems
        .iter()
        .chain(facts.problems.iter())
        .any(|p| p.policy == "invalid-manifest");
    for p in inv.problems.iter().chain(facts.problems.iter()) {
        if p.policy == "invalid-manifest" {
            let loc = match &p.at {
                crate::inventory::ProblemAt::File { file, position, .. } => format!(
                    "{}:{}:{}",
                    inv.files.get(*file).map(|f| f.path.as_str()).unwrap_or("?"),
                    position.line,
                    position.column
                ),
                crate::inventory::ProblemAt::Object(i, path) => {
                    let l = inv.locate(*i, path);
                    format!(
                        "{}:{}:{}",
                        l.file.or(l.cluster).unwrap_or_default(),
                        l.line.unwrap_or(0),
                        l.column.unwrap_or(0)
                    )
                }
            };
            let _ = writeln!(std::io::stderr(), "warning: {loc}: {}", p.message);
        }
    }
    Ok(u8::from(invalid))
}

/// `audit --once`: one evaluation of the live cluster, every finding reported.
fn audit(g: &Global, a: &AuditArgs) -> Result<u8, Fatal> {
    if !a.once {
        return Err(Fatal(
            "the continuous auditor is not implemented yet; use --once to evaluate the cluster once".into(),
        ));
    }
    let formats = a.eval.targets()?;
    let cfg = load_config(g)?;
    let policies = load_policies(&cfg, &a.eval.policy, a.eval.policy_timeout)?;
    let opts = RunOptions {
        mode: Mode::Audit,
        facts: FactsOptions {
            scheduling: scheduling_options(&cfg, &a.feature_gates)?,
            params: Params::with_overrides(&cfg.config.parameters),
        },
        annotation_exemptions: !a.eval.no_annotation_exemptions,
        today: jiff::Zoned::now().date(),
        list_checked: formats.iter().any(|t| t.format == Format::Junit),
    };
    let mut inv = Inventory::default();
    add_live(&mut inv, &a.kube, &cfg, false, g)?;
    let result = crate::run::run(&inv, &policies, &cfg, &opts);
    let code = exit_code(&result, a.eval.fail_on);
    write_reports(g, &formats, &result, code)?;
    Ok(code)
}

#[cfg(feature = "cluster")]
fn crds() -> Result<u8, Fatal> {
    let text = crate::cluster::crd::yaml().map_err(Fatal)?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(0)
}

#[cfg(not(feature = "cluster"))]
fn crds() -> Result<u8, Fatal> {
    Err(Fatal(
        "this placecheck was built without the `cluster` feature".into(),
    ))
}

fn policies(g: &Global, a: &PoliciesArgs) -> Result<u8, Fatal> {
    let cfg = load_config(g)?;
    let set = load_policies(&cfg, &a.policy, 10.0)?;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    match &a.action {
        None => match a.format {
            ExplainFormat::Json => {
                let infos: Vec<_> = set.policies.iter().map(|p| &p.info).collect();
                serde_json::to_writer_pretty(
                    &mut w,
                    &serde_json::json!({"version": 1, "policies": infos}),
                )?;
                writeln!(w)?;
            }
            ExplainFormat::Human => {
                let width = set
                    .policies
                    .iter()
                    .map(|p| p.info.id.len())
                    .max()
                    .unwrap_or(0);
                for p in &set.policies {
                    let src = if p.info.source == "builtin" {
                        String::new()
                    } else {
                        format!("  ({})", p.info.source)
                    };
                    writeln!(
                        w,
                        "{:<width$}  {:<7}  {}{src}",
                        p.info.id,
                        p.info.severity.as_str(),
                        p.info.title
                    )?;
                }
            }
        },
        Some(PoliciesAction::Show { id }) => {
            let Some(p) = set.find(id) else {
                let ids: Vec<&str> = set.policies.iter().map(|p| p.info.id.as_str()).collect();
                return Err(Fatal(format!(
                    "no policy {id:?}; known policies: {}",
                    ids.join(", ")
                )));
            };
            write!(
                w,
                "{}",
                crate::docs::policy_markdown(&p.info, Path::new("testdata/policies"))
            )?;
        }
    }
    w.flush()?;
    Ok(0)
}

/// `placecheck test`: the logic lives in `crate::testing`.
fn test(g: &Global, a: &crate::testing::TestArgs) -> Result<u8, Fatal> {
    let cfg = load_config(g)?;
    let opts = RunOptions {
        mode: Mode::Lint,
        facts: FactsOptions {
            scheduling: scheduling_options(&cfg, &[])?,
            params: Params::with_overrides(&cfg.config.parameters),
        },
        annotation_exemptions: true,
        today: jiff::Zoned::now().date(),
        list_checked: false,
    };
    let style = crate::testing::Style {
        color: color(g),
        verbose: g.verbose > 0,
        quiet: g.quiet,
    };
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    let code = crate::testing::command(a, &cfg, &opts, style, &mut w)?;
    w.flush()?;
    Ok(code)
}

fn init(a: &InitArgs) -> Result<u8, Fatal> {
    if a.path.exists() && !a.force {
        return Err(Fatal(format!(
            "{} already exists; use --force to overwrite it",
            a.path.display()
        )));
    }
    std::fs::write(&a.path, config::STARTER)
        .map_err(|e| Fatal(format!("cannot write {}: {e}", a.path.display())))?;
    let _ = writeln!(std::io::stderr(), "wrote {}", a.path.display());
    Ok(0)
}
