package placecheck.policies.gpu_server_admits_cpu_models

import data.placecheck.lib
import rego.v1

meta := {
	"id": "gpu-server-admits-cpu-models",
	"severity": "warning",
	"title": "A GPU Server should only be a candidate for Models that ask for a GPU",
	"description": concat(" ", [
		"Seldon matches Models to Servers by capabilities only and has no way to repel a Model: a Model whose requirements are a subset of the Server's capabilities",
		"— including a Model with no requirements at all, which matches every Server — can be placed on the GPU Server (seldon.md §2.2, §5.3).",
		"CPU models then fill the expensive GPU Server's memory and can crowd out the models that need it.",
	]),
	"remediation": "Give the GPU Server a capability no CPU Model asks for (spec.capabilities replaces the list, e.g. [model-on-gpu]) and give every Model requirements or a spec.server pin.",
	"kinds": ["Server"],
}

gpu_caps := {c | some c in input.config.gpuCapabilities}

# A Model asks for a GPU when one of its requirements is a configured GPU capability.
asks_gpu(m) if {
	some r in m.requirements
	r in gpu_caps
}

# {namespace: {name: true}} for GPU Servers.
gpu_servers := {ns: {x.ref.name: true | some x in input.servers; x.ref.namespace == ns; x.gpu != null} |
	some ns in {s.ref.namespace | some s in input.servers; s.gpu != null}
}

# [[namespace, server], model name, model index] for every (GPU Server, CPU Model) candidate
# pair: one pass over the candidate lists (cheap lookups first: most candidates are not GPU
# Servers), then grouped by Server in O(n log n).
pairs := {[[ns, name], m.ref.name, i] |
	count(gpu_names) > 0
	some i, m in input.models
	some name in m.placement.servers

	# One flat lookup per candidate first: this loop is the policy's cost.
	gpu_names[name]
	ns := m.ref.namespace
	gpu_servers[ns][name]
	not asks_gpu(m)
}

gpu_names := {s.ref.name | some s in input.servers; s.gpu != null}

by_server := lib.group(pairs)

violation contains v if {
	input.serversKnown
	some s in input.servers
	s.gpu != null
	hits := by_server[[s.ref.namespace, s.ref.name]]
	names := [h[0] | some h in hits]
	at := caps_site(s)
	v := {
		"msg": sprintf("GPU Server %q (%v %s) can be chosen for %s that ask for no GPU: %s", [
			s.ref.name, s.gpu.count, s.gpu.resource, lib.plural(count(names), "Model"), lib.few(names, 3),
		]),
		"resource": at.resource,
		"path": at.path,
		"related": [{
			"resource": m.ref,
			"path": requirements_path(m),
			"msg": sprintf("Model %q requires no GPU capability (%s)", [m.ref.name, lib.few_quoted(sorted_caps, 4)]),
		} |
			some h in array.slice(hits, 0, 3)
			m := input.models[h[1]]
		],
	}
}

sorted_caps := sort(gpu_caps)

# Where the Server's capability list is written, when that is the Server itself; a list inherited
# from a shared ServerConfig is fixed on the Server (spec.capabilities), so point at its
# spec.serverConfig then.
caps_site(s) := s.capabilitiesOrigin if {
	s.capabilitiesOrigin != null
	s.capabilitiesOrigin.resource == s.ref
} else := {"resource": s.ref, "path": "spec.serverConfig"}

requirements_path(m) := "spec.requirements" if count(object.get(m.object, ["spec", "requirements"], [])) > 0

requirements_path(m) := "spec" if count(object.get(m.object, ["spec", "requirements"], [])) == 0
