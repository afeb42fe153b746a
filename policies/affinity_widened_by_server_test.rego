package placecheck.policies.affinity_widened_by_server_test

import data.placecheck.lib.testing as t
import data.placecheck.policies.affinity_widened_by_server as p
import rego.v1

terms_path := "spec.podSpec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"

sc_term := {"term": {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["gpu"]}]}, "origin": t.origin("ServerConfig", "mlserver-gpu", sprintf("%s[0]", [terms_path]))}

server_term := {"term": {"matchExpressions": [{"key": "gpu-type", "operator": "In", "values": ["a100"]}]}, "origin": t.origin("Server", "llm", sprintf("%s[0]", [terms_path]))}

test_appended_terms_widen if {
	s := t.server("llm", {"requiredTerms": [sc_term, server_term], "hasSelector": true})
	vs := p.violation with input as t.doc({"servers": [s]})
	some v in vs
	v.path == sprintf("%s[0]", [terms_path])
	contains(v.msg, `Server "llm" adds 1 required nodeSelectorTerm to the 1 of ServerConfig "mlserver-gpu"`)
}

test_only_one_side_passes if {
	a := t.server("a", {"requiredTerms": [sc_term]})
	b := t.server("llm", {"requiredTerms": [server_term]})
	count(p.violation) == 0 with input as t.doc({"servers": [a, b]})
}
