package placecheck.policies.critical_model_shared_nodes

import data.placecheck.lib
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

# `models[].critical` (the config's criticalModels selector, matched in Rust) and the per-Server
# candidate summary `servers[].candidateModels` (docs/input.md) make this policy a walk over the
# critical Models' candidate lists. Everything about a Server is formatted once per Server (the
# `findings` index below), so each (critical Model, Server) pair costs one lookup, one concat
# and the finding itself — this policy reports ~95,000 pairs on a 50,000-Model fleet.
# One finding per critical Model, naming the first few problems across its candidate Servers:
# a Model with 95 shared Servers is one thing to fix, not 95.
violation contains v if {
	input.serversKnown
	some m in input.models
	m.critical
	ns_findings := findings[m.ref.namespace]
	tails := [t | some name in m.placement.servers; some t in ns_findings[name]]
	count(tails) > 0
	v := {
		"msg": sprintf("critical Model %q can %s", [m.ref.name, first_problems(tails, 3)]),
		"resource": m.ref,
		"path": model_path(m),
	}
}

first_problems(ts, n) := concat("; ", ts) if count(ts) <= n

first_problems(ts, n) := sprintf("%s; and %d more", [concat("; ", array.slice(ts, 0, n)), count(ts) - n]) if count(ts) > n

findings := {ns: {s.ref.name: tails |
	some s in input.servers
	s.ref.namespace == ns
	s.candidateModels.critical > 0
	tails := array.concat(shared_pools(s), shared_models(s))
	count(tails) > 0
} |
	some ns in {s.ref.namespace | some s in input.servers; s.candidateModels.critical > 0}
}

# The pools the Server's pods can run on that are not dedicated (`nodePools[].dedicated`).
shared_pools(s) := [sprintf("be placed on Server %q, whose pods can run on nodes that are not dedicated: pool%s %s", [
	s.ref.name, plural_s(pools), few_quoted(pools, 4),
])] if {
	input.nodesKnown
	s.placement.nodesKnown
	pools := sort([pid | some pid in s.placement.pools; not dedicated_pools[pid]])
	count(pools) > 0
} else := []

dedicated_pools := {p.id | some p in input.nodePools; p.dedicated}

# The non-critical Models the Server is also a candidate for (counted, and the first names
# sorted, by the Rust side).
shared_models(s) := [sprintf("share Server %q with %s: %s", [
	s.ref.name, lib.plural(n, "non-critical Model"), few(s.candidateModels.nonCriticalNames, n, 3),
])] if {
	n := s.candidateModels.nonCritical
	n > 0
} else := []

# "a, b, c" or "a, b, c and 4 more" when `names` holds only the first of `total` names.
few(names, total, n) := concat(", ", array.slice(names, 0, n)) if total <= n

few(names, total, n) := sprintf("%s and %d more", [concat(", ", array.slice(names, 0, n)), total - n]) if total > n

# lib.few_quoted, quoting only the names shown.
few_quoted(names, n) := few([sprintf("%q", [x]) | some x in array.slice(names, 0, n)], count(names), n)

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
