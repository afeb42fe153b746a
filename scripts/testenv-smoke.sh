#!/usr/bin/env bash
# testenv-smoke.sh — start a throw-away test cluster (scripts/testenv.sh), exercise the APIs the
# auditor's integration tests rely on, stop it. Uses only curl + the kubeconfigs that start writes.
# Exit 0 and a closing "N passed, 0 failed" line when everything works.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTENV=$HERE/testenv.sh
# Own state dir, so a test cluster someone else is running is never touched.
export PLACECHECK_TESTENV_STATE=${PLACECHECK_SMOKE_STATE:-/tmp/placecheck-testenv-smoke.$$}
WORK=$(mktemp -d)
passed=0 failed=0

cleanup() {
  "$TESTENV" stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
  rm -f "$PLACECHECK_TESTENV_STATE.lock"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); printf 'ok   %s\n' "$*"; }
bad() {
  failed=$((failed + 1))
  printf 'FAIL %s (last HTTP status %s; body: %s)\n' "$*" "${CODE:-none}" "$(head -c 600 "$WORK/body" 2>/dev/null | tr -s ' \n' ' ')"
}
check() { # description command...
  local what=$1; shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}

# Pull server + credentials out of a kubeconfig written by testenv.sh start (validates it, too).
load_kubeconfig() { # kubeconfig prefix
  local kc=$1 p=$WORK/$2
  sed -nE 's/^[[:space:]]*certificate-authority-data: (.*)$/\1/p' "$kc" | base64 -d >"$p.ca"
  sed -nE 's/^[[:space:]]*client-certificate-data: (.*)$/\1/p' "$kc" | base64 -d >"$p.crt"
  sed -nE 's/^[[:space:]]*client-key-data: (.*)$/\1/p' "$kc" | base64 -d >"$p.key"
  SERVER=$(sed -nE 's/^[[:space:]]*server: (.*)$/\1/p' "$kc")
}

