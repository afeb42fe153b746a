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
#
# Speed (this policy reports ~13,000 Models on a 50,000-Model fleet): only the Models without a
# candidate Server are visited (`input.modelsWithoutCandidates`, docs/input.md), and each
# finding is built inline — in regorus every user-function call costs microseconds (all its
# definitions are evaluated), so per-Model helpers are else-chains called once or not at all.
unplaceable := [m |
	some i in input.modelsWithoutCandidates
	m := input.models[i]
	m.placement.serversKnown
	object.get(m, "scalingError", null) == null
	object.get(m, "memoryError", null) == null
]

# No Server at all in the Model's namespace: each namespace has its own Seldon scheduler
# (seldon.md §2.2), so Servers elsewhere do not help.
violation contains v if {
	input.serversKnown
	some m in unplaceable
	m.placement.rejected == []
	v := {
		"msg": sprintf("no Server can host Model %q: there is no Server in namespace %q", [m.ref.name, m.ref.namespace]),
		"resource": m.ref,
		"path": spec_path(m),
	}
}

# Pinned (spec.server) to a Server that does not exist: Seldon says "no matching servers are
# available" and never tries another one (seldon.md §2.2, §5.2).
violation contains v if {
	input.serversKnown
	some m in unplaceable
	m.placement.pinnedServerMissing
	m.placement.rejected != []
	v := {
		"msg": sprintf("Model %q is pinned to Server %q, which does not exist in namespace %q", [m.ref.name, m.server, m.ref.namespace]),
		"resource": m.ref,
		"path": "spec.server",
	}
}

# The closest Server and why it was rejected: [Model, closest rejection, first code, message].
closest_findings := [[m, c, code, msg] |
	some m in unplaceable
	p := m.placement
	p.pinnedServerMissing == false
	count(p.rejected) > 0
	n := max([object.get(p, "rejectedCount", 0), count(p.rejected)])
	c := closest(p)
	code := first_code(c)
	msg := sprintf("no Server can host Model %q; closest is Server %q: %s%s", [m.ref.name, c.server, reasons(c), others(n, m.ref.namespace)])
]

violation contains v if {
	input.serversKnown
	some f in closest_findings
	not server_path[f[2]]
	v := {"msg": f[3], "resource": f[0].ref, "path": model_path(f[0], f[1], f[2])}
}

# A Server-side reason: also point at that Server.
violation contains v if {
	input.serversKnown
	some f in closest_findings
	at := server_path[f[2]]
	s := input.servers[server_index[f[0].ref.namespace][f[1].server]]
	v := {
		"msg": f[3],
		"resource": f[0].ref,
		"path": model_path(f[0], f[1], f[2]),
		"related": [{
			"resource": s.ref,
			"path": at,
			"msg": sprintf("Server %q is closest to hosting Model %q", [s.ref.name, f[0].ref.name]),
		}],
	}
}

# The Rust side always names a closest Server when some were rejected; be robust anyway.
closest(p) := p.closest if p.closest != null else := p.rejected[0]

others(1, _) := ""

others(n, ns) := sprintf(" (%d Servers in namespace %q, none fits)", [n, ns]) if n > 1

first_code(c) := c.codes[0] if count(object.get(c, "codes", [])) > 0 else := ""

# The reasons as Rust wrote them; when it gave none, fall back to the codes and missing list.
reasons(c) := concat("; ", c.reasons) if count(object.get(c, "reasons", [])) > 0 else := concat("; ", array.concat(object.get(c, "codes", []), missing_text(c)))

missing_text(c) := [sprintf("lacks capabilities %s", [lib.few_quoted(c.missing, 5)])] if count(object.get(c, "missing", [])) > 0 else := []

# Point at the Model field that decides the rejection named first.
# (A requirement listed twice matches twice: no single line to point at, so the spec path.)
model_path(m, c, code) := m.requirementOrigins[at[0]] if {
	code == "missing-capabilities"
	at := [i | some i, r in m.requirements; r == c.missing[0]]
	count(at) == 1
} else := p if {
	p := code_paths[code]
} else := "spec.minReplicas" if {
	code == "too-few-replicas"
	m.minReplicas > 0
} else := "spec.replicas" if {
	code == "too-few-replicas"
	m.minReplicas == 0
} else := spec_path(m)

# The field that decides without a closest Server (also for a Server-side rejection, unless pinned).
spec_path(m) := "spec.server" if m.server != null else := "spec.requirements" if count(m.requirements) > 0 else := "spec"

code_paths := {"not-enough-memory": "spec.memory", "explainer-needs-alibi-explain": "spec.explainer"}

# {namespace: {name: index in servers[]}}, for the related location.
server_index := {ns: {x.ref.name: i | some i, x in input.servers; x.ref.namespace == ns} |
	some ns in {s.ref.namespace | some s in input.servers}
}

# Where a Server-side rejection is decided on the Server.
server_path := {
	"server-config-unknown": "spec.serverConfig",
	"server-pods-unschedulable": "spec.podSpec",
	"not-enough-memory": "spec.podSpec",
	"server-scaled-to-zero": "spec.replicas",
	"invalid-server-scaling": "spec.replicas",
	"too-few-replicas": "spec.replicas",
}
