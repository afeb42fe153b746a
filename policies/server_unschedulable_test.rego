package placecheck.policies.server_unschedulable_test

import data.placecheck.lib.testing as t
import data.placecheck.policies.server_unschedulable as p
import rego.v1

stuck := t.server("gpu-server", {
	"object": {"spec": {"podSpec": {"nodeSelector": {"pool": "gpu"}}}},
	"nodeSelector": {"pool": "gpu"}, "hasSelector": true,
	"placement": t.placement({
		"rejectedPools": [
			{"pool": "gpu", "nodes": 1, "plugin": "TaintToleration", "reasons": ["node(s) had untolerated taint(s)"], "detail": "untolerated taint nvidia.com/gpu=present:NoSchedule"},
			{"pool": "cpu", "nodes": 1, "plugin": "NodeAffinity", "reasons": ["node(s) didn't match Pod's node affinity/selector"], "detail": ""},
		],
		"message": "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint(s).",
	}),
})

test_fits_no_node_reports_pools_and_taint_site if {
	vs := p.violation with input as t.doc(object.union(t.cluster, {"servers": [stuck]}))
		with data.placecheck.lib.k8s.tolerates as data.placecheck.lib.k8s.tolerates_rego
	count(vs) == 1
	some v in vs
	v.path == "spec.podSpec"
	contains(v.msg, `pool "gpu" (1 node): untolerated taint nvidia.com/gpu=present:NoSchedule`)
	contains(v.msg, `pool "cpu" (1 node): node(s) didn't match Pod's node affinity/selector`)
	contains(v.msg, "kube-scheduler: 0/2 nodes are available")
	v.related[0].resource.name == "gpu-1"
	v.related[0].path == "spec.taints[0]"
}

test_fitting_server_passes if {
	s := t.server("mlserver", {"placement": {"nodes": ["cpu-1"], "pools": ["cpu"]}})
	count(p.violation) == 0 with input as t.doc(object.union(t.cluster, {"servers": [s]}))
}

test_silent_without_nodes if {
	s := object.union(stuck, {"placement": {"nodesKnown": false}})
	count(p.violation) == 0 with input as t.doc({"servers": [s]})
}

test_scaled_to_zero_is_silent if {
	s := object.union(stuck, {"replicas": 0})
	count(p.violation) == 0 with input as t.doc(object.union(t.cluster, {"servers": [s]}))
		with data.placecheck.lib.k8s.tolerates as data.placecheck.lib.k8s.tolerates_rego
}

test_one_replica_per_node if {
	s := t.server("mlserver", {"replicas": 3, "placement": {"nodes": ["cpu-1"], "pools": ["cpu"], "oneReplicaPerNode": true}})
	vs := p.violation with input as t.doc(object.union(t.cluster, {"servers": [s]}))
	some v in vs
	v.path == "spec.replicas"
	contains(v.msg, "only 1 node fits of the 3 replicas: cpu-1")
}
