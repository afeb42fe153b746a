//! Source positions: where, in the YAML text, a field of a document was written.
//!
//! A [`PositionIndex`] is built once per document by the YAML reader (lazily: on the first
//! lookup, see its docs) and then only read (it is shared behind an `Arc`). Findings carry [`FieldPath`]s; this index turns them into
//! `line:column`. It must not know what the fields mean.

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::path::FieldPath;

/// A place in a source file. Both numbers are 1-based; `column` counts characters (not bytes),
/// which is what editors and SARIF expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    /// The first character of a file.
    pub const START: Position = Position { line: 1, column: 1 };

    pub fn new(line: u32, column: u32) -> Self {
        Position { line, column }
    }
}

impl Default for Position {
    fn default() -> Self {
        Position::START
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One entry: a slice of `Table::keys` and its position.
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: u32,
    len: u32,
    pos: Position,
}

/// The sorted pointer → position table of one document.
#[derive(Debug, Clone, Default)]
pub(super) struct Table {
    keys: String,
    entries: Vec<Entry>,
}

impl Table {
    fn get_pointer(&self, pointer: &str) -> Option<Position> {
        self.entries
            .binary_search_by(|e| self.key_of(e).cmp(pointer))
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|e| e.pos)
    }

    fn key_of(&self, e: &Entry) -> &str {
        let start = e.start as usize;
        self.keys.get(start..start + e.len as usize).unwrap_or("")
    }
}

/// Where to re-read a document whose table was not built while loading: the file's text and a
/// point where a fresh parser reads exactly this document first (see `yaml.rs`, "Lazy
/// positions").
#[derive(Clone)]
pub(super) struct Source {
    pub(super) text: Arc<str>,
    /// Byte offset in `text`, lines before it, characters before it on its line.
    pub(super) byte: usize,
    pub(super) line: usize,
    pub(super) col: usize,
    pub(super) max_depth: usize,
    pub(super) max_alias_nodes: usize,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the text: it is the whole file.
        write!(
            f,
            "Source {{ byte: {}, line: {} }}",
            self.byte,
            self.line + 1
        )
    }
}

/// Field path → position of that value in one YAML document.
///
/// For a mapping entry the position is the one of its **key** (where an editor should put the
/// cursor); for a sequence item it is the start of the item; the root maps to the start of the
/// document's root node.
///
/// Storage is compact because a fleet has millions of fields: every path is kept once, in JSON
/// pointer spelling, in a single string arena, and the entries are sorted for binary search
/// (16 bytes per field plus the path text). The pointer spelling makes `Key("1")` and `Index(1)`
/// the same entry, which is harmless because a YAML node is either a mapping or a sequence.
///
/// **Lazy**: [`source::load`](super::load) does not build the table while loading (most
/// documents never need a position: only those with a finding do). It keeps where the document
/// starts in the file's text and re-reads that one document the first time a position is asked
/// for; the table is then cached (thread-safe, built once). Lookups behave exactly as if the
/// table had been built while loading. [`parse_str`](super::parse_str) builds it eagerly.
#[derive(Debug, Clone, Default)]
pub struct PositionIndex {
    root: Position,
    table: OnceLock<Table>,
    /// `None` when the table was built while loading (or the document is empty).
    source: Option<Source>,
}

impl PositionIndex {
    pub(super) fn built(table: Table, root: Position) -> Self {
        PositionIndex {
            root,
            table: OnceLock::from(table),
            source: None,
        }
    }

    pub(super) fn lazy(source: Source, root: Position) -> Self {
        PositionIndex {
            root,
            table: OnceLock::new(),
            source: Some(source),
        }
    }

    /// The table, built (used to move a re-read document's table into a lazy index).
    pub(super) fn into_table(self) -> Table {
        let _ = self.table();
        self.table.into_inner().unwrap_or_default()
    }

    fn table(&self) -> &Table {
        self.table.get_or_init(|| match &self.source {
            Some(src) => super::yaml::build_table(src),
            None => Table::default(),
        })
    }

