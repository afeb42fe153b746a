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

# Per Server, the Rust side counts the candidate Models that ask for no GPU and keeps the first
# names sorted, with their indexes in models[] (docs/input.md, servers[].candidateModels): no
# walk over Models × Servers — nor over Models — here.
violation contains v if {
	input.serversKnown
	some s in input.servers
	s.gpu != null
	n := s.candidateModels.noGpu
	n > 0
	names := s.candidateModels.noGpuNames
	at := caps_site(s)
	v := {
		"msg": sprintf("GPU Server %q (%v %s) can be chosen for %s that ask for no GPU: %s", [
			s.ref.name, s.gpu.count, s.gpu.resource, lib.plural(n, "Model"), few(names, n, 3),
		]),
		"resource": at.resource,
		"path": at.path,
		"related": [{
			"resource": m.ref,
			"path": requirements_path(m),
			"msg": sprintf("Model %q requires no GPU capability (%s)", [m.ref.name, lib.few_quoted(sorted_caps, 4)]),
		} |
			some i in array.slice(s.candidateModels.noGpuModels, 0, 3)
			m := input.models[i]
		],
	}
}

# "a, b, c" or "a, b, c and 4 more" when `names` holds only the first of `total` names.
few(names, total, n) := concat(", ", array.slice(names, 0, n)) if total <= n

few(names, total, n) := sprintf("%s and %d more", [concat(", ", array.slice(names, 0, n)), total - n]) if total > n

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
