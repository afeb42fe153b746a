package placecheck.policies.toleration_without_selector

import data.placecheck.lib
import data.placecheck.lib.k8s
import rego.v1

meta := {
	"id": "toleration-without-selector",
	"severity": "warning",
	"title": "A toleration needs a nodeSelector or node affinity to keep the pod on the tainted nodes",
	"description": concat(" ", [
		"A toleration only allows a pod onto tainted nodes; it does not attract it there.",
		"Without a nodeSelector or required node affinity the scheduler may put a GPU or dedicated Server on any other node it fits,",
		"wasting the reserved nodes and crowding general ones — the Seldon resource-allocation docs warn about exactly this (seldon.md §5.1).",
	]),
	"remediation": "Add a nodeSelector or required node affinity that matches the tainted nodes' labels next to the toleration.",
	"kinds": ["Server", "ServerConfig", "Deployment", "StatefulSet", "ReplicaSet", "Job", "CronJob", "Pod", "SeldonRuntime", "Kafka", "KafkaNodePool"],
}

# The hard taints present in the cluster, per pool: {pool id: [taint]}. Node-condition taints
# (node.kubernetes.io/*) and the control-plane taints (control-plane-exposed) are left out.
pool_taints := {p.id: ts |
	some p in input.nodePools
	ts := [k8s.taint_id(t) |
		some t in p.taints
		k8s.hard(t)
		not k8s.condition_taint(t)
		not t.key in input.config.controlPlaneTaints
	]
	count(ts) > 0
}

# Distinct hard taints: a toleration is tested against each once.
taints := {t | some ts in pool_taints; some t in ts}

violation contains v if {
	input.nodesKnown
	some o in lib.pod_owners
	o.placement.nodesKnown
	not o.hasSelector
	some tol in o.tolerations
	tolerated := [t | some t in taints; k8s.tolerates([tol], t)]
	count(tolerated) > 0

	# Pools the pod also fits that carry none of the tolerated taints: where it drifts to.
	# (GPU requests already keep a pod on GPU nodes: then there is nowhere else to go.)
	elsewhere := sort([pid |
		some pid in o.placement.pools
		not carries_any(pid, tolerated)
	])
	count(elsewhere) > 0
	at := lib.at_origin(tol, o.ref, o.podPath)
	v := {
		"msg": sprintf("%s tolerates %s but has no nodeSelector or required node affinity, so it can also land on pool%s %s", [
			lib.name_of(o.ref),
			taint_list(tolerated),
			plural_s(elsewhere),
			lib.few_quoted(elsewhere, 4),
		]),
		"resource": at.resource,
		"path": at.path,
		"related": [site | some t in array.slice(sort(tolerated), 0, 3); some site in taint_site(t)],
	}
}

carries_any(pid, tolerated) if {
	some t in object.get(pool_taints, pid, [])
	t in tolerated
}

taint_list(ts) := sprintf("taint %s", [k8s.taint_str(ts[0])]) if count(ts) == 1

taint_list(ts) := sprintf("taints %s", [lib.few(sort([k8s.taint_str(t) | some t in ts]), 3)]) if count(ts) > 1

plural_s(xs) := "" if count(xs) == 1

plural_s(xs) := "s" if count(xs) > 1

# The first node (in pool order) that declares taint `t`, as a related location.
taint_site(t) := [{
	"resource": node.ref,
	"path": sprintf("spec.taints[%d]", [nt.index]),
	"msg": sprintf("taint %s is declared here", [k8s.taint_str(t)]),
}] if {
	pids := sort([pid | some pid, ts in pool_taints; t in ts])
	node := lib.node_by_name[lib.pool_by_id[pids[0]].nodes[0]]
	some nt in node.taints
	k8s.taint_id(nt) == t
} else := []
