package placecheck.policies.yaml_ambiguous_scalar

import rego.v1

# Produced in Rust by the YAML loader, which sees the plain scalars before they become values.
# This module only carries the metadata so the policy is listed and documented like the others.
meta := {
	"id": "yaml-ambiguous-scalar",
	"severity": "warning",
	"title": "Quote scalars that YAML 1.1 reads differently",
	"description": concat(" ", [
		"Kubernetes reads manifests with a YAML 1.1 parser: plain yes, no, on, off, y and n become booleans, 0777 and 012 become octal numbers, 1_000 becomes 1000.",
		"In label and nodeSelector values, taint and toleration values, matchExpressions values, capabilities and requirements this either fails validation (a string was expected)",
		"or silently changes what is matched, so the pod or Model does not go where the author meant.",
	]),
	"remediation": "Quote the value, for example \"yes\" or \"0777\".",
	"kinds": ["*"],
}

violation := set()
