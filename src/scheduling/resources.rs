//! Pod requests and the NodeResourcesFit Filter (scheduling.md §4).
//!
//! `pod_requests` follows `component-helpers/resource/helpers.go` (`PodRequests`,
//! `AggregateContainerRequests`, v1.36) with the scheduler's options: pod-level resources honoured
//! (PodLevelResources is beta and on since 1.34) and overhead added. `fits` follows
//! `pkg/scheduler/framework/plugins/noderesources/fit.go` (`fitsRequest`) and the integer
//! conversion of `framework.Resource` (`SetMaxResource`, `Add`). Must not know Seldon.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Node, PodSpec, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;

use crate::quantity::Quantity;

/// A parsed resource list, by resource name.
pub type ResourceList = BTreeMap<String, Quantity>;

/// Resources already committed on a node: the pods bound to it and the sum of their requests
/// (`NodeInfo.Requested`). [`NodeUsage::default`] is an empty node, the only meaningful state for a
/// template check.
#[derive(Debug, Clone, Default)]
pub struct NodeUsage {
    pub pod_count: usize,
    pub requested: ResourceList,
}

/// Parses a Kubernetes resource list, skipping (and reporting) values that are not quantities.
/// The apiserver would have rejected such an object, so the caller decides how to report it.
pub fn parse_list(
    list: Option<&BTreeMap<String, K8sQuantity>>,
    bad: &mut Vec<String>,
) -> ResourceList {
    let mut out = ResourceList::new();
    for (name, q) in list.into_iter().flatten() {
        match Quantity::parse(&q.0) {
            Ok(v) => {
                out.insert(name.clone(), v);
            }
            Err(e) => bad.push(format!("{name}: {e}")),
        }
    }
    out
}

/// `SetDefaults_Pod` (pkg/apis/core/v1/defaults.go): for every container and init container, a
/// limit without a request becomes the request. This runs when a Pod is created, not on templates,
/// so a template's `limits: {nvidia.com/gpu: 1}` alone *does* request a GPU.
///
/// For pod-level resources (`spec.resources`, KEP-2837 `defaultPodRequests`), a pod-level limit of a
/// supported resource (cpu, memory, hugepages-*) becomes the pod-level request when neither the pod
/// nor any container requests it. (When containers do request it, upstream defaults the pod-level
/// request to their aggregate, which gives the same `PodRequests` as leaving it unset.)
pub fn default_requests_from_limits(pod: &mut PodSpec) {
    fn fill(r: &mut ResourceRequirements) {
        let Some(limits) = &r.limits else { return };
        let requests = r.requests.get_or_insert_with(BTreeMap::new);
        for (k, v) in limits {
            requests.entry(k.clone()).or_insert_with(|| v.clone());
        }
        if requests.is_empty() {
            r.requests = None;
        }
    }
    for c in pod
        .containers
        .iter_mut()
        .chain(pod.init_containers.iter_mut().flatten())
    {
        if let Some(r) = c.resources.as_mut() {
            fill(r);
        }
    }
    let container_requested: std::collections::BTreeSet<String> = pod
        .containers
        .iter()
        .chain(pod.init_containers.iter().flatten())
        .filter_map(|c| c.resources.as_ref()?.requests.as_ref())
        .flat_map(|m| m.keys().cloned())
        .collect();
    if let Some(r) = pod.resources.as_mut()
        && let Some(limits) = r.limits.clone()
        && !limits.is_empty()
    {
        let requests = r.requests.get_or_insert_with(BTreeMap::new);
        for (k, v) in limits {
            if is_supported_pod_level_resource(&k) && !container_requested.contains(&k) {
                requests.entry(k).or_insert(v);
            }
        }
        if requests.is_empty() {
            r.requests = None;
        }
    }
}

/// `IsSupportedPodLevelResource`: cpu, memory and hugepages-*.
fn is_supported_pod_level_resource(name: &str) -> bool {
    name == "cpu" || name == "memory" || name.starts_with("hugepages-")
}

/// A container's requests after `SetDefaults_Pod` (limits fill missing requests), parsed.
fn container_requests(c: &Container, bad: &mut Vec<String>) -> ResourceList {
    let Some(r) = c.resources.as_ref() else {
        return ResourceList::new();
    };
    let mut out = parse_list(r.limits.as_ref(), bad);
    // Explicit requests win over limits.
    out.extend(parse_list(r.requests.as_ref(), bad));
    out
}

fn add_into(acc: &mut ResourceList, add: &ResourceList) {
    for (k, v) in add {
        let e = acc.entry(k.clone()).or_insert_with(Quantity::zero);
        *e += *v;
    }
}

fn max_into(acc: &mut ResourceList, other: &ResourceList) {
    for (k, v) in other {
        match acc.get(k) {
            Some(have) if have >= v => {}
            _ => {
                acc.insert(k.clone(), *v);
            }
        }
    }
}

