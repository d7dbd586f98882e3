#!/usr/bin/env bash
# Starts a local Kubernetes control plane on loopback from the binaries that
# build.sh made: etcd, kube-apiserver (RBAC, TLS, service-account signing),
# kube-controller-manager and kube-scheduler, each as a plain process on free
# ports of 127.0.0.1. No kubelet: Pods are created and scheduled nowhere, but
# every controller (Deployments, ReplicaSets, garbage collection, namespaces,
# service accounts, ...) runs for real.
#
#     up.sh [--node]
#
# --node adds one real node (node.sh; needs root): containerd + runc, a CNI
# bridge 10.244.0.1/24, the kubelet, kube-proxy and CoreDNS (cluster names
# only), a locally built pause image, the local registry on 127.0.0.1:5000
# (scripts/local-registry.sh) and a default StorageClass of hostPath volumes.
# The API server then listens on the bridge address, so pods reach it.
# down.sh stops the node and restores the host.
#
# Prints the kubeconfig path on stdout (and nothing else), so:
#     export KUBECONFIG="$(e2e/cluster/up.sh)"
#     kubectl get --raw /readyz
#     e2e/cluster/down.sh
#
# State (certificates, kubeconfigs, etcd data, logs, pids, ports) lives in
#   ${MODELSHIP_CLUSTER_DIR:-~/.modelship/cluster}
# and is started afresh each time: the etcd data of a previous run is removed.
# Binaries come from ${MODELSHIP_K8S_BIN_DIR}, by default build.sh's output
# ~/.kubeapitest/k8s/1.34.4-linux-amd64 (honours KUBE_API_TEST_DIR).
#
# Environment: MODELSHIP_CLUSTER_DIR, MODELSHIP_K8S_BIN_DIR, KUBE_API_TEST_DIR,
#   MODELSHIP_CLUSTER_TIMEOUT (seconds to wait for readiness, default 120).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=node.sh
source "$here/node.sh"

with_node=0
for arg in "$@"; do
  case "$arg" in
    --node) with_node=1 ;;
    -h|--help) sed -n '2,30p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument: $arg" ;;
  esac
done

timeout_s="${MODELSHIP_CLUSTER_TIMEOUT:-120}"

for b in "${components[@]}" kubectl; do
  [[ -x "$bin_dir/$b" ]] || die "missing $bin_dir/$b: run e2e/cluster/build.sh first"
done
command -v openssl >/dev/null || die "openssl is needed (apt-get install openssl)"
command -v curl >/dev/null || die "curl is needed (apt-get install curl)"
[[ $with_node -eq 0 ]] || node_check_host

# Refuse to start a second control plane over a running one, or over a node not yet taken down.
[[ ! -d "$node_state" ]] || die "$node_state exists: run e2e/cluster/down.sh first"
if [[ -d "$cluster_dir/run" ]]; then
  for c in "${components[@]}" "${node_components[@]}"; do
    pid="$(cat "$cluster_dir/run/$c.pid" 2>/dev/null || true)"
    if [[ -n "$pid" ]] && pid_is "$pid" "$c"; then
      die "a control plane is already running from $cluster_dir ($c pid $pid): run e2e/cluster/down.sh first"
    fi
  done
fi

mkdir -p "$cluster_dir"
! awk -v p="$cluster_dir/" 'index($2, p) == 1 {found=1} END {exit !found}' /proc/mounts \
  || die "something is still mounted under $cluster_dir: run e2e/cluster/down.sh first"
rm -rf "$cluster_dir/etcd-data" "$cluster_dir/run" "$cluster_dir/logs" \
       "$cluster_dir/pki" "$cluster_dir/cert-dir"
mkdir -p "$cluster_dir/run" "$cluster_dir/logs" "$cluster_dir/pki" "$cluster_dir/cert-dir"
chmod 700 "$cluster_dir/pki"
pki="$cluster_dir/pki"
kubectl="$bin_dir/kubectl"

