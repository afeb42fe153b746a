#!/usr/bin/env bash
# testenv.sh — a real kube-apiserver + etcd on loopback for placecheck's integration tests,
# run like controller-runtime's envtest, with both binaries built from the Go module proxy.
#
#   scripts/testenv.sh build   build kube-apiserver + etcd into $PLACECHECK_TESTENV_DIR/bin (no-op when current)
#   scripts/testenv.sh start   build if needed, start etcd + kube-apiserver, print `export KUBECONFIG=...`
#   scripts/testenv.sh stop    stop both and remove the state dir
#   scripts/testenv.sh env     print the KUBECONFIG export of the running instance
#   scripts/testenv.sh status  exit 0 when running and healthy
#   scripts/testenv.sh clean   stop, then delete the cache dir (binaries, Go caches; ~3.3 GB)
#
# See docs/test-cluster.md for how it works and what it costs.
set -euo pipefail

K8S_VERSION=${PLACECHECK_K8S_VERSION:-v1.36.3}
ETCD_VERSION=${PLACECHECK_ETCD_VERSION:-v3.6.8}
DIR=${PLACECHECK_TESTENV_DIR:-${HOME:-/root}/.cache/placecheck-testenv}
STATE=${PLACECHECK_TESTENV_STATE:-/tmp/placecheck-testenv}
START_TIMEOUT=${PLACECHECK_TESTENV_START_TIMEOUT:-120}
# Go build parallelism; the machine has 2 cores shared with other builds.
GO_PARALLEL=${PLACECHECK_TESTENV_GO_P:-2}

BIN=$DIR/bin
STAMP=$BIN/VERSION
PKI=$STATE/pki
MARKER=.placecheck-testenv

