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
//! This module must not know Kubernetes kinds; it does not even look at `apiVersion`/`kind`.

use std::collections::HashMap;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError, Span, Tag};
use serde_json::{Map, Value};

use super::position::IndexBuilder;
use super::scalar::{kubernetes_reading, resolve_plain, resolve_tagged};
use super::{AmbiguousScalar, Document, FileId, LoadOptions, LoadProblem, Position};
use crate::path::{FieldPath, Segment};

/// Parses one YAML or JSON stream. Empty documents (and documents that are only `null`) are
/// left out; the `index` of every document still counts them, so it matches the position in
/// the stream. Never panics: an internal parser panic becomes a problem.
pub fn parse_str(
    file: FileId,
    text: &str,
    opts: &LoadOptions,
) -> (Vec<Document>, Vec<LoadProblem>) {
    let mut st = Stream {
        file,
        opts,
        json_like: text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with(['{', '[']),
        documents: Vec::new(),
        problems: Vec::new(),
        next_index: 0,
        alias_nodes: 0,
        spare: None,
    };
    let mut offset = Offset {
        byte: 0,
        line: 0,
        col: 0,
    };
    while let Some(chunk) = text.get(offset.byte..) {
        let run = catch_unwind(AssertUnwindSafe(|| st.parse_chunk(chunk, offset)));
        let next = match run {
            Ok(next) => next,
            Err(_) => {
                st.problems.push(LoadProblem {
                    file,
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
            Some(n) if n.byte > offset.byte => offset = n,
            _ => break,
        }
    }
    (st.documents, st.problems)
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
}

/// Why a document was abandoned.
struct Abort {
    at: Position,
    message: String,
    help: Option<String>,
}

impl Stream<'_> {
    /// Parses from the start of `chunk`; returns where to restart after an unrecoverable error.
    fn parse_chunk(&mut self, chunk: &str, off: Offset) -> Option<Offset> {
        let mut parser = Parser::new_from_str(chunk);
        let mut doc: Option<DocBuilder> = None;
        loop {
            let (event, span) = match parser.next_event()? {
                Ok(ev) => ev,
                Err(e) => return self.on_syntax_error(chunk, off, doc.take(), &e),
            };
            match event {
                Event::StreamStart | Event::Nothing => {}
                Event::StreamEnd => return None,
                Event::DocumentStart(_) => {
                    let (ib, path) = self.spare.take().unwrap_or_default();
                    doc = Some(DocBuilder::new(
                        self.next_index,
                        off.position(span.start),
                        ib,
                        path,
                    ));
                    self.next_index += 1;
                }
                Event::DocumentEnd => {
                    if let Some(b) = doc.take() {
                        self.finish(b);
                    }
                }
                ev => {
                    let Some(b) = doc.as_mut() else { continue };
                    if let Err(abort) = b.event(ev, span, off, self) {
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
                }
                if !self.json_like {
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
        let DocBuilder {
            index,
            start,
            root,
            root_pos,
            mut index_builder,
            path,
            ambiguous,
            ..
        } = b;
        let positions = index_builder.finish(root_pos.unwrap_or(start));
        self.spare = Some((index_builder, path));
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
}

impl DocBuilder {
    fn new(index: usize, start: Position, index_builder: IndexBuilder, mut path: String) -> Self {
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
        }
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
                        key_text: Some(text.into_owned()),
                        merge,
                        start: pos,
                    };
                    self.attach(node, st);
                    return Ok(());
                }
                let value = match tag.as_deref() {
                    Some(t) => scalar_with_tag(t, &text, plain),
                    None if plain => resolve_plain(&text),
                    None => Value::String(text.to_string()),
                };
                if plain
                    && tag.is_none()
                    && !is_key
                    && self.key_depth == 0
                    && let Some(reads) = kubernetes_reading(&text, &value)
                {
                    let path = self.child_path();
                    self.ambiguous.push(AmbiguousScalar {
                        path,
                        text: text.to_string(),
                        kubernetes_reads: reads,
                    });
                }
                if !is_key {
                    self.enter_child(pos);
                }
                let node = Node {
                    value,
                    nodes: 1,
                    key_text: is_key.then(|| text.into_owned()),
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
        let DocBuilder {
            stack,
            root,
            path,
            index_builder,
            key_depth,
            index,
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
                    if map.contains_key(&text) && !from_merge && !node.merge && !in_key {
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
                            if !in_key {
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

/// JSON pointer escaping of one key.
fn push_escaped(out: &mut String, key: &str) {
    if key.contains(['~', '/']) {
        out.push_str(&key.replace('~', "~0").replace('/', "~1"));
    } else {
        out.push_str(key);
    }
}
