package placecheck.policies.critical_model_shared_nodes_test

import data.placecheck.lib.testing as t
import data.placecheck.policies.critical_model_shared_nodes as p
import rego.v1

# (`critical` is set by the Rust side from config.criticalModels; the label is for realism.)
critical(name, servers) := t.model(name, {
	"object": {"metadata": {"labels": {"placecheck.io/tier": "critical"}}, "spec": {"requirements": ["fraud"]}},
	"requirements": ["fraud"],
	"critical": true,
	"placement": {"servers": servers},
})

dedicated_pool := t.pool("critical", {"nodes": ["crit-1"], "dedicated": true, "taints": [{"key": "dedicated", "value": "fraud", "effect": "NoSchedule"}]})

cluster := object.union(t.cluster, {
	"nodes": array.concat(t.cluster.nodes, [t.node("crit-1", {"pool": "critical", "dedicated": true})]),
	"nodePools": array.concat(t.cluster.nodePools, [dedicated_pool]),
})

# candidateModels: what the Rust side summarizes per Server for the Models of each test.
dedicated_server := t.server("fraud", {
	"placement": {"nodes": ["crit-1"], "pools": ["critical"]},
	"candidateModels": {"count": 1, "critical": 1, "criticalNames": ["fraud"]},
})

shared_server := t.server("mlserver", {
	"placement": {"nodes": ["crit-1", "cpu-1"], "pools": ["cpu", "critical"]},
	"candidateModels": {"count": 1, "critical": 1, "criticalNames": ["fraud"]},
})

test_dedicated_and_exclusive_passes if {
	count(p.violation) == 0 with input as t.doc(object.union(cluster, {
		"serversKnown": true, "servers": [dedicated_server],
		"models": [critical("fraud", ["fraud"]), t.model("iris", {"requirements": ["sklearn"], "placement": {"servers": ["mlserver"]}})],
	}))
}

test_non_dedicated_nodes if {
	vs := p.violation with input as t.doc(object.union(cluster, {"serversKnown": true, "servers": [shared_server], "models": [critical("fraud", ["mlserver"])]}))
	count(vs) == 1
	some v in vs
	v.path == "spec.requirements"
	contains(v.msg, `critical Model "fraud" can be placed on Server "mlserver", whose pods can run on nodes that are not dedicated: pool "cpu"`)
}

test_shared_with_non_critical_models if {
	vs := p.violation with input as t.doc(object.union(cluster, {
		"serversKnown": true,
		"servers": [object.union(dedicated_server, {"candidateModels": {"count": 2, "nonCritical": 1, "nonCriticalNames": ["any"]}})],
		"models": [critical("fraud", ["fraud"]), t.model("any", {"placement": {"servers": ["fraud"]}})],
	}))
	some v in vs
	contains(v.msg, `critical Model "fraud" can share Server "fraud" with 1 non-critical Model: any`)
}

# The criticalModels selector is matched in Rust (models[].critical): here only what the policy
# does with a critical Model that has neither a pin nor requirements.
test_critical_model_without_requirements_points_at_spec if {
	m := t.model("pay", {"object": {"metadata": {"labels": {"tier": "gold"}}}, "critical": true, "placement": {"servers": ["mlserver"]}})
	vs := p.violation with input as t.doc(object.union(cluster, {"serversKnown": true, "servers": [shared_server], "models": [m]}))
	some v in vs
	v.path == "spec"
}

test_non_critical_models_are_not_judged if {
	m := t.model("iris", {"object": {"metadata": {"labels": {"placecheck.io/tier": "critical"}}}, "placement": {"servers": ["mlserver"]}})
	count(p.violation) == 0 with input as t.doc(object.union(cluster, {"serversKnown": true, "servers": [shared_server], "models": [m]}))
}

test_silent_without_servers if {
	count(p.violation) == 0 with input as t.doc(object.union(cluster, {"models": [critical("fraud", [])]}))
}
