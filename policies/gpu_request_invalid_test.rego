package placecheck.policies.gpu_request_invalid_test

import data.placecheck.lib.testing as t
import data.placecheck.policies.gpu_request_invalid as p
import rego.v1

req_key := `containers[0].resources.requests["nvidia.com/gpu"]`

server_with(resources, origins) := t.server("gpu-server", {
	"podSpec": {"containers": [{"name": "mlserver", "resources": resources}]},
	"origins": origins,
})

test_request_differs_from_limit if {
	s := server_with(
		{"requests": {"nvidia.com/gpu": 1}, "limits": {"nvidia.com/gpu": "2"}},
		{req_key: t.origin("Server", "gpu-server", `spec.podSpec.containers[0].resources.requests["nvidia.com/gpu"]`)},
	)
	vs := p.violation with input as t.doc({"servers": [s]}) with data.placecheck.lib.k8s.quantity as data.placecheck.lib.k8s.quantity_rego
	count(vs) == 1
	some v in vs
	v.path == `spec.podSpec.containers[0].resources.requests["nvidia.com/gpu"]`
	contains(v.msg, `container "mlserver" requests 1 nvidia.com/gpu but limits 2`)
}

test_request_without_limit_lands_on_server_config if {
	o := t.origin("ServerConfig", "mlserver-gpu", `spec.podSpec.containers[1].resources.requests["nvidia.com/gpu"]`)
	s := server_with({"requests": {"nvidia.com/gpu": "1"}}, {req_key: o})
	vs := p.violation with input as t.doc({"servers": [s]}) with data.placecheck.lib.k8s.quantity as data.placecheck.lib.k8s.quantity_rego
	some v in vs
	v.resource.kind == "ServerConfig"
	contains(v.msg, "sets no limit")
}

test_equal_or_limit_only_passes if {
	a := server_with({"requests": {"nvidia.com/gpu": "1"}, "limits": {"nvidia.com/gpu": 1}}, {})
	b := server_with({"limits": {"nvidia.com/gpu": 1}}, {})
	count(p.violation) == 0 with input as t.doc({"servers": [a, b]}) with data.placecheck.lib.k8s.quantity as data.placecheck.lib.k8s.quantity_rego
}

test_workload_init_container if {
	w := t.workload("Deployment", "trainer", {"podSpec": {"initContainers": [{"name": "warmup", "resources": {"requests": {"amd.com/gpu": 1}}}]}})
	vs := p.violation with input as t.doc({"workloads": [w]}) with data.placecheck.lib.k8s.quantity as data.placecheck.lib.k8s.quantity_rego
	some v in vs
	v.path == `spec.template.spec.initContainers[0].resources.requests["amd.com/gpu"]`
}
