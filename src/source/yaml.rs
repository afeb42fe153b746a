//! YAML (and JSON) text → documents: `serde_json::Value` + [`PositionIndex`] + problems.
//!
//! Built on saphyr-parser's event stream (see `docs/decisions.md`, "YAML with source positions"):
//! one pass builds the value and records the position of every field; no recursion, so the only
//! limits are the explicit ones in [`LoadOptions`] (nesting depth, alias expansion budget).
//!
//! Error recovery: saphyr-parser stops at the first syntax error of a stream. The reader then
//! restarts on the next line that begins with `---` (a document marker is always at column 0,
//! so this never lands inside another node), which keeps every good document of a multi-document
//! stream. What lies between the error and that marker is lost; the documents before the error
//! are kept. A concatenated JSON stream (`{…}{…}`, NDJSON) is read the same way, without a
//! problem, by restarting exactly where the next value begins.
//!
//! **Lazy positions** ([`parse_shared`], what `load` uses): a fresh parser started at a document's
//! *restart point* reads that document exactly as the parser that came from the start of the
//! file did. Restart points are the start of a parse (the file, or where error recovery
//! restarted) for its first document, and the start of the `---` line of every later one (a
//! `---` line at column 0 ends whatever came before it: YAML forbids it inside any scalar, and
//! a flow collection or quoted scalar cut by it is a syntax error; saphyr also clears tag
//! directives per document, and an alias to an anchor of an earlier document aborts that
//! document). So a document keeps only its restart point, and its position table is built by
//! reading it again, alone, on the first lookup. Documents without such a point (after a `...`
//! with no `---`), files with `%` directives (they belong to the next document) or lone-CR line
//! breaks (saphyr counts them as lines) are recorded while reading, as [`parse_str`] always
//! does. A duplicate key needs the first key's line for its message: such a document is read
//! again eagerly right away and that result is used.
//!
//! **Parallel ranges**: the same property lets a large stream be cut at `---` lines and the
//! pieces parsed on all cores, document numbers shifted afterwards. If any piece hits a syntax
//! error, abandons a document or uses aliases beyond the budget together, the file is parsed
//! again in one sequential pass, so errors, recovery and the alias budget behave exactly as
//! without the split. Tests check that both paths give identical documents, positions and
//! problems on every test input, including randomly mutated ones.
//!
//! This module must not know Kubernetes kinds; it does not even look at `apiVersion`/`kind`.

use std::collections::HashMap;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Span, Tag};
use serde_json::{Map, Value};

use super::position::{IndexBuilder, PositionIndex, Source, Table};
use super::scalar::{kubernetes_reading, resolve_plain, resolve_plain_special, resolve_tagged};
use super::{AmbiguousScalar, Document, FileId, LoadOptions, LoadProblem, Position};
use crate::path::{FieldPath, Segment};

/// Parses one YAML or JSON stream, building every document's [`PositionIndex`] right away.
/// Empty documents (and documents that are only `null`) are left out; the `index` of every
/// document still counts them, so it matches the position in the stream. Never panics: an
/// internal parser panic becomes a problem.
pub fn parse_str(
    file: FileId,
    text: &str,
    opts: &LoadOptions,
) -> (Vec<Document>, Vec<LoadProblem>) {
    let mut st = Stream::new(file, opts, is_json_like(text), None);
    st.run(text, Offset::START, text.len());
    (st.documents, st.problems)
}

/// Like [`parse_str`], for a whole file held in an `Arc` (what `load` does): positions are built
/// lazily (only for documents that are asked for one), and a large multi-document stream is
/// split at its `---` lines and parsed in parallel. The result is identical to [`parse_str`]'s.
pub fn parse_shared(
    file: FileId,
    text: &Arc<str>,
    opts: &LoadOptions,
) -> (Vec<Document>, Vec<LoadProblem>) {
    let threads = rayon::current_num_threads();
    let piece = if threads < 2 || text.len() < PARALLEL_MIN_BYTES {
        usize::MAX
    } else {
        (text.len() / (threads * 4)).max(PARALLEL_MIN_BYTES / 4)
    };
    parse_shared_in(file, text, opts, piece)
}

