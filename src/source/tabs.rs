//! Tabs that Kubernetes' YAML reader rejects although YAML 1.2 (saphyr-parser) accepts them.
//!
//! kubectl splits a stream at its `---` lines and reads every piece with go-yaml v2
//! (`sigs.k8s.io/yaml`), a port of libyaml. libyaml's scanner is stricter with tabs than
//! YAML 1.2:
//!
//! * between tokens in block context it skips a tab only where a simple key is not allowed, so
//!   a tab at the start of a line (even a line of nothing but tabs), or right after a `-`, `?`
//!   or complex-key `:` indicator, fails with `found character that cannot start any token`;
//! * in the lines after a plain scalar, a tab left of the scalar's indentation fails with
//!   `found a tab character that violates indentation`;
//! * in a block scalar (`|`, `>`), a tab where an indentation space is expected fails with
//!   `found a tab character where an indentation space is expected`.
//!
//! Flow context (`[…]`, `{…}`), quoted scalars, comments and block scalar content past the
//! indentation keep their tabs. This module re-runs just enough of libyaml's scanner (indentation
//! stack, simple keys, flow level and the scalar scanners' whitespace rules) over each piece to
//! find the first such tab, and nothing else: any other error ends the check of that piece
//! (saphyr reports real syntax errors itself). It only runs on files that contain a tab.
//!
//! This module must not know Kubernetes kinds.

use super::{Document, FileId, LoadProblem, Position};

/// What go-yaml says about a tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TabKind {
    CannotStartToken,
    PlainIndentation,
    BlockScalarIndentation,
}

impl TabKind {
    pub(super) fn go_yaml_message(self) -> &'static str {
        match self {
            TabKind::CannotStartToken => "found character that cannot start any token",
            TabKind::PlainIndentation => "found a tab character that violates indentation",
            TabKind::BlockScalarIndentation => {
                "found a tab character where an indentation space is expected"
            }
        }
    }
}

/// The first tab go-yaml rejects in one piece of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TabError {
    pub(super) kind: TabKind,
    /// 1-based line and 0-based column (characters) of the tab in the file.
    pub(super) line: usize,
    pub(super) col: usize,
    /// The piece kubectl reads as one document: from `first_line` (its `---` line, or 1) up to
    /// but excluding `end_line` (1-based).
    pub(super) first_line: usize,
    pub(super) end_line: usize,
    /// What kubectl prints before the message (`line 12: `), as go-yaml computes it (line
    /// numbers count from the line after the `---`; go-yaml leaves the number out on the
    /// piece's first line).
    pub(super) go_yaml_line: Option<usize>,
}

/// Finds, for every `---`-separated piece of `text`, the first tab go-yaml rejects.
pub(super) fn go_yaml_tab_errors(text: &str) -> Vec<TabError> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = Vec::new();
    let mut start = 0usize; // 0-based index of the piece's first line (its `---` line)
    let mut i = 0usize;
    while i <= lines.len() {
        let at_end = i == lines.len();
        let separator = !at_end && i > 0 && lines.get(i).is_some_and(|l| is_separator(l));
        if at_end || separator {
            // The piece kubectl reads starts after its `---` line (if it has one).
            let content_from = if start > 0 || lines.first().is_some_and(|l| is_separator(l)) {
                start + 1
            } else {
                start
            };
            let piece = lines.get(content_from..i).unwrap_or_default();
            if piece.iter().any(|l| l.contains('\t'))
                && let Some(found) = Scanner::new(piece).run()
            {
                out.push(TabError {
                    kind: found.kind,
                    line: content_from + found.line + 1,
                    col: found.col,
                    first_line: start + 1,
                    end_line: i + 1,
                    go_yaml_line: go_yaml_line(found.line, found.context_line),
                });
            }
            start = i;
        }
        i += 1;
    }
    out
}

