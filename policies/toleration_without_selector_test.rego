package placecheck.policies.toleration_without_selector_test

import data.placecheck.lib.testing as t
import data.placecheck.policies.toleration_without_selector as p
import rego.v1

drifting := t.server("gpu-server", {
	"tolerations": [t.gpu_toleration("gpu-server")],
	"placement": {"nodes": ["gpu-1", "cpu-1"], "pools": ["cpu", "gpu"]},
})

test_toleration_without_selector_points_at_toleration if {
	vs := p.violation with input as t.doc(object.union(t.cluster, {"servers": [drifting]}))
		with data.placecheck.lib.k8s.tolerates as data.placecheck.lib.k8s.tolerates_rego
	count(vs) == 1
	some v in vs
	v.resource == t.ref("Server", "seldon-mesh", "gpu-server")
	v.path == "spec.podSpec.tolerations[0]"
	contains(v.msg, `tolerates taint nvidia.com/gpu=present:NoSchedule`)
	contains(v.msg, `pool "cpu"`)
	v.related[0].resource.name == "gpu-1"
}

test_origin_in_server_config if {
	tol := object.union(t.gpu_toleration("x"), {"origin": t.origin("ServerConfig", "mlserver-gpu", "spec.podSpec.tolerations[0]")})
	s := object.union(drifting, {"tolerations": [tol]})
	vs := p.violation with input as t.doc(object.union(t.cluster, {"servers": [s]}))
		with data.placecheck.lib.k8s.tolerates as data.placecheck.lib.k8s.tolerates_rego
	some v in vs
	v.resource.kind == "ServerConfig"
	contains(v.msg, `Server "gpu-server"`)
}

test_selector_passes if {
	s := object.union(drifting, {"hasSelector": true, "nodeSelector": {"pool": "gpu"}})
	count(p.violation) == 0 with input as t.doc(object.union(t.cluster, {"servers": [s]}))
		with data.placecheck.lib.k8s.tolerates as data.placecheck.lib.k8s.tolerates_rego
}

# A GPU request already keeps the pod on GPU nodes: nowhere else to drift to.
test_no_other_pool_passes if {
	s := object.union(drifting, {"placement": {"nodes": ["gpu-1"], "pools": ["gpu"]}})
	count(p.violation) == 0 with input as t.doc(object.union(t.cluster, {"servers": [s]}))
		with data.placecheck.lib.k8s.tolerates as data.placecheck.lib.k8s.tolerates_rego
}

test_silent_without_nodes if {
	s := object.union(drifting, {"placement": {"nodesKnown": false}})
	count(p.violation) == 0 with input as t.doc({"servers": [s]})
		with data.placecheck.lib.k8s.tolerates as data.placecheck.lib.k8s.tolerates_rego
}

test_daemonset_exempt if {
	w := t.workload("DaemonSet", "dcgm-exporter", {
		"tolerations": [object.union(t.gpu_toleration("x"), {"origin": null})],
		"placement": {"nodes": ["gpu-1", "cpu-1"], "pools": ["cpu", "gpu"]},
	})
	count(p.violation) == 0 with input as t.doc(object.union(t.cluster, {"workloads": [w]}))
		with data.placecheck.lib.k8s.tolerates as data.placecheck.lib.k8s.tolerates_rego
}

test_workload_without_origin_points_at_pod_spec if {
	w := t.workload("Deployment", "batch", {
		"tolerations": [object.union(t.gpu_toleration("x"), {"origin": null})],
		"placement": {"nodes": ["gpu-1", "cpu-1"], "pools": ["cpu", "gpu"]},
	})
	vs := p.violation with input as t.doc(object.union(t.cluster, {"workloads": [w]}))
		with data.placecheck.lib.k8s.tolerates as data.placecheck.lib.k8s.tolerates_rego
	some v in vs
	v.path == "spec.template.spec"
	startswith(v.msg, `Deployment "batch" tolerates`)
}
