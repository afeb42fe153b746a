//! SARIF 2.1.0 output, for GitHub code scanning and other SARIF viewers.
//!
//! Exists so CI can upload findings as code-scanning alerts: one `reportingDescriptor` per policy
//! (title, description, remediation as help, `helpUri`, default level), one `result` per finding
//! with a real `region`, related locations, and exempted findings as results carrying a
//! `suppression` (justification = the exemption's reason). The output must stay valid against
//! the official schema (`testdata/schemas/sarif-schema-2.1.0.json`, checked by
//! `tests/reporters.rs`) *and* acceptable to GitHub's ingestion, which is stricter than the
//! schema: every result needs at least one location with `physicalLocation.artifactLocation.uri`.
//! Findings on live objects therefore point at their `cluster://Kind/ns/name` URI (GitHub lists
//! them but cannot link them to a file); see `docs/output.md`. It must not drop or reorder
//! findings, and must not depend on anything but the `Report` and the current directory.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Component, Path};

use serde_json::{Map, Value, json};

use super::{PolicyInfo, Report, Reporter};
use crate::finding::{Finding, Location, Severity};
use crate::inventory::ObjectRef;

/// The schema our documents name in `$schema` (the OASIS Standard's published copy).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The `uriBaseId` that relative artifact URIs are resolved against: the directory placecheck
/// ran in, recorded in `run.originalUriBaseIds`.
pub const SRCROOT: &str = "%SRCROOT%";

/// The artifact URI of a finding that has neither a file nor a cluster location.
const UNLOCATED_URI: &str = "placecheck:unlocated";

pub struct Sarif;

impl Reporter for Sarif {
    fn report(&self, report: &Report<'_>, w: &mut dyn Write) -> io::Result<()> {
        let cwd = std::env::current_dir().ok();
        let log = build(report, cwd.as_deref());
        serde_json::to_writer_pretty(&mut *w, &log)?;
        writeln!(w)
    }
}

/// The whole SARIF log. `cwd` is the directory relative file paths are relative to; without it
/// no `originalUriBaseIds` is written (relative URIs stay relative to `%SRCROOT%`).
pub fn build(report: &Report<'_>, cwd: Option<&Path>) -> Value {
    let rules = Rules::new(report);
    let mut results: Vec<Value> = Vec::new();
    for f in report.findings {
        results.push(result(f, &rules, cwd));
    }
    for f in report.exempted {
        let mut r = result(f, &rules, cwd);
        if let (Some(e), Value::Object(obj)) = (&f.exemption, &mut r) {
            let kind = if e.source == "annotation" {
                "inSource"
            } else {
                "external"
            };
            obj.insert(
                "suppressions".into(),
                json!([{ "kind": kind, "state": "accepted", "justification": e.reason }]),
            );
        }
        results.push(r);
    }

    let mut driver = Map::new();
    driver.insert("name".into(), json!("placecheck"));
    driver.insert("version".into(), json!(env!("CARGO_PKG_VERSION")));
    driver.insert("semanticVersion".into(), json!(env!("CARGO_PKG_VERSION")));
    let homepage = [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|u| is_absolute_uri(u));
    if let Some(u) = homepage {
        driver.insert("informationUri".into(), json!(u));
    }
    driver.insert("rules".into(), Value::Array(rules.descriptors));

    let mut run = Map::new();
    run.insert("tool".into(), json!({ "driver": driver }));
    run.insert(
        "invocations".into(),
        json!([{
            "executionSuccessful": report.exit_code != 2,
            "exitCode": report.exit_code,
        }]),
    );
    if let Some(cwd) = cwd.filter(|c| c.is_absolute()) {
        run.insert(
            "originalUriBaseIds".into(),
            json!({ SRCROOT: { "uri": directory_uri(cwd) } }),
        );
    }
    run.insert("columnKind".into(), json!("unicodeCodePoints"));
    run.insert("results".into(), Value::Array(results));

    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [run],
    })
}

/// Rule descriptors: every policy that ran, then (sorted) any policy id a finding names that is
/// not among them (e.g. loader findings), so every result has a `ruleIndex`.
struct Rules {
    descriptors: Vec<Value>,
    index: BTreeMap<String, usize>,
}

impl Rules {
    fn new(report: &Report<'_>) -> Rules {
        let mut rules = Rules {
            descriptors: Vec::new(),
            index: BTreeMap::new(),
        };
        for p in report.policies {
            rules.add(&p.id, descriptor(p));
        }
        let mut extra: BTreeMap<&str, Severity> = BTreeMap::new();
        for f in report.findings.iter().chain(report.exempted) {
            if !rules.index.contains_key(&f.policy) {
                let sev = extra.entry(&f.policy).or_insert(f.severity);
                *sev = (*sev).max(f.severity);
            }
        }
        for (id, sev) in extra {
            let d = json!({
                "id": id,
                "name": pascal_case(id),
                "shortDescription": { "text": id },
                "defaultConfiguration": { "level": level(sev) },
            });
            rules.add(id, d);
        }
        rules
    }

