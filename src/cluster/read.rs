//! The live read path: one consistent-enough snapshot of what placement depends on.
//!
//! Why: `audit --once`, `lint --cluster` and `explain --cluster` judge the cluster as it is now.
//! This module connects (kubeconfig or in-cluster), lists every kind placecheck reads with
//! paginated `list` calls, and returns JSON objects shaped exactly like the files would give
//! them (`apiVersion`/`kind` set, `managedFields` stripped), so the rest of the pipeline cannot
//! tell the difference except by `Origin::Cluster`.
//!
//! What it must not do: write anything to the cluster, evaluate policies, or fail because an
//! optional API (Seldon, Strimzi) is not installed — a missing CRD is a log line, and Nodes and
//! workloads are still read. Errors name the server URL, or the verb and resource RBAC forbids.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use kube::api::{Api, DynamicObject, ListParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Client, Config};
use serde_json::{Map, Value};

use crate::inventory::build::identify;
use crate::inventory::{ObjectRef, ServerPod};

/// Objects per `list` page by default (`--chunk-size`, as kubectl calls it).
pub const PAGE_SIZE: u32 = 500;

/// The label the Seldon operator puts on every pod of a Server's StatefulSet.
pub const SERVER_POD_LABEL: &str = "seldon-server-name";

/// Annotations dropped from live objects: large copies of the object that no policy reads.
const DROPPED_ANNOTATIONS: &[&str] = &["kubectl.kubernetes.io/last-applied-configuration"];

/// Which cluster to talk to.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// `--kubeconfig FILE`; otherwise `$KUBECONFIG`, `~/.kube/config`, then in-cluster.
    pub kubeconfig: Option<PathBuf>,
    /// `--kube-context NAME`; otherwise the current context.
    pub context: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Where ServerConfigs live (`parameters.seldonNamespace`).
    pub seldon_namespace: String,
    /// Objects per `list` page; every page after the first is fetched with the continue token.
    pub page_size: u32,
}

/// What was read.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The API server URL.
    pub server: String,
    /// The kubeconfig context's namespace (`default` in-cluster or when unset).
    pub default_namespace: String,
    /// Objects with their identity, in a stable order (kind, namespace, name).
    pub objects: Vec<(ObjectRef, Value)>,
    /// Pods of Seldon Servers.
    pub server_pods: Vec<ServerPod>,
    /// Kinds that were not read because the API server does not serve them.
    pub missing: Vec<String>,
    /// Objects read per kind (after filtering).
    pub counts: BTreeMap<String, usize>,
    pub elapsed: Duration,
}

/// Why the cluster could not be read (the CLI exits 2 with this message).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot load the Kubernetes client configuration: {0}")]
    Config(String),
    #[error("cannot reach the Kubernetes API server at {server}: {detail}")]
    Unreachable { server: String, detail: String },
    #[error(
        "the Kubernetes API server at {server} rejected the credentials (401 Unauthorized): {detail}"
    )]
    Unauthorized { server: String, detail: String },
    #[error(
        "cannot {verb} {resource} {scope}: RBAC forbids it for {who}; grant get/list/watch on {resource} (see deploy/clusterrole.yaml)"
    )]
    Forbidden {
        verb: &'static str,
        resource: String,
        scope: String,
        who: String,
    },
    #[error(
        "the Kubernetes API server at {server} answered {code} to {verb} {resource} {scope}: {message}"
    )]
    Api {
        server: String,
        verb: &'static str,
        resource: String,
        scope: String,
        code: u16,
        message: String,
    },
}

/// One kind to list.
#[derive(Debug, Clone)]
struct Listing {
    resource: ApiResource,
    /// `None`: all namespaces (or cluster-scoped); `Some(ns)`: that namespace only.
    namespace: Option<String>,
    labels: Option<&'static str>,
    cluster_scoped: bool,
    /// What to do with the objects.
    use_as: UseAs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UseAs {
    Object,
    /// Apps workloads: skip the ones Seldon or Strimzi generate from objects read directly.
    Workload,
    ServerPods,
}

impl Listing {
    fn core(group: &str, version: &str, kind: &str, plural: &str, cluster_scoped: bool) -> Listing {
        let gvk = GroupVersionKind::gvk(group, version, kind);
        Listing {
            resource: ApiResource::from_gvk_with_plural(&gvk, plural),
            namespace: None,
            labels: None,
            cluster_scoped,
            use_as: UseAs::Object,
        }
    }

