package placecheck.policies.seldon_component_placement

import data.placecheck.lib
import rego.v1

meta := {
	"id": "seldon-component-placement",
	"severity": "warning",
	"title": "Seldon's own components should stay off GPU and dedicated inference nodes",
	"description": concat(" ", [
		"The scheduler, envoy, model and pipeline gateways and the dataflow engine are placed by SeldonRuntime overrides (or SeldonConfig components).",
		"When they can land on GPU or dedicated nodes they take capacity reserved for inference, and the Seldon GPU guide asks for a separate set of nodes for the rest of Core 2 (seldon.md §5.2, §7).",
	]),
	"remediation": "Give the component override a nodeSelector or node affinity for the general or system node pool, and do not tolerate the GPU or dedicated taints there.",
	"kinds": ["SeldonRuntime", "SeldonConfig"],
}

reserved := {p.id: kind_of(p) | some p in input.nodePools; reserved_pool(p)}

reserved_pool(p) if p.gpu

reserved_pool(p) if p.dedicated

kind_of(p) := "GPU" if p.gpu

kind_of(p) := "dedicated" if {
	not p.gpu
	p.dedicated
}

violation contains v if {
	input.nodesKnown
	some w in input.workloads
	w.component != null
	w.placement.nodesKnown
	pools := sort([pid | some pid in w.placement.pools; reserved[pid]])
	count(pools) > 0
	v := {
		"msg": sprintf("%s component %q can be scheduled on inference nodes: %s", [
			lib.name_of(w.ref), w.component,
			lib.few([sprintf("%s pool %q", [reserved[pid], pid]) | some pid in pools], 3),
		]),
		"resource": w.ref,
		"path": w.path,
	}
}
