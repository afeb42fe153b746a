package placecheck.policies.gpu_node_not_tainted_test

import data.placecheck.lib.testing as t
import data.placecheck.policies.gpu_node_not_tainted as p
import rego.v1

test_untainted_gpu_node if {
	n := t.node("gpu-2", {"gpus": {"nvidia.com/gpu": 8}, "gpu": true})
	vs := p.violation with input as t.doc({"nodesKnown": true, "nodes": [n]})
	some v in vs
	v.path == "metadata.name"
	contains(v.msg, `GPU node "gpu-2" (nvidia.com/gpu: 8) has no NoSchedule or NoExecute taint`)
}

test_prefer_no_schedule_is_not_enough if {
	n := t.node("gpu-2", {"gpus": {}, "labels": {"cloud.google.com/gke-accelerator": "nvidia-l4"}, "gpu": true, "taints": [{"key": "gpu", "value": "", "effect": "PreferNoSchedule", "index": 0}]})
	vs := p.violation with input as t.doc({"nodesKnown": true, "nodes": [n]})
	some v in vs
	v.path == "spec.taints"
	contains(v.msg, "label cloud.google.com/gke-accelerator")
	contains(v.msg, "only PreferNoSchedule")
}

test_tainted_gpu_node_passes if {
	count(p.violation) == 0 with input as t.doc(t.cluster)
}

test_cordoned_node_is_skipped if {
	n := t.node("gpu-2", {"gpus": {"nvidia.com/gpu": 8}, "gpu": true, "unschedulable": true})
	count(p.violation) == 0 with input as t.doc({"nodesKnown": true, "nodes": [n]})
}
