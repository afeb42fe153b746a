package placecheck.policies.placement_drift_test

import data.placecheck.lib.testing as t
import data.placecheck.policies.placement_drift as p
import rego.v1

drifted := t.server("gpu-server", {"pods": [
	{"name": "gpu-server-0", "nodeName": "gpu-1", "phase": "Running", "nodeAllowed": false, "nodeReasons": ["node(s) had untolerated taint(s)"], "nodeDetail": "taint maintenance=true:NoSchedule is not tolerated"},
	{"name": "gpu-server-1", "nodeName": "gpu-2", "phase": "Running", "nodeAllowed": true, "nodeReasons": [], "nodeDetail": ""},
	{"name": "gpu-server-2", "nodeName": null, "phase": "Pending", "nodeAllowed": null, "nodeReasons": [], "nodeDetail": ""},
]})

test_pod_on_a_node_no_longer_allowed if {
	vs := p.violation with input as t.doc({"servers": [drifted]})
	count(vs) == 1
	some v in vs
	v.resource.name == "gpu-server"
	contains(v.msg, "gpu-server-0")
	contains(v.msg, "maintenance=true:NoSchedule")
}

failed := t.model("llama3", {
	"status": {"state": "ScheduleFailed", "reason": "Failed to schedule model as no matching servers are available", "ready": false},
	"placement": {"serversKnown": true, "servers": [], "rejected": [], "rejectedCount": 1, "pinnedServerMissing": false, "nodes": [],
		"closest": {"server": "llm-a100", "reasons": ["none of its pods can run"], "codes": ["server-pods-unschedulable"], "missing": []}},
})

test_schedule_failed_names_the_chain if {
	stuck := t.server("llm-a100", {"placement": t.placement({"message": "0/5 nodes are available: 5 node(s) had untolerated taint(s)."})})
	vs := p.violation with input as t.doc({"servers": [stuck], "models": [failed]})
	count(vs) == 1
	some v in vs
	v.path == "status"
	contains(v.msg, `closest Server, "llm-a100"`)
	contains(v.msg, "0/5 nodes are available")
}

test_available_models_and_offline_input_are_silent if {
	ok := t.model("iris", {"status": {"state": "ModelAvailable", "reason": "", "ready": true}})
	offline := t.model("churn", {})
	count(p.violation) == 0 with input as t.doc({"servers": [t.server("mlserver", {})], "models": [ok, offline]})
}
