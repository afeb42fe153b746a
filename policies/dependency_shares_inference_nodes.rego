package placecheck.policies.dependency_shares_inference_nodes

import data.placecheck.lib
import data.placecheck.lib.k8s
import rego.v1

meta := {
	"id": "dependency-shares-inference-nodes",
	"severity": "warning",
	"title": "Kafka and other dependencies should not share nodes with inference Servers",
	"description": concat(" ", [
		"Seldon's data plane depends on Kafka, and brokers are heavy on disk, network and memory.",
		"When a broker can be scheduled on the nodes that run inference Servers, the two interfere: latency spikes for models, and a node problem takes down both.",
		"The Seldon docs recommend running external dependencies like Kafka on separate nodes (seldon.md §5.1, §7).",
	]),
	"remediation": "Give the dependency its own node pool (taint it and tolerate/select it in the Kafka or KafkaNodePool pod template), and keep inference Servers off that pool.",
	"kinds": ["Kafka", "KafkaNodePool", "Deployment", "StatefulSet", "Pod"],
}

# A config entry matches by kind and/or label selector (on the pod template labels or the object's
# own labels); an entry must have at least one of them, and all it has must match.
dependency(w) if {
	some e in input.config.dependencies
	entry_matches(e, w)
}

entry_matches(e, w) if {
	kind_ok(e, w)
	labels_ok(e, w)
	count({k | some k in ["kind", "matchLabels", "matchExpressions"]; _ = e[k]}) > 0
}

kind_ok(e, w) if object.get(e, "kind", w.ref.kind) == w.ref.kind

labels_ok(e, _) if not selector_given(e)

labels_ok(e, w) if {
	selector_given(e)
	some labels in [w.labels, object.get(w.object, ["metadata", "labels"], {})]
	k8s.selector_matches(e, labels)
}

selector_given(e) if _ = e.matchLabels

selector_given(e) if _ = e.matchExpressions

# Pools where some inference Server's pods can run: {pool id: true}. Compared by pool, not node
# by node (5,000 nodes × 2,000 Servers); pools group nodes of identical shape.
inference_pools := {pid: true |
	some s in input.servers
	s.replicas > 0
	some pid in s.placement.pools
}

violation contains v if {
	input.nodesKnown
	some w in input.workloads
	w.placement.nodesKnown
	dependency(w)
	shared := sort([pid | some pid in w.placement.pools; inference_pools[pid]])
	count(shared) > 0
	v := {
		"msg": sprintf("%s can be scheduled on the same nodes as inference Servers: %s", [
			lib.name_of(w.ref), concat("; ", [pool_text(pid) | some pid in array.slice(shared, 0, 3)]),
		]),
		"resource": w.ref,
		"path": w.path,
	}
}

# `pool "general" (3 nodes) also runs Server "mlserver", "triton"`
pool_text(pid) := sprintf("pool %q (%s) also runs Server %s", [
	pid, lib.plural(lib.pool_by_id[pid].size, "node"), lib.few_quoted(servers_in(pid), 3),
])

servers_in(pid) := sort([s.ref.name | some s in input.servers; s.replicas > 0; pid in s.placement.pools])