/// [`parse_shared`] with ranges of about `piece` bytes (`usize::MAX`: one range). For tests and
/// benchmarks.
#[doc(hidden)]
pub fn parse_shared_in(
    file: FileId,
    text: &Arc<str>,
    opts: &LoadOptions,
    piece: usize,
) -> (Vec<Document>, Vec<LoadProblem>) {
    let json_like = is_json_like(text);
    let lazy = restartable(text).then(|| Arc::clone(text));
    let mut parallel = None;
    if lazy.is_some() && !json_like && piece < text.len() {
        let ranges = split_at_markers(text, piece);
        if ranges.len() > 1 {
            parallel = parse_parallel(file, text, opts, &ranges, lazy.as_ref());
        }
    }
    parallel.unwrap_or_else(|| {
        let mut st = Stream::new(file, opts, json_like, lazy);
        st.run(text, Offset::START, text.len());
        (st.documents, st.problems)
    })
}

pub(super) fn is_json_like(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with(['{', '['])
}

/// Whether a fresh parser started at the beginning of a `---` line reads the same as the parser
/// that arrived there from the start of the file. Not when the file has directives (`%TAG`
/// lines belong to the document after them) or lone CR line breaks (which saphyr counts as
/// lines, and our line arithmetic does not).
fn restartable(text: &str) -> bool {
    let bytes = text.as_bytes();
    let directives = text.starts_with('%') || text.contains("\n%");
    let lone_cr = bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
    !directives && !lone_cr
}

/// Files smaller than this are parsed on one thread.
const PARALLEL_MIN_BYTES: usize = 512 * 1024;

/// Splits a stream into ranges that each start at a document marker (`---` at column 0, followed
/// by a space, a tab or a line break). Such a line always ends the node before it (YAML forbids
/// it inside any scalar; inside a flow collection or a quoted scalar it is an error, which makes
/// the caller fall back to one sequential pass), so each range parses on its own exactly as it
/// would in sequence.
fn split_at_markers(text: &str, target: usize) -> Vec<(usize, usize)> {
    let target = target.max(1);
    let bytes = text.as_bytes();
    let mut cuts = vec![0usize];
    let mut from = target;
    while from < text.len() {
        let Some(found) = find_marker_line(bytes, from - 1) else {
            break;
        };
        cuts.push(found);
        from = found.saturating_add(target);
    }
    cuts.push(text.len());
    cuts.windows(2)
        .filter_map(|w| match w {
            [a, b] if a < b => Some((*a, *b)),
            _ => None,
        })
        .collect()
}

