package placecheck.policies.control_plane_exposed

import data.placecheck.lib
import data.placecheck.lib.k8s
import rego.v1

meta := {
	"id": "control-plane-exposed",
	"severity": "error",
	"title": "Servers and workloads must not tolerate the control-plane taints",
	"description": concat(" ", [
		"Control-plane nodes are tainted so that ordinary pods stay off the API server, etcd and the scheduler.",
		"A Server or workload that tolerates node-role.kubernetes.io/control-plane (or …/master), or carries a wildcard toleration (operator Exists without a key, which tolerates every taint),",
		"can be scheduled there and compete with the control plane for CPU and memory; the Seldon docs list isolating inference from the control plane as a goal (seldon.md §5.1, §7).",
	]),
	"remediation": "Remove the control-plane or wildcard toleration; tolerate only the specific taints of the intended node pool.",
	"kinds": ["Server", "ServerConfig", "Deployment", "StatefulSet", "ReplicaSet", "Job", "CronJob", "Pod", "SeldonRuntime", "Kafka", "KafkaNodePool"],
}

# Not node-dependent: the toleration alone is the problem. DaemonSets are exempt (lib.pod_owners).
violation contains v if {
	some o in lib.pod_owners
	some tol in o.tolerations
	text := exposure(tol)
	at := lib.at_origin(tol, o.ref, o.podPath)
	v := {
		"msg": sprintf("%s %s, so it can be scheduled on control-plane nodes", [lib.name_of(o.ref), text]),
		"resource": at.resource,
		"path": at.path,
	}
}

# Wildcard: empty key with operator Exists tolerates every taint (scheduling.md §2.1).
exposure(tol) := "has a wildcard toleration (operator Exists, no key) that tolerates every taint" if {
	object.get(tol, "key", "") == ""
	object.get(tol, "operator", "") == "Exists"
} else := sprintf("tolerates the control-plane taint %s", [key]) if {
	keys := [k |
		some k in input.config.controlPlaneTaints
		k8s.tolerates([tol], {"key": k, "value": "", "effect": "NoSchedule"})
	]
	count(keys) > 0
	key := keys[0]
}