    /// `nodes`, `servers.mlops.seldon.io`: the name RBAC rules and kubectl use.
    fn resource_name(&self) -> String {
        if self.resource.group.is_empty() {
            self.resource.plural.clone()
        } else {
            format!("{}.{}", self.resource.plural, self.resource.group)
        }
    }

    fn scope(&self) -> String {
        match (&self.namespace, self.cluster_scoped) {
            (_, true) => "at cluster scope".into(),
            (Some(ns), false) => format!("in namespace {ns:?}"),
            (None, false) => "in all namespaces".into(),
        }
    }

    fn api(&self, client: &Client) -> Api<DynamicObject> {
        match &self.namespace {
            Some(ns) => Api::namespaced_with(client.clone(), ns, &self.resource),
            None => Api::all_with(client.clone(), &self.resource),
        }
    }
}

/// The optional API groups and the kinds read from them.
const SELDON_KINDS: &[&str] = &[
    "ServerConfig",
    "Server",
    "Model",
    "SeldonRuntime",
    "SeldonConfig",
];
const STRIMZI_KINDS: &[&str] = &["Kafka", "KafkaNodePool"];

/// Builds the client for a target. Async because kube's config loaders are.
pub async fn client(target: &Target) -> Result<(Client, Config), ReadError> {
    use kube::config::{KubeConfigOptions, Kubeconfig};
    let options = KubeConfigOptions {
        context: target.context.clone(),
        ..KubeConfigOptions::default()
    };
    let mut config = match (&target.kubeconfig, &target.context) {
        (Some(file), _) => {
            let kc = Kubeconfig::read_from(file).map_err(|e| {
                ReadError::Config(format!("cannot read kubeconfig {}: {e}", file.display()))
            })?;
            Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(|e| ReadError::Config(format!("kubeconfig {}: {e}", file.display())))?
        }
        (None, Some(_)) => Config::from_kubeconfig(&options)
            .await
            .map_err(|e| ReadError::Config(e.to_string()))?,
        (None, None) => Config::infer()
            .await
            .map_err(|e| ReadError::Config(e.to_string()))?,
    };
    config.connect_timeout = Some(Duration::from_secs(10));
    config.read_timeout = Some(Duration::from_secs(60));
    let client = Client::try_from(config.clone()).map_err(|e| ReadError::Config(e.to_string()))?;
    Ok((client, config))
}

/// Reads a snapshot, on a runtime of its own (the CLI is synchronous).
pub fn read(target: &Target, opts: &ReadOptions) -> Result<Snapshot, ReadError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ReadError::Config(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(read_async(target, opts))
}

pub async fn read_async(target: &Target, opts: &ReadOptions) -> Result<Snapshot, ReadError> {
    let t = Instant::now();
    let (client, config) = client(target).await?;
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let mut listings = vec![
        Listing::core("", "v1", "Node", "nodes", true),
        Listing {
            labels: Some(SERVER_POD_LABEL),
            use_as: UseAs::ServerPods,
            ..Listing::core("", "v1", "Pod", "pods", false)
        },
        Listing::core("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", true),
    ];
    for (kind, plural) in [
        ("Deployment", "deployments"),
        ("StatefulSet", "statefulsets"),
        ("DaemonSet", "daemonsets"),
    ] {
        listings.push(Listing {
            use_as: UseAs::Workload,
            ..Listing::core("apps", "v1", kind, plural, false)
        });
    }
    let mut missing = Vec::new();
    for (group, kinds) in [
        (crate::inventory::kinds::SELDON_GROUP, SELDON_KINDS),
        (crate::inventory::kinds::STRIMZI_GROUP, STRIMZI_KINDS),
    ] {
        match kube::discovery::group(&client, group).await {
            Ok(g) => {
                for kind in kinds.iter().copied() {
                    match g.recommended_kind(kind) {
                        Some((resource, caps)) => listings.push(Listing {
                            namespace: (kind == "ServerConfig")
                                .then(|| opts.seldon_namespace.clone()),
                            cluster_scoped: caps.scope == kube::discovery::Scope::Cluster,
                            resource,
                            labels: None,
                            use_as: UseAs::Object,
                        }),
                        None => {
                            tracing::info!(
                                "the API server serves {group} but not the kind {kind}; {kind} objects are not audited"
                            );
                            missing.push(format!("{kind}.{group}"));
                        }
                    }
                }
            }
            Err(kube::Error::Discovery(kube::error::DiscoveryError::MissingApiGroup(_))) => {
                tracing::info!(
                    "the API server does not serve {group} (CRDs not installed): {} are not audited; Nodes and workloads still are",
                    kinds.join(", ")
                );
                missing.extend(kinds.iter().map(|k| format!("{k}.{group}")));
            }
            Err(e) => {
                return Err(classify(
                    "discover",
                    &format!("the API group {group}"),
                    "",
                    &server,
                    e,
                ));
            }
        }
    }

    let mut set = tokio::task::JoinSet::new();
    for (i, l) in listings.iter().enumerate() {
        let api = l.api(&client);
        let labels = l.labels;
        let page_size = opts.page_size.max(1);
        set.spawn(async move { (i, list_all(&api, labels, page_size).await) });
    }
    let mut finished: Vec<Option<kube::Result<Vec<DynamicObject>>>> = Vec::new();
    finished.resize_with(listings.len(), || None);
    while let Some(joined) = set.join_next().await {
        let (i, r) = joined.map_err(|e| ReadError::Config(format!("a list task failed: {e}")))?;
        if let Some(slot) = finished.get_mut(i) {
            *slot = Some(r);
        }
    }
    // The first failure in listing order (Nodes first), whatever finished first.
    let mut results = Vec::with_capacity(listings.len());
    for (l, r) in listings.iter().zip(finished) {
        match r {
            Some(Ok(items)) => results.push(items),
            Some(Err(e)) => {
                return Err(classify("list", &l.resource_name(), &l.scope(), &server, e));
            }
            None => results.push(Vec::new()),
        }
    }

    let mut snap = Snapshot {
        server,
        default_namespace: config.default_namespace.clone(),
        missing,
        ..Snapshot::default()
    };
    for (l, items) in listings.iter().zip(results) {
        let mut n = 0;
        for item in items {
            match l.use_as {
                UseAs::ServerPods => {
                    if let Some(p) = server_pod(&item) {
                        snap.server_pods.push(p);
                        n += 1;
                    }
                }
                UseAs::Workload if generated(&item) => {}
                UseAs::Object | UseAs::Workload => {
                    let value = to_value(item, &l.resource);
                    match identify(&value) {
                        Ok(r) => {
                            snap.objects.push((r, value));
                            n += 1;
                        }
                        Err((_, why)) => tracing::warn!(
                            "skipping a {} from the API server: {why}",
                            l.resource.kind
                        ),
                    }
                }
            }
        }
        *snap.counts.entry(l.resource.kind.clone()).or_default() += n;
    }
    let rank = |k: &str| {
        ["Node", "RuntimeClass", "ServerConfig", "Server", "Model"]
            .iter()
            .position(|x| *x == k)
            .unwrap_or(5)
    };
    snap.objects.sort_by(|(a, _), (b, _)| {
        (rank(&a.kind), &a.kind, &a.namespace, &a.name).cmp(&(
            rank(&b.kind),
            &b.kind,
            &b.namespace,
            &b.name,
        ))
    });
    snap.server_pods.sort();
    snap.elapsed = t.elapsed();
    tracing::debug!(elapsed = ?snap.elapsed, counts = ?snap.counts, server = %snap.server, "read the cluster");
    Ok(snap)
}

/// Every page of a list.
async fn list_all(
    api: &Api<DynamicObject>,
    labels: Option<&str>,
    page_size: u32,
) -> kube::Result<Vec<DynamicObject>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut lp = ListParams::default().limit(page_size);
        if let Some(l) = labels {
            lp = lp.labels(l);
        }
        if let Some(t) = token.take() {
            lp = lp.continue_token(&t);
        }
        let page = api.list(&lp).await?;
        out.extend(page.items);
        match page.metadata.continue_ {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return Ok(out),
        }
    }
}

