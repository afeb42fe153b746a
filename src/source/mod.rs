//! The source stage: command-line inputs → files → YAML/JSON documents with positions.
//!
//! It walks paths ([`walk`]), reads files and stdin (size cap, UTF-8 check), and parses every
//! stream into [`Document`]s: a `serde_json::Value`, a [`PositionIndex`] (field path →
//! `line:column`) and the scalars Kubernetes would read differently ([`AmbiguousScalar`]).
//! Everything that goes wrong with one file or one document is a [`LoadProblem`] (reported as an
//! `invalid-manifest` finding) and never stops the other files; only a named path that cannot be
//! opened at all, or a bad `--exclude` glob, is a [`LoadError`] (exit code 2).
//!
//! Position tables are built lazily, on the first lookup (see [`PositionIndex`]), and large
//! multi-document files are parsed in parallel ranges (see `yaml.rs`). Where kubectl's YAML
//! reader (go-yaml) rejects a tab that YAML 1.2 accepts, the document is reported at the tab and
//! left out, the others of the file are kept (see `tabs.rs`).
//!
//! This module must not know Kubernetes kinds: the only thing it looks at is whether a
//! document's top level has `apiVersion` or `kind` (documents with neither are skipped and
//! counted). Splitting `List`s, identities and shape checks belong to `inventory`.

mod position;
mod scalar;
mod tabs;
mod walk;
mod yaml;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

pub use position::{Position, PositionIndex};
pub use yaml::{parse_shared, parse_shared_in, parse_str};

use crate::path::FieldPath;

/// Index of a file in [`Loaded::files`].
pub type FileId = usize;

/// The display name of standard input.
pub const STDIN_NAME: &str = "<stdin>";

/// One file that was read (or tried).
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// As given on the command line, joined with the walked sub-path
    /// (`deploy/models.yaml`); stdin is [`STDIN_NAME`].
    pub path: String,
    /// The text, for snippets; `None` when the file could not be read or is not UTF-8.
    pub text: Option<Arc<str>>,
    /// Loaded for context only (`lint --context`): findings on it are not reported.
    pub context: bool,
}

/// One YAML document of a stream that has content.
#[derive(Debug, Clone)]
pub struct Document {
    pub file: FileId,
    /// 0-based position in the stream, counting empty documents too.
    pub index: usize,
    /// Where the document starts (its `---`, or its first node).
    pub start: Position,
    pub value: serde_json::Value,
    pub positions: Arc<PositionIndex>,
    /// Plain scalars that Kubernetes reads differently (all of them; the caller decides which
    /// paths matter).
    pub ambiguous: Vec<AmbiguousScalar>,
}

/// A plain scalar whose YAML 1.1 reading (Kubernetes: sigs.k8s.io/yaml → go-yaml v2) differs
/// from the YAML 1.2 reading placecheck uses (usually: the string the author meant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmbiguousScalar {
    pub path: FieldPath,
    /// The scalar as written.
    pub text: String,
    /// What Kubernetes makes of it: "the boolean true", "the integer 511 (octal)",
    /// "the integer 1000".
    pub kubernetes_reads: String,
}

/// Something wrong with a file or a document; becomes an `invalid-manifest` finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProblem {
    pub file: FileId,
    /// The document it is about, when known.
    pub document: Option<usize>,
    pub position: Position,
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

/// Where to read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputKind {
    /// A file (read whatever its extension) or a directory (walked).
    Path(PathBuf),
    /// `-`
    Stdin,
}

/// One command-line input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub kind: InputKind,
    /// From `--context`: loaded, but findings on it are not reported.
    pub context: bool,
}

impl Input {
    /// A path argument; `-` means stdin.
    pub fn arg(arg: &str, context: bool) -> Self {
        let kind = if arg == "-" {
            InputKind::Stdin
        } else {
            InputKind::Path(PathBuf::from(arg))
        };
        Input { kind, context }
    }
}