/// Reports every piece of `text` that go-yaml cannot read because of a tab, and leaves out the
/// documents of that piece: kubectl refuses the whole file, so placecheck rather checks nothing
/// of that document than a reading Kubernetes never sees. The other documents are kept. A piece
/// that saphyr could not read either (it already has a problem) gets no second problem.
pub(super) fn report_go_yaml_tabs(
    file: FileId,
    text: &str,
    documents: &mut Vec<Document>,
    problems: &mut Vec<LoadProblem>,
) {
    let errors = go_yaml_tab_errors(text);
    if errors.is_empty() {
        return;
    }
    for e in &errors {
        let inside = |d: &Document| {
            let l = d.start.line as usize;
            l >= e.first_line && l < e.end_line
        };
        let document = documents.iter().find(|d| inside(d)).map(|d| d.index);
        let reported = problems.iter().any(|p| {
            let l = p.position.line as usize;
            p.file == file && l >= e.first_line && l < e.end_line
        });
        if document.is_none() && reported {
            // saphyr could not read this piece either and said why; one problem is enough.
            continue;
        }
        documents.retain(|d| !inside(d));
        let kubectl = match e.go_yaml_line {
            Some(n) => format!("yaml: line {n}: {}", e.kind.go_yaml_message()),
            None => format!("yaml: {}", e.kind.go_yaml_message()),
        };
        let line_text = text.lines().nth(e.line.saturating_sub(1)).unwrap_or("");
        let help = if line_text.trim().is_empty() {
            "this line holds only whitespace: make it empty (YAML 1.2 tolerates the tab, go-yaml \
             in kubectl and the API server does not)"
        } else {
            "replace the tab with spaces (indent with spaces only): YAML 1.2 tolerates it here, \
             go-yaml in kubectl and the API server does not"
        };
        problems.push(LoadProblem {
            file,
            document,
            position: Position {
                line: u32::try_from(e.line).unwrap_or(u32::MAX),
                column: u32::try_from(e.col + 1).unwrap_or(u32::MAX),
            },
            message: format!(
                "a tab Kubernetes cannot read: kubectl fails on this document with \
                 `error converting YAML to JSON: {kubectl}`; the document is not checked"
            ),
            help: Some(help.into()),
        });
    }
    problems.sort_by_key(|p| p.position);
}

/// go-yaml v2's `parser.fail()`: the problem's line (0-based) + 1 when it is not 0, else the
/// context's line as is when that is not 0, else nothing.
fn go_yaml_line(problem: usize, context: usize) -> Option<usize> {
    if problem != 0 {
        Some(problem + 1)
    } else if context != 0 {
        Some(context)
    } else {
        None
    }
}

