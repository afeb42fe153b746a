package placecheck.policies.gpu_server_admits_cpu_models_test

import data.placecheck.lib.testing as t
import data.placecheck.policies.gpu_server_admits_cpu_models as p
import rego.v1

gpu_server := t.server("triton-gpu", {
	"gpu": {"resource": "nvidia.com/gpu", "count": 1, "origin": null},
	"capabilities": ["triton", "onnx", "model-on-gpu"],
	"capabilitiesOrigin": t.origin("Server", "triton-gpu", "spec.extraCapabilities"),
})

# What the Rust side summarizes per Server (servers[].candidateModels) for these Models.
gpu_server_with_cpu_models := object.union(gpu_server, {"candidateModels": {"count": 3, "noGpu": 2, "noGpuNames": ["any", "mnist"], "noGpuModels": [2, 1]}})

models := [
	t.model("llama3", {"requirements": ["model-on-gpu"], "asksGpu": true, "placement": {"servers": ["triton-gpu"]}}),
	t.model("mnist", {"requirements": ["onnx"], "placement": {"servers": ["triton", "triton-gpu"]}}),
	t.model("any", {"placement": {"servers": ["mlserver", "triton", "triton-gpu"]}}),
	t.model("iris", {"requirements": ["sklearn"], "placement": {"servers": ["mlserver"]}}),
]

test_names_cpu_models if {
	vs := p.violation with input as t.doc({"serversKnown": true, "servers": [gpu_server_with_cpu_models, t.server("mlserver", {})], "models": models})
	count(vs) == 1
	some v in vs
	v.path == "spec.extraCapabilities"
	contains(v.msg, `GPU Server "triton-gpu" (1 nvidia.com/gpu) can be chosen for 2 Models that ask for no GPU: any, mnist`)
	count(v.related) == 2
}

test_only_gpu_models_pass if {
	count(p.violation) == 0 with input as t.doc({"serversKnown": true, "servers": [gpu_server], "models": [models[0], models[3]]})
}

test_inherited_capabilities_point_at_server_config_field if {
	s := object.union(gpu_server_with_cpu_models, {"capabilitiesOrigin": t.origin("ServerConfig", "triton", "spec.podSpec.containers[0].env[0].value")})
	vs := p.violation with input as t.doc({"serversKnown": true, "servers": [s], "models": models})
	some v in vs
	v.resource.kind == "Server"
	v.path == "spec.serverConfig"
}
