package placecheck.policies.placement_drift

import rego.v1

meta := {
	"id": "placement-drift",
	"severity": "warning",
	"title": "What runs must still be what the specs allow",
	"description": concat(" ", [
		"Kubernetes checks placement only when a pod is scheduled: a Server pod keeps running on a node its current spec",
		"no longer allows (a NoSchedule taint added later, a label removed, a selector changed) until it is rescheduled,",
		"and then it cannot come back. On the Seldon side a Model whose status is ScheduleFailed is serving nothing;",
		"this policy names the root cause chain, Model → closest Server → the nodes that Server's pods cannot use.",
		"It needs live data (audit, lint --cluster) or exported objects with status: Server pods are read from the cluster.",
	]),
	"remediation": "Fix the Server's tolerations, nodeSelector or affinity (or the node's taints and labels) so the running placement is allowed again; for a ScheduleFailed Model, fix the cause named in the message.",
	"kinds": ["Server", "Model"],
}

# A running pod on a node its Server's current spec no longer allows. `nodeAllowed` is computed
# in Rust by the same scheduler code as `placement` (null when it cannot be judged).
violation contains v if {
	some s in input.servers
	some p in s.pods
	p.nodeAllowed == false
	why := reason(p)
	v := {
		"msg": sprintf("pod %s of Server %q runs on node %q, which the Server's current spec no longer allows (%s); once rescheduled it cannot land there again", [p.name, s.ref.name, p.nodeName, why]),
		"resource": s.ref,
		"path": "spec.podSpec",
	}
}

reason(p) := p.nodeDetail if p.nodeDetail != ""

reason(p) := concat(", ", p.nodeReasons) if p.nodeDetail == ""

# The aggregated kube-scheduler message of each Server, for the model → server → node chain.
server_message := {sprintf("%s/%s", [s.ref.namespace, s.ref.name]): s.placement.message |
	some s in input.servers
	s.placement.message != ""
}

violation contains v if {
	some m in input.models
	status := object.get(m, "status", null)
	status != null
	status.state == "ScheduleFailed"
	v := {
		"msg": sprintf("Model %q is ScheduleFailed (%s): %s", [m.ref.name, object.get(status, "reason", "no reason given"), cause(m)]),
		"resource": m.ref,
		"path": "status",
	}
}

cause(m) := sprintf("placecheck finds candidate Servers now (%s): the failure may be transient — Seldon retries when their replicas connect", [concat(", ", m.placement.servers)]) if {
	count(m.placement.servers) > 0
}

cause(m) := sprintf("the closest Server, %q, %s%s", [c.server, concat("; ", c.reasons), node_chain(m, c)]) if {
	count(m.placement.servers) == 0
	c := m.placement.closest
	c != null
}

cause(m) := "no Server in its namespace can host it" if {
	count(m.placement.servers) == 0
	m.placement.closest == null
}

node_chain(m, c) := sprintf(" — %s", [msg]) if {
	msg := server_message[sprintf("%s/%s", [m.ref.namespace, c.server])]
} else := ""
