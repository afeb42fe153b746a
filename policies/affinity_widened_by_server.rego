package placecheck.policies.affinity_widened_by_server

import rego.v1

meta := {
	"id": "affinity-widened-by-server",
	"severity": "warning",
	"title": "A Server's required node affinity terms widen, not narrow, its ServerConfig's",
	"description": concat(" ", [
		"Seldon merges a Server's podSpec over its ServerConfig's with slices appended, so the Server's",
		"requiredDuringSchedulingIgnoredDuringExecution nodeSelectorTerms are added after the ServerConfig's (seldon.md §3).",
		"Kubernetes ORs nodeSelectorTerms: the pod may go to a node matching either list, so a Server that meant to restrict placement to fewer nodes allows more.",
	]),
	"remediation": "Put the narrowing condition in the Server's nodeSelector (maps are ANDed with the affinity), or use a separate ServerConfig whose terms are exactly the ones wanted.",
	"kinds": ["Server"],
}

violation contains v if {
	some s in input.servers
	mine := [t | some t in s.requiredTerms; t.origin.resource == s.ref]
	theirs := [t | some t in s.requiredTerms; t.origin.resource.kind == "ServerConfig"]
	count(mine) > 0
	count(theirs) > 0
	v := {
		"msg": sprintf(
			"Server %q adds %s to the %d of ServerConfig %q; Seldon appends them and Kubernetes ORs terms, so the Server can land on more nodes, not fewer",
			[s.ref.name, terms(count(mine)), count(theirs), theirs[0].origin.resource.name],
		),
		"resource": s.ref,
		"path": mine[0].origin.path,
	}
}

terms(1) := "1 required nodeSelectorTerm"

terms(n) := sprintf("%d required nodeSelectorTerms", [n]) if n != 1
