package placecheck.policies.non_gpu_workload_on_gpu_nodes

import data.placecheck.lib
import data.placecheck.lib.k8s
import rego.v1

meta := {
	"id": "non-gpu-workload-on-gpu-nodes",
	"severity": "warning",
	"title": "Pods that request no GPU should not be able to land on GPU nodes",
	"description": concat(" ", [
		"GPU nodes are the most expensive capacity in the cluster. A Server or workload that requests no GPU but tolerates the GPU taint",
		"(or finds the GPU nodes untainted) can be scheduled there, holding CPU and memory that GPU Servers then lack.",
		"The Seldon docs' first motivation for placement is to reserve GPU nodes for models that need acceleration (seldon.md §5.1).",
	]),
	"remediation": "Remove the GPU toleration from pods that request no GPU (or add a nodeSelector/affinity that keeps them on CPU pools), and taint the GPU nodes.",
	"kinds": ["Server", "ServerConfig", "Deployment", "StatefulSet", "ReplicaSet", "Job", "CronJob", "Pod", "Kafka", "KafkaNodePool"],
}

gpu_pools := {p.id: p | some p in input.nodePools; p.gpu}

# SeldonRuntime components are judged by seldon-component-placement.
violation contains v if {
	input.nodesKnown
	count(gpu_pools) > 0
	some o in lib.pod_owners
	o.component == null
	o.gpu == null
	o.placement.nodesKnown
	pools := sort([pid | some pid in o.placement.pools; gpu_pools[pid]])
	count(pools) > 0
	why := reason(o, pools)
	v := {
		"msg": sprintf("%s requests no GPU but can be scheduled on GPU pool%s %s: %s", [
			lib.name_of(o.ref), plural_s(pools), lib.few_quoted(pools, 4), why.text,
		]),
		"resource": why.at.resource,
		"path": why.at.path,
	}
}

# The toleration that lets it onto a tainted GPU pool, pointed at where it was written.
reason(o, pools) := {"text": sprintf("it tolerates taint %s", [k8s.taint_str(taint)]), "at": lib.at_origin(tol, o.ref, o.podPath)} if {
	hits := [[taint, tol] |
		some pid in pools
		some t in gpu_pools[pid].taints
		k8s.hard(t)
		taint := k8s.taint_id(t)
		some tol in o.tolerations
		k8s.tolerates([tol], taint)
	]
	count(hits) > 0
	[taint, tol] := hits[0]
} else := {"text": "those nodes are not tainted", "at": {"resource": o.ref, "path": o.podPath}}

plural_s(xs) := "" if count(xs) == 1

plural_s(xs) := "s" if count(xs) > 1