    /// Builds the table now if it is not built yet (e.g. for many documents in parallel, before
    /// a sequential pass that looks positions up).
    pub fn build(&self) {
        let _ = self.table();
    }

    /// Whether the table has been built (eagerly, or by a lookup).
    pub fn is_built(&self) -> bool {
        self.table.get().is_some()
    }

    /// The position recorded for exactly this path.
    pub fn get(&self, p: &FieldPath) -> Option<Position> {
        self.get_pointer(&p.to_pointer())
    }

    /// The position recorded for a JSON pointer (`/spec/podSpec/tolerations/1`).
    pub fn get_pointer(&self, pointer: &str) -> Option<Position> {
        if pointer.is_empty() {
            return Some(self.root);
        }
        self.table().get_pointer(pointer)
    }

    /// The position of `p`, or of its nearest existing parent; returns the path actually found.
    /// The root always resolves (to the document's root node).
    pub fn resolve(&self, p: &FieldPath) -> (Position, FieldPath) {
        let mut cur = p.clone();
        loop {
            if cur.is_root() {
                return (self.root, cur);
            }
            if let Some(pos) = self.get(&cur) {
                return (pos, cur);
            }
            match cur.parent() {
                Some(parent) => cur = parent,
                None => return (self.root, cur),
            }
        }
    }

    /// The position of the document's root node.
    pub fn root(&self) -> Position {
        self.root
    }

    /// Number of recorded paths (builds the table).
    pub fn len(&self) -> usize {
        self.table().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table().entries.is_empty()
    }

    /// All entries as (JSON pointer, position), sorted by pointer (builds the table). For
    /// debugging and tests.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Position)> + '_ {
        let t = self.table();
        t.entries.iter().map(|e| (t.key_of(e), e.pos))
    }
}

/// Collects entries while a document is read; [`IndexBuilder::finish`] sorts them.
#[derive(Debug, Default)]
pub(crate) struct IndexBuilder {
    keys: String,
    entries: Vec<Entry>,
}

impl IndexBuilder {
    /// Records `pointer → pos`. Later records of the same pointer win (a duplicate key keeps its
    /// last value, like Kubernetes).
    pub(crate) fn record(&mut self, pointer: &str, pos: Position) {
        // The arena is bounded by the input size limit, far below 4 GiB; saturate regardless.
        let start = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        let len = u32::try_from(pointer.len()).unwrap_or(0);
        self.keys.push_str(pointer);
        self.entries.push(Entry { start, len, pos });
    }

    /// The most recent position recorded for `pointer` (linear; used on error paths only).
    pub(crate) fn find_last(&self, pointer: &str) -> Option<Position> {
        self.entries.iter().rev().find_map(|e| {
            let s = e.start as usize;
            (self.keys.get(s..s + e.len as usize) == Some(pointer)).then_some(e.pos)
        })
    }

    /// Builds the sorted, exactly-sized table and empties the builder, keeping its buffers for
    /// the next document (allocation churn is a large part of the parse cost).
    pub(crate) fn finish(&mut self) -> Table {
        let IndexBuilder { keys, entries } = self;
        let key = |e: &Entry| {
            let s = e.start as usize;
            keys.get(s..s + e.len as usize).unwrap_or("")
        };
        // Newest first among equal keys, then keep the first of each run: the last record wins.
        entries.reverse();
        entries.sort_by(|a, b| key(a).cmp(key(b)));
        entries.dedup_by(|later, earlier| key(later) == key(earlier));
        let total: usize = entries.iter().map(|e| e.len as usize).sum();
        let mut out_keys = String::with_capacity(total);
        let mut out_entries = Vec::with_capacity(entries.len());
        for e in entries.iter() {
            let start = u32::try_from(out_keys.len()).unwrap_or(u32::MAX);
            out_keys.push_str(key(e));
            out_entries.push(Entry {
                start,
                len: e.len,
                pos: e.pos,
            });
        }
        keys.clear();
        entries.clear();
        Table {
            keys: out_keys,
            entries: out_entries,
        }
    }
}