/// The start of the first document marker line that begins after byte `from`.
fn find_marker_line(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(rel) = bytes.get(i..)?.iter().position(|&b| b == b'\n') {
        let line = i + rel + 1;
        let rest = bytes.get(line..)?;
        if rest.starts_with(b"---")
            && matches!(rest.get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
        {
            return Some(line);
        }
        i = line;
    }
    None
}

/// What one range of a split stream gave.
struct Part {
    documents: Vec<Document>,
    problems: Vec<LoadProblem>,
    /// Documents counted (including empty ones), to renumber the next parts.
    count: usize,
    alias_nodes: u64,
    /// A syntax error, an abandoned document or a parser panic: the split may have changed the
    /// outcome, so the caller parses the file in sequence instead.
    fatal: bool,
}

fn parse_parallel(
    file: FileId,
    text: &str,
    opts: &LoadOptions,
    ranges: &[(usize, usize)],
    lazy: Option<&Arc<str>>,
) -> Option<(Vec<Document>, Vec<LoadProblem>)> {
    use rayon::prelude::*;
    // Line offsets of every range (a cheap sequential count of line feeds).
    let mut offsets = Vec::with_capacity(ranges.len());
    let mut line = 0usize;
    let mut prev = 0usize;
    for &(start, _) in ranges {
        line += count_lines(text.as_bytes().get(prev..start)?);
        prev = start;
        offsets.push(Offset {
            byte: start,
            line,
            col: 0,
        });
    }
    let parts: Vec<Part> = ranges
        .par_iter()
        .zip(offsets.par_iter())
        .map(|(&(_, end), &off)| {
            let mut st = Stream::new(file, opts, false, lazy.cloned());
            st.run(text, off, end);
            Part {
                documents: st.documents,
                problems: st.problems,
                count: st.next_index,
                alias_nodes: st.alias_nodes,
                fatal: st.fatal,
            }
        })
        .collect();
    let aliases: u64 = parts.iter().map(|p| p.alias_nodes).sum();
    if parts.iter().any(|p| p.fatal) || aliases > opts.max_alias_nodes as u64 {
        return None;
    }
    let mut documents = Vec::with_capacity(parts.iter().map(|p| p.documents.len()).sum());
    let mut problems = Vec::new();
    let mut base = 0usize;
    for part in parts {
        documents.extend(part.documents.into_iter().map(|mut d| {
            d.index += base;
            d
        }));
        problems.extend(part.problems.into_iter().map(|mut p| {
            p.document = p.document.map(|i| i + base);
            p
        }));
        base += part.count;
    }
    Some((documents, problems))
}

fn count_lines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// Builds the position table of a lazily loaded document: parses it again, alone, from its
/// restart point (see [`Source`]), recording positions this time.
pub(super) fn build_table(src: &Source) -> Table {
    let opts = LoadOptions {
        max_depth: src.max_depth,
        max_alias_nodes: src.max_alias_nodes,
        ..LoadOptions::default()
    };
    let off = Offset {
        byte: src.byte,
        line: src.line,
        col: src.col,
    };
    match reparse_one(&src.text, off, 0, &opts) {
        Some((Some(doc), _)) => match Arc::try_unwrap(doc.positions) {
            Ok(index) => index.into_table(),
            Err(shared) => PositionIndex::clone(&shared).into_table(),
        },
        _ => Table::default(),
    }
}

/// Parses the first document starting at `off`, eagerly, numbering it `index`; returns it (if
/// not empty) with the problems found in it.
fn reparse_one(
    text: &str,
    off: Offset,
    index: usize,
    opts: &LoadOptions,
) -> Option<(Option<Document>, Vec<LoadProblem>)> {
    let mut st = Stream::new(0, opts, true, None);
    st.next_index = index;
    st.stop_after_first = true;
    st.run(text, off, text.len());
    if st.fatal {
        return None;
    }
    Some((st.documents.pop(), st.problems))
}

/// Where a chunk of the text starts, to turn chunk-relative markers into file positions.
#[derive(Debug, Clone, Copy)]
struct Offset {
    byte: usize,
    /// Lines before the chunk.
    line: usize,
    /// Characters before the chunk on its first line.
    col: usize,
}

impl Offset {
    const START: Offset = Offset {
        byte: 0,
        line: 0,
        col: 0,
    };

    fn position(&self, m: Marker) -> Position {
        let line = m.line().max(1);
        let col = if line == 1 {
            self.col + m.col()
        } else {
            m.col()
        };
        Position {
            line: u32::try_from(line + self.line).unwrap_or(u32::MAX),
            column: u32::try_from(col + 1).unwrap_or(u32::MAX),
        }
    }
}

struct Stream<'o> {
    file: FileId,
    opts: &'o LoadOptions,
    json_like: bool,
    documents: Vec<Document>,
    problems: Vec<LoadProblem>,
    next_index: usize,
    /// Nodes materialised by aliases so far in this file (the budget is per file).
    alias_nodes: u64,
    /// Buffers of the last finished document, reused by the next one.
    spare: Option<(IndexBuilder, String)>,
    /// The whole file, when positions may be built lazily (see [`Source`]).
    lazy: Option<Arc<str>>,
    /// Stop after the first document (re-reading one document).
    stop_after_first: bool,
    done: bool,
    /// A syntax error, an abandoned document or a parser panic happened.
    fatal: bool,
}

/// Why a document was abandoned.
struct Abort {
    at: Position,
    message: String,
    help: Option<String>,
}

impl<'o> Stream<'o> {
    fn new(file: FileId, opts: &'o LoadOptions, json_like: bool, lazy: Option<Arc<str>>) -> Self {
        Stream {
            file,
            opts,
            json_like,
            documents: Vec::new(),
            problems: Vec::new(),
            next_index: 0,
            alias_nodes: 0,
            spare: None,
            lazy,
            stop_after_first: false,
            done: false,
            fatal: false,
        }
    }

    /// Parses `text[offset.byte..end]`, restarting after errors.
    fn run(&mut self, text: &str, mut offset: Offset, end: usize) {
        while let Some(chunk) = text.get(offset.byte..end) {
            let run = catch_unwind(AssertUnwindSafe(|| self.parse_chunk(chunk, offset)));
            let next = match run {
                Ok(next) => next,
                Err(_) => {
                    self.fatal = true;
                    self.problems.push(LoadProblem {
                        file: self.file,
                        document: None,
                        position: offset.position(Marker::new(0, 1, 0)),
                        message: "the YAML parser failed on this input (internal error)".into(),
                        help: Some("please report this file to the placecheck maintainers".into()),
                    });
                    None
                }
            };
            match next {
                // Every restart point lies strictly after the chunk start, so this terminates.
                Some(n) if n.byte > offset.byte && !self.done => offset = n,
                _ => break,
            }
        }
    }

