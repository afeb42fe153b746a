//! Reporters: one file per output format behind [`Reporter`].
//!
//! A reporter turns a finished [`Report`] into bytes. It must not filter, re-sort or decide the
//! exit code: the run has done that. Adding a format is one file plus one arm in
//! [`Format::reporter`]. Every reporter writes through `&mut dyn Write` and produces the same bytes
//! for the same `Report` (no clocks, no hash-map order, no host names).

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use serde::Serialize;

use crate::finding::{Finding, Location, Severity};
use crate::inventory::ObjectRef;

/// What the user can pass to `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Format {
    /// Compiler-style diagnostics with source snippets (terminals).
    Human,
    /// A stable, versioned JSON document (scripts); see docs/output.md.
    Json,
    /// SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// JUnit XML: one test case per (policy, object) pair (CI test reports).
    Junit,
    /// GitHub Actions workflow commands (`::error file=…`): annotations on the pull request.
    Github,
}

impl Format {
    pub fn reporter(self) -> Box<dyn Reporter> {
        match self {
            Format::Human => Box::new(human::Human),
            Format::Json => Box::new(json::Json),
            Format::Sarif => Box::new(sarif::Sarif),
            Format::Junit => Box::new(junit::Junit),
            Format::Github => Box::new(github::Github),
        }
    }

    /// The name `--format` accepts (`human`, `json`, …).
    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Github => "github",
        }
    }

    /// Every format, in `--help` order.
    pub const ALL: [Format; 5] = [
        Format::Human,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Github,
    ];
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One `--format` argument: `KIND` (standard output) or `KIND=FILE`.
///
/// `KIND=-` also means standard output, so a script can spell every target the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatTarget {
    pub format: Format,
    /// Where to write; `None` is standard output.
    pub file: Option<PathBuf>,
}

/// Why a `--format` argument was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatTargetError {
    #[error("unknown output format `{0}`; valid formats: {valid}", valid = valid_formats())]
    UnknownFormat(String),
    #[error("missing file name after `{0}=`; write `--format {0}` for standard output")]
    MissingFile(String),
}

fn valid_formats() -> String {
    Format::ALL.map(Format::name).join(", ")
}

impl FromStr for FormatTarget {
    type Err = FormatTargetError;

    /// Parses `KIND` or `KIND=FILE`. The kind is case-insensitive; the file is taken verbatim
    /// (it may itself contain `=`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, file) = match s.split_once('=') {
            Some((kind, file)) => (kind, Some(file)),
            None => (s, None),
        };
        let kind = kind.trim();
        let format = Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(kind))
            .ok_or_else(|| FormatTargetError::UnknownFormat(kind.to_owned()))?;
        let file = match file {
            None | Some("-") => None,
            Some("") => return Err(FormatTargetError::MissingFile(format.name().to_owned())),
            Some(f) => Some(PathBuf::from(f)),
        };
        Ok(FormatTarget { format, file })
    }
}

impl fmt::Display for FormatTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            None => write!(f, "{}", self.format),
            Some(file) => write!(f, "{}={}", self.format, file.display()),
        }
    }
}

/// Everything a reporter may need about one run.
pub struct Report<'a> {
    /// Reported findings (exemptions applied, `--context` files filtered), sorted.
    pub findings: &'a [Finding],
    /// Findings silenced by an exemption (shown with `-v` and in JSON).
    pub exempted: &'a [Finding],
    /// Every policy that ran (built-in and user), sorted by id.
    pub policies: &'a [PolicyInfo],
    /// (policy, object) pairs that were checked: JUnit's test cases.
    pub checked: &'a [(String, ObjectRef)],
    /// Source text by displayed file path, for snippets.
    pub sources: &'a BTreeMap<String, Arc<str>>,
    pub stats: Stats,
    /// The exit code the run will end with (SARIF records it).
    pub exit_code: i32,
    pub options: ReportOptions,
}

impl Report<'_> {
    /// Severity counts of the reported (not exempted) findings.
    pub fn counts(&self) -> Counts {
        Counts::of(self.findings)
    }

    /// The policy with this id, if it ran.
    pub fn policy(&self, id: &str) -> Option<&PolicyInfo> {
        self.policies
            .binary_search_by(|p| p.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.policies[i])
            // `policies` is documented as sorted; stay correct if a caller forgot.
            .or_else(|| self.policies.iter().find(|p| p.id == id))
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Stats {
    pub files: usize,
    pub objects: usize,
    pub policies: usize,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ReportOptions {
    pub color: bool,
    pub verbose: bool,
    pub quiet: bool,
}

/// Findings per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Counts {
    pub fn of(findings: &[Finding]) -> Counts {
        let mut c = Counts::default();
        for f in findings {
            match f.severity {
                Severity::Error => c.errors += 1,
                Severity::Warning => c.warnings += 1,
                Severity::Info => c.infos += 1,
            }
        }
        c
    }
}

/// A policy as reporters describe it (SARIF rules, `policies` listing, docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyInfo {
    pub id: String,
    pub severity: Severity,
    pub title: String,
    pub description: String,
    pub remediation: String,
    /// `builtin` or the path of the user's `.rego` file.
    pub source: String,
    pub help_uri: String,
}

pub trait Reporter {
    fn report(&self, report: &Report<'_>, w: &mut dyn Write) -> io::Result<()>;
}

/// `file:line:col` (as much of it as is known), or the `cluster://` URI plus the field path for
/// live objects. The one-line form every reporter uses to name a place.
pub fn location_label(loc: &Location) -> String {
    match (&loc.file, &loc.cluster) {
        (Some(file), _) => match (loc.line, loc.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
            (Some(l), None) => format!("{file}:{l}"),
            _ => file.clone(),
        },
        (None, Some(cluster)) => match &loc.path {
            Some(path) => format!("{cluster} ({path})"),
            None => cluster.clone(),
        },
        (None, None) => match &loc.path {
            Some(path) => format!("<no source> ({path})"),
            None => "<no source>".to_owned(),
        },
    }
}

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;
