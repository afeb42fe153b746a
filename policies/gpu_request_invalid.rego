package placecheck.policies.gpu_request_invalid

import data.placecheck.lib
import data.placecheck.lib.k8s
import rego.v1

meta := {
	"id": "gpu-request-invalid",
	"severity": "error",
	"title": "GPU requests must equal GPU limits",
	"description": concat(" ", [
		"Extended resources such as nvidia.com/gpu cannot be overcommitted: Kubernetes accepts them in limits only, or in requests and limits with equal values,",
		"and rejects a pod that requests a GPU without a limit or with a different limit. The StatefulSet then creates no pods.",
		"The Seldon docs' own GPU example requests 1 and limits 2 (seldon.md §3, §5.2).",
	]),
	"remediation": "Set the GPU in resources.limits (requests default to limits), or make requests and limits equal.",
	"kinds": ["Server", "ServerConfig", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "SeldonRuntime", "Kafka", "KafkaNodePool"],
}

# Every pod template, including DaemonSets: this is about validity, not placement. For Servers
# the effective (merged) spec is judged, so a request from the ServerConfig and a limit from the
# Server make a valid pair, and the finding lands where the request was written.
owners contains o if {
	some o in lib.pod_owners
}

owners contains {"ref": w.ref, "kind": "workload", "podPath": w.path, "podSpec": w.podSpec, "origins": {}} if {
	some w in input.workloads
	lib.daemon(w)
}

violation contains v if {
	some o in owners
	some list in ["initContainers", "containers"]
	some i, c in object.get(o.podSpec, list, [])
	some r in input.config.gpuResources
	req := c.resources.requests[r]
	problem := check(req, object.get(c, ["resources", "limits", r], null))
	rel := sprintf("%s[%d].resources.requests%s", [list, i, k8s.key_segment(r)])
	at := where(o, rel)
	v := {
		"msg": sprintf("%s: container %q requests %v %s %s; Kubernetes rejects the pod", [lib.name_of(o.ref), c.name, req, r, problem]),
		"resource": at.resource,
		"path": at.path,
	}
}

check(_, null) := "but sets no limit"

check(req, lim) := sprintf("but limits %v", [lim]) if {
	lim != null
	k8s.quantity(req) != k8s.quantity(lim)
}

# Servers: the origin the merge recorded; workloads: the path inside the workload itself.
where(o, rel) := o.origins[rel] if o.kind == "server"

# (No origin recorded: the container's index in the merged spec need not be its index in the
# Server, so point at the Server's pod spec.)
where(o, rel) := {"resource": o.ref, "path": "spec.podSpec"} if {
	o.kind == "server"
	not o.origins[rel]
}

where(o, rel) := {"resource": o.ref, "path": sprintf("%s.%s", [o.podPath, rel])} if o.kind == "workload"