    /// Parses from the start of `chunk`; returns where to restart after an unrecoverable error.
    fn parse_chunk(&mut self, chunk: &str, off: Offset) -> Option<Offset> {
        let mut parser = Parser::new_from_str(chunk);
        let mut doc: Option<DocBuilder> = None;
        let mut lines = LineCursor::default();
        let mut first = true;
        loop {
            let (event, span) = match parser.next_event()? {
                Ok(ev) => ev,
                Err(e) => return self.on_syntax_error(chunk, off, doc.take(), &e),
            };
            match event {
                Event::StreamStart | Event::Nothing => {}
                Event::StreamEnd => return None,
                Event::DocumentStart(explicit) => {
                    // Where a fresh parser reads this document first: the chunk start for the
                    // first document, the start of its `---` line for the others.
                    let restart = match (&self.lazy, first) {
                        (None, _) => None,
                        (Some(_), true) => Some(off),
                        (Some(_), false) if explicit && span.start.col() == 0 => {
                            lines.restart_at(chunk, off, span.start.line())
                        }
                        (Some(_), false) => None,
                    };
                    first = false;
                    let (ib, path) = self.spare.take().unwrap_or_default();
                    doc = Some(DocBuilder::new(
                        self.next_index,
                        off.position(span.start),
                        ib,
                        path,
                        restart,
                        self.problems.len(),
                    ));
                    self.next_index += 1;
                }
                Event::DocumentEnd => {
                    if let Some(b) = doc.take() {
                        self.finish(b);
                        if self.done {
                            return None;
                        }
                    }
                }
                ev => {
                    let Some(b) = doc.as_mut() else { continue };
                    if let Err(abort) = b.event(ev, span, off, self) {
                        self.fatal = true;
                        let index = b.index;
                        self.problem(Some(index), abort.at, abort.message, abort.help);
                        let m = span.start;
                        return restart_after_line(chunk, off, m.line());
                    }
                }
            }
        }
    }

    fn on_syntax_error(
        &mut self,
        chunk: &str,
        off: Offset,
        doc: Option<DocBuilder>,
        e: &ScanError,
    ) -> Option<Offset> {
        let m = *e.marker();
        let at = off.position(m);
        // A complete root node followed by another one without `---`: a JSON stream, or YAML
        // documents missing their separator. Keep the finished document and go on from there.
        if e.info().contains("expected <document start>") {
            let complete = doc
                .as_ref()
                .is_some_and(|d| d.root.is_some() && d.stack.is_empty());
            if complete || doc.is_none() {
                if let Some(b) = doc {
                    self.finish(b);
                    if self.done {
                        return None;
                    }
                }
                if !self.json_like {
                    self.fatal = true;
                    self.problem(
                        None,
                        at,
                        "a second document starts here without a `---` separator".into(),
                        Some("put a line `---` between YAML documents".into()),
                    );
                }
                return restart_at_char(chunk, off, m);
            }
        }
        self.fatal = true;
        let index = match doc {
            Some(b) => b.index,
            None => {
                self.next_index += 1;
                self.next_index - 1
            }
        };
        let line_text = nth_line(chunk, m.line());
        self.problem(
            Some(index),
            at,
            format!("YAML syntax error: {}", e.info()),
            Some(syntax_help(e.info(), line_text)),
        );
        restart_after_line(chunk, off, m.line())
    }

    fn problem(
        &mut self,
        document: Option<usize>,
        position: Position,
        message: String,
        help: Option<String>,
    ) {
        self.problems.push(LoadProblem {
            file: self.file,
            document,
            position,
            message,
            help,
        });
    }

