package placecheck.policies.server_unschedulable

import data.placecheck.lib
import data.placecheck.lib.k8s
import rego.v1

meta := {
	"id": "server-unschedulable",
	"severity": "error",
	"title": "Every Server's pods must fit some Node",
	"description": concat(" ", [
		"Kubernetes places a Server's pods by taints and tolerations, nodeSelector, required node affinity and resources of the merged ServerConfig and Server pod spec.",
		"If no known Node accepts the pod, the pods stay Pending, no Seldon agent connects, and every Model that needs this Server fails with ScheduleFailed (seldon.md §2.9).",
		"With required pod anti-affinity on the hostname, each replica needs its own fitting Node.",
	]),
	"remediation": "Tolerate the node pool's taint, fix the nodeSelector or node affinity to match the pool's labels, lower the resource requests, or add Nodes.",
	"kinds": ["Server"],
}

# Servers scaled to zero have no pods, and Servers whose ServerConfig is unknown get no
# StatefulSet at all (unknown-server-config reports those).
candidate(s) if {
	input.nodesKnown
	s.placement.nodesKnown
	s.serverConfig.known
	s.replicas > 0
}

violation contains v if {
	some s in input.servers
	candidate(s)
	count(s.placement.nodes) == 0
	v := {
		"msg": sprintf("Server %q fits no Node: %s%s", [s.ref.name, pool_reasons(s), scheduler_message(s)]),
		"resource": s.ref,
		"path": pod_path(s),
		"related": untolerated_sites(s),
	}
}

# Required pod anti-affinity on kubernetes.io/hostname spreads replicas one per node: replicas
# beyond the number of fitting nodes stay Pending.
violation contains v if {
	some s in input.servers
	candidate(s)
	s.placement.oneReplicaPerNode
	n := count(s.placement.nodes)
	n > 0
	n < s.replicas
	v := {
		"msg": sprintf(
			"Server %q runs one replica per node (required pod anti-affinity on kubernetes.io/hostname) but only %s of the %d replicas: %s",
			[s.ref.name, fit_text(n), s.replicas, lib.few(sort(s.placement.nodes), 5)],
		),
		"resource": s.ref,
		"path": "spec.replicas",
	}
}

fit_text(1) := "1 node fits"

fit_text(n) := sprintf("%d nodes fit", [n]) if n != 1

# `pool "gpu" (3 nodes): node(s) had untolerated taint(s) …; pool "cpu" (2 nodes): …`
pool_reasons(s) := concat("; ", texts) if {
	texts := [pool_text(r) | some r in s.placement.rejectedPools]
	count(texts) > 0
} else := "no node accepts its pods"

# (One else-chain call per rejected pool: a Server rejected everywhere lists every pool.)
pool_text(r) := sprintf("pool %q (%s): %s", [r.pool, lib.plural(r.nodes, "node"), r.detail]) if {
	object.get(r, "detail", "") != ""
} else := sprintf("pool %q (%s): %s", [r.pool, lib.plural(r.nodes, "node"), concat(", ", r.reasons)])

scheduler_message(s) := "" if object.get(s.placement, "message", "") == ""

scheduler_message(s) := sprintf(" (kube-scheduler: %s)", [trim_right(s.placement.message, ".")]) if {
	object.get(s.placement, "message", "") != ""
}

pod_path(s) := "spec.podSpec" if s.object.spec.podSpec != null

pod_path(s) := "spec.serverConfig" if not s.object.spec.podSpec

pod_path(s) := "spec.serverConfig" if s.object.spec.podSpec == null

# "The taint is declared here": the first untolerated NoSchedule/NoExecute taint of each
# rejected pool, on the pool's first node. At most 3, in pool order (only those 3 are formatted).
untolerated_sites(s) := [site |
	some [node, taint] in array.slice(found, 0, 3)
	site := {
		"resource": node.ref,
		"path": sprintf("spec.taints[%d]", [taint.index]),
		"msg": sprintf("taint %s is declared here; Server %q does not tolerate it", [k8s.taint_str(taint), s.ref.name]),
	}
] if {
	keys := {object.get(t, "key", "") | some t in s.tolerations}
	found := [[node, taint] |
		some r in s.placement.rejectedPools
		pool := lib.pool_by_id[r.pool]
		node := lib.node_by_name[pool.nodes[0]]
		taint := first_untolerated(s.tolerations, keys, node)
	]
}

# (`keys`: the Server's toleration keys, for the cheap pre-check in `tolerated`.)
first_untolerated(tolerations, keys, node) := ts[0] if {
	ts := [t |
		some t in node.taints
		t.effect in k8s.hard_effects
		not tolerated(tolerations, keys, t)
	]
	count(ts) > 0
}

# The extension call converts the whole toleration list, which is the expensive part here: it is
# made only when some toleration names the taint's key or has no key (a toleration with another
# key never matches), so most untolerated taints cost one set lookup.
tolerated(tolerations, keys, t) if {
	some k in [t.key, ""]
	keys[k]
	k8s.tolerates(tolerations, k8s.taint_id(t))
}
