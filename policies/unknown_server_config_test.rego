package placecheck.policies.unknown_server_config_test

import data.placecheck.lib.testing as t
import data.placecheck.policies.unknown_server_config as p
import rego.v1

sc(name, ns) := {"ref": t.ref("ServerConfig", ns, name), "object": {}, "name": name, "capabilities": [], "builtin": false}

custom := t.server("llm", {
	"object": {"spec": {"serverConfig": "mlserver-llm"}},
	"serverConfig": {"name": "mlserver-llm", "known": false, "builtin": false, "ref": null},
})

test_unknown_config_reported if {
	vs := p.violation with input as t.doc({"serverConfigsKnown": true, "serverConfigs": [sc("mlserver-gpu", "seldon-mesh")], "servers": [custom]})
	some v in vs
	v.path == "spec.serverConfig"
	contains(v.msg, `ServerConfig "mlserver-llm", which is not in namespace "seldon-mesh" (known: "mlserver-gpu")`)
}

test_config_in_wrong_namespace_hint if {
	vs := p.violation with input as t.doc({"serverConfigsKnown": true, "serverConfigs": [sc("mlserver-llm", "models")], "servers": [custom]})
	some v in vs
	contains(v.msg, `exists in namespace "models", but the operator reads only "seldon-mesh"`)
}

test_silent_when_no_server_configs_known if {
	count(p.violation) == 0 with input as t.doc({"servers": [custom]})
}

test_shipped_defaults_pass if {
	s := t.server("mlserver", {"serverConfig": {"known": false, "builtin": false}})
	count(p.violation) == 0 with input as t.doc({"serverConfigsKnown": true, "serverConfigs": [sc("other", "seldon-mesh")], "servers": [s]})
}
