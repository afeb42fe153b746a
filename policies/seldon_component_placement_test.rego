package placecheck.policies.seldon_component_placement_test

import data.placecheck.lib.testing as t
import data.placecheck.policies.seldon_component_placement as p
import rego.v1

component(pools) := t.workload("SeldonRuntime", "seldon", {
	"ref": t.ref("SeldonRuntime", "seldon-mesh", "seldon"),
	"path": "spec.overrides[0].podSpec", "component": "seldon-scheduler",
	"placement": {"nodes": [], "pools": pools},
})

test_component_on_gpu_pool if {
	vs := p.violation with input as t.doc(object.union(t.cluster, {"workloads": [component(["cpu", "gpu"])]}))
	some v in vs
	v.path == "spec.overrides[0].podSpec"
	contains(v.msg, `SeldonRuntime "seldon" component "seldon-scheduler" can be scheduled on inference nodes: GPU pool "gpu"`)
}

test_component_on_general_pool_passes if {
	count(p.violation) == 0 with input as t.doc(object.union(t.cluster, {"workloads": [component(["cpu"])]}))
}

test_ordinary_workload_ignored if {
	w := t.workload("Deployment", "web", {"placement": {"pools": ["gpu"]}})
	count(p.violation) == 0 with input as t.doc(object.union(t.cluster, {"workloads": [w]}))
}