/// `PodRequests` after request defaulting, plus the entries that could not be parsed.
pub fn pod_requests_checked(pod: &PodSpec) -> (ResourceList, Vec<String>) {
    let mut bad = Vec::new();
    let mut reqs = ResourceList::new();
    for c in &pod.containers {
        add_into(&mut reqs, &container_requests(c, &mut bad));
    }
    // Init containers define a minimum; sidecars (restartPolicy Always) keep running, so they add
    // to the total and to every later init container's need.
    let mut restartable = ResourceList::new();
    let mut init_max = ResourceList::new();
    for c in pod.init_containers.iter().flatten() {
        let r = container_requests(c, &mut bad);
        let use_now = if c.restart_policy.as_deref() == Some("Always") {
            add_into(&mut reqs, &r);
            add_into(&mut restartable, &r);
            restartable.clone()
        } else {
            let mut tmp = r;
            add_into(&mut tmp, &restartable);
            tmp
        };
        max_into(&mut init_max, &use_now);
    }
    max_into(&mut reqs, &init_max);
    // Pod-level requests of supported resources override the container aggregate. A pod-level
    // limit stands in for a missing pod-level request only when no container requests that
    // resource (see `default_requests_from_limits`).
    if let Some(r) = pod.resources.as_ref() {
        let mut pod_level = ResourceList::new();
        for (k, v) in parse_list(r.limits.as_ref(), &mut bad) {
            if !reqs.contains_key(&k) {
                pod_level.insert(k, v);
            }
        }
        pod_level.extend(parse_list(r.requests.as_ref(), &mut bad));
        for (k, v) in pod_level {
            if is_supported_pod_level_resource(&k) {
                reqs.insert(k, v);
            }
        }
    }
    add_into(&mut reqs, &parse_list(pod.overhead.as_ref(), &mut bad));
    (reqs, bad)
}

/// `IsScalarResourceName` (pkg/scheduler/util): extended, hugepages-*, `*kubernetes.io/*` prefixed
/// native and attachable-volumes-* names are tracked by the scheduler; others (e.g. `storage`) are
/// ignored.
pub fn is_scalar_resource_name(name: &str) -> bool {
    is_extended_resource_name(name)
        || name.starts_with("hugepages-")
        || name.contains("kubernetes.io/")
        || name.starts_with("attachable-volumes-")
}

/// `IsExtendedResourceName` (pkg/apis/core/v1/helper): contains a `/`, is not `*kubernetes.io/*`,
/// does not start with `requests.`, and `requests.<name>` is a qualified name.
pub fn is_extended_resource_name(name: &str) -> bool {
    let native = !name.contains('/') || name.contains("kubernetes.io/");
    if native || name.starts_with("requests.") {
        return false;
    }
    super::affinity::is_label_key(&format!("requests.{name}")).is_ok()
}

/// The scheduler's integer view of a resource list (`framework.Resource`).
#[derive(Debug, Default, Clone)]
struct SchedResource {
    milli_cpu: i128,
    memory: i128,
    ephemeral: i128,
    pods: i128,
    scalars: BTreeMap<String, i128>,
}

impl SchedResource {
    /// `SetMaxResource`, used for pod requests: negative values count as 0.
    fn from_requests(l: &ResourceList) -> Self {
        let mut r = SchedResource::default();
        for (k, q) in l {
            match k.as_str() {
                "cpu" => r.milli_cpu = q.milli_value().max(0),
                "memory" => r.memory = q.value().max(0),
                "ephemeral-storage" => r.ephemeral = q.value().max(0),
                _ if is_scalar_resource_name(k) => {
                    r.scalars.insert(k.clone(), q.value().max(0));
                }
                _ => {}
            }
        }
        r
    }

    /// `Resource.Add`, used for node allocatable and usage.
    fn from_allocatable(l: &ResourceList) -> Self {
        let mut r = SchedResource::default();
        for (k, q) in l {
            match k.as_str() {
                "cpu" => r.milli_cpu += q.milli_value(),
                "memory" => r.memory += q.value(),
                "ephemeral-storage" => r.ephemeral += q.value(),
                "pods" => r.pods += q.value(),
                _ if is_scalar_resource_name(k) => {
                    *r.scalars.entry(k.clone()).or_insert(0) += q.value();
                }
                _ => {}
            }
        }
        r
    }
}

/// One failed resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insufficient {
    /// `Too many pods` / `Insufficient <name>`.
    pub reason: String,
    /// Human detail: what is requested, what the node offers.
    pub detail: String,
    /// `request > allocatable`: preemption could not help (UnschedulableAndUnresolvable).
    pub unresolvable: bool,
}

