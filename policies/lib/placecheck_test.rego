package placecheck.lib_test

import data.placecheck.lib
import data.placecheck.lib.k8s
import rego.v1

test_group_runs if {
	lib.group({["b", 1], ["a", 2], ["a", 1], ["c", 3, "x"]}) == {"a": [[1], [2]], "b": [[1]], "c": [[3, "x"]]}
	lib.group(set()) == {}
}

test_few if {
	lib.few(["a", "b"], 3) == "a, b"
	lib.few(["a", "b", "c", "d", "e"], 3) == "a, b, c and 2 more"
}

test_tolerates_rego if {
	taint := {"key": "gpu", "value": "true", "effect": "NoSchedule"}
	k8s.tolerates_rego([{"key": "gpu", "operator": "Equal", "value": "true"}], taint)
	k8s.tolerates_rego([{"operator": "Exists"}], taint)
	k8s.tolerates_rego([{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}], taint)
	not k8s.tolerates_rego([{"key": "gpu", "value": "false"}], taint)
	not k8s.tolerates_rego([{"key": "gpu", "operator": "Exists", "effect": "NoExecute"}], taint)
	not k8s.tolerates_rego([{"key": "gpu", "operator": "Gt", "value": "0"}], taint)
	not k8s.tolerates_rego([], taint)
}

test_key_segment if {
	k8s.key_segment("pool") == ".pool"
	k8s.key_segment("nvidia.com/gpu") == `["nvidia.com/gpu"]`
}

test_selector if {
	k8s.selector_matches({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"})
	not k8s.selector_matches({"matchLabels": {"a": "1"}}, {"a": "2"})
	k8s.selector_matches({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["2"]}, {"key": "c", "operator": "DoesNotExist"}]}, {"a": "1"})
	not k8s.selector_matches({}, {"a": "1"})
}