# If anything below fails, stop what was started.
started=0
cleanup_on_error() {
  local rc=$?
  if [[ $rc -ne 0 ]]; then
    log "start failed (exit $rc); last log lines:"
    for c in "${components[@]}"; do
      [[ -s "$cluster_dir/logs/$c.log" ]] || continue
      printf -- '--- %s ---\n' "$c" >&2
      tail -n 15 "$cluster_dir/logs/$c.log" >&2
    done
    if [[ $started -eq 1 ]]; then
      MODELSHIP_CLUSTER_DIR="$cluster_dir" bash "$here/down.sh" >&2 || true
    fi
  fi
}
trap cleanup_on_error EXIT

# ---------------------------------------------------------------- ports
picked=()   # pick_port runs in $(...), so the caller records each pick
pick_port() {
  local p
  for _ in $(seq 1 200); do
    # below the ephemeral range (32768+), so clients' outgoing ports don't take it
    p=$(( 20000 + (RANDOM % 12000) ))
    [[ " ${picked[*]-} " == *" $p "* ]] && continue
    port_in_use "$p" && continue
    echo "$p"; return 0
  done
  die "no free port found"
}
etcd_port=$(pick_port); picked+=("$etcd_port")
etcd_peer_port=$(pick_port); picked+=("$etcd_peer_port")
apiserver_port=$(pick_port); picked+=("$apiserver_port")
kcm_port=$(pick_port); picked+=("$kcm_port")
scheduler_port=$(pick_port); picked+=("$scheduler_port")
COREDNS_HEALTH_PORT=$(pick_port); picked+=("$COREDNS_HEALTH_PORT")
COREDNS_READY_PORT=$(pick_port); picked+=("$COREDNS_READY_PORT")

# With a node, the API server listens on the node's bridge address, where pods reach it.
api_address=127.0.0.1
if [[ $with_node -eq 1 ]]; then
  node_record_host
  started=1   # from here on, a failure runs down.sh, which restores the host
  node_network_up
  api_address="$node_ip"
fi

# ---------------------------------------------------------------- certificates
log "generating certificates and service-account keys in $pki"
ossl() { openssl "$@" 2>>"$cluster_dir/logs/openssl.log"; }
ossl req -x509 -newkey rsa:2048 -nodes -days 365 -sha256 \
  -keyout "$pki/ca.key" -out "$pki/ca.crt" -subj "/CN=modelship-local-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

# $1 name, $2 subject, $3 extendedKeyUsage, $4 subjectAltName (optional)
issue() {
  local name="$1" subj="$2" eku="$3" san="${4:-}" ext="$pki/$1.ext"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [[ -n "$san" ]] && echo "subjectAltName=$san"
  } > "$ext"
  ossl req -new -newkey rsa:2048 -nodes -keyout "$pki/$name.key" -out "$pki/$name.csr" -subj "$subj"
  local ca="${CA:-ca}"
  ossl x509 -req -in "$pki/$name.csr" -CA "$pki/$ca.crt" -CAkey "$pki/$ca.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$ext" -out "$pki/$name.crt"
  rm -f "$pki/$name.csr" "$ext"
}
# The aggregation layer's front proxy has a CA of its own, as kubeadm sets up;
# the API server publishes it in kube-system/extension-apiserver-authentication,
# where the controller-manager and the scheduler look for it.
ossl req -x509 -newkey rsa:2048 -nodes -days 365 -sha256 \
  -keyout "$pki/front-proxy-ca.key" -out "$pki/front-proxy-ca.crt" -subj "/CN=modelship-front-proxy-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
issue apiserver "/CN=kube-apiserver" serverAuth \
  "IP:127.0.0.1,IP:10.0.0.1,IP:$node_ip,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
issue admin "/O=system:masters/CN=modelship-admin" clientAuth
CA=front-proxy-ca issue front-proxy-client "/CN=front-proxy-client" clientAuth
issue controller-manager "/CN=system:kube-controller-manager" clientAuth
issue scheduler "/CN=system:kube-scheduler" clientAuth
# The key pair that signs and verifies service-account tokens.
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/sa.key"
ossl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"