/// Limits and filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// `--exclude` globs, matched against the path relative to the walked directory and against
    /// the displayed path. Files named explicitly are never excluded.
    pub excludes: Vec<String>,
    /// Files above this size are not read (a problem says so).
    pub max_file_bytes: u64,
    /// Deepest nesting of mappings and sequences accepted in a document.
    pub max_depth: usize,
    /// Nodes that aliases may materialise per file (alias-bomb guard).
    pub max_alias_nodes: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            excludes: Vec::new(),
            max_file_bytes: 32 * 1024 * 1024,
            max_depth: 200,
            max_alias_nodes: 1_000_000,
        }
    }
}

/// Everything read.
#[derive(Debug, Default)]
pub struct Loaded {
    pub files: Vec<SourceFile>,
    /// Kubernetes-looking documents (top-level mapping with `apiVersion` or `kind`), in file
    /// order then stream order.
    pub documents: Vec<Document>,
    pub problems: Vec<LoadProblem>,
    /// Documents skipped because they are not Kubernetes objects.
    pub skipped: usize,
}

/// The tool cannot do its job (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(
        "cannot read `{path}`: {message}; check the path (files and directories are accepted, `-` reads stdin)"
    )]
    Path { path: String, message: String },
    #[error(
        "invalid --exclude glob `{glob}`: {message}; globs look like `charts/**` or `*.tmpl.yaml`"
    )]
    BadExclude { glob: String, message: String },
    #[error("cannot read standard input: {0}")]
    Stdin(String),
}

/// Reads every input. Files (and the `---`-separated parts of a large file) are parsed in
/// parallel; positions are built lazily (see [`PositionIndex`]); the result is in a deterministic order
/// (inputs in command-line order, directory contents sorted by name). A file reached twice is
/// read once, and counts as named (not context) if any of its inputs is named.
pub fn load(inputs: &[Input], opts: &LoadOptions) -> Result<Loaded, LoadError> {
    let excludes = walk::excludes(&opts.excludes)?;
    let mut found: Vec<(walk::Found, bool)> = Vec::new();
    let mut seen: std::collections::HashMap<PathBuf, usize> = std::collections::HashMap::new();
    for input in inputs {
        for f in walk::expand(&input.kind, &excludes)? {
            if let walk::Found::File { path, .. } = &f {
                let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                if let Some(&i) = seen.get(&key) {
                    if let Some(entry) = found.get_mut(i) {
                        entry.1 &= input.context;
                    }
                    continue;
                }
                seen.insert(key, found.len());
            }
            found.push((f, input.context));
        }
    }

    let stdin_text = if found.iter().any(|(f, _)| matches!(f, walk::Found::Stdin)) {
        Some(read_stdin(opts.max_file_bytes)?)
    } else {
        None
    };

    let per_file: Vec<(SourceFile, Vec<Document>, Vec<LoadProblem>)> = found
        .into_par_iter()
        .enumerate()
        .map(|(id, (f, context))| load_one(id, f, context, stdin_text.as_ref(), opts))
        .collect();

    let mut out = Loaded::default();
    for (file, docs, problems) in per_file {
        out.files.push(file);
        out.problems.extend(problems);
        for d in docs {
            if is_kubernetes_like(&d.value) {
                out.documents.push(d);
            } else {
                out.skipped += 1;
            }
        }
    }
    Ok(out)
}

/// A top-level mapping with `apiVersion` or `kind` (one of them is enough: the inventory
/// reports the other one missing).
fn is_kubernetes_like(v: &serde_json::Value) -> bool {
    v.as_object()
        .is_some_and(|m| m.contains_key("apiVersion") || m.contains_key("kind"))
}

/// What stdin gave: its bytes, or that it was too large.
enum StdinText {
    Bytes(Vec<u8>),
    TooLarge(u64),
}

fn read_stdin(limit: u64) -> Result<StdinText, LoadError> {
    let mut buf = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| LoadError::Stdin(e.to_string()))?;
    if buf.len() as u64 > limit {
        // Drain the rest so the writer does not get a broken pipe, and measure it.
        let rest = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink()).unwrap_or(0);
        return Ok(StdinText::TooLarge(buf.len() as u64 + rest));
    }
    Ok(StdinText::Bytes(buf))
}