    fn finish(&mut self, b: DocBuilder) {
        self.done = self.stop_after_first;
        let DocBuilder {
            index,
            start,
            root,
            root_pos,
            mut index_builder,
            path,
            ambiguous,
            restart,
            needs_eager,
            problems_at_start,
            ..
        } = b;
        let root_pos = root_pos.unwrap_or(start);
        let positions = match (&self.lazy, restart) {
            (Some(text), Some(at)) => PositionIndex::lazy(
                Source {
                    text: Arc::clone(text),
                    byte: at.byte,
                    line: at.line,
                    col: at.col,
                    max_depth: self.opts.max_depth,
                    max_alias_nodes: self.opts.max_alias_nodes,
                },
                root_pos,
            ),
            _ => PositionIndex::built(index_builder.finish(), root_pos),
        };
        self.spare = Some((index_builder, path));
        if needs_eager && let (Some(text), Some(at)) = (&self.lazy, restart) {
            // A problem message needs positions (a duplicate key names the line of the first
            // one): read this document again, eagerly, and take its result instead.
            if let Some((doc, problems)) = reparse_one(text, at, index, self.opts) {
                self.problems.truncate(problems_at_start);
                self.problems.extend(problems.into_iter().map(|mut p| {
                    p.file = self.file;
                    p
                }));
                if let Some(mut d) = doc {
                    d.file = self.file;
                    self.documents.push(d);
                }
                return;
            }
        }
        match root {
            None | Some(Value::Null) => {}
            Some(value) => self.documents.push(Document {
                file: self.file,
                index,
                start,
                value,
                positions: Arc::new(positions),
                ambiguous,
            }),
        }
    }
}

/// Finds the byte offset of a line of a chunk, moving forward only (documents come in order), so
/// all restart points of a chunk cost one pass over it.
#[derive(Default)]
struct LineCursor {
    /// 1-based line of `chunk` that starts at `byte` (0 before the first use).
    line: usize,
    byte: usize,
}

impl LineCursor {
    /// The restart point at the start of `line` (1-based, chunk-relative), which must begin
    /// with `---`.
    fn restart_at(&mut self, chunk: &str, off: Offset, line: usize) -> Option<Offset> {
        if self.line == 0 {
            self.line = 1;
        }
        if line < self.line {
            return None;
        }
        let bytes = chunk.as_bytes();
        while self.line < line {
            let rel = bytes.get(self.byte..)?.iter().position(|&b| b == b'\n')?;
            self.byte += rel + 1;
            self.line += 1;
        }
        if !bytes.get(self.byte..)?.starts_with(b"---") {
            return None;
        }
        Some(Offset {
            byte: off.byte + self.byte,
            line: off.line + line - 1,
            col: 0,
        })
    }
}

/// The line (1-based) of `chunk`, for hints.
fn nth_line(chunk: &str, line: usize) -> &str {
    chunk.lines().nth(line.saturating_sub(1)).unwrap_or("")
}

fn syntax_help(info: &str, line: &str) -> String {
    if line.contains("{{") {
        return "this looks like a template (`{{ … }}`): render it first, e.g. \
                `helm template … | placecheck lint -`, or exclude it with --exclude"
            .into();
    }
    let i = info.to_ascii_lowercase();
    if i.contains("tab") {
        "YAML does not allow tabs for indentation: indent with spaces".into()
    } else if i.contains("mapping values are not allowed") {
        "a value containing `: ` must be quoted, or this line is indented differently from its siblings".into()
    } else if i.contains("expected ','") || i.contains("flow") {
        "a `[` or `{` is not closed, or a value inside it needs quotes".into()
    } else if i.contains("cannot start any token") {
        "a value starting with `@`, `` ` `` or `%` must be quoted".into()
    } else if i.contains("unknown anchor") {
        "an alias (`*name`) must refer to an anchor (`&name`) defined earlier in the same document"
            .into()
    } else {
        "check the indentation and quoting around this position; the documents after the next \
         `---` are still checked"
            .into()
    }
}

/// Restart on the first `---` line that starts after line `line` (1-based, chunk-relative),
/// or on line `line` itself when it is a `---` line and not the chunk's first line.
fn restart_after_line(chunk: &str, off: Offset, line: usize) -> Option<Offset> {
    let mut byte = 0usize;
    for (i, l) in chunk.split_inclusive('\n').enumerate() {
        let n = i + 1;
        if n >= line && byte > 0 && is_document_marker(l) {
            return Some(Offset {
                byte: off.byte + byte,
                line: off.line + i,
                col: 0,
            });
        }
        byte += l.len();
    }
    None
}

