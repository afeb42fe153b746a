//! JSON output: one stable, versioned document per run, for scripts (`jq`, dashboards, bots).
//!
//! The document is described field by field in `docs/output.md`, which is the contract: this
//! module owns its own serialisation structs so that renaming a field of `Finding` can never
//! silently change the output. Every key is always present (absent values are `null`, empty
//! lists are `[]`), except `exemption`, which only exempted findings carry. It must not drop,
//! reorder or reword findings, and must bump [`VERSION`] on any change that is not purely
//! additive.

use std::io::{self, Write};

use serde::Serialize;

use super::{Counts, Report, Reporter};
use crate::finding::{Finding, Location, Related};
use crate::inventory::ObjectRef;

/// The `version` field. Adding fields keeps it; removing, renaming or changing the meaning or
/// type of a field bumps it.
pub const VERSION: u32 = 1;

pub struct Json;

impl Reporter for Json {
    fn report(&self, report: &Report<'_>, w: &mut dyn Write) -> io::Result<()> {
        let Counts {
            errors,
            warnings,
            infos,
        } = report.counts();
        let doc = Document {
            version: VERSION,
            findings: report
                .findings
                .iter()
                .map(|f| JsonFinding::new(report, f))
                .collect(),
            exempted: report
                .exempted
                .iter()
                .map(|f| JsonFinding::new(report, f))
                .collect(),
            summary: Summary {
                errors,
                warnings,
                infos,
                exempted: report.exempted.len(),
                files: report.stats.files,
                objects: report.stats.objects,
                policies: report.stats.policies,
            },
        };
        serde_json::to_writer_pretty(&mut *w, &doc)?;
        writeln!(w)
    }
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    exempted: Vec<JsonFinding<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
    infos: usize,
    exempted: usize,
    files: usize,
    objects: usize,
    policies: usize,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    policy: &'a str,
    severity: &'static str,
    message: &'a str,
    resource: Option<Resource<'a>>,
    location: JsonLocation<'a>,
    related: Vec<JsonRelated<'a>>,
    remediation: Option<&'a str>,
    /// The policy's documentation URL, when it has one.
    documentation: Option<&'a str>,
    notes: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    exemption: Option<JsonExemption<'a>>,
}

impl<'a> JsonFinding<'a> {
    fn new(report: &'a Report<'_>, f: &'a Finding) -> Self {
        JsonFinding {
            policy: &f.policy,
            severity: f.severity.as_str(),
            message: &f.message,
            resource: f.resource.as_ref().map(Resource::from),
            location: JsonLocation::from(&f.location),
            related: f.related.iter().map(JsonRelated::from).collect(),
            remediation: f.remediation.as_deref(),
            documentation: report
                .policy(&f.policy)
                .map(|p| p.help_uri.as_str())
                .filter(|u| !u.is_empty()),
            notes: &f.notes,
            exemption: f.exemption.as_ref().map(|e| JsonExemption {
                source: e.source,
                reason: &e.reason,
            }),
        }
    }
}

#[derive(Serialize)]
struct Resource<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'a str,
    /// `""` for cluster-scoped objects, as in the Rego input document.
    namespace: &'a str,
    name: &'a str,
}

impl<'a> From<&'a ObjectRef> for Resource<'a> {
    fn from(r: &'a ObjectRef) -> Self {
        Resource {
            api_version: &r.api_version,
            kind: &r.kind,
            namespace: &r.namespace,
            name: &r.name,
        }
    }
}

#[derive(Serialize)]
struct JsonLocation<'a> {
    file: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
    document: Option<usize>,
    cluster: Option<&'a str>,
    path: Option<&'a str>,
}

impl<'a> From<&'a Location> for JsonLocation<'a> {
    fn from(l: &'a Location) -> Self {
        JsonLocation {
            file: l.file.as_deref(),
            line: l.line,
            column: l.column,
            document: l.document,
            cluster: l.cluster.as_deref(),
            path: l.path.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    resource: Option<Resource<'a>>,
    location: JsonLocation<'a>,
    message: &'a str,
}

impl<'a> From<&'a Related> for JsonRelated<'a> {
    fn from(r: &'a Related) -> Self {
        JsonRelated {
            resource: r.resource.as_ref().map(Resource::from),
            location: JsonLocation::from(&r.location),
            message: &r.message,
        }
    }
}

#[derive(Serialize)]
struct JsonExemption<'a> {
    source: &'a str,
    reason: &'a str,
}
