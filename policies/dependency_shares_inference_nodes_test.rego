package placecheck.policies.dependency_shares_inference_nodes_test

import data.placecheck.lib.testing as t
import data.placecheck.policies.dependency_shares_inference_nodes as p
import rego.v1

server := t.server("mlserver", {"placement": {"nodes": ["cpu-1"], "pools": ["cpu"]}})

pool_nodes := t.workload("KafkaNodePool", "kafka", {"path": "spec.template.pod", "placement": {"nodes": ["cpu-1"], "pools": ["cpu"]}})

test_kafka_node_pool_on_inference_nodes if {
	vs := p.violation with input as t.doc(object.union(t.cluster, {"servers": [server], "workloads": [pool_nodes]}))
	count(vs) == 1
	some v in vs
	v.path == "spec.template.pod"
	contains(v.msg, `KafkaNodePool "kafka" can be scheduled on the same nodes as inference Servers: pool "cpu" (1 node) also runs Server "mlserver"`)
}

test_selector_matches_labels if {
	w := t.workload("StatefulSet", "kafka", {"labels": {"app.kubernetes.io/name": "kafka"}, "placement": {"nodes": ["cpu-1"], "pools": ["cpu"]}})
	count(p.violation) == 1 with input as t.doc(object.union(t.cluster, {"servers": [server], "workloads": [w]}))
}

test_separate_pool_passes if {
	w := object.union(pool_nodes, {"placement": {"nodes": ["gpu-1"], "pools": ["gpu"]}})
	other := t.workload("Deployment", "web", {"placement": {"nodes": ["cpu-1"], "pools": ["cpu"]}})
	count(p.violation) == 0 with input as t.doc(object.union(t.cluster, {"servers": [server], "workloads": [w, other]}))
}

test_silent_without_nodes if {
	w := object.union(pool_nodes, {"placement": {"nodesKnown": false, "nodes": [], "pools": []}})
	count(p.violation) == 0 with input as t.doc({"servers": [server], "workloads": [w]})
}