fn is_document_marker(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

/// Restart exactly at the marker (used for JSON streams).
fn restart_at_char(chunk: &str, off: Offset, m: Marker) -> Option<Offset> {
    let byte = chunk.char_indices().nth(m.index()).map(|(b, _)| b)?;
    if byte == 0 {
        return None;
    }
    let line = m.line().max(1);
    Some(Offset {
        byte: off.byte + byte,
        line: off.line + line - 1,
        col: if line == 1 {
            off.col + m.col()
        } else {
            m.col()
        },
    })
}

/// An unfinished collection.
enum Frame {
    Map {
        map: Map<String, Value>,
        /// The key whose value is being read.
        key: Option<PendingKey>,
        /// Keys that came from a `<<` merge (explicit keys override them silently).
        merged: Option<HashSet<String>>,
        common: Common,
    },
    Seq {
        items: Vec<Value>,
        common: Common,
    },
}

struct Common {
    anchor: usize,
    /// Nodes in this collection so far (itself included), for the alias budget.
    nodes: u64,
    /// Length of the path buffer for this collection.
    path_len: usize,
    /// Where the collection starts.
    start: Position,
    /// This collection is a mapping key (complex key).
    is_key: bool,
}

struct PendingKey {
    key: String,
    pos: Position,
    merge: bool,
}

/// A finished node on its way into its parent.
struct Node {
    value: Value,
    nodes: u64,
    /// Text of a scalar, used when the node is a key.
    key_text: Option<String>,
    /// A plain `<<` key.
    merge: bool,
    start: Position,
}

struct DocBuilder {
    index: usize,
    start: Position,
    stack: Vec<Frame>,
    root: Option<Value>,
    root_pos: Option<Position>,
    /// JSON pointer of the collection on top of the stack (or of the root).
    path: String,
    index_builder: IndexBuilder,
    anchors: HashMap<usize, (Value, u64)>,
    ambiguous: Vec<AmbiguousScalar>,
    /// >0 while reading a complex (collection) mapping key: nothing is recorded.
    key_depth: usize,
    /// Where a fresh parser reads this document first, when its positions are built lazily;
    /// `None`: positions are recorded now.
    restart: Option<Offset>,
    /// Lazy, but something needs positions now (see `Stream::finish`).
    needs_eager: bool,
    /// `Stream::problems.len()` when the document started.
    problems_at_start: usize,
}

impl DocBuilder {
    fn new(
        index: usize,
        start: Position,
        index_builder: IndexBuilder,
        mut path: String,
        restart: Option<Offset>,
        problems_at_start: usize,
    ) -> Self {
        path.clear();
        DocBuilder {
            index,
            start,
            stack: Vec::new(),
            root: None,
            root_pos: None,
            path,
            index_builder,
            anchors: HashMap::new(),
            ambiguous: Vec::new(),
            key_depth: 0,
            restart,
            needs_eager: false,
            problems_at_start,
        }
    }

    /// Positions are recorded while reading (not lazily).
    fn records(&self) -> bool {
        self.restart.is_none()
    }

    fn event(
        &mut self,
        ev: Event<'_>,
        span: Span,
        off: Offset,
        st: &mut Stream<'_>,
    ) -> Result<(), Abort> {
        let pos = off.position(span.start);
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let is_key = self.at_key();
                let plain = style == ScalarStyle::Plain;
                let merge = is_key && plain && tag.is_none() && text == "<<";
                if is_key && anchor == 0 {
                    // Keys are text; no need to resolve them (the common, fast path).
                    let node = Node {
                        value: Value::Null,
                        nodes: 1,
                        key_text: Some(exact(&text)),
                        merge,
                        start: pos,
                    };
                    self.attach(node, st);
                    return Ok(());
                }
                let value = match tag.as_deref() {
                    Some(t) => scalar_with_tag(t, &text, plain),
                    None => {
                        let special = if plain {
                            resolve_plain_special(&text)
                        } else {
                            None
                        };
                        if plain
                            && !is_key
                            && self.key_depth == 0
                            && let Some(reads) = kubernetes_reading(&text, special.as_ref())
                        {
                            let path = self.child_path();
                            self.ambiguous.push(AmbiguousScalar {
                                path,
                                text: text.to_string(),
                                kubernetes_reads: reads,
                            });
                        }
                        match special {
                            Some(v) => v,
                            None => Value::String(exact(&text)),
                        }
                    }
                };
                if !is_key {
                    self.enter_child(pos);
                }
                let node = Node {
                    value,
                    nodes: 1,
                    key_text: is_key.then(|| exact(&text)),
                    merge,
                    start: pos,
                };
                self.store_anchor(anchor, &node);
                self.attach(node, st);
            }
            Event::Alias(id) => {
                let Some((value, nodes)) = self.anchors.get(&id) else {
                    return Err(Abort {
                        at: pos,
                        message: "this alias refers to a node that contains it (recursive alias)"
                            .into(),
                        help: Some(
                            "an alias must refer to a node that is complete before it".into(),
                        ),
                    });
                };
                st.alias_nodes = st.alias_nodes.saturating_add(*nodes);
                if st.alias_nodes > st.opts.max_alias_nodes as u64 {
                    return Err(Abort {
                        at: pos,
                        message: format!(
                            "aliases expand to more than {} nodes (an alias bomb, \"billion laughs\"?); \
                             the document is not read",
                            st.opts.max_alias_nodes
                        ),
                        help: Some(
                            "write the repeated content out, or use fewer nested aliases".into(),
                        ),
                    });
                }
                let node = Node {
                    key_text: value.as_str().map(str::to_owned),
                    value: value.clone(),
                    nodes: *nodes,
                    merge: false,
                    start: pos,
                };
                if !self.at_key() {
                    self.enter_child(pos);
                }
                self.attach(node, st);
            }
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                if self.stack.len() >= st.opts.max_depth {
                    return Err(Abort {
                        at: pos,
                        message: format!("nesting is deeper than {} levels; the document is not read", st.opts.max_depth),
                        help: Some("Kubernetes objects are never this deep: check the generator of this file".into()),
                    });
                }
                let is_key = self.at_key();
                if is_key {
                    self.key_depth += 1;
                } else {
                    self.enter_child(pos);
                }
                let common = Common {
                    anchor,
                    nodes: 1,
                    path_len: self.path.len(),
                    start: pos,
                    is_key,
                };
                self.stack.push(if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map {
                        map: Map::new(),
                        key: None,
                        merged: None,
                        common,
                    }
                } else {
                    Frame::Seq {
                        items: Vec::new(),
                        common,
                    }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(());
                };
                let (value, common) = match frame {
                    Frame::Map { map, common, .. } => (Value::Object(map), common),
                    Frame::Seq { items, common } => (Value::Array(items), common),
                };
                if common.is_key {
                    self.key_depth = self.key_depth.saturating_sub(1);
                    st.problems.push(LoadProblem {
                        file: st.file,
                        document: Some(self.index),
                        position: common.start,
                        message: "a mapping or sequence used as a mapping key".into(),
                        help: Some(
                            "Kubernetes objects only have text keys (the key is kept as JSON text); \
                             if this is a template (`{{ … }}`), render it first, e.g. \
                             `helm template … | placecheck lint -`"
                                .into(),
                        ),
                    });
                }
                let node = Node {
                    key_text: None,
                    value,
                    nodes: common.nodes,
                    merge: false,
                    start: common.start,
                };
                self.store_anchor(common.anchor, &node);
                self.attach(node, st);
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether the next node is a mapping key.
    fn at_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    /// Extends the path to the child about to be read, and records its position.
    fn enter_child(&mut self, pos: Position) {
        if self.key_depth > 0 {
            return;
        }
        if !self.records() {
            if self.stack.is_empty() {
                self.root_pos = Some(pos);
            }
            return;
        }
        let recorded = match self.stack.last() {
            None => {
                self.root_pos = Some(pos);
                pos
            }
            Some(Frame::Map { key: Some(k), .. }) => {
                self.path.push('/');
                push_escaped(&mut self.path, &k.key);
                k.pos
            }
            Some(Frame::Seq { items, .. }) => {
                self.path.push('/');
                let _ = write!(self.path, "{}", items.len());
                pos
            }
            Some(Frame::Map { key: None, .. }) => return,
        };
        self.index_builder.record(&self.path, recorded);
    }

    /// The field path of the child about to be read (for ambiguous scalars; rare, so rebuilt).
    fn child_path(&self) -> FieldPath {
        let segs = self
            .stack
            .iter()
            .filter_map(|f| match f {
                Frame::Map { key, .. } => key.as_ref().map(|k| Segment::Key(k.key.clone())),
                Frame::Seq { items, .. } => Some(Segment::Index(items.len())),
            })
            .collect();
        FieldPath(segs)
    }

    fn store_anchor(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors
                .insert(anchor, (node.value.clone(), node.nodes));
        }
    }

    /// Puts a finished node into its parent and shortens the path back to the parent's.
    fn attach(&mut self, node: Node, st: &mut Stream<'_>) {
        let records = self.records();
        let DocBuilder {
            stack,
            root,
            path,
            index_builder,
            key_depth,
            index,
            needs_eager,
            ..
        } = self;
        let in_key = *key_depth > 0;
        let parent_len = match stack.last() {
            Some(Frame::Map { common, .. } | Frame::Seq { common, .. }) => common.path_len,
            None => 0,
        };
        match stack.last_mut() {
            None => *root = Some(node.value),
            Some(Frame::Seq { items, common }) => {
                common.nodes = common.nodes.saturating_add(node.nodes);
                items.push(node.value);
            }
            Some(Frame::Map {
                map,
                key,
                merged,
                common,
            }) => match key.take() {
                None => {
                    let text = match node.key_text {
                        Some(t) => t,
                        None => node.value.to_string(),
                    };
                    let from_merge = merged.as_ref().is_some_and(|m| m.contains(&text));
                    if map.contains_key(&text) && !from_merge && !node.merge && !in_key && !records
                    {
                        // The message names the line of the first key: only the eager reading
                        // knows it.
                        *needs_eager = true;
                    } else if map.contains_key(&text) && !from_merge && !node.merge && !in_key {
                        let mut pointer = path.clone();
                        pointer.push('/');
                        push_escaped(&mut pointer, &text);
                        let first = index_builder.find_last(&pointer);
                        st.problems.push(LoadProblem {
                            file: st.file,
                            document: Some(*index),
                            position: node.start,
                            message: match first {
                                Some(p) => format!("duplicate key `{text}` (first defined at line {})", p.line),
                                None => format!("duplicate key `{text}`"),
                            },
                            help: Some(
                                "kubectl rejects duplicate keys and the API server would keep only the last \
                                 one: remove one of them"
                                    .into(),
                            ),
                        });
                    }
                    if from_merge && let Some(m) = merged.as_mut() {
                        m.remove(&text);
                    }
                    *key = Some(PendingKey {
                        key: text,
                        pos: node.start,
                        merge: node.merge,
                    });
                }
                Some(k) => {
                    common.nodes = common.nodes.saturating_add(node.nodes);
                    if k.merge {
                        let merged = merged.get_or_insert_with(HashSet::new);
                        let mut pointer = String::new();
                        merge_into(map, merged, node.value, |name| {
                            if !in_key && records {
                                pointer.clear();
                                pointer.push_str(path.get(..parent_len).unwrap_or(""));
                                pointer.push('/');
                                push_escaped(&mut pointer, name);
                                index_builder.record(&pointer, k.pos);
                            }
                        });
                    } else {
                        map.insert(k.key, node.value);
                    }
                }
            },
        }
        if !in_key {
            path.truncate(parent_len);
        }
    }
}