    fn add(&mut self, id: &str, d: Value) {
        if !self.index.contains_key(id) {
            self.index.insert(id.to_owned(), self.descriptors.len());
            self.descriptors.push(d);
        }
    }
}

fn descriptor(p: &PolicyInfo) -> Value {
    let mut d = Map::new();
    d.insert("id".into(), json!(p.id));
    d.insert("name".into(), json!(pascal_case(&p.id)));
    let title = if p.title.is_empty() { &p.id } else { &p.title };
    d.insert("shortDescription".into(), json!({ "text": title }));
    let full = if p.description.is_empty() {
        title
    } else {
        &p.description
    };
    d.insert("fullDescription".into(), json!({ "text": full }));
    let help_uri = Some(p.help_uri.as_str()).filter(|u| is_absolute_uri(u));
    let mut text = if p.remediation.is_empty() {
        full.clone()
    } else {
        p.remediation.clone()
    };
    let mut markdown = text.clone();
    match help_uri {
        Some(u) => markdown.push_str(&format!("\n\n[Documentation]({u})")),
        // Not an absolute URI (e.g. a repository-relative doc path): keep it as text.
        None if !p.help_uri.is_empty() => {
            text.push_str(&format!("\n\nSee: {}", p.help_uri));
            markdown.push_str(&format!("\n\nSee: `{}`", p.help_uri));
        }
        None => {}
    }
    d.insert("help".into(), json!({ "text": text, "markdown": markdown }));
    if let Some(u) = help_uri {
        d.insert("helpUri".into(), json!(u));
    }
    d.insert(
        "defaultConfiguration".into(),
        json!({ "level": level(p.severity) }),
    );
    if !p.source.is_empty() {
        d.insert("properties".into(), json!({ "source": p.source }));
    }
    Value::Object(d)
}

fn result(f: &Finding, rules: &Rules, cwd: Option<&Path>) -> Value {
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(f.policy));
    if let Some(&i) = rules.index.get(&f.policy) {
        r.insert("ruleIndex".into(), json!(i));
    }
    r.insert("level".into(), json!(level(f.severity)));
    r.insert("message".into(), json!({ "text": f.message }));
    r.insert(
        "locations".into(),
        json!([location(&f.location, f.resource.as_ref(), cwd)]),
    );
    if !f.related.is_empty() {
        let related: Vec<Value> = f
            .related
            .iter()
            .enumerate()
            .map(|(i, rel)| {
                let mut l = Map::new();
                l.insert("id".into(), json!(i));
                l.insert("message".into(), json!({ "text": rel.message }));
                if let Value::Object(m) = location(&rel.location, rel.resource.as_ref(), cwd) {
                    l.extend(m);
                }
                Value::Object(l)
            })
            .collect();
        r.insert("relatedLocations".into(), Value::Array(related));
    }
    r.insert(
        "partialFingerprints".into(),
        json!({ "placecheck/v1": fingerprint(f) }),
    );
    Value::Object(r)
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn location(loc: &Location, resource: Option<&ObjectRef>, cwd: Option<&Path>) -> Value {
    let mut artifact = Map::new();
    let mut physical = Map::new();
    match (&loc.file, &loc.cluster) {
        (Some(file), _) => {
            let (uri, base) = artifact_uri(file, cwd);
            artifact.insert("uri".into(), json!(uri));
            if let Some(base) = base {
                artifact.insert("uriBaseId".into(), json!(base));
            }
            physical.insert("artifactLocation".into(), Value::Object(artifact));
            if let Some(line) = loc.line.filter(|&l| l >= 1) {
                let mut region = Map::new();
                region.insert("startLine".into(), json!(line));
                if let Some(col) = loc.column.filter(|&c| c >= 1) {
                    region.insert("startColumn".into(), json!(col));
                }
                physical.insert("region".into(), Value::Object(region));
            }
        }
        (None, Some(cluster)) => {
            artifact.insert("uri".into(), json!(cluster_uri(cluster)));
            physical.insert("artifactLocation".into(), Value::Object(artifact));
        }
        (None, None) => {
            artifact.insert("uri".into(), json!(UNLOCATED_URI));
            physical.insert("artifactLocation".into(), Value::Object(artifact));
        }
    }
    let mut l = Map::new();
    l.insert("physicalLocation".into(), Value::Object(physical));
    if let Some(r) = resource {
        l.insert(
            "logicalLocations".into(),
            json!([{
                "name": r.name,
                "fullyQualifiedName": r.to_string(),
                "kind": "resource",
            }]),
        );
    }
    if let Some(path) = &loc.path {
        l.insert("properties".into(), json!({ "fieldPath": path }));
    }
    Value::Object(l)
}

