package placecheck.policies.critical_model_shared_nodes

import data.placecheck.lib
import data.placecheck.lib.k8s
import rego.v1

meta := {
	"id": "critical-model-shared-nodes",
	"severity": "error",
	"title": "Critical Models must run only on dedicated nodes, on Servers they do not share",
	"description": concat(" ", [
		"Business-critical Models are meant to keep their own capacity (seldon.md §5.1). A Model selected as critical (config criticalModels, default label placecheck.io/tier: critical)",
		"is at risk when any Server it can be placed on can run on nodes that are not dedicated (no NoSchedule/NoExecute taint from dedicatedTaints),",
		"or when that Server is also a candidate for non-critical Models, which then share its memory and replicas.",
	]),
	"remediation": "Give critical Models their own Server (a unique capability in spec.capabilities, required by the critical Models) whose pods tolerate and select only the dedicated node pool.",
	"kinds": ["Model"],
}

critical(m) if k8s.selector_matches(input.config.criticalModels, object.get(m.object, ["metadata", "labels"], {}))

# Indices of the critical Models, computed once. With matchLabels, one label is checked inline
# first: a function call per Model (50,000) is the expensive part in regorus.
selector := input.config.criticalModels

first_label := [[k, v] | some k, v in object.get(selector, "matchLabels", {})]

critical_idx contains i if {
	count(first_label) > 0
	[k, v] := first_label[0]
	some i, m in input.models
	m.object.metadata.labels[k] == v
	critical(m)
}

critical_idx contains i if {
	count(first_label) == 0
	some i, m in input.models
	critical(m)
}

server_by_key := {sprintf("%s/%s", [s.ref.namespace, s.ref.name]): s | some s in input.servers}

# Pools a Server's pods can run on that are not dedicated: {server key: [pool ids]}.
shared_pools := {key: pools |
	some key, s in server_by_key
	s.placement.nodesKnown
	pools := sort([pid | some pid in s.placement.pools; not lib.pool_by_id[pid].dedicated])
	count(pools) > 0
}

# Critical Model → candidate Server whose nodes are not all dedicated.
violation contains v if {
	input.serversKnown
	input.nodesKnown
	some i in critical_idx
	m := input.models[i]
	some name in m.placement.servers
	pools := shared_pools[sprintf("%s/%s", [m.ref.namespace, name])]
	v := {
		"msg": sprintf("critical Model %q can be placed on Server %q, whose pods can run on nodes that are not dedicated: pool%s %s", [
			m.ref.name, name, plural_s(pools), lib.few_quoted(pools, 4),
		]),
		"resource": m.ref,
		"path": model_path(m),
	}
}

# [server key, model name] for every non-critical Model's candidates; grouped once.
pairs contains [[m.ref.namespace, name], m.ref.name] if {
	count(critical_idx) > 0
	some i, m in input.models
	some name in m.placement.servers
	# One flat lookup per candidate first: this loop is the policy's cost.
	critical_names[name]
	critical_servers[m.ref.namespace][name]
	not critical_idx[i]
}

critical_names := {name | some _, names in critical_servers; some name, _ in names}

# {namespace: {server: true}} for the candidates of critical Models.
critical_servers := {ns: {name: true | some j in critical_idx; x := input.models[j]; x.ref.namespace == ns; some name in x.placement.servers} |
	some i in critical_idx
	ns := input.models[i].ref.namespace
}

non_critical := lib.group(pairs)

# Critical Model → candidate Server that non-critical Models can use too.
violation contains v if {
	input.serversKnown
	some i in critical_idx
	m := input.models[i]
	some name in m.placement.servers
	hits := non_critical[[m.ref.namespace, name]]
	others := [x[0] | some x in hits]
	v := {
		"msg": sprintf("critical Model %q can share Server %q with %s: %s", [
			m.ref.name, name, lib.plural(count(others), "non-critical Model"), lib.few(others, 3),
		]),
		"resource": m.ref,
		"path": model_path(m),
	}
}

# The field that selects the Servers: the pin, else the requirements, else the spec.
model_path(m) := "spec.server" if m.server != null

model_path(m) := "spec.requirements" if {
	m.server == null
	count(object.get(m.object, ["spec", "requirements"], [])) > 0
}

model_path(m) := "spec" if {
	m.server == null
	count(object.get(m.object, ["spec", "requirements"], [])) == 0
}

plural_s(xs) := "" if count(xs) == 1

plural_s(xs) := "s" if count(xs) > 1
