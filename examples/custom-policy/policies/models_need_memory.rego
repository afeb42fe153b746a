# An example custom policy for placecheck (see docs/writing-policies.md).
#
# Seldon Core 2 counts a Model without `spec.memory` as needing 0 bytes, so its scheduler never
# keeps it off a Server replica that is already full: the Server's agent runs out of memory at
# load time instead. This policy asks every Model to declare its memory, and to stay under a
# size the team agreed on (`parameters.maxModelMemory` in .placecheck.yaml, default 32Gi).
package placecheck.policies.models_need_memory

import rego.v1

meta := {
	"id": "models-need-memory",
	"severity": "warning",
	"title": "Models declare how much memory they need",
	"description": "A Model without spec.memory counts as 0 bytes for Seldon's scheduler, so it is placed on Server replicas that have no room left for it.",
	"remediation": "Set spec.memory on the Model (e.g. memory: 2Gi), within parameters.maxModelMemory.",
	"kinds": ["Model"],
}

# The largest memory a Model may ask for: a Kubernetes quantity from .placecheck.yaml.
max_memory := object.get(input.config, "maxModelMemory", "32Gi")

violation contains v if {
	some m in input.models
	not m.object.spec.memory
	v := {
		"msg": sprintf("Model %q declares no spec.memory: Seldon counts it as 0 bytes and may load it onto a full Server replica", [m.ref.name]),
		"resource": m.ref,
		"path": "spec",
	}
}

violation contains v if {
	some m in input.models
	m.object.spec.memory
	m.memoryBytes > placecheck.quantity(max_memory)
	v := {
		"msg": sprintf("Model %q asks for %v of memory, above the %v agreed for one Model (parameters.maxModelMemory)", [m.ref.name, m.object.spec.memory, max_memory]),
		"resource": m.ref,
		"path": "spec.memory",
	}
}