# ---------------------------------------------------------------- kubeconfigs
server="https://$api_address:$apiserver_port"
write_kubeconfig() {
  local file="$1" user="$2"
  cat > "$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: modelship-local
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 < "$pki/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 < "$pki/$user.crt")
    client-key-data: $(base64 -w0 < "$pki/$user.key")
contexts:
- name: modelship-local
  context:
    cluster: modelship-local
    user: $user
    namespace: default
current-context: modelship-local
EOF
  chmod 600 "$file"
}
write_kubeconfig "$cluster_dir/kubeconfig" admin
write_kubeconfig "$cluster_dir/controller-manager.kubeconfig" controller-manager
write_kubeconfig "$cluster_dir/scheduler.kubeconfig" scheduler
[[ $with_node -eq 0 ]] || node_certificates

# ---------------------------------------------------------------- processes
# $1 component, $2 its binary, rest: arguments. The process gets its own session
# (setsid without a fork, so $! is the component's own pid) and survives the caller.
start_binary() {
  local c="$1" binary="$2"; shift 2
  ( exec setsid "$binary" "$@" </dev/null >>"$cluster_dir/logs/$c.log" 2>&1 ) &
  local pid=$!
  echo "$pid" > "$cluster_dir/run/$c.pid"
  started=1
  for _ in $(seq 1 50); do   # until the exec into the binary is done
    pid_is "$pid" "$c" && break
    kill -0 "$pid" 2>/dev/null || die "$c exited at once (see $cluster_dir/logs/$c.log)"
    sleep 0.1
  done
  pid_is "$pid" "$c" || die "pid $pid is not $c (see $cluster_dir/logs/$c.log)"
  log "started $c (pid $pid)"
}
# $1 component built by build.sh, rest: arguments.
start() { local c="$1"; shift; start_binary "$c" "$bin_dir/$c" "$@"; }

# $1 what, $2.. command that succeeds when ready
deadline=$(( SECONDS + timeout_s ))
wait_for() {
  local what="$1"; shift
  until "$@" >/dev/null 2>&1; do
    for c in "${components[@]}" "${node_components[@]}"; do
      local pid; pid="$(cat "$cluster_dir/run/$c.pid" 2>/dev/null || true)"
      [[ -z "$pid" ]] || pid_is "$pid" "$c" || die "$c (pid $pid) died while waiting for $what"
    done
    (( SECONDS < deadline )) || die "timed out after ${timeout_s}s waiting for $what"
    sleep 0.5
  done
  log "$what is ready"
}

cat > "$cluster_dir/run/cluster.env" <<EOF
# Written by up.sh; read by down.sh and the tests.
MODELSHIP_CLUSTER_DIR=$cluster_dir
MODELSHIP_K8S_BIN_DIR=$bin_dir
KUBECONFIG=$cluster_dir/kubeconfig
ETCD_PORT=$etcd_port
ETCD_PEER_PORT=$etcd_peer_port
APISERVER_PORT=$apiserver_port
CONTROLLER_MANAGER_PORT=$kcm_port
SCHEDULER_PORT=$scheduler_port
COREDNS_HEALTH_PORT=$COREDNS_HEALTH_PORT
COREDNS_READY_PORT=$COREDNS_READY_PORT
NODE=$( [[ $with_node -eq 1 ]] && echo "$node_name" )
EOF

start etcd \
  --name=modelship \
  --data-dir="$cluster_dir/etcd-data" \
  --listen-client-urls="http://127.0.0.1:$etcd_port" \
  --advertise-client-urls="http://127.0.0.1:$etcd_port" \
  --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" \
  --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster="modelship=http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster-state=new \
  --unsafe-no-fsync \
  --log-level=warn
wait_for "etcd" curl -fsS "http://127.0.0.1:$etcd_port/health"

