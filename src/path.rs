//! Field paths: how a policy, a loader error or a merged value names a place inside an object.
//!
//! Two spellings are accepted everywhere a path comes from a user or a policy:
//! the kubectl-like `spec.podSpec.tolerations[1]` (keys containing `.`, `[`, `]` or `"` are written
//! `metadata.labels["nvidia.com/gpu"]`) and a JSON pointer `/spec/podSpec/tolerations/1`.
//! Internally a path is a list of [`Segment`]s; the canonical text form (used as the key of the
//! position index and in JSON output) is the dotted one.
//!
//! This module only parses and prints paths. It must not know about YAML or positions.

use std::fmt;

/// One step into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path from the root of an object to one of its values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// A new path one key deeper.
    pub fn key(&self, k: &str) -> Self {
        let mut v = self.0.clone();
        v.push(Segment::Key(k.to_string()));
        FieldPath(v)
    }

    /// A new path one index deeper.
    pub fn index(&self, i: usize) -> Self {
        let mut v = self.0.clone();
        v.push(Segment::Index(i));
        FieldPath(v)
    }

    /// The path without its last segment; `None` at the root.
    pub fn parent(&self) -> Option<Self> {
        if self.0.is_empty() {
            None
        } else {
            Some(FieldPath(self.0[..self.0.len() - 1].to_vec()))
        }
    }

    /// Parses either spelling. Returns `None` for text that is neither (the caller then falls back
    /// to the document start and says so).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() || text == "." || text == "/" {
            return Some(Self::root());
        }
        if let Some(rest) = text.strip_prefix('/') {
            return Some(FieldPath(
                rest.split('/')
                    .map(|raw| {
                        let k = raw.replace("~1", "/").replace("~0", "~");
                        match k.parse::<usize>() {
                            Ok(i) if !k.starts_with('+') => Segment::Index(i),
                            _ => Segment::Key(k),
                        }
                    })
                    .collect(),
            ));
        }
        parse_dotted(text)
    }

    /// The JSON pointer form (`/spec/podSpec/tolerations/1`).
    pub fn to_pointer(&self) -> String {
        let mut s = String::new();
        for seg in &self.0 {
            s.push('/');
            match seg {
                Segment::Key(k) => s.push_str(&k.replace('~', "~0").replace('/', "~1")),
                Segment::Index(i) => s.push_str(&i.to_string()),
            }
        }
        s
    }

    /// Follows the path inside a JSON value.
    pub fn lookup<'v>(&self, mut v: &'v serde_json::Value) -> Option<&'v serde_json::Value> {
        for seg in &self.0 {
            v = match (seg, v) {
                (Segment::Key(k), serde_json::Value::Object(m)) => m.get(k)?,
                (Segment::Index(i), serde_json::Value::Array(a)) => a.get(*i)?,
                _ => return None,
            };
        }
        Some(v)
    }
}

fn needs_quoting(k: &str) -> bool {
    k.is_empty()
        || k.chars()
            .any(|c| matches!(c, '.' | '[' | ']' | '"' | '/' | ' '))
        || k.chars().next().is_some_and(|c| c.is_ascii_digit())
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for seg in &self.0 {
            match seg {
                Segment::Key(k) if needs_quoting(k) => {
                    write!(f, "[{}]", serde_json::Value::String(k.clone()))?
                }
                Segment::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

fn parse_dotted(text: &str) -> Option<FieldPath> {
    let mut segs = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'.' => i += 1,
            b'[' => {
                let end = i + 1 + text[i + 1..].find(']')?;
                let inner = &text[i + 1..end];
                if inner.starts_with('"') {
                    // A quoted key may itself contain `]`: read it as a JSON string.
                    let mut de =
                        serde_json::Deserializer::from_str(&text[i + 1..]).into_iter::<String>();
                    let key = de.next()?.ok()?;
                    let consumed = de.byte_offset();
                    let close = i + 1 + consumed;
                    if b.get(close) != Some(&b']') {
                        return None;
                    }
                    segs.push(Segment::Key(key));
                    i = close + 1;
                } else {
                    segs.push(Segment::Index(inner.trim().parse().ok()?));
                    i = end + 1;
                }
            }
            _ => {
                let end = text[i..].find(['.', '[']).map_or(text.len(), |p| i + p);
                segs.push(Segment::Key(text[i..end].to_string()));
                i = end;
            }
        }
    }
    Some(FieldPath(segs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_and_pointer_agree() {
        let a = FieldPath::parse("spec.podSpec.tolerations[1]").unwrap();
        let b = FieldPath::parse("/spec/podSpec/tolerations/1").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "spec.podSpec.tolerations[1]");
        assert_eq!(a.to_pointer(), "/spec/podSpec/tolerations/1");
    }

    #[test]
    fn quoted_keys_round_trip() {
        let p = FieldPath::root()
            .key("metadata")
            .key("labels")
            .key("nvidia.com/gpu");
        assert_eq!(p.to_string(), r#"metadata.labels["nvidia.com/gpu"]"#);
        assert_eq!(FieldPath::parse(&p.to_string()).unwrap(), p);
        assert_eq!(
            FieldPath::parse("/metadata/labels/nvidia.com~1gpu").unwrap(),
            p
        );
    }

    #[test]
    fn bad_paths_are_none() {
        assert!(FieldPath::parse("spec[abc]").is_none());
        assert!(FieldPath::parse("spec[\"unterminated").is_none());
    }
}
