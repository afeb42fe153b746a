package placecheck.policies.gpu_node_not_tainted

import data.placecheck.lib.k8s
import rego.v1

meta := {
	"id": "gpu-node-not-tainted",
	"severity": "warning",
	"title": "GPU nodes should carry a NoSchedule or NoExecute taint",
	"description": concat(" ", [
		"Without a taint any pod that fits can be scheduled onto a GPU node, so ordinary workloads take the expensive capacity",
		"and GPU Servers may find no room. The Seldon GPU guide starts by tainting the GPU node pool (seldon.md §5.2);",
		"a PreferNoSchedule taint only influences scoring and does not keep pods off.",
	]),
	"remediation": "Taint the GPU node pool (for example nvidia.com/gpu=present:NoSchedule) and tolerate that taint only on the Servers and workloads that need a GPU.",
	"kinds": ["Node"],
}

# Cordoned nodes accept no new pods, so they are not judged.
violation contains v if {
	some n in input.nodes
	n.gpu
	not n.unschedulable
	not has_hard_taint(n)
	v := {
		"msg": sprintf("GPU node %q (%s) has no NoSchedule or NoExecute taint%s, so any pod can be scheduled on it", [n.name, evidence(n), soft_note(n)]),
		"resource": n.ref,
		"path": path(n),
	}
}

has_hard_taint(n) if {
	some t in n.taints
	k8s.hard(t)
}

# What makes it a GPU node: the allocatable GPUs, else the GPU label.
evidence(n) := concat(", ", [sprintf("%s: %v", [r, c]) | some r, c in n.gpus]) if count(n.gpus) > 0

evidence(n) := sprintf("label %s", [concat(", ", labels)]) if {
	count(n.gpus) == 0
	labels := sort([k | some k in input.config.gpuNodeLabels; _ = n.labels[k]])
}

soft_note(n) := " (only PreferNoSchedule, which does not keep pods off)" if {
	count(n.taints) > 0
} else := ""

path(n) := "spec.taints" if count(n.taints) > 0

path(n) := "metadata.name" if count(n.taints) == 0
