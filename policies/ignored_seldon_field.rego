package placecheck.policies.ignored_seldon_field

import rego.v1

meta := {
	"id": "ignored-seldon-field",
	"severity": "info",
	"title": "Fields that Seldon Core 2 ignores",
	"description": concat(" ", [
		"Some fields are accepted but have no effect: Model spec.dedicated and spec.preloaded are declared in the CRD but no Seldon code reads them (seldon.md §2.7);",
		"Server podSpec fields outside the CRD's restricted pod spec are pruned by the API server; extraCapabilities next to capabilities is ignored;",
		"and capabilities on a Server whose ServerConfig has no SELDON_SERVER_CAPABILITIES variable are dropped (seldon.md §1.1, §2.4). Relying on them gives a false sense of control.",
	]),
	"remediation": "Remove the field, or use the mechanism that works: requirements and capabilities for exclusivity, capabilities alone, or a ServerConfig that declares SELDON_SERVER_CAPABILITIES.",
	"kinds": ["Model", "Server"],
}

why := {
	"dedicated": "Seldon Core 2 never reads it: Servers are always shared, so use a unique capability and requirement instead",
	"preloaded": "Seldon Core 2 never reads it: the Model is scheduled like any other",
}

# Only `true` is reported: `false` is the default and changes nothing either way.
violation contains v if {
	some m in input.models
	some field in ["dedicated", "preloaded"]
	m.object.spec[field] == true
	v := {
		"msg": sprintf("Model %q sets spec.%s, which has no effect: %s", [m.ref.name, field, why[field]]),
		"resource": m.ref,
		"path": sprintf("spec.%s", [field]),
	}
}

# Computed in Rust (docs/input.md, servers[].ignoredFields); an entry may name another resource
# (e.g. the ServerConfig) with `resource`, else it is about the Server.
violation contains v if {
	some s in input.servers
	some f in object.get(s, "ignoredFields", [])
	v := {
		"msg": sprintf("Server %q: %s has no effect: %s", [s.ref.name, f.path, f.why]),
		"resource": object.get(f, "resource", s.ref),
		"path": f.path,
	}
}