log() { printf 'testenv: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The stamp names everything that changes the binaries.
stamp_text() {
  printf 'kube-apiserver=%s\netcd=%s\n' "$K8S_VERSION" "$ETCD_VERSION"
}

binaries_current() {
  [[ -x $BIN/kube-apiserver && -x $BIN/etcd && -f $STAMP ]] && [[ "$(cat "$STAMP")" == "$(stamp_text)" ]]
}

# Run a go command with the testenv's own caches, at low priority, with bounded parallelism.
# Uses /usr/bin/time -v when present so the cost of each step lands in $DIR/logs.
gorun() {
  local timelog=$1; shift
  local -a cmd=(nice -n 19 env
    GOMODCACHE="$DIR/go/mod" GOCACHE="$DIR/go/cache" GOFLAGS="-p=$GO_PARALLEL -buildvcs=false"
    CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" go "$@")
  if [[ -n $timelog && -x /usr/bin/time ]]; then
    /usr/bin/time -v -o "$timelog" "${cmd[@]}"
  else
    "${cmd[@]}"
  fi
}

build_kube_apiserver() {
  local w=$DIR/src/kube-apiserver-$K8S_VERSION
  local staging=v0.${K8S_VERSION#v1.}            # v1.36.3 -> v0.36.3
  local minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  rm -rf "$w"; mkdir -p "$w"
  (
    cd "$w"
    local setup=$DIR/logs/kube-apiserver.setup.log
    : >"$setup"
    gorun "" mod init local.invalid/placecheck-testenv/kube-apiserver 2>>"$setup"
    # The published k8s.io/kubernetes go.mod requires every staging module at the non-existent v0.0.0;
    # each of those needs a replace to its published twin. Generate the list, never hard-code it.
    local kmod
    kmod=$(gorun "" mod download -json "k8s.io/kubernetes@$K8S_VERSION" 2>>"$setup" | sed -nE 's/^[[:space:]]*"GoMod": "(.*)",?$/\1/p')
    [[ -f $kmod ]] || die "could not fetch the go.mod of k8s.io/kubernetes@$K8S_VERSION"
    local goline
    goline=$(sed -nE 's/^go ([0-9.]+)$/\1/p' "$kmod")
    local -a edits=(-go="$goline" -require="k8s.io/kubernetes@$K8S_VERSION")
    # Keep the GODEBUG defaults identical to upstream's binary.
    if grep -qE '^godebug default=' "$kmod"; then
      edits+=(-godebug="$(sed -nE 's/^godebug (default=[^[:space:]]+).*/\1/p' "$kmod")")
    fi
    local m n=0
    while read -r m; do
      edits+=(-replace="$m=$m@$staging"); n=$((n + 1))
    done < <(sed -nE 's#^[[:space:]]*(k8s\.io/[A-Za-z0-9._/-]+) v0\.0\.0([[:space:]]*//.*)?[[:space:]]*$#\1#p' "$kmod" | sort -u)
    (( n > 0 )) || die "found no v0.0.0 staging requirements in $kmod"
    log "kube-apiserver $K8S_VERSION: $n staging replaces at $staging"
    gorun "" mod edit "${edits[@]}"
    log "resolving modules (log $setup)"
    gorun "" get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" >>"$setup" 2>&1 ||
      { tail -30 "$setup" >&2; exit 1; }
    # Same version stamps as upstream's hack/lib/version.sh, so /version reports the real version.
    local ld="-s -w" p
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ld+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
      ld+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
    done
    log "compiling kube-apiserver (cold: ~5-10 min on 2 cores; log $DIR/logs/kube-apiserver.build.log)"
    gorun "$DIR/logs/kube-apiserver.time" build -mod=mod -trimpath -tags=selinux,notest,grpcnotrace \
      -ldflags "$ld" -o "$BIN/kube-apiserver.new" k8s.io/kubernetes/cmd/kube-apiserver \
      >"$DIR/logs/kube-apiserver.build.log" 2>&1 || { tail -50 "$DIR/logs/kube-apiserver.build.log" >&2; exit 1; }
  )
  mv -f "$BIN/kube-apiserver.new" "$BIN/kube-apiserver"
}

build_etcd() {
  local w=$DIR/src/etcd-$ETCD_VERSION
  rm -rf "$w"; mkdir -p "$w"
  (
    cd "$w"
    local setup=$DIR/logs/etcd.setup.log
    : >"$setup"
    gorun "" mod init local.invalid/placecheck-testenv/etcd 2>>"$setup"
    # go.etcd.io/etcd/server/v3 is package main (the etcd binary); its sibling modules are all
    # published at the same version, so the wrapper needs no replaces.
    gorun "" get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >>"$setup" 2>&1 || { tail -30 "$setup" >&2; exit 1; }
    log "compiling etcd $ETCD_VERSION (log $DIR/logs/etcd.build.log)"
    gorun "$DIR/logs/etcd.time" build -mod=mod -trimpath \
      -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION" \
      -o "$BIN/etcd.new" go.etcd.io/etcd/server/v3 \
      >"$DIR/logs/etcd.build.log" 2>&1 || { tail -50 "$DIR/logs/etcd.build.log" >&2; exit 1; }
  )
  mv -f "$BIN/etcd.new" "$BIN/etcd"
}

cmd_build() {
  if binaries_current; then
    log "binaries up to date in $BIN ($(paste -sd ' ' "$STAMP"))"
    return 0
  fi
  command -v go >/dev/null || die "go is not installed (need Go >= 1.26)"
  mkdir -p "$BIN" "$DIR/logs" "$DIR/src"
  lock "$DIR/.lock" 8
  local avail_kb
  avail_kb=$(df -Pk "$DIR" | awk 'NR == 2 { print $4 }')
  if [[ $avail_kb =~ ^[0-9]+$ ]] && (( avail_kb < 4 * 1024 * 1024 )); then
    log "warning: only $((avail_kb / 1024)) MiB free in $DIR; a cold build needs ~3.5 GB"
  fi
  if binaries_current; then   # another process built them while we waited
    log "binaries up to date in $BIN"
    return 0
  fi
  rm -f "$STAMP"
  local t0=$SECONDS
  if [[ ! -x $BIN/kube-apiserver ]] || ! "$BIN/kube-apiserver" --version 2>/dev/null | grep -qx "Kubernetes $K8S_VERSION"; then
    build_kube_apiserver
  fi
  if [[ ! -x $BIN/etcd ]] || ! "$BIN/etcd" --version 2>/dev/null | grep -q "^etcd Version: ${ETCD_VERSION#v}$"; then
    build_etcd
  fi
  "$BIN/kube-apiserver" --version | grep -qx "Kubernetes $K8S_VERSION" || die "built kube-apiserver reports the wrong version"
  "$BIN/etcd" --version | grep -q "^etcd Version: ${ETCD_VERSION#v}$" || die "built etcd reports the wrong version"
  stamp_text >"$STAMP"
  log "built in $((SECONDS - t0)) s: $("$BIN/kube-apiserver" --version), etcd $ETCD_VERSION -> $BIN"
}

# ---------------------------------------------------------------------------------------------------
# run time

# Take an exclusive lock on file $1 through fd $2 for the rest of the calling shell.
# start/stop lock $STATE.lock on fd 9; build locks $DIR/.lock on fd 8 (two concurrent builds would clash).
lock() {
  command -v flock >/dev/null || return 0
  mkdir -p "$(dirname "$1")"
  eval "exec $2>\"\$1\""
  flock -w 3600 "$2" || die "timed out waiting for lock $1"
}

# Listening TCP ports on this machine (decimal), from /proc so no ss/netstat is needed.
listening_ports() {
  local f addr st
  for f in /proc/net/tcp /proc/net/tcp6; do
    [[ -r $f ]] || continue
    while read -r _ addr _ st _; do
      [[ $st == 0A ]] && echo $((16#${addr##*:}))
    done < <(tail -n +2 "$f")
  done
}

# Print N distinct free ports. They are picked below the kernel's ephemeral range: kube-apiserver opens
# dozens of etcd client connections (ephemeral local ports) before it binds its own port, so a port from
# that range can be taken by the time it listens. start also retries on "address already in use".
free_ports() {
  local want=$1 used p lo=32768 hi=60999 min=10000 max got=()
  if [[ -r /proc/sys/net/ipv4/ip_local_port_range ]]; then
    read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
  fi
  max=$((lo - 1))
  if (( max - min < 1000 )); then   # unusual ephemeral range: use the ports above it, or any
    if (( hi < 64535 )); then min=$((hi + 1)); max=65535; else min=10000; max=65535; fi
  fi
  used=" $(listening_ports | tr '\n' ' ') "
  while (( ${#got[@]} < want )); do
    p=$((min + (RANDOM * 32768 + RANDOM) % (max - min + 1)))
    [[ $used == *" $p "* ]] && continue
    used+="$p "
    got+=("$p")
  done
  echo "${got[@]}"
}

ensure_tools() {
  local missing=()
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)
  (( ${#missing[@]} == 0 )) && return 0
  # Debian packages are the one allowed source besides the Go proxy; install only when we can.
  if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    log "installing ${missing[*]} with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    die "missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]})"
  fi
}

# Certificates: one CA signs the serving cert and the client certs (kube-apiserver --client-ca-file).
# RSA keys in PKCS#8 PEM for the broadest client support (kube-rs with rustls or openssl, curl, kubectl).
gen_certs() {
  mkdir -p "$PKI"
  (
    cd "$PKI"
    umask 077
    key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }
    sign() { # name subject extfile
      openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
        -extfile "$3" -out "$1.crt" 2>/dev/null
      rm -f "$1.csr"
    }
    key ca.key
    printf '%s\n' 'basicConstraints=critical,CA:TRUE' 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature' \
      'subjectKeyIdentifier=hash' >ca.ext
    openssl req -new -key ca.key -subj "/CN=placecheck-testenv-ca" -out ca.csr 2>/dev/null
    openssl x509 -req -in ca.csr -signkey ca.key -days 3650 -sha256 -extfile ca.ext -out ca.crt 2>/dev/null
    rm -f ca.csr
    printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'extendedKeyUsage=serverAuth' \
      'keyUsage=critical,digitalSignature,keyEncipherment' 'basicConstraints=CA:FALSE' >server.ext
    printf '%s\n' 'extendedKeyUsage=clientAuth' 'keyUsage=critical,digitalSignature,keyEncipherment' \
      'basicConstraints=CA:FALSE' >client.ext
    key apiserver.key; sign apiserver "/CN=kube-apiserver" server.ext
    # admin: group system:masters (bypasses RBAC). restricted: user placecheck-test, no groups
    # (it still gets the implicit system:authenticated group, i.e. discovery and self reviews only).
    key admin.key; sign admin "/O=system:masters/CN=placecheck-testenv-admin" client.ext
    key restricted.key; sign restricted "/CN=placecheck-test" client.ext
    key sa.key
    openssl pkey -in sa.key -pubout -out sa.pub 2>/dev/null
  )
}

b64() { base64 -w0 <"$1"; }

write_kubeconfig() { # file user certbase
  local tmp=$1.tmp
  cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: placecheck-testenv
  cluster:
    server: https://127.0.0.1:$KAS_PORT
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(b64 "$PKI/$3.crt")
    client-key-data: $(b64 "$PKI/$3.key")
contexts:
- name: placecheck-testenv
  context:
    cluster: placecheck-testenv
    user: $2
    namespace: default
current-context: placecheck-testenv
EOF
  chmod 600 "$tmp"
  mv -f "$tmp" "$1"
}

# curl as admin against the apiserver.
kcurl() {
  curl -fsS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$@"
}

# pid from $STATE/$1.pid if that process is alive and is our binary.
live_pid() {
  local f=$STATE/$1.pid pid exe
  [[ -f $f ]] || return 1
  pid=$(cat "$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  [[ -z $exe || $exe == "$BIN/$1" || $exe == "$BIN/$1 (deleted)" ]] || return 1
  echo "$pid"
}

load_ports() {
  [[ -f $STATE/ports.env ]] || return 1
  # shellcheck source=/dev/null
  . "$STATE/ports.env"
}

healthy() {
  load_ports 2>/dev/null || return 1
  live_pid etcd >/dev/null && live_pid kube-apiserver >/dev/null || return 1
  [[ -f $STATE/kubeconfig && -f $STATE/kubeconfig-restricted ]] || return 1
  kcurl "https://127.0.0.1:$KAS_PORT/readyz" >/dev/null 2>&1
}

print_env() {
  echo "export KUBECONFIG=$STATE/kubeconfig"
  echo "export PLACECHECK_TESTENV_KUBECONFIG_RESTRICTED=$STATE/kubeconfig-restricted"
}

now_ms() { date +%s%3N; }

# wait_for DESCRIPTION TIMEOUT PID-NAME COMMAND...: poll COMMAND until it succeeds.
# Returns 1 on timeout or when the process died, 2 when it died because its port was taken.
wait_for() {
  local what=$1 timeout=$2 pname=$3; shift 3
  local deadline=$(( $(now_ms) + timeout * 1000 ))
  until "$@" >/dev/null 2>&1; do
    if ! live_pid "$pname" >/dev/null; then
      if grep -q 'address already in use' "$STATE/$pname.log" 2>/dev/null; then
        log "$pname could not bind its port (address already in use)"
        return 2
      fi
      log "$pname exited while waiting for $what; its errors / last log lines:"
      { grep -E '^[EF][0-9]{4} |"level":"(error|fatal|panic)"' "$STATE/$pname.log" | tail -20
        tail -15 "$STATE/$pname.log"; } >&2 || true
      return 1
    fi
    if (( $(now_ms) > deadline )); then
      log "timed out after ${timeout}s waiting for $what; last $pname log lines:"
      tail -40 "$STATE/$pname.log" >&2 || true
      return 1
    fi
    sleep 0.25
  done
}

# Kill what launch started (no state-dir removal); used between port retries.
kill_servers() {
  local name pid
  for name in kube-apiserver etcd; do
    pid=$(live_pid "$name") || continue
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  done
  rm -f "$STATE"/*.pid
}

# Start etcd and kube-apiserver on fresh ports and wait until they serve.
# Returns 0 when ready, 2 on a port clash (caller retries), 1 otherwise.
launch() {
  local rc=0
  read -r ETCD_PORT ETCD_PEER_PORT KAS_PORT <<<"$(free_ports 3)"
  printf 'ETCD_PORT=%s\nETCD_PEER_PORT=%s\nKAS_PORT=%s\n' "$ETCD_PORT" "$ETCD_PEER_PORT" "$KAS_PORT" >"$STATE/ports.env"
  rm -rf "$STATE/etcd"

  # setsid + all fds redirected: the servers outlive this script and never hold the caller's pipes
  # nor our lock fds (8, 9) — an inherited lock fd would keep the lock held while the servers live.
  setsid "$BIN/etcd" --name=placecheck-testenv --data-dir="$STATE/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="placecheck-testenv=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync=true --log-level=warn \
    </dev/null >"$STATE/etcd.log" 2>&1 8>&- 9>&- &
  echo $! >"$STATE/etcd.pid"
  disown
  wait_for "etcd /health" 30 etcd curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" || return $?

  setsid "$BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$KAS_PORT" \
    --cert-dir="$STATE/kas-certs" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --service-cluster-ip-range=10.0.0.0/24 \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --authorization-mode=RBAC \
    --allow-privileged=true \
    --disable-admission-plugins=ServiceAccount \
    --profiling=false --v=1 \
    </dev/null >"$STATE/kube-apiserver.log" 2>&1 8>&- 9>&- &
  echo $! >"$STATE/kube-apiserver.pid"
  disown

  wait_for "kube-apiserver /readyz" "$START_TIMEOUT" kube-apiserver \
    kcurl "https://127.0.0.1:$KAS_PORT/readyz" || rc=$?
  if (( rc != 0 )); then
    (( rc == 1 )) && { kcurl "https://127.0.0.1:$KAS_PORT/readyz?verbose" >&2 || true; }
    return "$rc"
  fi
  # What envtest does after /readyz: the "default" namespace is created by a controller in the apiserver.
  wait_for "namespace default" 60 kube-apiserver \
    kcurl "https://127.0.0.1:$KAS_PORT/api/v1/namespaces/default"
}

cmd_start() {
  lock "$STATE.lock" 9
  if healthy; then
    log "already running (kube-apiserver https://127.0.0.1:$KAS_PORT)"
    print_env
    return 0
  fi
  if [[ -e $STATE ]]; then
    log "found a stale or unhealthy instance in $STATE; stopping it"
    stop_instance
  fi
  ( cmd_build )
  ensure_tools

  local t0 attempt rc
  t0=$(now_ms)
  mkdir -p "$STATE"
  chmod 700 "$STATE"
  touch "$STATE/$MARKER"
  gen_certs
  for attempt in 1 2 3 4 5; do
    rc=0
    launch || rc=$?
    (( rc == 0 )) && break
    (( rc == 2 && attempt < 5 )) || fail_start
    log "retrying with other ports (attempt $((attempt + 1)))"
    kill_servers
  done

  write_kubeconfig "$STATE/kubeconfig" placecheck-testenv-admin admin
  write_kubeconfig "$STATE/kubeconfig-restricted" placecheck-test restricted
  local ms=$(( $(now_ms) - t0 ))
  printf '%d.%03d\n' $((ms / 1000)) $((ms % 1000)) >"$STATE/startup-seconds"
  log "ready in $(cat "$STATE/startup-seconds") s (etcd client $ETCD_PORT, peer $ETCD_PEER_PORT," \
    "kube-apiserver $KAS_PORT; state $STATE)"
  print_env
}

# A start failed: keep the logs (the state dir is removed), then stop.
fail_start() {
  mkdir -p "$DIR/logs"
  local f
  for f in "$STATE"/*.log; do
    [[ -f $f ]] && cp -f "$f" "$DIR/logs/failed-start-$(basename "$f")"
  done
  log "start failed; logs kept in $DIR/logs/failed-start-*.log"
  stop_instance
  exit 1
}

# Stop both servers (SIGTERM, then SIGKILL after 20 s) and remove the state dir.
stop_instance() {
  local name pid
  for name in kube-apiserver etcd; do
    pid=$(live_pid "$name") || continue
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 80; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name ($pid) ignored SIGTERM; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  if [[ -d $STATE ]]; then
    # Only ever delete a directory this script created.
    if [[ -f $STATE/$MARKER ]]; then
      rm -rf "$STATE"
    else
      die "$STATE exists but was not created by testenv.sh (no $MARKER); not removing it"
    fi
  fi
}

cmd_stop() {
  lock "$STATE.lock" 9
  if [[ ! -e $STATE ]]; then
    log "not running"
    return 0
  fi
  stop_instance
  log "stopped; removed $STATE"
}

cmd_clean() {
  cmd_stop
  [[ -d $DIR ]] || return 0
  [[ -d $DIR/bin || -d $DIR/go ]] || die "$DIR does not look like a testenv cache dir; not removing it"
  chmod -R u+w "$DIR" 2>/dev/null || true   # the Go module cache is read-only
  rm -rf "$DIR"
  log "removed $DIR"
}

cmd_env() {
  healthy || die "no healthy instance in $STATE (run: scripts/testenv.sh start)"
  print_env
}

cmd_status() {
  if healthy; then
    log "running: kube-apiserver https://127.0.0.1:$KAS_PORT (pid $(live_pid kube-apiserver)), etcd 127.0.0.1:$ETCD_PORT (pid $(live_pid etcd))"
  else
    log "not running"
    return 1
  fi
}

main() {
  local sub=${1:-}
  case $sub in
    build) cmd_build ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    env) cmd_env ;;
    status) cmd_status ;;
    clean) cmd_clean ;;
    *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
}

main "$@"
