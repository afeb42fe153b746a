//! The inventory: every loaded object with its identity and where it came from.
//!
//! Documents from `source` (or objects from the cluster) become `Object`s here: `List` items are
//! split out, identity (`ObjectRef`) is read, shapes are validated (`invalid-manifest`) and
//! duplicates are reported. This module must not compute placement.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::path::FieldPath;

/// The identity of a Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    /// `""` for cluster-scoped objects and for namespaced objects without a namespace.
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{}/{}", self.kind, self.name)
        } else {
            write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// Where an object came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Document `document` of file `file`; `base` is the object's path inside the document
    /// (`items[3]` for an item of a `List`, the root otherwise).
    File {
        file: usize,
        document: usize,
        base: FieldPath,
    },
    /// Read from the API server.
    Cluster,
}

#[derive(Debug, Clone)]
pub struct Object {
    pub r#ref: ObjectRef,
    pub value: Arc<serde_json::Value>,
    pub origin: Origin,
}

/// A problem with one object or document that makes it (partly) unusable: reported as an
/// `invalid-manifest` or `yaml-ambiguous-scalar` finding by the caller.
#[derive(Debug, Clone)]
pub struct Problem {
    pub policy: &'static str,
    pub message: String,
    pub help: Option<String>,
    pub resource: Option<ObjectRef>,
    /// Where: a file position (from the loader) or an object plus a field path.
    pub at: ProblemAt,
    /// "first defined here" for duplicates.
    pub related: Option<(usize, FieldPath, String)>,
}

#[derive(Debug, Clone)]
pub enum ProblemAt {
    File {
        file: usize,
        document: Option<usize>,
        position: crate::source::Position,
    },
    /// Object index in `Inventory::objects` and a path inside it.
    Object(usize, FieldPath),
}

/// Every object of a run, in load order, plus what was wrong with the input.
#[derive(Debug, Default)]
pub struct Inventory {
    pub files: Vec<crate::source::SourceFile>,
    /// Position indexes by (file, document).
    pub positions: std::collections::HashMap<(usize, usize), Arc<crate::source::PositionIndex>>,
    pub objects: Vec<Object>,
    /// First object of each identity, for `find` (findings name objects by ref).
    pub by_ref: std::collections::HashMap<ObjectRef, usize>,
    pub problems: Vec<Problem>,
    /// Documents skipped because they are not Kubernetes objects.
    pub skipped: usize,
    /// Pods of Seldon Servers read from a live cluster (`servers[].pods`); empty offline.
    pub server_pods: Vec<ServerPod>,
    /// When true, objects read from the cluster are context: findings on them are not reported
    /// (`lint --cluster`). `audit` reports them.
    pub cluster_context: bool,
}

/// A running (or pending) pod of a Seldon Server, as read from the cluster: the pod carries
/// the label `seldon-server-name` (seldon.md §3), so it belongs to the Server of that name in
/// its namespace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServerPod {
    pub namespace: String,
    pub server: String,
    pub name: String,
    /// `spec.nodeName`: empty while the pod is not bound.
    pub node_name: Option<String>,
    /// `status.phase` (`Pending`, `Running`, …).
    pub phase: Option<String>,
}

pub mod build;
pub mod kinds;
