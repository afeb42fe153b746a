package placecheck.policies.model_unplaceable_test

import data.placecheck.lib.testing as t
import data.placecheck.policies.model_unplaceable as p
import rego.v1

gpu_model := t.model("llama3", {
	"requirements": ["model-on-gpu"],
	"requirementOrigins": ["spec.requirements[0]"],
	"placement": {
		"rejected": [{"server": "mlserver", "reasons": ["lacks capability \"model-on-gpu\""], "codes": ["missing-capabilities"], "missing": ["model-on-gpu"]}],
		"closest": {"server": "mlserver", "reasons": ["lacks capability \"model-on-gpu\""], "codes": ["missing-capabilities"], "missing": ["model-on-gpu"]},
	},
})

test_missing_capability_names_closest_server if {
	vs := p.violation with input as t.doc({"serversKnown": true, "servers": [t.server("mlserver", {})], "models": [gpu_model]})
	count(vs) == 1
	some v in vs
	v.resource == gpu_model.ref
	v.path == "spec.requirements[0]"
	contains(v.msg, `Server "mlserver"`)
	contains(v.msg, "model-on-gpu")
}

test_placed_model_passes if {
	m := t.model("iris", {"requirements": ["sklearn"], "placement": {"servers": ["mlserver"]}})
	count(p.violation) == 0 with input as t.doc({"serversKnown": true, "servers": [t.server("mlserver", {})], "models": [m]})
}

test_silent_without_servers if {
	m := t.model("iris", {"placement": {"serversKnown": false}})
	count(p.violation) == 0 with input as t.doc({"models": [m]})
}

test_no_server_in_namespace if {
	m := object.union(t.model("iris", {}), {"ref": t.ref("Model", "team-a", "iris")})
	vs := p.violation with input as t.doc({"serversKnown": true, "servers": [t.server("mlserver", {})], "models": [m]})
	some v in vs
	contains(v.msg, `no Server in namespace "team-a"`)
}

test_pinned_to_missing_server if {
	m := t.model("iris", {
		"server": "mlserver-134",
		"placement": {"pinnedServerMissing": true, "rejected": [{"server": "mlserver", "reasons": ["model is pinned to Server \"mlserver-134\""], "codes": ["server-pinned-elsewhere"], "missing": []}]},
	})
	vs := p.violation with input as t.doc({"serversKnown": true, "servers": [t.server("mlserver", {})], "models": [m]})
	some v in vs
	v.path == "spec.server"
	contains(v.msg, `pinned to Server "mlserver-134", which does not exist`)
}

test_memory_points_at_memory_and_server if {
	c := {"server": "mlserver", "reasons": ["needs 3Gi of memory per replica, the Server offers 1.1Gi"], "codes": ["not-enough-memory"], "missing": []}
	m := t.model("gpt2", {"memoryBytes": 3221225472, "placement": {"rejected": [c], "closest": c}})
	vs := p.violation with input as t.doc({"serversKnown": true, "servers": [t.server("mlserver", {})], "models": [m]})
	some v in vs
	v.path == "spec.memory"
	v.related[0].resource.name == "mlserver"
}

test_invalid_scaling_left_to_invalid_manifest if {
	m := object.union(gpu_model, {"scalingError": "number of replicas 1 must be >= min replicas 2"})
	count(p.violation) == 0 with input as t.doc({"serversKnown": true, "servers": [t.server("mlserver", {})], "models": [m]})
}