/// `fitsRequest` for `requests` (from [`pod_requests_checked`]) against the node's parsed
/// allocatable and its current usage. Reasons come in upstream order: pods, cpu, memory,
/// ephemeral-storage, then scalar resources (upstream iterates a Go map, i.e. random order; here
/// they are sorted by name).
///
/// Not modelled: `ignoredResources`/`ignoredResourceGroups` (non-default scheduler configuration) and
/// DRA extended resources (a DeviceClass with `extendedResourceName` makes upstream defer the check
/// to the DynamicResources plugin; a Node-only check cannot see DeviceClasses). A scalar resource
/// missing from allocatable counts as 0, the classic rule.
pub fn fits(
    requests: &ResourceList,
    allocatable: &ResourceList,
    usage: &NodeUsage,
) -> Vec<Insufficient> {
    let req = SchedResource::from_requests(requests);
    let alloc = SchedResource::from_allocatable(allocatable);
    let used = SchedResource::from_allocatable(&usage.requested);
    let pod_count = i128::try_from(usage.pod_count).unwrap_or(i128::MAX);
    let mut out = Vec::new();
    if pod_count.saturating_add(1) > alloc.pods {
        let detail = if !allocatable.contains_key("pods") {
            "node allocatable does not list pods, which counts as 0 pods allowed".to_string()
        } else {
            format!(
                "node allows {} pod(s), {} already running",
                alloc.pods, usage.pod_count
            )
        };
        out.push(Insufficient {
            reason: "Too many pods".to_string(),
            detail,
            unresolvable: false,
        });
    }
    if req.milli_cpu == 0 && req.memory == 0 && req.ephemeral == 0 && req.scalars.is_empty() {
        return out;
    }
    let shown = |name: &str, v: i128| -> String {
        if name == "cpu" {
            if v % 1000 == 0 {
                format!("{}", v / 1000)
            } else {
                format!("{v}m")
            }
        } else if name == "memory" || name == "ephemeral-storage" || name.starts_with("hugepages-")
        {
            match i64::try_from(v) {
                Ok(v) => Quantity::from_units(v, crate::quantity::Format::BinarySI).human(),
                Err(_) => v.to_string(),
            }
        } else {
            v.to_string()
        }
    };
    let mut check = |name: &str, want: i128, cap: i128, used: i128, missing: bool| {
        if want > 0 && want > cap - used {
            let mut detail = format!(
                "requests {name} {}, node allocatable {}",
                shown(name, want),
                shown(name, cap)
            );
            if missing {
                detail.push_str(&format!(" (node does not list {name})"));
            }
            if used != 0 {
                detail.push_str(&format!(", already requested {}", shown(name, used)));
            }
            out.push(Insufficient {
                reason: format!("Insufficient {name}"),
                detail,
                unresolvable: want > cap,
            });
        }
    };
    check(
        "cpu",
        req.milli_cpu,
        alloc.milli_cpu,
        used.milli_cpu,
        !allocatable.contains_key("cpu"),
    );
    check(
        "memory",
        req.memory,
        alloc.memory,
        used.memory,
        !allocatable.contains_key("memory"),
    );
    check(
        "ephemeral-storage",
        req.ephemeral,
        alloc.ephemeral,
        used.ephemeral,
        !allocatable.contains_key("ephemeral-storage"),
    );
    for (name, want) in &req.scalars {
        let cap = alloc.scalars.get(name).copied().unwrap_or(0);
        let u = used.scalars.get(name).copied().unwrap_or(0);
        check(name, *want, cap, u, !alloc.scalars.contains_key(name));
    }
    out
}

/// The node's allocatable, or `None` when the Node has no `status.allocatable` (then resources are
/// not judged at all).
pub fn node_allocatable(node: &Node, bad: &mut Vec<String>) -> Option<ResourceList> {
    let alloc = node.status.as_ref()?.allocatable.as_ref()?;
    Some(parse_list(Some(alloc), bad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_names() {
        assert!(is_extended_resource_name("nvidia.com/gpu"));
        assert!(!is_extended_resource_name("kubernetes.io/foo"));
        assert!(!is_extended_resource_name("cpu"));
        assert!(!is_extended_resource_name("requests.a/b"));
        assert!(is_scalar_resource_name("hugepages-2Mi"));
        assert!(is_scalar_resource_name("attachable-volumes-aws-ebs"));
        assert!(is_scalar_resource_name("example.kubernetes.io/x"));
        assert!(!is_scalar_resource_name("storage"));
        assert!(!is_scalar_resource_name("pods"));
    }

    #[test]
    fn limits_become_requests() {
        let pod: PodSpec = match serde_json::from_value(serde_json::json!({
            "containers": [{"name": "c", "resources": {"limits": {"nvidia.com/gpu": "1", "cpu": "2"}, "requests": {"cpu": "1"}}}]
        })) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        let (r, bad) = pod_requests_checked(&pod);
        assert!(bad.is_empty());
        assert_eq!(r.get("nvidia.com/gpu").map(Quantity::value), Some(1));
        assert_eq!(r.get("cpu").map(Quantity::value), Some(1));
    }

    #[test]
    fn zero_request_on_overcommitted_node_fits() {
        let reqs: ResourceList = [("nvidia.com/gpu".to_string(), Quantity::zero())].into();
        let alloc: ResourceList = [(
            "pods".to_string(),
            Quantity::from_units(10, crate::quantity::Format::DecimalSI),
        )]
        .into();
        assert!(fits(&reqs, &alloc, &NodeUsage::default()).is_empty());
    }
}
