//! Reporters: one file per output format behind [`Reporter`].
//!
//! A reporter turns a finished [`Report`] into bytes. It must not filter, re-sort or decide the
//! exit code: the run has done that. Adding a format is one file plus one arm in
//! [`Format::reporter`].

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use serde::Serialize;

use crate::finding::{Finding, Severity};
use crate::inventory::ObjectRef;

/// What the user can pass to `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Compiler-style diagnostics with source snippets (terminals).
    Human,
    /// A stable, versioned JSON document (scripts); see docs/output.md.
    Json,
}

impl Format {
    pub fn reporter(self) -> Box<dyn Reporter> {
        match self {
            Format::Human => Box::new(human::Human),
            Format::Json => Box::new(json::Json),
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

pub mod human;
pub mod json;