/// YAML merge keys (`<<: *base`, `<<: [*a, *b]`), which Kubernetes' YAML reader supports: keys
/// already present win; among several merged mappings the first wins.
fn merge_into(
    map: &mut Map<String, Value>,
    merged: &mut HashSet<String>,
    value: Value,
    mut on_key: impl FnMut(&str),
) {
    let sources = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    for src in sources {
        if let Value::Object(m) = src {
            for (k, v) in m {
                if !map.contains_key(&k) {
                    on_key(&k);
                    merged.insert(k.clone());
                    map.insert(k, v);
                }
            }
        }
    }
}

fn scalar_with_tag(tag: &Tag, text: &str, plain: bool) -> Value {
    if tag.is_yaml_core_schema() {
        resolve_tagged(&tag.suffix, text, plain)
    } else if tag.handle == "!" && tag.suffix.is_empty() {
        // The non-specific tag `!`: always a string.
        Value::String(text.to_owned())
    } else if plain {
        resolve_plain(text)
    } else {
        Value::String(text.to_owned())
    }
}

/// A copy of a scalar's text in a buffer of exactly its size. saphyr-parser hands out scalars in
/// buffers of at least 32 bytes; the document keeps hundreds of thousands of keys and strings
/// for the whole run, so copying them (cheap) keeps the peak memory down (about 25 MB on the
/// 57,000-document fleet).
fn exact(text: &str) -> String {
    String::from(text)
}

/// JSON pointer escaping of one key.
fn push_escaped(out: &mut String, key: &str) {
    if key.contains(['~', '/']) {
        out.push_str(&key.replace('~', "~0").replace('/', "~1"));
    } else {
        out.push_str(key);
    }
}
