# Helpers shared by the built-in policies: naming objects in messages, short lists, grouping,
# and which pod templates are "subjects" of the placement policies.
package placecheck.lib

import rego.v1

# `Server "gpu-a"` — how messages name an object. The namespace is left out: the finding's
# location already carries it, and compiler-style messages stay short.
name_of(ref) := sprintf("%s %q", [ref.kind, ref.name])

# "a, b, c" or "a, b, c and 4 more": names in messages, at most `n` of them.
few(names, n) := concat(", ", names) if count(names) <= n

few(names, n) := sprintf("%s and %d more", [concat(", ", array.slice(names, 0, n)), count(names) - n]) if {
	count(names) > n
}

# Quoted variant: `"a", "b" and 3 more`.
few_quoted(names, n) := few([sprintf("%q", [x]) | some x in names], n)

# "1 node" / "3 nodes".
plural(1, word) := sprintf("1 %s", [word])

plural(n, word) := sprintf("%d %ss", [n, word]) if n != 1

# group(pairs): a set of [key, x, y, …] arrays → {key: [[x, y, …], …]} (each entry's tail, in
# sorted order), in O(n log n). Rego has no group-by, and the obvious
# `{k: [v | some [k2, v] in pairs; k2 == k] | some [k, _] in pairs}` is quadratic, which matters
# with 50,000 Models (crates.md §1.1: regorus comprehensions never stop early). Sorting puts each
# key's entries in one run; a run starts where the key changes. Everything is inline on purpose:
# handing the big sorted array to a helper function per element costs far more in regorus.
group(pairs) := {s[st][0]: [array.slice(p, 1, count(p)) | some p in array.slice(s, st, bounds[j + 1])] |
	some j, st in starts
} if {
	s := sort(pairs)
	starts := sort({i | some i, p in s; i == 0} | {i | some i, p in s; i > 0; s[i - 1][0] != p[0]})
	bounds := array.concat(starts, [count(s)])
}

# Pod templates the placement policies judge. DaemonSets (and the Pods they own) run on every
# node they tolerate by design — device plugins, log shippers, CNI — so "it can land on GPU /
# control-plane nodes" is their purpose, not a mistake.
# (Arrays, not sets: a set of large objects costs a deep comparison per insertion.)
subject_workloads := [w | some w in input.workloads; not daemon(w)]

daemon(w) if w.ref.kind == "DaemonSet"

daemon(w) if {
	w.ref.kind == "Pod"
	some o in object.get(w.object, ["metadata", "ownerReferences"], [])
	o.kind == "DaemonSet"
}

# Servers and workloads together, as {ref, kind, tolerations, hasSelector, placement, gpu,
# podPath, component, podSpec, origins}: the policies that treat both alike iterate this. `podPath` is the field path of the
# pod spec inside the subject (a Server's own `spec.podSpec`, which may be absent: the path then
# falls back to `spec`).
pod_owners := array.concat(
	[{"ref": s.ref, "kind": "server", "tolerations": s.tolerations, "hasSelector": s.hasSelector, "placement": s.placement, "gpu": s.gpu, "podPath": "spec.podSpec", "component": null, "podSpec": s.podSpec, "origins": s.origins} |
		some s in input.servers
		s.serverConfig.known
	],
	[{"ref": w.ref, "kind": "workload", "tolerations": w.tolerations, "hasSelector": w.hasSelector, "placement": w.placement, "gpu": w.gpu, "podPath": w.path, "component": w.component, "podSpec": w.podSpec, "origins": {}} |
		some w in subject_workloads
	],
)

# Where a finding about a merged value lands: its origin when the Rust side recorded one,
# else the owner's pod spec.
at_origin(x, _, _) := {"resource": x.origin.resource, "path": x.origin.path} if x.origin != null

at_origin(x, ref, fallback) := {"resource": ref, "path": fallback} if not x.origin

at_origin(x, ref, fallback) := {"resource": ref, "path": fallback} if x.origin == null

# Index: pool id → pool, node name → node (built once per evaluation).
pool_by_id := {p.id: p | some p in input.nodePools}

node_by_name := {n.name: n | some n in input.nodes}
