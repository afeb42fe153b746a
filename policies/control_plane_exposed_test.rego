package placecheck.policies.control_plane_exposed_test

import data.placecheck.lib.testing as t
import data.placecheck.policies.control_plane_exposed as p
import rego.v1

tol(spec) := object.union(spec, {"origin": t.origin("Server", "mlserver", "spec.podSpec.tolerations[1]")})

test_control_plane_toleration if {
	s := t.server("mlserver", {"tolerations": [t.gpu_toleration("mlserver"), tol({"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"})]})
	vs := p.violation with input as t.doc({"servers": [s]}) with data.placecheck.lib.k8s.tolerates as data.placecheck.lib.k8s.tolerates_rego
	count(vs) == 1
	some v in vs
	v.path == "spec.podSpec.tolerations[1]"
	contains(v.msg, "tolerates the control-plane taint node-role.kubernetes.io/control-plane")
}

test_wildcard_toleration if {
	w := t.workload("Deployment", "batch", {"tolerations": [{"operator": "Exists", "origin": {"resource": t.ref("Deployment", "default", "batch"), "path": "spec.template.spec.tolerations[0]"}}]})
	vs := p.violation with input as t.doc({"workloads": [w]}) with data.placecheck.lib.k8s.tolerates as data.placecheck.lib.k8s.tolerates_rego
	some v in vs
	v.path == "spec.template.spec.tolerations[0]"
	contains(v.msg, "wildcard toleration")
}

test_daemonset_and_specific_tolerations_pass if {
	d := t.workload("DaemonSet", "node-exporter", {"tolerations": [{"operator": "Exists", "origin": null}]})
	s := t.server("mlserver", {"tolerations": [t.gpu_toleration("mlserver")]})
	count(p.violation) == 0 with input as t.doc({"servers": [s], "workloads": [d]}) with data.placecheck.lib.k8s.tolerates as data.placecheck.lib.k8s.tolerates_rego
}
