package placecheck.policies.ignored_seldon_field_test

import data.placecheck.lib.testing as t
import data.placecheck.policies.ignored_seldon_field as p
import rego.v1

test_dedicated_model if {
	m := t.model("llm", {"object": {"spec": {"dedicated": true, "preloaded": false}}})
	vs := p.violation with input as t.doc({"models": [m]})
	count(vs) == 1
	some v in vs
	v.path == "spec.dedicated"
}

test_server_ignored_fields if {
	s := t.server("mlserver", {"ignoredFields": [{"path": "spec.extraCapabilities", "why": "spec.capabilities is set and replaces the list"}]})
	vs := p.violation with input as t.doc({"servers": [s]})
	some v in vs
	v.path == "spec.extraCapabilities"
	contains(v.msg, "spec.capabilities is set")
}

test_clean_objects_pass if {
	count(p.violation) == 0 with input as t.doc({"servers": [t.server("mlserver", {})], "models": [t.model("iris", {})]})
}