fn load_one(
    id: FileId,
    f: walk::Found,
    context: bool,
    stdin: Option<&StdinText>,
    opts: &LoadOptions,
) -> (SourceFile, Vec<Document>, Vec<LoadProblem>) {
    let problem = |position: Position, message: String, help: Option<String>| LoadProblem {
        file: id,
        document: None,
        position,
        message,
        help,
    };
    let (display, bytes) = match f {
        walk::Found::Broken { display, message } => {
            let file = SourceFile {
                path: display,
                text: None,
                context,
            };
            return (
                file,
                Vec::new(),
                vec![problem(Position::START, message, None)],
            );
        }
        walk::Found::Stdin => match stdin {
            Some(StdinText::Bytes(b)) => (STDIN_NAME.to_string(), Ok(b.clone())),
            Some(StdinText::TooLarge(n)) => {
                (STDIN_NAME.to_string(), Err(ReadFailure::TooLarge(*n)))
            }
            None => (STDIN_NAME.to_string(), Ok(Vec::new())),
        },
        walk::Found::File { display, path } => {
            let bytes = read_file(&path, opts.max_file_bytes);
            (display, bytes)
        }
    };
    let file_of = |text: Option<Arc<str>>| SourceFile {
        path: display.clone(),
        text,
        context,
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(ReadFailure::TooLarge(n)) => {
            let message = format!(
                "file is {} MiB, over the limit of {} MiB; it is not read",
                mib(n),
                mib(opts.max_file_bytes)
            );
            let help = "split the file, exclude it with --exclude, or raise the limit (max file size setting)";
            return (
                file_of(None),
                Vec::new(),
                vec![problem(Position::START, message, Some(help.into()))],
            );
        }
        Err(ReadFailure::Io(e)) => {
            let help = "check the file's permissions";
            return (
                file_of(None),
                Vec::new(),
                vec![problem(
                    Position::START,
                    format!("cannot be read: {e}"),
                    Some(help.into()),
                )],
            );
        }
    };
    let text: Arc<str> = match String::from_utf8(bytes) {
        Ok(s) => Arc::from(s),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let pos = position_of_byte(e.as_bytes(), valid);
            let message = format!("not valid UTF-8 (invalid byte at {pos}); the file is not read");
            let help =
                "Kubernetes manifests must be UTF-8: re-encode the file (e.g. `iconv -t UTF-8`)";
            return (
                file_of(None),
                Vec::new(),
                vec![problem(pos, message, Some(help.into()))],
            );
        }
    };
    let (mut docs, mut problems) = parse_shared(id, &text, opts);
    // kubectl reads JSON with a JSON decoder and YAML with go-yaml, which rejects some tabs
    // that YAML 1.2 allows (see `tabs`).
    if text.contains('\t') && !yaml::is_json_like(&text) {
        tabs::report_go_yaml_tabs(id, &text, &mut docs, &mut problems);
    }
    (file_of(Some(text)), docs, problems)
}

enum ReadFailure {
    TooLarge(u64),
    Io(std::io::Error),
}

fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadFailure> {
    let file = std::fs::File::open(path).map_err(ReadFailure::Io)?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > limit {
        return Err(ReadFailure::TooLarge(len));
    }
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // `take` guards against a file that grows while being read.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(ReadFailure::Io)?;
    if buf.len() as u64 > limit {
        return Err(ReadFailure::TooLarge(buf.len() as u64));
    }
    Ok(buf)
}

fn mib(n: u64) -> String {
    let m = n as f64 / (1024.0 * 1024.0);
    if m >= 10.0 || m.fract() == 0.0 {
        format!("{m:.0}")
    } else {
        format!("{m:.1}")
    }
}

/// Line and column (in characters) of byte `at`; the prefix `bytes[..at]` must be valid UTF-8.
fn position_of_byte(bytes: &[u8], at: usize) -> Position {
    let prefix = std::str::from_utf8(bytes.get(..at).unwrap_or_default()).unwrap_or("");
    let line = prefix.matches('\n').count() + 1;
    let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Position {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(col).unwrap_or(u32::MAX),
    }
}

#[cfg(test)]
mod tests;