/// The artifact URI of a file as given on the command line: relative to `%SRCROOT%` (the current
/// directory) when it is relative or lies below it, an absolute `file://` URI otherwise.
pub fn artifact_uri(file: &str, cwd: Option<&Path>) -> (String, Option<&'static str>) {
    let path = Path::new(file);
    if path.is_absolute() {
        if let Some(rel) = cwd.and_then(|c| path.strip_prefix(c).ok()) {
            let uri = relative_uri(rel);
            if !uri.is_empty() {
                return (uri, Some(SRCROOT));
            }
        }
        return (format!("file://{}", encode(file, true)), None);
    }
    (relative_uri(path), Some(SRCROOT))
}

/// `a/./b/../c` → `a/b/../c` with each segment percent-encoded (`.` segments dropped, `..` kept:
/// resolving it is the consumer's business).
fn relative_uri(path: &Path) -> String {
    let mut segs: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(s) => segs.push(encode(&s.to_string_lossy(), false)),
            Component::ParentDir => segs.push("..".into()),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    segs.join("/")
}

/// `file:///dir/` for the current directory (always with the trailing slash SARIF requires).
fn directory_uri(dir: &Path) -> String {
    let mut s = format!("file://{}", encode(&dir.to_string_lossy(), true));
    if !s.ends_with('/') {
        s.push('/');
    }
    s
}

/// `cluster://Kind/ns/name`, percent-encoded after the scheme.
fn cluster_uri(c: &str) -> String {
    match c.strip_prefix("cluster://") {
        Some(rest) => format!("cluster://{}", encode(rest, true)),
        None => format!("cluster://{}", encode(c, true)),
    }
}

/// Percent-encodes everything but unreserved characters, sub-delimiters, `@` and (when
/// `keep_slash`) `/`. `:` is always encoded so that a relative path's first segment can never be
/// read as a URI scheme.
fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            )
            || (keep_slash && b == b'/');
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `scheme:rest` with an RFC 3986 scheme and no characters a URI cannot hold.
fn is_absolute_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sc = scheme.chars();
    sc.next().is_some_and(|c| c.is_ascii_alphabetic())
        && sc.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && rest.chars().all(|c| {
            c.is_ascii_graphic()
                && !matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
        })
}

/// `ModelUnplaceable` for `model-unplaceable`.
pub fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut cs = p.chars();
            cs.next()
                .map(|c| c.to_uppercase().chain(cs).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// A line-independent identity for a finding (policy, object, field path, message), so an alert
/// survives edits that move it. FNV-1a, 64 bits, hex: stable across platforms and releases.
fn fingerprint(f: &Finding) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |s: &str| {
        for b in s.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(&f.policy);
    match &f.resource {
        Some(r) => eat(&format!(
            "{}/{}/{}/{}",
            r.api_version, r.kind, r.namespace, r.name
        )),
        None => eat(f.location.file.as_deref().unwrap_or("")),
    }
    eat(f.location.path.as_deref().unwrap_or(""));
    eat(&f.message);
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_and_absolute_paths() {
        let cwd = Path::new("/repo");
        assert_eq!(
            artifact_uri("deploy/models.yaml", Some(cwd)),
            ("deploy/models.yaml".into(), Some(SRCROOT))
        );
        assert_eq!(
            artifact_uri("./deploy/./m.yaml", Some(cwd)),
            ("deploy/m.yaml".into(), Some(SRCROOT))
        );
        assert_eq!(
            artifact_uri("/repo/deploy/m.yaml", Some(cwd)),
            ("deploy/m.yaml".into(), Some(SRCROOT))
        );
        assert_eq!(
            artifact_uri("/elsewhere/m b.yaml", Some(cwd)),
            ("file:///elsewhere/m%20b.yaml".into(), None)
        );
        assert_eq!(
            artifact_uri("../up/m.yaml", Some(cwd)),
            ("../up/m.yaml".into(), Some(SRCROOT))
        );
        // A colon in the first segment must not read as a scheme.
        assert_eq!(
            artifact_uri("c:odd%#?ü.yaml", None),
            ("c%3Aodd%25%23%3F%C3%BC.yaml".into(), Some(SRCROOT))
        );
        assert_eq!(directory_uri(Path::new("/a b/c")), "file:///a%20b/c/");
        assert_eq!(
            cluster_uri("cluster://Model/ns/n m"),
            "cluster://Model/ns/n%20m"
        );
    }

    #[test]
    fn names_and_uris() {
        assert_eq!(pascal_case("model-unplaceable"), "ModelUnplaceable");
        assert_eq!(pascal_case("no_latest--tag"), "NoLatestTag");
        assert!(is_absolute_uri("https://example.org/docs#x"));
        assert!(!is_absolute_uri("docs/policies.md#x"));
        assert!(!is_absolute_uri("https://example.org/a b"));
        assert!(!is_absolute_uri(""));
    }
}