/// A `---` line (what kubectl's document reader splits on).
fn is_separator(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

/// A tab found by the scanner, piece-relative (0-based line).
struct Found {
    kind: TabKind,
    line: usize,
    col: usize,
    /// Line of the context mark (the scalar's start for scalar errors).
    context_line: usize,
}

#[derive(Clone, Copy, Default)]
struct SimpleKey {
    possible: bool,
    required: bool,
    index: usize,
    line: usize,
    col: usize,
}

/// Why the scan stopped early.
enum Stop {
    Tab(Found),
    /// Any other error, or something this model does not follow: no verdict.
    Other,
}

type Step = Result<(), Stop>;

/// A reduced libyaml scanner over one piece (`lines`), following only what decides whether a
/// tab is skipped: positions, flow level, indentation stack, simple keys.
struct Scanner {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    col: usize,
    flow_level: usize,
    simple_key_allowed: bool,
    indent: i64,
    indents: Vec<i64>,
    simple_keys: Vec<SimpleKey>,
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\r')
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t')
}

/// `\0` stands for the end of the piece.
fn is_breakz(c: char) -> bool {
    is_break(c) || c == '\0'
}

fn is_blankz(c: char) -> bool {
    is_blank(c) || is_breakz(c)
}

impl Scanner {
    fn new(lines: &[&str]) -> Self {
        Scanner {
            chars: lines.iter().flat_map(|l| l.chars()).collect(),
            pos: 0,
            line: 0,
            col: 0,
            flow_level: 0,
            simple_key_allowed: true,
            indent: -1,
            indents: Vec::new(),
            simple_keys: vec![SimpleKey::default()],
        }
    }

    fn run(mut self) -> Option<Found> {
        loop {
            if self.at(0) == '\0' {
                return None;
            }
            match self.next_token() {
                Ok(()) => {}
                Err(Stop::Tab(found)) => return Some(found),
                Err(Stop::Other) => return None,
            }
        }
    }

    fn at(&self, n: usize) -> char {
        self.chars.get(self.pos + n).copied().unwrap_or('\0')
    }

    fn skip(&mut self) {
        if self.pos < self.chars.len() {
            self.pos += 1;
            self.col += 1;
        }
    }

    fn skip_line(&mut self) {
        if self.at(0) == '\r' && self.at(1) == '\n' {
            self.pos += 2;
        } else if is_break(self.at(0)) {
            self.pos += 1;
        } else {
            return;
        }
        self.line += 1;
        self.col = 0;
    }

    fn tab(&self, kind: TabKind, context_line: usize) -> Stop {
        Stop::Tab(Found {
            kind,
            line: self.line,
            col: self.col,
            context_line,
        })
    }

    fn is_document_indicator(&self) -> bool {
        self.col == 0
            && ((self.at(0) == '-' && self.at(1) == '-' && self.at(2) == '-')
                || (self.at(0) == '.' && self.at(1) == '.' && self.at(2) == '.'))
            && is_blankz(self.at(3))
    }

    /// `yaml_parser_fetch_next_token`.
    fn next_token(&mut self) -> Step {
        self.scan_to_next_token();
        self.stale_simple_keys()?;
        self.unroll_indent(self.col as i64);
        let c = self.at(0);
        if c == '\0' {
            return Ok(());
        }
        if self.col == 0 && c == '%' {
            // A directive: its line is the directive's business (tabs are separators there).
            while !is_breakz(self.at(0)) {
                self.skip();
            }
            self.simple_key_allowed = false;
            return Ok(());
        }
        if self.is_document_indicator() {
            if c == '.' {
                // go-yaml reads one document per piece and stops at its end marker: what
                // follows `...` is never scanned.
                return Err(Stop::Other);
            }
            self.unroll_indent(-1);
            self.remove_simple_key()?;
            self.simple_key_allowed = false;
            self.skip();
            self.skip();
            self.skip();
            return Ok(());
        }
        let n = self.at(1);
        let flow = self.flow_level > 0;
        match c {
            '[' | '{' => {
                self.save_simple_key()?;
                self.flow_level += 1;
                self.simple_keys.push(SimpleKey::default());
                self.simple_key_allowed = true;
                self.skip();
            }
            ']' | '}' => {
                self.remove_simple_key()?;
                if self.flow_level > 0 {
                    self.flow_level -= 1;
                    self.simple_keys.pop();
                }
                self.simple_key_allowed = false;
                self.skip();
            }
            ',' => {
                self.remove_simple_key()?;
                self.simple_key_allowed = true;
                self.skip();
            }
            '-' if is_blankz(n) => {
                if !flow {
                    if !self.simple_key_allowed {
                        return Err(Stop::Other);
                    }
                    self.roll_indent(self.col as i64);
                }
                self.remove_simple_key()?;
                self.simple_key_allowed = true;
                self.skip();
            }
            '?' if flow || is_blankz(n) => {
                if !flow {
                    if !self.simple_key_allowed {
                        return Err(Stop::Other);
                    }
                    self.roll_indent(self.col as i64);
                }
                self.remove_simple_key()?;
                self.simple_key_allowed = !flow;
                self.skip();
            }
            ':' if flow || is_blankz(n) => self.fetch_value()?,
            '*' | '&' | '!' => {
                self.save_simple_key()?;
                self.simple_key_allowed = false;
                self.skip();
                while !ends_name(self.at(0), flow) {
                    self.skip();
                }
            }
            '|' | '>' if !flow => {
                self.remove_simple_key()?;
                self.simple_key_allowed = true;
                self.scan_block_scalar()?;
            }
            '\'' | '"' => {
                self.save_simple_key()?;
                self.simple_key_allowed = false;
                self.scan_quoted(c == '\'')?;
            }
            _ if starts_plain(c, n, flow) => {
                self.save_simple_key()?;
                self.simple_key_allowed = false;
                self.scan_plain()?;
            }
            '\t' => return Err(self.tab(TabKind::CannotStartToken, self.line)),
            _ => return Err(Stop::Other),
        }
        Ok(())
    }

    /// `yaml_parser_scan_to_next_token`: spaces always, tabs only in flow context or where a
    /// simple key is not allowed; comments; line breaks (which allow a simple key again).
    fn scan_to_next_token(&mut self) {
        loop {
            if self.col == 0 && self.at(0) == '\u{feff}' {
                self.skip();
            }
            while self.at(0) == ' '
                || ((self.flow_level > 0 || !self.simple_key_allowed) && self.at(0) == '\t')
            {
                self.skip();
            }
            if self.at(0) == '#' {
                while !is_breakz(self.at(0)) {
                    self.skip();
                }
            }
            if is_break(self.at(0)) {
                self.skip_line();
                if self.flow_level == 0 {
                    self.simple_key_allowed = true;
                }
            } else {
                break;
            }
        }
    }

    /// `yaml_parser_fetch_value`.
    fn fetch_value(&mut self) -> Step {
        let flow = self.flow_level > 0;
        let key = self.simple_keys.last().copied().unwrap_or_default();
        if key.possible {
            self.roll_indent(key.col as i64);
            if let Some(k) = self.simple_keys.last_mut() {
                k.possible = false;
            }
            // A simple key cannot follow another simple key: tabs after `key:` are skipped.
            self.simple_key_allowed = false;
        } else {
            if !flow {
                if !self.simple_key_allowed {
                    return Err(Stop::Other);
                }
                self.roll_indent(self.col as i64);
            }
            // After the `:` of a complex key a simple key may follow: tabs are not skipped.
            self.simple_key_allowed = !flow;
        }
        self.skip();
        Ok(())
    }

    fn roll_indent(&mut self, col: i64) {
        if self.flow_level > 0 {
            return;
        }
        if self.indent < col {
            self.indents.push(self.indent);
            self.indent = col;
        }
    }

    fn unroll_indent(&mut self, col: i64) {
        if self.flow_level > 0 {
            return;
        }
        while self.indent > col {
            self.indent = self.indents.pop().unwrap_or(-1);
        }
    }

    fn save_simple_key(&mut self) -> Step {
        let required = self.flow_level == 0 && self.indent == self.col as i64;
        if self.simple_key_allowed {
            self.remove_simple_key()?;
            let key = SimpleKey {
                possible: true,
                required,
                index: self.pos,
                line: self.line,
                col: self.col,
            };
            if let Some(k) = self.simple_keys.last_mut() {
                *k = key;
            }
        }
        Ok(())
    }

    fn remove_simple_key(&mut self) -> Step {
        if let Some(k) = self.simple_keys.last_mut() {
            if k.possible && k.required {
                return Err(Stop::Other);
            }
            k.possible = false;
        }
        Ok(())
    }

    fn stale_simple_keys(&mut self) -> Step {
        let (line, pos) = (self.line, self.pos);
        for k in &mut self.simple_keys {
            if k.possible && (k.line < line || k.index + 1024 < pos) {
                if k.required {
                    return Err(Stop::Other);
                }
                k.possible = false;
            }
        }
        Ok(())
    }

    /// `yaml_parser_scan_plain_scalar`: only the whitespace handling matters here.
    fn scan_plain(&mut self) -> Step {
        let start_line = self.line;
        let indent = self.indent + 1;
        let flow = self.flow_level > 0;
        let mut leading_blanks = false;
        loop {
            if self.is_document_indicator() || self.at(0) == '#' {
                break;
            }
            while !is_blankz(self.at(0)) {
                let (c, n) = (self.at(0), self.at(1));
                if (c == ':'
                    && (is_blankz(n) || (flow && matches!(n, ',' | '[' | ']' | '{' | '}'))))
                    || (flow && matches!(c, ',' | '?' | '[' | ']' | '{' | '}'))
                {
                    break;
                }
                leading_blanks = false;
                self.skip();
            }
            if !(is_blank(self.at(0)) || is_break(self.at(0))) {
                break;
            }
            while is_blank(self.at(0)) || is_break(self.at(0)) {
                if is_blank(self.at(0)) {
                    if leading_blanks && (self.col as i64) < indent && self.at(0) == '\t' {
                        return Err(self.tab(TabKind::PlainIndentation, start_line));
                    }
                    self.skip();
                } else {
                    self.skip_line();
                    leading_blanks = true;
                }
            }
            if !flow && (self.col as i64) < indent {
                break;
            }
        }
        if leading_blanks {
            self.simple_key_allowed = true;
        }
        Ok(())
    }

    /// `yaml_parser_scan_flow_scalar`: tabs are fine anywhere inside quotes.
    fn scan_quoted(&mut self, single: bool) -> Step {
        self.skip();
        loop {
            if self.is_document_indicator() || self.at(0) == '\0' {
                return Err(Stop::Other);
            }
            let c = self.at(0);
            if single && c == '\'' && self.at(1) == '\'' {
                self.skip();
                self.skip();
            } else if (single && c == '\'') || (!single && c == '"') {
                self.skip();
                return Ok(());
            } else if !single && c == '\\' && !is_breakz(self.at(1)) {
                self.skip();
                self.skip();
            } else if is_break(c) {
                self.skip_line();
            } else {
                self.skip();
            }
        }
    }

    /// `yaml_parser_scan_block_scalar` and `…_breaks`.
    fn scan_block_scalar(&mut self) -> Step {
        let start_line = self.line;
        self.skip();
        let mut increment = 0i64;
        for _ in 0..2 {
            match self.at(0) {
                '+' | '-' => self.skip(),
                d @ '1'..='9' => {
                    increment = i64::from(d.to_digit(10).unwrap_or(1));
                    self.skip();
                }
                _ => {}
            }
        }
        while is_blank(self.at(0)) {
            self.skip();
        }
        if self.at(0) == '#' {
            while !is_breakz(self.at(0)) {
                self.skip();
            }
        }
        if !is_breakz(self.at(0)) {
            return Err(Stop::Other);
        }
        self.skip_line();
        let mut indent = if increment > 0 {
            if self.indent >= 0 {
                self.indent + increment
            } else {
                increment
            }
        } else {
            0
        };
        self.block_scalar_breaks(&mut indent, start_line)?;
        while self.col as i64 == indent && self.at(0) != '\0' {
            while !is_breakz(self.at(0)) {
                self.skip();
            }
            self.skip_line();
            self.block_scalar_breaks(&mut indent, start_line)?;
        }
        Ok(())
    }

    fn block_scalar_breaks(&mut self, indent: &mut i64, start_line: usize) -> Step {
        let mut max_indent = 0i64;
        loop {
            while (*indent == 0 || (self.col as i64) < *indent) && self.at(0) == ' ' {
                self.skip();
            }
            max_indent = max_indent.max(self.col as i64);
            if (*indent == 0 || (self.col as i64) < *indent) && self.at(0) == '\t' {
                return Err(self.tab(TabKind::BlockScalarIndentation, start_line));
            }
            if !is_break(self.at(0)) {
                break;
            }
            self.skip_line();
        }
        if *indent == 0 {
            *indent = max_indent.max(self.indent + 1).max(1);
        }
        Ok(())
    }
}

/// The end of an anchor, alias or tag name (approximately libyaml's: blank, break, or a flow
/// indicator in flow context).
fn ends_name(c: char, flow: bool) -> bool {
    is_blankz(c) || (flow && matches!(c, ',' | '[' | ']' | '{' | '}'))
}

/// libyaml's test for the start of a plain scalar.
fn starts_plain(c: char, n: char, flow: bool) -> bool {
    let indicator = matches!(
        c,
        '-' | '?'
            | ':'
            | ','
            | '['
            | ']'
            | '{'
            | '}'
            | '#'
            | '&'
            | '*'
            | '!'
            | '|'
            | '>'
            | '\''
            | '"'
            | '%'
            | '@'
            | '`'
    );
    !(is_blankz(c) || indicator)
        || (c == '-' && !is_blank(n))
        || (!flow && matches!(c, '?' | ':') && !is_blankz(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &str) -> Option<(TabKind, usize, usize)> {
        go_yaml_tab_errors(text)
            .first()
            .map(|e| (e.kind, e.line, e.col + 1))
    }

    #[test]
    fn tab_only_trailing_line_after_a_plain_value() {
        let text = "kind: Server\nspec:\n  replicas: 1\n\n\t\t\t\t\t\n";
        assert_eq!(first(text), Some((TabKind::PlainIndentation, 5, 1)));
        let e = &go_yaml_tab_errors(text)[0];
        assert_eq!(e.go_yaml_line, Some(5));
    }

    #[test]
    fn tab_only_line_after_a_comment() {
        // The comment ends the plain scalar; the next line is read by the token scanner.
        let text = "kind: Server\nspec:\n  replicas: 1 # one\n\t\n";
        assert_eq!(first(text), Some((TabKind::CannotStartToken, 4, 1)));
    }

    #[test]
    fn tab_indented_key() {
        let text = "kind: Server\nspec:\n\treplicas: 1\n";
        assert_eq!(first(text), Some((TabKind::CannotStartToken, 3, 1)));
        let text = "kind: Server\nmetadata:\n  name: a\n  \tnamespace: b\n";
        assert_eq!(first(text), Some((TabKind::PlainIndentation, 4, 3)));
    }

    #[test]
    fn tab_after_a_block_entry() {
        assert_eq!(
            first("items:\n-\tone\n"),
            Some((TabKind::CannotStartToken, 2, 2))
        );
    }

    #[test]
    fn allowed_tabs() {
        for text in [
            // After a simple key's `:`, and before a comment.
            "kind: Server\nspec:\n  replicas:\t1\t# one\n",
            // Inside a block scalar, past its indentation.
            "kind: ConfigMap\ndata:\n  script: |\n    if x; then\n    \techo tab\n    fi\n",
            // Inside flow collections.
            "kind: Server\nspec:\n  caps: [\tsklearn,\n\txgboost ]\n",
            "kind: Server\nspec: {\n\treplicas: 1\n}\n",
            // Inside quoted scalars.
            "kind: Server\nnote: \"a\n\tb\"\n",
            // In a comment.
            "kind: Server # \tcomment\n",
        ] {
            assert_eq!(first(text), None, "{text:?}");
        }
    }

    #[test]
    fn block_scalar_indentation() {
        // A tab where the scalar's indentation (2 + 2) is expected.
        let text = "data:\n  script: |\n    one\n  \ttwo\nnext: 1\n";
        assert_eq!(first(text), Some((TabKind::BlockScalarIndentation, 4, 3)));
        // Before the first line fixes the indentation.
        let text = "data:\n  script: |\n\t\n    one\n";
        assert_eq!(first(text), Some((TabKind::BlockScalarIndentation, 3, 1)));
    }

    #[test]
    fn go_yaml_stops_at_the_document_end_marker() {
        assert_eq!(first("kind: B\n...\n\t---\n"), None);
    }

    #[test]
    fn pieces_are_separate_documents() {
        let text = "kind: A\n---\nkind: B\n\t\n---\nkind: C\n";
        let errors = go_yaml_tab_errors(text);
        assert_eq!(errors.len(), 1);
        let e = &errors[0];
        assert_eq!((e.line, e.first_line, e.end_line), (4, 2, 5));
        // kubectl counts lines from the line after `---`.
        assert_eq!(e.go_yaml_line, Some(2));
    }
}