/// The object as JSON with `apiVersion` and `kind` first (list items lack them), without
/// `managedFields` and the last-applied annotation.
fn to_value(mut item: DynamicObject, resource: &ApiResource) -> Value {
    item.metadata.managed_fields = None;
    if let Some(a) = item.metadata.annotations.as_mut() {
        for k in DROPPED_ANNOTATIONS {
            a.remove(*k);
        }
        if a.is_empty() {
            item.metadata.annotations = None;
        }
    }
    item.types = None;
    let mut m = Map::new();
    m.insert(
        "apiVersion".into(),
        Value::String(resource.api_version.clone()),
    );
    m.insert("kind".into(), Value::String(resource.kind.clone()));
    if let Ok(Value::Object(rest)) = serde_json::to_value(&item) {
        for (k, v) in rest {
            if k != "apiVersion" && k != "kind" {
                m.insert(k, v);
            }
        }
    }
    Value::Object(m)
}

/// An apps workload generated by an operator from an object placecheck reads directly (a
/// Server's StatefulSet, the SeldonRuntime's Deployments, old Strimzi StatefulSets): judged
/// through its owner, so it is skipped to avoid reporting every problem twice.
fn generated(item: &DynamicObject) -> bool {
    item.metadata.owner_references.iter().flatten().any(|o| {
        o.controller == Some(true) && {
            let g = crate::inventory::kinds::group(&o.api_version);
            g == crate::inventory::kinds::SELDON_GROUP
                || g == crate::inventory::kinds::STRIMZI_GROUP
        }
    })
}

