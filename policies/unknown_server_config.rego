package placecheck.policies.unknown_server_config

import data.placecheck.lib
import rego.v1

meta := {
	"id": "unknown-server-config",
	"severity": "error",
	"title": "A Server must name an existing ServerConfig",
	"description": concat(" ", [
		"The Seldon operator builds a Server's pods from the ServerConfig it names, looked up by name in the operator's own namespace (seldon-mesh by default), not the Server's.",
		"If that ServerConfig does not exist the operator creates no StatefulSet, so the Server never runs and Models that need it fail to schedule.",
	]),
	"remediation": "Fix spec.serverConfig to the name of a ServerConfig in the operator's namespace (or a shipped default, mlserver or triton), or add that ServerConfig.",
	"kinds": ["Server"],
}

# The defaults the Seldon installation ships (seldon.md §4): assumed to exist even when the
# inventory does not contain them.
shipped := {"mlserver", "triton"}

seldon_ns := object.get(input.config, "seldonNamespace", "seldon-mesh")

# Only when the inventory has ServerConfigs: a repository of Servers alone cannot tell.
violation contains v if {
	input.serverConfigsKnown
	some s in input.servers
	name := s.object.spec.serverConfig
	is_string(name)
	name != ""
	not s.serverConfig.known
	not name in shipped
	v := {
		"msg": sprintf("Server %q uses ServerConfig %q, which is not in namespace %q%s", [s.ref.name, name, seldon_ns, hint(name)]),
		"resource": s.ref,
		"path": "spec.serverConfig",
	}
}

known_in_ns := sort([c.name | some c in input.serverConfigs; c.ref.namespace == seldon_ns; not c.builtin])

# A ServerConfig of that name in another namespace is the usual mistake: the operator only
# reads its own namespace (seldon.md §1.2).
hint(name) := sprintf("; a ServerConfig %q exists in namespace %q, but the operator reads only %q", [name, ns, seldon_ns]) if {
	nss := sort([c.ref.namespace | some c in input.serverConfigs; c.name == name])
	count(nss) > 0
	ns := nss[0]
} else := sprintf(" (known: %s)", [lib.few_quoted(known_in_ns, 5)]) if {
	count(known_in_ns) > 0
} else := ""
