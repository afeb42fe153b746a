//! The inventory: every loaded object with its identity and where it came from.
//!
//! Documents from `source` (or objects from the cluster) become `Object`s here: `List` items are
//! split out, identity (`ObjectRef`) is read, shapes are validated (`invalid-manifest`) and
//! duplicates are reported. This module must not compute placement.

use std::sync::Arc;

use serde::Serialize;

use crate::path::FieldPath;

/// The identity of a Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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
