//! Which files to read: command-line inputs → an ordered list of files, like ripgrep does it.
//!
//! Directories are walked recursively with the `ignore` crate (hidden entries and `.gitignore`d
//! paths skipped, even outside a git repository), keeping `.yaml`, `.yml` and `.json` files in
//! sorted order; a file named on the command line is taken whatever its extension. Symlinks are
//! followed; a loop becomes a problem, never a hang.
//!
//! This module must not read file contents or know anything about YAML.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::WalkBuilder;

use super::{InputKind, LoadError};

/// One file to read, in display form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Found {
    File {
        display: String,
        path: PathBuf,
    },
    Stdin,
    /// A directory entry that could not be listed or followed (loop, dangling symlink…).
    Broken {
        display: String,
        message: String,
    },
}

/// Compiles the `--exclude` globs. A bad glob is a usage error.
pub(crate) fn excludes(globs: &[String]) -> Result<GlobSet, LoadError> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let glob = Glob::new(g).map_err(|e| LoadError::BadExclude {
            glob: g.clone(),
            message: e.kind().to_string(),
        })?;
        b.add(glob);
        // `--exclude vendor` or `--exclude 'charts/*'` should also exclude everything below.
        if !g.ends_with("/**")
            && let Ok(below) = Glob::new(&format!("{}/**", g.trim_end_matches('/')))
        {
            b.add(below);
        }
    }
    b.build().map_err(|e| LoadError::BadExclude {
        glob: globs.join(" "),
        message: e.to_string(),
    })
}

fn is_manifest(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json"))
}

/// Display form of a path: as given, with `/` separators and without a leading `./`.
pub(crate) fn display(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    match s.strip_prefix("./") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => s,
    }
}

/// Expands one input. A missing or unopenable named path is an error (exit 2).
pub(crate) fn expand(kind: &InputKind, excludes: &GlobSet) -> Result<Vec<Found>, LoadError> {
    let path = match kind {
        InputKind::Stdin => return Ok(vec![Found::Stdin]),
        InputKind::Path(p) => p,
    };
    let meta = std::fs::metadata(path).map_err(|e| LoadError::Path {
        path: display(path),
        message: e.to_string(),
    })?;
    if !meta.is_dir() {
        // Named explicitly: read whatever the extension (and even if it matches --exclude:
        // naming a file is a stronger statement than a glob).
        return Ok(vec![Found::File {
            display: display(path),
            path: path.clone(),
        }]);
    }
    let root = path.clone();
    let filter_set = excludes.clone();
    let filter_root = root.clone();
    let walker = WalkBuilder::new(path)
        .hidden(true)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .ignore(true)
        .parents(true)
        .require_git(false)
        .follow_links(true)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |e| !excluded(&filter_set, &filter_root, e.path()))
        .build();
    let mut out = Vec::new();
    for entry in walker {
        match entry {
            Ok(e) => {
                let is_file = e.file_type().is_some_and(|t| t.is_file());
                if is_file && e.depth() > 0 && is_manifest(e.path()) {
                    out.push(Found::File {
                        display: display(e.path()),
                        path: e.path().to_path_buf(),
                    });
                }
            }
            Err(err) => {
                let display = error_path(&err).map_or_else(|| display(&root), |p| display(&p));
                out.push(Found::Broken {
                    display,
                    message: describe(&err),
                });
            }
        }
    }
    Ok(out)
}

fn excluded(set: &GlobSet, root: &Path, path: &Path) -> bool {
    if set.is_empty() {
        return false;
    }
    let rel = path.strip_prefix(root).unwrap_or(path);
    (!rel.as_os_str().is_empty() && set.is_match(rel)) || set.is_match(display(path))
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        ignore::Error::Partial(errs) => errs.iter().find_map(error_path),
        _ => None,
    }
}

fn describe(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => describe(err),
        ignore::Error::Loop { ancestor, .. } => format!(
            "symbolic link loop: this path leads back to `{}`; it is not followed",
            display(ancestor)
        ),
        ignore::Error::Io(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "cannot be read: it does not exist (a dangling symbolic link?)".into()
        }
        ignore::Error::Io(e) => format!("cannot be read: {e}"),
        other => other.to_string(),
    }
}
