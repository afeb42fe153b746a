# Unit tests for models_need_memory.rego: `placecheck test examples/custom-policy`.
#
# `data.placecheck.lib.testing` (shipped with placecheck, loaded by `placecheck test`) builds
# input documents with every field of docs/input.md defaulted: t.doc, t.model, t.server, ….
package placecheck.policies.models_need_memory_test

import data.placecheck.lib.testing as t
import data.placecheck.policies.models_need_memory as p
import rego.v1

with_memory(name, memory, bytes) := t.model(name, {
	"memoryBytes": bytes,
	"object": {
		"apiVersion": "mlops.seldon.io/v1alpha1", "kind": "Model",
		"metadata": {"name": name, "namespace": "seldon-mesh"},
		"spec": {"storageUri": "gs://models/x", "memory": memory},
	},
})

test_model_without_memory_is_flagged if {
	vs := p.violation with input as t.doc({"models": [t.model("iris", {})]})
	count(vs) == 1
	some v in vs
	v.resource == t.ref("Model", "seldon-mesh", "iris")
	v.path == "spec"
	contains(v.msg, "declares no spec.memory")
}

test_model_with_memory_passes if {
	m := with_memory("iris", "2Gi", 2147483648)
	count(p.violation) == 0 with input as t.doc({"models": [m]})
}

test_model_above_the_default_limit if {
	m := with_memory("llama", "64Gi", 68719476736)
	vs := p.violation with input as t.doc({"models": [m]})
	some v in vs
	v.path == "spec.memory"
	contains(v.msg, "above the 32Gi")
}

test_limit_comes_from_the_parameters if {
	m := with_memory("llama", "64Gi", 68719476736)
	cfg := object.union(t.config, {"maxModelMemory": "80Gi"})
	count(p.violation) == 0 with input as t.doc({"models": [m], "config": cfg})
}
