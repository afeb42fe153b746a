//! GitHub Actions workflow commands: one `::error` / `::warning` / `::notice` line per finding,
//! which the runner turns into annotations on the pull request's diff.
//!
//! Exists for the zero-setup CI path (`placecheck lint --format github` in a workflow step). The
//! protocol is line-based and parsed by the runner, so escaping is the whole job: in the message
//! `%`, `\r` and `\n` are percent-encoded, and in property values (`file`, `title`) `:` and `,`
//! too; otherwise a hostile message or file name could end the command early, forge a second
//! command, or inject properties; other control characters are shown as `\u{..}` so the job log
//! cannot be recoloured. Findings on live objects have no file: the annotation carries no
//! `file` property and the message starts with the `cluster://` location instead. Exempted
//! findings are not annotated. It must not print anything that is not a workflow command.

use std::io::{self, Write};

use super::{Report, Reporter};
use crate::finding::{Finding, Severity};

pub struct Github;

impl Reporter for Github {
    fn report(&self, report: &Report<'_>, w: &mut dyn Write) -> io::Result<()> {
        for f in report.findings {
            writeln!(w, "{}", command(f))?;
        }
        Ok(())
    }
}

/// The workflow command for one finding.
pub fn command(f: &Finding) -> String {
    let name = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut props: Vec<String> = Vec::new();
    let loc = &f.location;
    let mut message = String::new();
    match (&loc.file, &loc.cluster) {
        (Some(file), _) => {
            props.push(format!("file={}", escape_property(file)));
            if let Some(line) = loc.line {
                props.push(format!("line={line}"));
                if let Some(col) = loc.column {
                    props.push(format!("col={col}"));
                }
            }
        }
        (None, Some(cluster)) => {
            message.push_str(cluster);
            if let Some(path) = &loc.path {
                message.push_str(&format!(" ({path})"));
            }
            message.push_str(": ");
        }
        (None, None) => {}
    }
    props.push(format!(
        "title={}",
        escape_property(&format!("placecheck {}", f.policy))
    ));
    message.push_str(&f.message);
    format!("::{name} {}::{}", props.join(","), escape_data(&message))
}

/// Escapes a command's message (the part after the second `::`).
pub fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => push_visible(&mut out, c),
        }
    }
    out
}

/// Other control characters are not part of the protocol, but the runner echoes commands into
/// the job log, where an escape sequence could hide or recolour lines: show them as `\u{..}`.
fn push_visible(out: &mut String, c: char) {
    if c.is_control() && c != '\t' {
        out.push_str(&c.escape_unicode().to_string());
    } else {
        out.push(c);
    }
}

/// Escapes a property value (`file=…`, `title=…`).
pub fn escape_property(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => push_visible(&mut out, c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Location;

    fn finding(file: Option<&str>, cluster: Option<&str>, message: &str) -> Finding {
        Finding {
            policy: "model-unplaceable".into(),
            severity: Severity::Warning,
            message: message.into(),
            resource: None,
            location: Location {
                file: file.map(Into::into),
                line: file.map(|_| 3),
                column: file.map(|_| 5),
                cluster: cluster.map(Into::into),
                path: Some("spec.requirements".into()),
                ..Location::default()
            },
            related: vec![],
            remediation: None,
            exemption: None,
            notes: vec![],
        }
    }

    #[test]
    fn data_escaping() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        // `:` and `,` are fine in the message.
        assert_eq!(escape_data("a::b,c"), "a::b,c");
        // Already-escaped looking text is escaped again, not passed through.
        assert_eq!(escape_data("%0A"), "%250A");
        // Terminal escapes never reach the job log raw.
        assert_eq!(escape_data("a\u{1b}[8mhidden\tb"), "a\\u{1b}[8mhidden\tb");
    }

    #[test]
    fn property_escaping() {
        assert_eq!(
            escape_property("dir,a:b/100%\nx.yaml"),
            "dir%2Ca%3Ab/100%25%0Ax.yaml"
        );
    }

    #[test]
    fn hostile_message_cannot_forge_a_command() {
        let f = finding(
            Some("deploy/a,b:c.yaml"),
            None,
            "bad\n::error file=evil.yaml::forged",
        );
        let cmd = command(&f);
        assert_eq!(
            cmd,
            "::warning file=deploy/a%2Cb%3Ac.yaml,line=3,col=5,title=placecheck model-unplaceable::bad%0A::error file=evil.yaml::forged"
        );
        assert_eq!(cmd.lines().count(), 1);
    }

    #[test]
    fn live_finding_has_no_file() {
        let f = finding(None, Some("cluster://Model/ns/m"), "no server");
        assert_eq!(
            command(&f),
            "::warning title=placecheck model-unplaceable::cluster://Model/ns/m (spec.requirements): no server"
        );
    }
}