# api ID METHOD PATH [JSON]: body to $WORK/body, HTTP status to $CODE. CT= overrides the content type.
CODE=
api() {
  local id=$1 method=$2 path=$3 data=${4:-}
  local -a args=(-sS --max-time 20 --cacert "$WORK/$id.ca" --cert "$WORK/$id.crt" --key "$WORK/$id.key"
    -o "$WORK/body" -w '%{http_code}' -X "$method")
  [[ -n $data ]] && args+=(-H "Content-Type: ${CT:-application/json}" --data-binary "$data")
  CODE=$(curl "${args[@]}" "$SERVER$path") || CODE=000
}
# Checks on the response body ignore whitespace (the apiserver pretty-prints for curl).
body_has() { tr -d ' \n' <"$WORK/body" | grep -q -- "$1"; }
body_lacks() { ! body_has "$1"; }
body_has_all() { local n; for n in "$@"; do body_has "$n" || return 1; done; }
code_is() { [[ $CODE == "$1" ]]; }
code_and_body() { code_is "$1" && shift && body_has_all "$@"; }
loopback() { [[ $SERVER == https://127.0.0.1:* ]]; }

# poll up to N seconds until "api ..." returns the wanted status
api_until() { # seconds code id method path [json]
  local secs=$1 want=$2 i; shift 2
  for ((i = 0; i < secs * 4; i++)); do
    api "$@"
    [[ $CODE == "$want" ]] && return 0
    sleep 0.25
  done
  return 1
}

echo "== start"
t0=$(date +%s)
out=$("$TESTENV" start)
echo "$out"
eval "$out"
echo "started in $(( $(date +%s) - t0 )) s (incl. build check)"
check "start prints an export of KUBECONFIG" [ -f "$KUBECONFIG" ]
check "restricted kubeconfig written" [ -f "$PLACECHECK_TESTENV_STATE/kubeconfig-restricted" ]
load_kubeconfig "$KUBECONFIG" admin
load_kubeconfig "$PLACECHECK_TESTENV_STATE/kubeconfig-restricted" restricted
check "server is loopback" loopback

out2=$("$TESTENV" start 2>&1)
check "second start reuses the running instance" grep -q "already running" <<<"$out2"
check "env prints the same KUBECONFIG" grep -qx "export KUBECONFIG=$KUBECONFIG" <(("$TESTENV" env))

api admin GET /version
check "/version is v1.36.3" body_has '"gitVersion":"v1.36.3"'

NS=smoke-$RANDOM
api admin POST /api/v1/namespaces "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$NS\"}}"
check "create namespace $NS" code_is 201

echo "== nodes"
NODE='{"apiVersion":"v1","kind":"Node","metadata":{"name":"smoke-gpu-1","labels":{"pool":"gpu","nvidia.com/gpu.product":"A100","topology.kubernetes.io/zone":"z1"}},
 "spec":{"taints":[{"key":"nvidia.com/gpu","value":"present","effect":"NoSchedule"},{"key":"dedicated","value":"seldon","effect":"NoExecute"}]}}'
api admin POST /api/v1/nodes "$NODE"
check "create tainted, labelled Node" code_is 201
api admin POST /api/v1/nodes '{"apiVersion":"v1","kind":"Node","metadata":{"name":"smoke-cpu-1","labels":{"pool":"cpu"}}}'
check "create second Node" code_is 201
api admin GET '/api/v1/nodes?labelSelector=pool%3Dgpu'
list_gpu_only() { body_has '"name":"smoke-gpu-1"' && body_lacks smoke-cpu-1; }
check "list nodes by label selector finds only the gpu node" list_gpu_only
api admin GET /api/v1/nodes/smoke-gpu-1
# Admission plugin TaintNodesByCondition adds node.kubernetes.io/not-ready:NoSchedule on create;
# with no node-lifecycle controller it stays until a client removes it.
check "create adds the not-ready taint" body_has '"key":"node.kubernetes.io/not-ready"'
CT=application/merge-patch+json api admin PATCH /api/v1/nodes/smoke-gpu-1 \
  '{"spec":{"taints":[{"key":"nvidia.com/gpu","value":"present","effect":"NoSchedule"},{"key":"dedicated","value":"seldon","effect":"NoExecute"}]}}'
check "a patch can drop the not-ready taint" code_and_body 200 '"key":"dedicated"'
api admin GET /api/v1/nodes/smoke-gpu-1
check "not-ready taint stays removed" body_lacks node.kubernetes.io/not-ready
check "node keeps its taints" body_has_all '"key":"nvidia.com/gpu"' '"effect":"NoExecute"' '"pool":"gpu"'
CT=application/merge-patch+json api admin PATCH /api/v1/nodes/smoke-gpu-1/status \
  '{"status":{"capacity":{"cpu":"8","memory":"32Gi","nvidia.com/gpu":"4","pods":"110"},"allocatable":{"cpu":"8","memory":"32Gi","nvidia.com/gpu":"4","pods":"110"}}}'
check "patch node status (allocatable GPUs)" code_and_body 200 '"nvidia.com/gpu":"4"'

echo "== pods"
api admin POST "/api/v1/namespaces/$NS/pods" '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bound"},
 "spec":{"nodeName":"smoke-gpu-1","tolerations":[{"key":"nvidia.com/gpu","operator":"Exists"}],
 "containers":[{"name":"c","image":"example.invalid/model:1","resources":{"limits":{"nvidia.com/gpu":"1"}}}]}}'
check "create a pod bound to the node (no ServiceAccount admission)" code_is 201
api admin DELETE "/api/v1/namespaces/$NS/pods/bound" '{"apiVersion":"v1","kind":"DeleteOptions","gracePeriodSeconds":0}'
check "delete bound pod with gracePeriodSeconds=0" code_is 200
api admin GET "/api/v1/namespaces/$NS/pods/bound"
check "bound pod is gone" code_is 404

echo "== CRD"
CRD='{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.smoke.placecheck.invalid"},
 "spec":{"group":"smoke.placecheck.invalid","scope":"Namespaced","names":{"plural":"widgets","singular":"widget","kind":"Widget"},
 "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{
   "spec":{"type":"object","properties":{"replicas":{"type":"integer"}}}}}}}]}}'
api admin POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions "$CRD"
check "create CRD" code_is 201
established() {
  api admin GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.smoke.placecheck.invalid
  body_has '"type":"Established","status":"True"'
}
est=no
for _ in $(seq 1 80); do if established; then est=yes; break; fi; sleep 0.25; done
check "CRD becomes Established" [ "$est" = yes ]
check "custom resource can be created" api_until 20 201 admin POST "/apis/smoke.placecheck.invalid/v1/namespaces/$NS/widgets" \
  '{"apiVersion":"smoke.placecheck.invalid/v1","kind":"Widget","metadata":{"name":"w1"},"spec":{"replicas":3}}'
api admin GET "/apis/smoke.placecheck.invalid/v1/namespaces/$NS/widgets"
check "list custom resources" code_and_body 200 '"name":"w1"'
api admin GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions
check "list CRDs" body_has widgets.smoke.placecheck.invalid