# --endpoint-reconciler-type=none without a node: the API server would otherwise
# publish its advertise address (127.0.0.1) as the endpoint of the `kubernetes`
# Service, which Endpoints validation rejects for loopback, logging an error
# every 10s; no Pod runs, so nothing needs it. With a node, pods do: the
# bridge address is published (lease reconciler), and the API server speaks to
# the kubelet with a client certificate, by the node's InternalIP (its hostname
# would be resolved off the machine).
apiserver_node_flags=(--endpoint-reconciler-type=none)
if [[ $with_node -eq 1 ]]; then
  apiserver_node_flags=(
    --endpoint-reconciler-type=lease
    --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt"
    --kubelet-client-key="$pki/apiserver-kubelet-client.key"
    --kubelet-certificate-authority="$pki/ca.crt"
    --kubelet-preferred-address-types=InternalIP
  )
fi
# Service CIDR: a /16 (65k ClusterIPs; 10.0.0.1 stays the `kubernetes` Service, as in the serving
# certificate), so scale tests can create thousands of Services; a /24 holds 254.
start kube-apiserver \
  --bind-address="$api_address" \
  --advertise-address="$api_address" \
  --secure-port="$apiserver_port" \
  --etcd-servers="http://127.0.0.1:$etcd_port" \
  --cert-dir="$cluster_dir/cert-dir" \
  --tls-cert-file="$pki/apiserver.crt" \
  --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" \
  --authorization-mode=Node,RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" \
  --service-account-signing-key-file="$pki/sa.key" \
  --service-cluster-ip-range=10.0.0.0/16 \
  "${apiserver_node_flags[@]}" \
  --requestheader-client-ca-file="$pki/front-proxy-ca.crt" \
  --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User \
  --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="$pki/front-proxy-client.crt" \
  --proxy-client-key-file="$pki/front-proxy-client.key" \
  --allow-privileged=true \
  --profiling=false
wait_for "kube-apiserver /readyz" "$kubectl" --kubeconfig="$cluster_dir/kubeconfig" get --raw /readyz

start kube-controller-manager \
  --kubeconfig="$cluster_dir/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$cluster_dir/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$cluster_dir/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 \
  --secure-port="$kcm_port" \
  --cert-dir="$cluster_dir/cert-dir" \
  --leader-elect=false \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$pki/sa.key" \
  --root-ca-file="$pki/ca.crt" \
  --cluster-signing-cert-file="$pki/ca.crt" \
  --cluster-signing-key-file="$pki/ca.key" \
  --service-cluster-ip-range=10.0.0.0/16 \
  --cluster-name=modelship-local \
  --profiling=false

start kube-scheduler \
  --kubeconfig="$cluster_dir/scheduler.kubeconfig" \
  --authentication-kubeconfig="$cluster_dir/scheduler.kubeconfig" \
  --authorization-kubeconfig="$cluster_dir/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 \
  --secure-port="$scheduler_port" \
  --leader-elect=false \
  --profiling=false

wait_for "kube-controller-manager /healthz" curl -fsSk "https://127.0.0.1:$kcm_port/healthz"
wait_for "kube-scheduler /healthz" curl -fsSk "https://127.0.0.1:$scheduler_port/healthz"
# The service-account controller has done its first pass: controllers work.
wait_for "service account default/default" \
  "$kubectl" --kubeconfig="$cluster_dir/kubeconfig" -n default get serviceaccount default
wait_for "kube-apiserver /readyz" "$kubectl" --kubeconfig="$cluster_dir/kubeconfig" get --raw /readyz
[[ $with_node -eq 0 ]] || node_up

trap - EXIT
log "control plane up: Kubernetes v${K8S_VERSION} at $server (logs in $cluster_dir/logs)"
[[ $with_node -eq 0 ]] || log "node $node_name Ready at $node_ip (pods $pod_cidr, images from $node_registry)"
log "stop it with: $here/down.sh"
echo "$cluster_dir/kubeconfig"
