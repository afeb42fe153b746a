# Builders for hand-written `input` documents in the policy unit tests (docs/input.md shapes with
# defaults). A `_test.rego` file so it is loaded only with the tests, never by `lint`/`audit`.
package placecheck.lib.testing

import rego.v1

config := {
	"gpuResources": ["nvidia.com/gpu", "amd.com/gpu"],
	"gpuNodeLabels": ["nvidia.com/gpu.present", "cloud.google.com/gke-accelerator"],
	"gpuCapabilities": ["gpu", "model-on-gpu"],
	"dedicatedTaints": ["dedicated"],
	"criticalModels": {"matchLabels": {"placecheck.io/tier": "critical"}},
	"dependencies": [
		{"kind": "Kafka"},
		{"kind": "KafkaNodePool"},
		{"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "In", "values": ["kafka", "strimzi"]}]},
	],
	"seldonNamespace": "seldon-mesh",
	"controlPlaneTaints": ["node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master"],
}

api_versions := {
	"Node": "v1", "Pod": "v1",
	"Server": "mlops.seldon.io/v1alpha1", "ServerConfig": "mlops.seldon.io/v1alpha1",
	"Model": "mlops.seldon.io/v1alpha1", "SeldonRuntime": "mlops.seldon.io/v1alpha1",
	"SeldonConfig": "mlops.seldon.io/v1alpha1",
	"Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
	"Kafka": "kafka.strimzi.io/v1beta2", "KafkaNodePool": "kafka.strimzi.io/v1beta2",
}

ref(kind, ns, name) := {"apiVersion": api_versions[kind], "kind": kind, "namespace": ns, "name": name}

# An input document: everything empty and unknown unless `over` says otherwise.
# `modelsWithoutCandidates` is derived from the Models, as the Rust side does.
doc(over) := object.union(
	{
		"version": 1, "mode": "lint",
		"nodesKnown": false, "serversKnown": false, "serverConfigsKnown": false,
		"objects": [], "nodes": [], "nodePools": [], "serverConfigs": [], "servers": [],
		"models": [], "workloads": [], "config": config,
		"modelsWithoutCandidates": [i | some i, m in object.get(over, "models", []); count(m.placement.servers) == 0],
	},
	over,
)

placement(over) := object.union(
	{
		"nodesKnown": true, "nodes": [], "pools": [], "rejected": [], "rejectedPools": [],
		"message": "", "resourcesChecked": true, "oneReplicaPerNode": false,
	},
	over,
)

node(name, over) := object.union(
	{
		"ref": ref("Node", "", name),
		"object": {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}},
		"name": name, "labels": {}, "taints": [], "allocatable": {}, "allocatableKnown": false,
		"unschedulable": false, "pool": name, "gpus": {}, "gpu": false, "controlPlane": false,
		"dedicated": false,
	},
	over,
)

pool(id, over) := object.union(
	{
		"id": id, "nodes": [id], "size": 1, "labels": {}, "taints": [], "allocatable": {},
		"unschedulable": false, "gpu": false, "controlPlane": false, "dedicated": false,
	},
	over,
)

mlserver_caps := ["mlserver", "alibi-detect", "alibi-explain", "huggingface", "lightgbm", "mlflow", "python", "sklearn", "spark-mlib", "xgboost"]

server(name, over) := object.union(
	{
		"ref": ref("Server", "seldon-mesh", name),
		"object": {
			"apiVersion": "mlops.seldon.io/v1alpha1", "kind": "Server",
			"metadata": {"name": name, "namespace": "seldon-mesh"},
			"spec": {"serverConfig": "mlserver"},
		},
		"serverConfig": {"name": "mlserver", "known": true, "builtin": true, "ref": null},
		"podSpec": {}, "origins": {}, "tolerations": [], "nodeSelector": {}, "requiredTerms": [],
		"hasSelector": false, "capabilities": mlserver_caps, "capabilitiesOrigin": null,
		"replicas": 1, "minReplicas": 0, "maxReplicas": 0, "memoryBytes": 1181116006,
		"gpu": null, "requests": {}, "labels": {"seldon-server-name": name}, "ignoredFields": [],
		"placement": placement({}), "pods": [],
		"candidateModels": {
			"count": 0, "noGpu": 0, "noGpuNames": [], "noGpuModels": [], "critical": 0,
			"criticalNames": [], "nonCritical": 0, "nonCriticalNames": [],
		},
	},
	over,
)

model(name, over) := object.union(
	{
		"ref": ref("Model", "seldon-mesh", name),
		"object": {
			"apiVersion": "mlops.seldon.io/v1alpha1", "kind": "Model",
			"metadata": {"name": name, "namespace": "seldon-mesh"},
			"spec": {"storageUri": "gs://models/iris"},
		},
		"requirements": [], "requirementOrigins": [], "memoryBytes": 0,
		"replicas": 1, "minReplicas": 0, "maxReplicas": 0, "server": null, "explainer": false,
		"asksGpu": false, "critical": false,
		"placement": {
			"serversKnown": true, "servers": [], "rejected": [], "rejectedCount": 0, "closest": null,
			"pinnedServerMissing": false, "nodes": [],
		},
	},
	over,
)

workload(kind, name, over) := object.union(
	{
		"ref": ref(kind, "default", name),
		"object": {"apiVersion": api_versions[kind], "kind": kind, "metadata": {"name": name, "namespace": "default"}},
		"path": "spec.template.spec", "component": null, "labels": {}, "podSpec": {},
		"tolerations": [], "nodeSelector": {}, "requiredTerms": [], "hasSelector": false,
		"requests": {}, "gpu": null, "placement": placement({}),
	},
	over,
)

origin(kind, name, path) := {"resource": ref(kind, ns_of(kind), name), "path": path}

ns_of("Node") := ""

ns_of(kind) := "seldon-mesh" if kind != "Node"

# Common cluster: a tainted GPU pool, a general CPU pool and a control-plane node.
gpu_taint := {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}

cp_taint := {"key": "node-role.kubernetes.io/control-plane", "value": "", "effect": "NoSchedule"}

gpu_node := node("gpu-1", {
	"labels": {"pool": "gpu"}, "taints": [object.union(gpu_taint, {"index": 0})],
	"pool": "gpu", "gpus": {"nvidia.com/gpu": 4}, "gpu": true,
})

cpu_node := node("cpu-1", {"labels": {"pool": "cpu"}, "pool": "cpu"})

cp_node := node("cp-1", {"taints": [object.union(cp_taint, {"index": 0})], "pool": "cp", "controlPlane": true})

gpu_pool := pool("gpu", {"nodes": ["gpu-1"], "labels": {"pool": "gpu"}, "taints": [gpu_taint], "gpu": true})

cpu_pool := pool("cpu", {"nodes": ["cpu-1"], "labels": {"pool": "cpu"}})

cp_pool := pool("cp", {"nodes": ["cp-1"], "taints": [cp_taint], "controlPlane": true})

cluster := {
	"nodesKnown": true,
	"nodes": [gpu_node, cpu_node, cp_node],
	"nodePools": [gpu_pool, cpu_pool, cp_pool],
}

# Toleration of the GPU taint, written on the Server at spec.podSpec.tolerations[0].
gpu_toleration(server_name) := {
	"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule",
	"origin": origin("Server", server_name, "spec.podSpec.tolerations[0]"),
}