echo "== events"
# event JSON: name regarding-kind regarding-name regarding-namespace(or empty) [apiVersion of regarding]
event() {
  local now ns=""
  now=$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)
  [[ -n $4 ]] && ns=",\"namespace\":\"$4\""
  printf '{"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"%s"},"eventTime":"%s",%s}' "$1" "$now" \
    "\"reportingController\":\"placecheck.invalid/auditor\",\"reportingInstance\":\"placecheck-smoke\",\"action\":\"Audit\",
     \"reason\":\"PlacementViolation\",\"type\":\"Warning\",\"note\":\"smoke test event\",
     \"regarding\":{\"apiVersion\":\"${5:-v1}\",\"kind\":\"$2\",\"name\":\"$3\"$ns}"
}
# Events about cluster-scoped objects (Nodes) must live in namespace "default".
api admin POST /apis/events.k8s.io/v1/namespaces/default/events "$(event smoke-node-ev Node smoke-gpu-1 "")"
check "create events.k8s.io/v1 Event about a Node in namespace default" code_is 201
api admin POST "/apis/events.k8s.io/v1/namespaces/$NS/events" "$(event smoke-node-ev-wrong-ns Node smoke-gpu-1 "")"
check "an Event about a Node outside namespace default is rejected (422)" code_is 422
api admin POST "/apis/events.k8s.io/v1/namespaces/$NS/events" \
  "$(event smoke-widget-ev Widget w1 "$NS" smoke.placecheck.invalid/v1)"
check "create events.k8s.io/v1 Event about a namespaced custom resource" code_is 201
api admin GET /apis/events.k8s.io/v1/namespaces/default/events
check "list events.k8s.io/v1 Events" code_and_body 200 '"name":"smoke-node-ev"' PlacementViolation
api admin GET "/api/v1/namespaces/$NS/events?fieldSelector=involvedObject.name%3Dw1"
check "same Event visible through core/v1 with a field selector" code_and_body 200 smoke-widget-ev

echo "== streaming list (needs etcd RequestWatchProgress)"
CODE=$(curl -sS --max-time 15 --cacert "$WORK/admin.ca" --cert "$WORK/admin.crt" --key "$WORK/admin.key" \
  -o "$WORK/body" -w '%{http_code}' \
  "$SERVER/api/v1/nodes?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=2") ||
  CODE=000
check "watch with sendInitialEvents=true ends its initial list with a bookmark" \
  code_and_body 200 k8s.io/initial-events-end smoke-gpu-1

echo "== least privilege (user placecheck-test)"
api restricted GET /api/v1/nodes
check "restricted user cannot list nodes before a binding" code_is 403
api restricted POST /apis/authentication.k8s.io/v1/selfsubjectreviews '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}'
check "restricted user is placecheck-test with no groups but system:authenticated" \
  body_has '"username":"placecheck-test","groups":\["system:authenticated"\]'
api admin POST /apis/rbac.authorization.k8s.io/v1/clusterroles '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole",
 "metadata":{"name":"smoke-node-reader"},"rules":[{"apiGroups":[""],"resources":["nodes"],"verbs":["get","list","watch"]}]}'
check "create ClusterRole" code_is 201
api admin POST /apis/rbac.authorization.k8s.io/v1/clusterrolebindings '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding",
 "metadata":{"name":"smoke-node-reader"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"smoke-node-reader"},
 "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"placecheck-test"}]}'
check "bind it to placecheck-test" code_is 201
check "restricted user can list nodes once bound" api_until 20 200 restricted GET /api/v1/nodes
api restricted DELETE /api/v1/nodes/smoke-cpu-1
check "restricted user still cannot delete nodes" code_is 403
api restricted GET "/api/v1/namespaces/$NS/pods"
check "restricted user cannot list pods" code_is 403

echo "== resource use"
state=$PLACECHECK_TESTENV_STATE
for n in kube-apiserver etcd; do
  printf '%s: %s\n' "$n" "$(grep -E '^(VmRSS|VmHWM)' "/proc/$(cat "$state/$n.pid")/status" | tr -s ' \t\n' ' ')"
done
echo "start-up to ready: $(cat "$state/startup-seconds") s"

echo "== stop"
pids="$(cat "$state/kube-apiserver.pid") $(cat "$state/etcd.pid")"
"$TESTENV" stop
gone=yes
for p in $pids; do kill -0 "$p" 2>/dev/null && gone=no; done
check "stop ends both processes" [ "$gone" = yes ]
check "stop removes the state dir" [ ! -e "$state" ]
env_fails() { ! "$TESTENV" env 2>/dev/null; }
check "env fails when nothing runs" env_fails

echo
echo "smoke: $passed passed, $failed failed"
[[ $failed == 0 ]]
