package placecheck.policies.non_gpu_workload_on_gpu_nodes_test

import data.placecheck.lib.testing as t
import data.placecheck.policies.non_gpu_workload_on_gpu_nodes as p
import rego.v1

cpu_server := t.server("mlserver", {
	"tolerations": [t.gpu_toleration("mlserver")],
	"placement": {"nodes": ["gpu-1", "cpu-1"], "pools": ["cpu", "gpu"]},
})

test_cpu_server_tolerating_gpu_taint if {
	vs := p.violation with input as t.doc(object.union(t.cluster, {"servers": [cpu_server]}))
		with data.placecheck.lib.k8s.tolerates as data.placecheck.lib.k8s.tolerates_rego
	count(vs) == 1
	some v in vs
	v.path == "spec.podSpec.tolerations[0]"
	contains(v.msg, `Server "mlserver" requests no GPU but can be scheduled on GPU pool "gpu": it tolerates taint nvidia.com/gpu=present:NoSchedule`)
}

test_gpu_server_passes if {
	s := object.union(cpu_server, {"gpu": {"resource": "nvidia.com/gpu", "count": 1, "origin": null}})
	count(p.violation) == 0 with input as t.doc(object.union(t.cluster, {"servers": [s]}))
		with data.placecheck.lib.k8s.tolerates as data.placecheck.lib.k8s.tolerates_rego
}

test_untainted_gpu_pool if {
	w := t.workload("Deployment", "web", {"placement": {"nodes": ["gpu-1"], "pools": ["gpu"]}})
	c := object.union(t.cluster, {"nodePools": [object.union(t.gpu_pool, {"taints": []}), t.cpu_pool]})
	vs := p.violation with input as t.doc(object.union(c, {"workloads": [w]}))
		with data.placecheck.lib.k8s.tolerates as data.placecheck.lib.k8s.tolerates_rego
	some v in vs
	v.path == "spec.template.spec"
	contains(v.msg, "those nodes are not tainted")
}

test_silent_without_nodes if {
	s := object.union(cpu_server, {"placement": {"nodesKnown": false}})
	count(p.violation) == 0 with input as t.doc({"servers": [s]})
}
