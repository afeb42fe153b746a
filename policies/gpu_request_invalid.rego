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
# (Servers and workloads are walked directly, not through a set of owner objects: inserting
# large objects into a set compares them deeply, which cost 5 s on 2,000 Servers.)
violation contains v if {
	some s in input.servers
	s.serverConfig.known
	some f in gpu_requests(s.podSpec)
	at := server_site(s, f.rel)
	v := {
		"msg": sprintf("%s: container %q requests %v %s %s; Kubernetes rejects the pod", [lib.name_of(s.ref), f.container, f.req, f.resource, f.problem]),
		"resource": at.resource,
		"path": at.path,
	}
}

violation contains v if {
	some w in input.workloads
	some f in gpu_requests(w.podSpec)
	v := {
		"msg": sprintf("%s: container %q requests %v %s %s; Kubernetes rejects the pod", [lib.name_of(w.ref), f.container, f.req, f.resource, f.problem]),
		"resource": w.ref,
		"path": sprintf("%s.%s", [w.path, f.rel]),
	}
}

# The invalid GPU requests of a pod spec: [{container, resource, req, problem, rel}], where
# `rel` is the request's path inside the pod spec. Most pod specs request no GPU at all.
gpu_requests(pod_spec) := [{"container": c.name, "resource": r, "req": req, "problem": problem, "rel": rel} |
	some list in ["initContainers", "containers"]
	some i, c in object.get(pod_spec, list, [])
	some r in input.config.gpuResources
	req := c.resources.requests[r]
	problem := check(req, object.get(c, ["resources", "limits", r], null))
	rel := sprintf("%s[%d].resources.requests%s", [list, i, k8s.key_segment(r)])
]

check(_, null) := "but sets no limit"

check(req, lim) := sprintf("but limits %v", [lim]) if {
	lim != null
	k8s.quantity(req) != k8s.quantity(lim)
}

# Servers: the origin the merge recorded.
server_site(s, rel) := s.origins[rel]

# (No origin recorded: the container's index in the merged spec need not be its index in the
# Server, so point at the Server's pod spec.)
server_site(s, rel) := {"resource": s.ref, "path": "spec.podSpec"} if not s.origins[rel]