fn server_pod(item: &DynamicObject) -> Option<ServerPod> {
    let server = item
        .metadata
        .labels
        .as_ref()?
        .get(SERVER_POD_LABEL)?
        .clone();
    let text = |p: &str| {
        item.data
            .pointer(p)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Some(ServerPod {
        namespace: item.metadata.namespace.clone().unwrap_or_default(),
        server,
        name: item.metadata.name.clone()?,
        node_name: text("/spec/nodeName"),
        phase: text("/status/phase"),
    })
}

/// Turns a client error into what the user must do about it.
fn classify(
    verb: &'static str,
    resource: &str,
    scope: &str,
    server: &str,
    e: kube::Error,
) -> ReadError {
    match e {
        kube::Error::Api(status) => match status.code {
            403 => ReadError::Forbidden {
                verb,
                resource: resource.to_string(),
                scope: scope.to_string(),
                who: forbidden_subject(&status.message),
            },
            401 => ReadError::Unauthorized {
                server: server.to_string(),
                detail: status.message.clone(),
            },
            code => ReadError::Api {
                server: server.to_string(),
                verb,
                resource: resource.to_string(),
                scope: scope.to_string(),
                code,
                message: status.message.clone(),
            },
        },
        other => ReadError::Unreachable {
            server: server.to_string(),
            detail: error_chain(&other),
        },
    }
}

/// `user "placecheck-test"` or `service account "ns/name"` from a 403 message such as
/// `nodes is forbidden: User "placecheck-test" cannot list resource "nodes" …`.
fn forbidden_subject(message: &str) -> String {
    let Some(rest) = message.split_once("User \"").map(|(_, r)| r) else {
        return "this identity".into();
    };
    let user = rest.split_once('"').map(|(u, _)| u).unwrap_or(rest);
    match user.strip_prefix("system:serviceaccount:") {
        Some(sa) => format!("service account {:?}", sa.replacen(':', "/", 1)),
        None => format!("user {user:?}"),
    }
}

/// The error and its causes, `a: b: c`, without repeating a cause already in the text.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        cur = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_from_forbidden_message() {
        let m = r#"nodes is forbidden: User "placecheck-test" cannot list resource "nodes" in API group "" at the cluster scope"#;
        assert_eq!(forbidden_subject(m), r#"user "placecheck-test""#);
        let m = r#"pods is forbidden: User "system:serviceaccount:placecheck:auditor" cannot list resource "pods""#;
        assert_eq!(
            forbidden_subject(m),
            r#"service account "placecheck/auditor""#
        );
        assert_eq!(forbidden_subject("forbidden"), "this identity");
    }

    #[test]
    fn forbidden_message_names_verb_and_resource() {
        let e = ReadError::Forbidden {
            verb: "list",
            resource: "nodes".into(),
            scope: "at cluster scope".into(),
            who: r#"user "placecheck-test""#.into(),
        };
        assert_eq!(
            e.to_string(),
            r#"cannot list nodes at cluster scope: RBAC forbids it for user "placecheck-test"; grant get/list/watch on nodes (see deploy/clusterrole.yaml)"#
        );
    }

    #[test]
    fn list_items_get_api_version_and_kind() {
        let gvk = GroupVersionKind::gvk("mlops.seldon.io", "v1alpha1", "Server");
        let ar = ApiResource::from_gvk_with_plural(&gvk, "servers");
        let item: DynamicObject = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "s", "namespace": "seldon-mesh", "managedFields": [{"manager": "x"}],
                          "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
            "spec": {"serverConfig": "mlserver"}
        }))
        .expect("object");
        let v = to_value(item, &ar);
        assert_eq!(v["apiVersion"], "mlops.seldon.io/v1alpha1");
        assert_eq!(v["kind"], "Server");
        assert!(v["metadata"].get("managedFields").is_none());
        assert!(v["metadata"].get("annotations").is_none());
        assert_eq!(v["spec"]["serverConfig"], "mlserver");
        assert_eq!(
            v.as_object()
                .and_then(|m| m.keys().next())
                .map(String::as_str),
            Some("apiVersion")
        );
    }
}
