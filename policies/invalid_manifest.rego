package placecheck.policies.invalid_manifest

import rego.v1

# Produced in Rust by the loader and the inventory (parse errors, missing identity and required
# Seldon fields, invalid quantities and scaling). This module only carries the metadata so the
# policy is listed and documented like the others.
meta := {
	"id": "invalid-manifest",
	"severity": "error",
	"title": "Manifests must parse and be valid objects",
	"description": concat(" ", [
		"A document that does not parse, an object without apiVersion, kind or metadata.name, a Server without spec.serverConfig, a Model without spec.storageUri,",
		"a quantity Kubernetes cannot read, or a scaling spec Seldon rejects (replicas below minReplicas or above maxReplicas) is refused by the API server or the Seldon operator,",
		"so nothing else about the object can be trusted. One broken file never stops the others from being checked.",
	]),
	"remediation": "Fix the syntax or add the missing field at the reported location.",
	"kinds": ["*"],
}

violation := set()
