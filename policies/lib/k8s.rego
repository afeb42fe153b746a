# Kubernetes helpers shared by the built-in policies.
#
# The placement facts (which nodes a pod fits, and why not) are computed in Rust; these helpers
# only classify single values. Two of them wrap Rust extensions so that unit tests can replace
# them: regorus' `with` keyword cannot target an extension (`with placecheck.tolerates as …` is
# "undefined rule"), but it can target a Rego function. Policies therefore call
# `k8s.tolerates` / `k8s.quantity`, which call the extensions at runtime, and the unit tests say
#   with data.placecheck.lib.k8s.tolerates as data.placecheck.lib.k8s.tolerates_rego
# to run without them. Spell both sides out with `data.`: in regorus 0.14.1 an import alias on
# the replacement (`as k8s.tolerates_rego`) makes calls from other modules undefined.
package placecheck.lib.k8s

import rego.v1

# tolerates(tolerations, taint): kube-scheduler's ToleratesTaint over a list, honouring the
# feature gates configured in `.placecheck.yaml` (scheduling.md §2.1). `tolerations` may carry
# placecheck's extra `origin` field; the extension ignores unknown fields.
tolerates(tolerations, taint) := placecheck.tolerates(tolerations, taint)

# tolerates_rego: the same rule in Rego with TaintTolerationComparisonOperators off (the v1.36
# default: Lt/Gt never match). Reference implementation and test double for `tolerates`.
tolerates_rego(tolerations, taint) := true if {
	some t in tolerations
	toleration_matches(t, taint)
} else := false

toleration_matches(t, taint) if {
	wildcard_or_equal(object.get(t, "effect", ""), object.get(taint, "effect", ""))
	wildcard_or_equal(object.get(t, "key", ""), object.get(taint, "key", ""))
	operator_matches(object.get(t, "operator", ""), object.get(t, "value", ""), object.get(taint, "value", ""))
}

# An empty toleration effect or key matches every taint effect or key.
wildcard_or_equal(mine, _) if mine == ""

wildcard_or_equal(mine, theirs) if {
	mine != ""
	mine == theirs
}

# Operator defaults to Equal; Exists ignores the value; Lt/Gt (gate off) and unknown never match.
operator_matches(op, mine, theirs) if {
	op in {"", "Equal"}
	mine == theirs
}

operator_matches("Exists", _, _) := true

# quantity(q): a Kubernetes quantity ("1Gi", "100m", 2) as a number, via the Rust extension
# (exact parsing). Numbers pass through: YAML `nvidia.com/gpu: 1` arrives as a number.
quantity(q) := q if is_number(q)

quantity(q) := placecheck.quantity(q) if is_string(q)

# quantity_rego: test double for `quantity` (units.parse covers the quantities the tests use).
quantity_rego(q) := q if is_number(q)

quantity_rego(q) := units.parse(q) if is_string(q)

# Effects the scheduler filters on; PreferNoSchedule only scores (scheduling.md §2.2).
hard_effects := {"NoSchedule", "NoExecute"}

hard(taint) if taint.effect in hard_effects

# The identity of a taint as the scheduler sees it (drops placecheck's `index`).
taint_id(t) := {"key": object.get(t, "key", ""), "value": object.get(t, "value", ""), "effect": object.get(t, "effect", "")}

# `key=value:Effect`, or `key:Effect` when the value is empty — kubectl's notation.
taint_str(t) := sprintf("%s=%s:%s", [t.key, t.value, t.effect]) if object.get(t, "value", "") != ""

taint_str(t) := sprintf("%s:%s", [t.key, t.effect]) if object.get(t, "value", "") == ""

# Node-condition taints (`node.kubernetes.io/not-ready`, `…/unreachable`, `…/memory-pressure`,
# `…/unschedulable`, …) are added and removed by the node lifecycle controller; pods get default
# tolerations for some of them from admission. They are not placement decisions.
condition_taint(t) if startswith(t.key, "node.kubernetes.io/")

# One field-path segment for a map key: `.pool`, or `["nvidia.com/gpu"]` when the key contains `.`
# or `/` (docs/input.md, Conventions).
key_segment(k) := concat("", [`["`, k, `"]`]) if regex.match(`[./\[\]"]`, k)

key_segment(k) := concat("", [".", k]) if not regex.match(`[./\[\]"]`, k)

# A metav1.LabelSelector against a label map. An empty selector (neither matchLabels nor
# matchExpressions) selects NOTHING here — unlike Kubernetes, where it selects everything — so
# that `criticalModels: {}` in the config means "no critical models", not "all of them".
selector_matches(sel, labels) if {
	non_empty_selector(sel)
	every k, v in object.get(sel, "matchLabels", {}) {
		labels[k] == v
	}
	every e in object.get(sel, "matchExpressions", []) {
		expression_matches(e, labels)
	}
}

non_empty_selector(sel) if count(object.get(sel, "matchLabels", {})) > 0

non_empty_selector(sel) if count(object.get(sel, "matchExpressions", [])) > 0

expression_matches(e, labels) if {
	e.operator == "In"
	labels[e.key] in e.values
}

expression_matches(e, labels) if {
	e.operator == "NotIn"
	not labels[e.key] in e.values
}

expression_matches(e, labels) if {
	e.operator == "Exists"
	_ = labels[e.key]
}

expression_matches(e, labels) if {
	e.operator == "DoesNotExist"
	not has_key(labels, e.key)
}

has_key(obj, k) if _ = obj[k]
