//! Human output: rustc / cargo-deny style diagnostics with a source snippet per finding.
//!
//! Exists because the terminal is where most findings are read: each finding names its policy,
//! points at `file:line:col`, shows one line of context plus the offending line with the token
//! underlined, then the related places (`:::`) and the remediation (`= help:`). It must not
//! re-sort or filter findings, must not read files (only `Report::sources`), and must not let a
//! manifest's text drive the terminal: control characters from messages, names or source lines
//! are shown escaped (`\u{1b}`), never written raw. Colour is only emitted when
//! `options.color` says so; it is rendered by hand from `anstyle` styles.

use std::borrow::Cow;
use std::io::{self, Write};

use anstyle::{AnsiColor, Color, Style};

use super::{Counts, Report, Reporter, location_label};
use crate::finding::{Finding, Location, Severity};

pub struct Human;

impl Reporter for Human {
    fn report(&self, report: &Report<'_>, w: &mut dyn Write) -> io::Result<()> {
        let paint = Paint {
            color: report.options.color,
        };
        for f in report.findings {
            render_finding(report, &paint, f, false, w)?;
            writeln!(w)?;
        }
        if report.options.quiet {
            return Ok(());
        }
        if report.options.verbose && !report.exempted.is_empty() {
            let title = format!("exempted findings ({}):", report.exempted.len());
            writeln!(w, "{}", paint.paint(BOLD, &title))?;
            writeln!(w)?;
            for f in report.exempted {
                render_finding(report, &paint, f, true, w)?;
                writeln!(w)?;
            }
        }
        writeln!(w, "{}", summary(report, &paint))
    }
}

const BOLD: Style = Style::new().bold();
const GUTTER: Style = Style::new()
    .bold()
    .fg_color(Some(Color::Ansi(AnsiColor::BrightBlue)));
const HELP: Style = Style::new()
    .bold()
    .fg_color(Some(Color::Ansi(AnsiColor::BrightCyan)));

fn severity_style(s: Severity) -> Style {
    let color = match s {
        Severity::Error => AnsiColor::BrightRed,
        Severity::Warning => AnsiColor::BrightYellow,
        Severity::Info => AnsiColor::BrightGreen,
    };
    Style::new().bold().fg_color(Some(Color::Ansi(color)))
}

/// Applies styles when colour is on; plain text otherwise.
struct Paint {
    color: bool,
}

impl Paint {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_owned()
        }
    }
}

/// The summary line: `2 errors, 1 warning, 0 infos in 3 files (12 objects, 9 policies)`.
fn summary(report: &Report<'_>, paint: &Paint) -> String {
    let Counts {
        errors,
        warnings,
        infos,
    } = report.counts();
    let s = &report.stats;
    // A live audit reads no files: say what was read instead.
    let scope = if s.files == 0 && s.objects > 0 {
        format!(
            "in the cluster ({}, {})",
            plural(s.objects, "object"),
            plural(s.policies, "policy"),
        )
    } else {
        format!(
            "in {} ({}, {})",
            plural(s.files, "file"),
            plural(s.objects, "object"),
            plural(s.policies, "policy"),
        )
    };
    let mut line = if report.findings.is_empty() {
        format!("no findings {scope}")
    } else {
        format!(
            "{}, {}, {} {scope}",
            plural(errors, "error"),
            plural(warnings, "warning"),
            plural(infos, "info"),
        )
    };
    if !report.exempted.is_empty() {
        line.push_str(&format!(", {} exempted", report.exempted.len()));
    }
    let style = if errors > 0 {
        severity_style(Severity::Error)
    } else if warnings > 0 {
        severity_style(Severity::Warning)
    } else {
        BOLD
    };
    paint.paint(style, &line)
}

fn plural(n: usize, word: &str) -> String {
    match (n, word) {
        (1, _) => format!("1 {word}"),
        (_, "policy") => format!("{n} policies"),
        _ => format!("{n} {word}s"),
    }
}

