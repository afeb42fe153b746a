//! JUnit XML output, for CI systems that render test reports (Jenkins, GitLab, GitHub test
//! reporters).
//!
//! Exists so a policy gate reads like a test run: one `<testsuite>` per policy, one `<testcase>`
//! per (policy, object) pair that was checked (`Report::checked`), a `<failure>` listing every
//! finding on that pair, and `<skipped>` for pairs whose only findings were exempted. Findings
//! whose pair was never "checked" (an `invalid-manifest` on a file that did not parse, a loader
//! finding without an object) still appear, as failing test cases named after their location, so
//! the counts never hide a finding. Counts are computed here from the cases written, so they
//! always agree with the body. Output must be well-formed XML 1.0 whatever the strings hold:
//! markup is escaped and characters XML 1.0 cannot carry (most C0 controls) are written as
//! `\u{..}` text. No timestamps or host names: the same report gives the same bytes. It must not
//! drop findings or decide pass/fail beyond "has findings".

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Report, Reporter, location_label};
use crate::finding::Finding;
use crate::inventory::ObjectRef;

pub struct Junit;

/// What a test case is about: a checked object, or (for findings without one) a location.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Subject {
    Object(ObjectRef),
    Unattached(String),
}

impl Subject {
    fn of(f: &Finding) -> Subject {
        match &f.resource {
            Some(r) => Subject::Object(r.clone()),
            None => Subject::Unattached(match (&f.location.file, &f.location.cluster) {
                (Some(file), _) => file.clone(),
                (None, Some(c)) => c.clone(),
                (None, None) => location_label(&f.location),
            }),
        }
    }

    fn name(&self) -> String {
        match self {
            Subject::Object(r) => r.to_string(),
            Subject::Unattached(s) => s.clone(),
        }
    }
}

#[derive(Default)]
struct Case<'a> {
    findings: Vec<&'a Finding>,
    exempted: Vec<&'a Finding>,
}

impl Reporter for Junit {
    fn report(&self, report: &Report<'_>, w: &mut dyn Write) -> io::Result<()> {
        // policy → subject → case; BTreeMaps give the deterministic order.
        let mut suites: BTreeMap<&str, BTreeMap<Subject, Case<'_>>> = BTreeMap::new();
        for p in report.policies {
            suites.entry(&p.id).or_default();
        }
        for (policy, obj) in report.checked {
            suites
                .entry(policy)
                .or_default()
                .entry(Subject::Object(obj.clone()))
                .or_default();
        }
        for f in report.findings {
            suites
                .entry(&f.policy)
                .or_default()
                .entry(Subject::of(f))
                .or_default()
                .findings
                .push(f);
        }
        for f in report.exempted {
            suites
                .entry(&f.policy)
                .or_default()
                .entry(Subject::of(f))
                .or_default()
                .exempted
                .push(f);
        }

        let mut body = String::new();
        let (mut tests, mut failures) = (0usize, 0usize);
        for (policy, cases) in &suites {
            let n = cases.len();
            let failed = cases.values().filter(|c| !c.findings.is_empty()).count();
            let skipped = cases
                .values()
                .filter(|c| c.findings.is_empty() && !c.exempted.is_empty())
                .count();
            tests += n;
            failures += failed;
            let _ = writeln!(
                body,
                r#"  <testsuite name="{}" tests="{n}" failures="{failed}" errors="0" skipped="{skipped}" time="0">"#,
                attr(policy)
            );
            for (subject, case) in cases {
                write_case(&mut body, policy, subject, case);
            }
            body.push_str("  </testsuite>\n");
        }

        writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            w,
            r#"<testsuites name="placecheck" tests="{tests}" failures="{failures}" errors="0" time="0">"#
        )?;
        w.write_all(body.as_bytes())?;
        writeln!(w, "</testsuites>")
    }
}

fn write_case(out: &mut String, policy: &str, subject: &Subject, case: &Case<'_>) {
    let open = format!(
        r#"    <testcase name="{}" classname="{}" time="0""#,
        attr(&subject.name()),
        attr(policy)
    );
    if let Some(first) = case.findings.first() {
        let worst = case
            .findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(first.severity);
        let message = match case.findings.len() {
            1 => first.message.clone(),
            n => format!("{n} findings: {} (and {} more)", first.message, n - 1),
        };
        let mut detail = String::new();
        for f in &case.findings {
            let _ = writeln!(
                detail,
                "{}: {}: {}",
                f.severity,
                location_label(&f.location),
                indent(&f.message)
            );
            for r in &f.related {
                let _ = writeln!(
                    detail,
                    "  related: {}: {}",
                    location_label(&r.location),
                    indent(&r.message)
                );
            }
            if let Some(h) = &f.remediation {
                let _ = writeln!(detail, "  help: {}", indent(h));
            }
        }
        let _ = writeln!(out, "{open}>");
        let _ = writeln!(
            out,
            r#"      <failure message="{}" type="{}">{}</failure>"#,
            attr(&message),
            worst,
            text(&detail)
        );
        out.push_str("    </testcase>\n");
    } else if let Some(first) = case.exempted.first() {
        let message = match &first.exemption {
            Some(e) => format!("exempted ({}): {}", e.source, e.reason),
            None => "exempted".to_owned(),
        };
        let _ = writeln!(out, "{open}>");
        let _ = writeln!(out, r#"      <skipped message="{}"/>"#, attr(&message));
        out.push_str("    </testcase>\n");
    } else {
        let _ = writeln!(out, "{open}/>");
    }
}

/// Continuation lines of a multi-line text, indented under the entry they belong to.
fn indent(s: &str) -> String {
    s.replace('\n', "\n    ")
}

/// Characters XML 1.0 cannot carry at all, not even as character references.
fn forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// Escapes element text.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // A raw CR would be normalised away by the parser.
            '\r' => out.push_str("&#13;"),
            c if forbidden(c) => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}

/// Escapes an attribute value (double-quoted); whitespace is kept as character references so
/// attribute-value normalisation does not turn newlines into spaces.
pub fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if forbidden(c) => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            attr("a<b>&\"c' \n\r\t\u{1}ü"),
            "a&lt;b&gt;&amp;&quot;c&apos; &#10;&#13;&#9;\\u{1}ü"
        );
        assert_eq!(
            text("]]> & <x>\r\n\u{1b}"),
            "]]&gt; &amp; &lt;x&gt;&#13;\n\\u{1b}"
        );
    }
}
