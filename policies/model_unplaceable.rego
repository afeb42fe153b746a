package placecheck.policies.model_unplaceable

import data.placecheck.lib
import rego.v1

meta := {
	"id": "model-unplaceable",
	"severity": "error",
	"title": "Every Model must have a Server that can host it",
	"description": concat(" ", [
		"Seldon Core 2 places a Model on one Server whose capabilities contain every requirement (exact, case-sensitive, including modelType),",
		"that has enough replicas and per-replica memory, and whose pods can actually run.",
		"When no Server qualifies the Model stays in ScheduleFailed and serves nothing;",
		"today this is usually discovered in production from the Model status.",
	]),
	"remediation": "Give a Server the missing capability (spec.capabilities or extraCapabilities), fix the Model's requirements, memory or replicas, or pin it to a Server that fits.",
	"kinds": ["Model"],
}

# Silent when the inventory has no Server at all (a repository with only Models is fine: the
# Servers live elsewhere). Models that Seldon rejects before scheduling (bad scaling or memory
# quantity) are reported by invalid-manifest instead.
violation contains v if {
	input.serversKnown
	some m in input.models
	count(m.placement.servers) == 0
	m.placement.serversKnown
	object.get(m, "scalingError", null) == null
	object.get(m, "memoryError", null) == null
	some v in findings(m)
}

# No Server at all in the Model's namespace: each namespace has its own Seldon scheduler
# (seldon.md §2.2), so Servers elsewhere do not help.
findings(m) := {{
	"msg": sprintf("no Server can host Model %q: there is no Server in namespace %q", [m.ref.name, m.ref.namespace]),
	"resource": m.ref,
	"path": model_path(m, null),
}} if {
	count(m.placement.rejected) == 0
}

# Pinned (spec.server) to a Server that does not exist: Seldon says "no matching servers are
# available" and never tries another one (seldon.md §2.2, §5.2).
findings(m) := {{
	"msg": sprintf("Model %q is pinned to Server %q, which does not exist in namespace %q", [m.ref.name, m.server, m.ref.namespace]),
	"resource": m.ref,
	"path": "spec.server",
}} if {
	count(m.placement.rejected) > 0
	m.server != null
	not m.server in {r.server | some r in m.placement.rejected}
}

findings(m) := {f} if {
	count(m.placement.rejected) > 0
	not pinned_missing(m)
	c := closest(m)
	f := object.union(
		{
			"msg": sprintf("no Server can host Model %q; the closest, Server %q, %s%s", [
				m.ref.name, c.server, concat("; ", reasons(c)), others(m),
			]),
			"resource": m.ref,
			"path": model_path(m, c),
		},
		related(m, c),
	)
}

pinned_missing(m) if {
	m.server != null
	not m.server in {r.server | some r in m.placement.rejected}
}

closest(m) := m.placement.closest if m.placement.closest != null

# The Rust side always names a closest Server when some were rejected; be robust anyway.
closest(m) := m.placement.rejected[0] if m.placement.closest == null

# The reasons as Rust wrote them; when it gave none, fall back to the codes and missing list.
reasons(c) := c.reasons if count(object.get(c, "reasons", [])) > 0

reasons(c) := array.concat(object.get(c, "codes", []), missing_text(c)) if count(object.get(c, "reasons", [])) == 0

missing_text(c) := [sprintf("lacks capabilities %s", [lib.few_quoted(c.missing, 5)])] if count(object.get(c, "missing", [])) > 0

missing_text(c) := [] if count(object.get(c, "missing", [])) == 0

others(m) := "" if count(m.placement.rejected) == 1

others(m) := sprintf(" (%d Servers in namespace %q, none fits)", [count(m.placement.rejected), m.ref.namespace]) if {
	count(m.placement.rejected) > 1
}

# Point at the Model field that decides the rejection named first.
model_path(m, c) := p if {
	c != null
	p := code_path(m, c, first_code(c))
} else := "spec.server" if {
	m.server != null
} else := "spec.requirements" if {
	count(m.requirements) > 0
} else := "spec"

first_code(c) := c.codes[0] if count(object.get(c, "codes", [])) > 0

first_code(c) := "" if count(object.get(c, "codes", [])) == 0

# The requirement the closest Server misses first (its own line in spec.requirements, or spec.modelType).
code_path(m, c, "missing-capabilities") := m.requirementOrigins[i] if {
	some i, r in m.requirements
	r == c.missing[0]
}

code_path(_, _, "not-enough-memory") := "spec.memory"

code_path(m, _, "too-few-replicas") := "spec.minReplicas" if m.minReplicas > 0

code_path(m, _, "too-few-replicas") := "spec.replicas" if m.minReplicas == 0

code_path(_, _, "explainer-needs-alibi-explain") := "spec.explainer"

code_path(m, _, code) := "spec.server" if {
	code in {"server-pinned-elsewhere", "server-scaled-to-zero", "server-config-unknown", "server-pods-unschedulable", "invalid-server-scaling"}
	m.server != null
}

# When the closest Server is rejected for a Server-side reason, also point at that Server.
related(m, c) := {"related": [{
	"resource": s.ref,
	"path": server_path(first_code(c)),
	"msg": sprintf("Server %q is closest to hosting Model %q", [s.ref.name, m.ref.name]),
}]} if {
	first_code(c) in {"server-scaled-to-zero", "server-config-unknown", "server-pods-unschedulable", "invalid-server-scaling", "too-few-replicas", "not-enough-memory"}
	s := server_by_key[m.ref.namespace][c.server]
} else := {}

server_by_key := {ns: {x.ref.name: x | some x in input.servers; x.ref.namespace == ns} |
	some ns in {s.ref.namespace | some s in input.servers}
}

server_path("server-config-unknown") := "spec.serverConfig"

server_path("server-pods-unschedulable") := "spec.podSpec"

server_path("not-enough-memory") := "spec.podSpec"

server_path(code) := "spec.replicas" if code in {"server-scaled-to-zero", "invalid-server-scaling", "too-few-replicas"}