/// One diagnostic: header, primary location with snippet, related locations, help and notes.
fn render_finding(
    report: &Report<'_>,
    paint: &Paint,
    f: &Finding,
    exempted: bool,
    w: &mut dyn Write,
) -> io::Result<()> {
    let sev = severity_style(f.severity);
    let header = format!("{}[{}]", f.severity, f.policy);
    let message = clean(&f.message);
    writeln!(
        w,
        "{}{} {}",
        paint.paint(sev, &header),
        paint.paint(BOLD, ":"),
        paint.paint(BOLD, &message)
    )?;

    // Exempted findings (verbose) are listed compactly: where, and why they do not count.
    let primary = if exempted {
        None
    } else {
        snippet_for(report, &f.location)
    };
    let related: Vec<_> = f
        .related
        .iter()
        .map(|r| (r, snippet_for(report, &r.location)))
        .collect();

    let width = [primary.as_ref()]
        .into_iter()
        .chain(related.iter().map(|(_, s)| s.as_ref()))
        .flatten()
        .map(|s| digits(s.line))
        .chain(f.location.line.map(|l| digits(l as usize)))
        .max()
        .unwrap_or(1);
    let pad = " ".repeat(width);
    let bar = paint.paint(GUTTER, "|");
    let empty_gutter = format!("{pad} {bar}");

    writeln!(
        w,
        "{pad}{} {}",
        paint.paint(GUTTER, "-->"),
        clean(&location_label(&f.location))
    )?;
    let mut open_gutter = false;
    if let Some(s) = &primary {
        write_snippet(w, paint, s, width, '^', sev, None)?;
        open_gutter = true;
    }

    if !exempted {
        for (r, snip) in &related {
            if open_gutter {
                writeln!(w, "{empty_gutter}")?;
            }
            writeln!(
                w,
                "{pad}{} {}",
                paint.paint(GUTTER, ":::"),
                clean(&location_label(&r.location))
            )?;
            match snip {
                Some(s) => {
                    write_snippet(w, paint, s, width, '-', GUTTER, Some(&r.message))?;
                    open_gutter = true;
                }
                None => {
                    write_note(w, paint, &pad, "note", &r.message)?;
                    open_gutter = false;
                }
            }
        }
    }

    let mut notes: Vec<(&str, Cow<'_, str>)> = Vec::new();
    if exempted {
        if let Some(e) = &f.exemption {
            notes.push((
                "note",
                Cow::Owned(format!("exempted ({}): {}", e.source, e.reason)),
            ));
        }
    } else if let Some(help) = &f.remediation {
        notes.push(("help", Cow::Borrowed(help)));
    }
    if let Some(p) = report
        .policy(&f.policy)
        .filter(|p| !exempted && !p.help_uri.is_empty())
    {
        notes.push(("help", Cow::Owned(format!("see {}", p.help_uri))));
    }
    notes.extend(f.notes.iter().map(|n| ("note", Cow::Borrowed(n.as_str()))));
    if !notes.is_empty() && open_gutter {
        writeln!(w, "{empty_gutter}")?;
    }
    for (label, text) in notes {
        write_note(w, paint, &pad, label, &text)?;
    }
    Ok(())
}

/// `   = help: text`, continuation lines aligned under the text.
fn write_note(
    w: &mut dyn Write,
    paint: &Paint,
    pad: &str,
    label: &str,
    text: &str,
) -> io::Result<()> {
    let style = if label == "help" { HELP } else { BOLD };
    let lead = format!("{pad} = ");
    let indent = " ".repeat(lead.chars().count() + label.len() + 2);
    let text = clean(text);
    let mut lines = text.split('\n');
    writeln!(
        w,
        "{pad} {} {}: {}",
        paint.paint(GUTTER, "="),
        paint.paint(style, label),
        lines.next().unwrap_or("")
    )?;
    for l in lines {
        writeln!(w, "{indent}{l}")?;
    }
    Ok(())
}

/// The lines of source shown for one location.
struct Snippet {
    /// 1-based line of the offending line.
    line: usize,
    before: Option<String>,
    text: String,
    /// Underline start and length, in characters of `text` (after cleaning).
    start: usize,
    len: usize,
}

fn snippet_for(report: &Report<'_>, loc: &Location) -> Option<Snippet> {
    let file = loc.file.as_ref()?;
    let line = usize::try_from(loc.line?).ok().filter(|&l| l >= 1)?;
    let source = report.sources.get(file)?;
    let mut lines = source.split('\n');
    let before = if line >= 2 {
        lines.nth(line - 2).map(trim_cr)
    } else {
        None
    };
    let text = lines.next().map(trim_cr)?;
    // Without a column, point at the line's first token rather than its indentation.
    let col0 = match loc.column.and_then(|c| usize::try_from(c).ok()) {
        Some(c) => c.saturating_sub(1),
        None => text.chars().take_while(|c| c.is_whitespace()).count(),
    };
    let (start, len) = token_at(text, col0);
    // Positions are in characters of the raw line; cleaning may widen characters before them.
    let prefix: String = text.chars().take(start).collect();
    let token: String = text.chars().skip(start).take(len).collect();
    let start = clean(&prefix).chars().count();
    let len = clean(&token).chars().count().max(1);
    Some(Snippet {
        line,
        before: before.map(|b| clean(b).into_owned()),
        text: clean(text).into_owned(),
        start,
        len,
    })
}

fn trim_cr(s: &str) -> &str {
    s.strip_suffix('\r').unwrap_or(s)
}

fn write_snippet(
    w: &mut dyn Write,
    paint: &Paint,
    s: &Snippet,
    width: usize,
    mark: char,
    mark_style: Style,
    label: Option<&str>,
) -> io::Result<()> {
    let pad = " ".repeat(width);
    let bar = paint.paint(GUTTER, "|");
    writeln!(w, "{pad} {bar}")?;
    if let Some(b) = &s.before {
        let n = paint.paint(GUTTER, &format!("{:>width$}", s.line - 1));
        writeln!(w, "{}", format!("{n} {bar} {b}").trim_end())?;
    }
    let n = paint.paint(GUTTER, &format!("{:>width$}", s.line));
    writeln!(w, "{}", format!("{n} {bar} {}", s.text).trim_end())?;
    // Keep tabs so the underline lines up with tab-indented text.
    let indent: String = s
        .text
        .chars()
        .take(s.start)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let marks: String = std::iter::repeat_n(mark, s.len).collect();
    let mut underline = paint.paint(mark_style, &marks);
    if let Some(label) = label {
        let label = clean(label).replace('\n', " ");
        underline.push(' ');
        underline.push_str(&paint.paint(mark_style, &label));
    }
    writeln!(w, "{pad} {bar} {indent}{underline}")
}

fn digits(n: usize) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// Escapes control characters (other than `\n` and `\t`) so text from manifests cannot move the
/// cursor, recolour the terminal or hide output.
fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The token a finding at 0-based character column `col` points at, as (start, length) in
/// characters: a mapping key up to its `:`, a scalar value up to a comment or the end of the
/// line, a quoted scalar with its quotes, the first token of a `- ` list item, and a single
/// character when nothing better is found.
pub(crate) fn token_at(line: &str, col: usize) -> (usize, usize) {
    let chars: Vec<char> = line.chars().collect();
    let n = chars.len();
    if col >= n {
        return (col.min(n), 1);
    }
    let mut start = col;
    // `- item`: point at the item, not the dash.
    if chars[start] == '-' && chars.get(start + 1).is_none_or(|c| c.is_whitespace()) {
        let mut i = start + 1;
        while i < n && chars[i].is_whitespace() {
            i += 1;
        }
        if i >= n {
            return (start, 1);
        }
        start = i;
    }
    if chars[start].is_whitespace() {
        return (start, 1);
    }
    let in_flow = chars[..start]
        .iter()
        .rev()
        .find(|c| !c.is_whitespace())
        .is_some_and(|c| matches!(c, '[' | '{' | ','));
    let end = match chars[start] {
        '"' => {
            let mut i = start + 1;
            while i < n && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            (i + 1).min(n)
        }
        '\'' => {
            let mut i = start + 1;
            loop {
                if i >= n {
                    break n;
                }
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    break i + 1;
                }
                i += 1;
            }
        }
        '[' | '{' => {
            // A flow collection: up to its matching bracket on this line.
            let mut depth = 0usize;
            let mut i = start;
            loop {
                if i >= n {
                    break n;
                }
                match chars[i] {
                    '[' | '{' => depth += 1,
                    ']' | '}' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            break i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let mut i = start;
            while i < n {
                let c = chars[i];
                let next_blank = chars.get(i + 1).is_none_or(|c| c.is_whitespace());
                if c == ':' && next_blank {
                    break;
                }
                if c == '#' && i > start && chars[i - 1].is_whitespace() {
                    break;
                }
                if in_flow && matches!(c, ',' | ']' | '}') {
                    break;
                }
                i += 1;
            }
            while i > start && chars[i - 1].is_whitespace() {
                i -= 1;
            }
            i
        }
    };
    (start, end.saturating_sub(start).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(line: &str, col1: usize) -> &str {
        let (s, l) = token_at(line, col1 - 1);
        let b = line.char_indices().nth(s).map_or(line.len(), |(b, _)| b);
        let e = line
            .char_indices()
            .nth(s + l)
            .map_or(line.len(), |(b, _)| b);
        &line[b..e]
    }

    #[test]
    fn tokens() {
        assert_eq!(tok("  requirements:", 3), "requirements");
        assert_eq!(tok("    - gpu", 7), "gpu");
        assert_eq!(tok("    - gpu", 5), "gpu");
        assert_eq!(tok("    - key: nvidia.com/gpu", 5), "key");
        assert_eq!(tok("  image: nginx:1.27 # pinned", 10), "nginx:1.27");
        assert_eq!(tok("  name: \"a \\\" b\" # x", 9), "\"a \\\" b\"");
        assert_eq!(tok("  name: 'it''s' # x", 9), "'it''s'");
        assert_eq!(tok("  caps: [gpu, cuda]", 10), "gpu");
        assert_eq!(tok("  caps: [gpu, cuda]", 9), "[gpu, cuda]");
        assert_eq!(tok("  sel: {a: b}", 9), "a");
        assert_eq!(tok("  url: http://x", 8), "http://x");
        assert_eq!(tok("  key:", 20), "");
        assert_eq!(tok("  - ", 3), "-");
        assert_eq!(tok("  script: |", 11), "|");
        assert_eq!(tok("  名前: 値", 7), "値");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(clean("a\u{1b}[31mb\r\nc\td"), "a\\u{1b}[31mb\\u{d}\nc\td");
        assert!(matches!(clean("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn digit_counts() {
        assert_eq!(digits(0), 1);
        assert_eq!(digits(9), 1);
        assert_eq!(digits(10), 2);
        assert_eq!(digits(999), 3);
    }
}
