# One node for the local control plane: containerd + runc, a CNI bridge, the kubelet, kube-proxy
# and CoreDNS, each a host process like the control plane. Sourced by up.sh (--node) and down.sh,
# not run. Why each setting is what it is: README.md here ("A real node").
#
# Network: a bridge of our own (10.244.0.1/24) is the node's address; the API server binds there
# too, so pods reach it through the `kubernetes` Service. Nothing leaves the machine: no masquerade,
# pods may forward only onto the bridge, and CoreDNS answers cluster names only (no upstream).
#
# Everything it changes outside $cluster_dir is recorded in $node_state/host.env before the change,
# and node_down undoes exactly that: sysctls, the bridge, iptables chains, mounts, cgroups and the
# fixed paths the kubelet and containerd write to.
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this

node_name=modelship-node
node_bridge=msbr0
node_ip=10.244.0.1
pod_cidr=10.244.0.0/24
# The registry the node pulls from: scripts/local-registry.sh's, plain HTTP on loopback.
node_registry="${MODELSHIP_NODE_REGISTRY:-127.0.0.1:5000}"
node_state="$cluster_dir/node"
node_components=(containerd kubelet kube-proxy coredns)
# The kubelet, containerd and the CNI plugins write here whatever their settings say.
node_fixed_paths=(/var/lib/kubelet /var/log/containers /usr/libexec/kubernetes /var/lib/cni
                  /run/netns /run/containerd)
node_sysctls=(vm.overcommit_memory kernel.panic kernel.panic_on_oops net.ipv4.ip_forward
              net.bridge.bridge-nf-call-iptables)
# Fixed ports: the kubelet's (10250, healthz 10248) and kube-proxy's (healthz 10256, metrics 10249).
# (CoreDNS's 53 is bound on the bridge's address only, which no one else has.)
node_ports=(10250 10248 10256 10249)
egress_chain=MODELSHIP-NODE-EGRESS

node_check_host() {
  local tool
  [[ $(id -u) -eq 0 ]] || die "--node needs root (it runs containerd and the kubelet)"
  for tool in containerd containerd-shim-runc-v2 ctr iptables conntrack ip umoci skopeo docker-registry; do
    command -v "$tool" >/dev/null || die "$tool is missing: run scripts/setup.sh (it installs the node's Debian packages)"
  done
  [[ -x /usr/sbin/runc ]] || die "/usr/sbin/runc is missing: apt-get install runc"
  [[ -x /usr/lib/cni/bridge ]] || die "/usr/lib/cni/bridge is missing: apt-get install containernetworking-plugins"
  for tool in kubelet kube-proxy coredns pause; do
    [[ -x "$bin_dir/$tool" ]] || die "missing $bin_dir/$tool: run e2e/cluster/build.sh first"
  done
  local port
  for port in "${node_ports[@]}"; do
    ! port_in_use "$port" || die "port $port, which the node needs, is in use"
  done
  ! ip link show "$node_bridge" >/dev/null 2>&1 \
    || die "the bridge $node_bridge exists already: run e2e/cluster/down.sh first"
  ! ip route show | grep -q "^$pod_cidr " || die "$pod_cidr is routed on this host already"
}

# Records what the node will change, before it changes it (down.sh restores from this).
node_record_host() {
  mkdir -p "$node_state"
  local s p
  {
    for s in "${node_sysctls[@]}"; do echo "sysctl $s $(sysctl -n "$s")"; done
    for p in "${node_fixed_paths[@]}"; do [[ -e "$p" ]] || echo "created $p"; done
  } > "$node_state/host.env"
}

# The bridge first: the API server binds on its address.
node_network_up() {
  ip link add "$node_bridge" type bridge
  ip addr add "$node_ip/${pod_cidr#*/}" dev "$node_bridge"
  ip link set "$node_bridge" up
  sysctl -qw net.bridge.bridge-nf-call-iptables=1   # kube-proxy sees pod-to-pod Service traffic
  sysctl -qw net.ipv4.ip_forward=1
  # Pods may forward onto the bridge (to each other, to Services), never elsewhere.
  iptables -N "$egress_chain"
  iptables -A "$egress_chain" -o "$node_bridge" -j RETURN
  iptables -A "$egress_chain" -j DROP
  iptables -I FORWARD 1 -s "$pod_cidr" -j "$egress_chain"
}

# The node's identities, issued by the cluster CA with up.sh's issue(), and their kubeconfigs.
node_certificates() {
  issue apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  issue kubelet "/O=system:nodes/CN=system:node:$node_name" clientAuth
  issue kubelet-serving "/CN=$node_name" serverAuth "IP:$node_ip,DNS:$node_name"
  issue kube-proxy "/CN=system:kube-proxy" clientAuth
  issue coredns "/CN=modelship:coredns" clientAuth
  write_kubeconfig "$cluster_dir/kubelet.kubeconfig" kubelet
  write_kubeconfig "$cluster_dir/kube-proxy.kubeconfig" kube-proxy
  write_kubeconfig "$cluster_dir/coredns.kubeconfig" coredns
}

# The sandbox image, built from our own pause program and pushed to the local registry.
node_pause_image() {
  local layout="$node_state/pause-oci" ref="$node_registry/modelship/pause:3.10"
  rm -rf "$layout" "$node_state/pause-root"
  mkdir -p "$node_state/pause-root"
  cp "$bin_dir/pause" "$node_state/pause-root/pause"
  touch -d @0 "$node_state/pause-root/pause" "$node_state/pause-root"
  umoci init --layout "$layout" >/dev/null
  umoci new --image "$layout:pause" >/dev/null
  umoci insert --image "$layout:pause" --history.created 1970-01-01T00:00:00Z \
    "$node_state/pause-root/pause" /pause >/dev/null
  umoci config --image "$layout:pause" --created 1970-01-01T00:00:00Z \
    --config.entrypoint /pause --config.user 65535:65535 >/dev/null
  skopeo copy -q --dest-tls-verify=false "oci:$layout:pause" "docker://$ref" >&2
  echo "$ref"
}

node_containerd_config() {
  local sandbox_image="$1" dir="$node_state/containerd"
  mkdir -p "$dir/certs.d/$node_registry" "$node_state/cni/net.d" "$node_state/cni/ipam"
  cat > "$dir/certs.d/$node_registry/hosts.toml" <<EOF
server = "http://$node_registry"
[host."http://$node_registry"]
  capabilities = ["pull", "resolve"]
EOF
  # Any other registry (docker.io for a short name, say) is a closed local port: a wrong
  # reference fails at once, and no name is looked up off the machine.
  mkdir -p "$dir/certs.d/_default"
  cat > "$dir/certs.d/_default/hosts.toml" <<EOF
server = "http://127.0.0.1:1"
[host."http://127.0.0.1:1"]
  capabilities = ["pull", "resolve"]
EOF
  cat > "$dir/config.toml" <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
# The opt plugin would write /opt/containerd.
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
                    "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$dir/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$sandbox_image"
  # Without CAP_SYS_RESOURCE runc cannot lower oom_score_adj to the sandbox's -998.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        Root = "$node_state/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$node_state/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$dir/certs.d"
EOF
  cat > "$node_state/cni/net.d/10-modelship.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "modelship",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$node_bridge",
      "isGateway": true,
      "hairpinMode": true,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "dataDir": "$node_state/cni/ipam",
        "ranges": [[{"subnet": "$pod_cidr", "gateway": "$node_ip"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
}

node_kubelet_config() {
  local dir="$node_state/kubelet"
  mkdir -p "$dir/root" "$dir/pki" "$dir/volume-plugins" "$node_state/pod-logs"
  cat > "$dir/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $node_ip
port: 10250
healthzBindAddress: 127.0.0.1
healthzPort: 10248
readOnlyPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
containerRuntimeEndpoint: unix://$node_state/containerd/containerd.sock
imageServiceEndpoint: unix://$node_state/containerd/containerd.sock
cgroupDriver: cgroupfs
failSwapOn: false
podLogsDir: $node_state/pod-logs
volumePluginDir: $dir/volume-plugins
clusterDomain: cluster.local
clusterDNS: [$node_ip]
resolvConf: ""
# The kubelet's own chains are not needed (kube-proxy owns Service rules) and would be left behind.
makeIPTablesUtilChains: false
serializeImagePulls: false
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
maxPods: 110
EOF
}

node_kube_proxy_config() {
  cat > "$node_state/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $cluster_dir/kube-proxy.kubeconfig}
hostnameOverride: $node_name
mode: iptables
bindAddress: $node_ip
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
clusterCIDR: $pod_cidr
nodePortAddresses: [$node_ip/32]
iptables: {localhostNodePorts: false}
# No conntrack sysctl writes: these keep the host's values.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
}

# CoreDNS answers cluster names only: no forward plugin, so nothing is asked off the machine.
node_coredns_config() {
  cat > "$node_state/Corefile" <<EOF
.:53 {
    bind $node_ip
    errors
    health 127.0.0.1:${COREDNS_HEALTH_PORT}
    ready 127.0.0.1:${COREDNS_READY_PORT}
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $cluster_dir/coredns.kubeconfig modelship-local
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    cache 30
    loadbalance
}
EOF
}

# Cluster objects the node's parts and its users need: CoreDNS's read access, a default
# StorageClass with hostPath volumes that bind any claim (ReadWriteMany included).
node_cluster_objects() {
  local i volumes="$node_state/volumes" count="${MODELSHIP_NODE_VOLUMES:-12}"
  mkdir -p "$volumes"
  {
    cat <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "modelship:coredns"}
rules:
  - apiGroups: [""]
    resources: [endpoints, services, pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "modelship:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "modelship:coredns"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "modelship:coredns"}]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-hostpath
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
reclaimPolicy: Retain
volumeBindingMode: Immediate
EOF
    for i in $(seq -w 1 "$count"); do
      mkdir -p "$volumes/pv$i"
      chmod 0777 "$volumes/pv$i"   # pods run as non-root users of their own choosing
      cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: local-pv$i}
spec:
  storageClassName: local-hostpath
  capacity: {storage: 20Gi}
  accessModes: [ReadWriteOnce, ReadOnlyMany, ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: $volumes/pv$i, type: Directory}
EOF
    done
  } > "$node_state/cluster-objects.yaml"
  "$bin_dir/kubectl" --kubeconfig="$cluster_dir/kubeconfig" apply -f "$node_state/cluster-objects.yaml" >/dev/null
}

node_ready() {
  "$bin_dir/kubectl" --kubeconfig="$cluster_dir/kubeconfig" get node "$node_name" \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -qx True
}

node_dns_ready() { curl -fsS "http://127.0.0.1:${COREDNS_READY_PORT}/ready"; }

# After the control plane is up: the node's processes, then its cluster objects.
node_up() {
  if ! curl -fsS "http://$node_registry/v2/" >/dev/null 2>&1; then
    bash "$here/../../scripts/local-registry.sh" start "$node_registry" 2>>"$cluster_dir/logs/registry.log"
    touch "$node_state/registry.started"   # so down.sh stops it, and only then
  fi
  local sandbox_image
  sandbox_image="$(node_pause_image)"
  node_containerd_config "$sandbox_image"
  node_kubelet_config
  node_kube_proxy_config
  node_coredns_config

  start_binary containerd "$(command -v containerd)" --config "$node_state/containerd/config.toml" --log-level warn
  wait_for "containerd" ctr --address "$node_state/containerd/containerd.sock" version
  start_binary kubelet "$bin_dir/kubelet" \
    --config="$node_state/kubelet/config.yaml" \
    --kubeconfig="$cluster_dir/kubelet.kubeconfig" \
    --root-dir="$node_state/kubelet/root" \
    --cert-dir="$node_state/kubelet/pki" \
    --hostname-override="$node_name" \
    --node-ip="$node_ip" \
    --v=1
  start_binary kube-proxy "$bin_dir/kube-proxy" --config="$node_state/kube-proxy.yaml" --v=1
  start_binary coredns "$bin_dir/coredns" -conf "$node_state/Corefile"
  node_cluster_objects
  wait_for "node $node_name Ready" node_ready
  wait_for "CoreDNS" node_dns_ready
}

# Is $1 one of the node's processes up.sh started (pid file in run/)?
node_pid() {
  local c="$1" pid
  pid="$(cat "$cluster_dir/run/$c.pid" 2>/dev/null || true)"
  [[ -n "$pid" ]] && pid_is "$pid" "$c" && echo "$pid"
}

# Stops the pods while the API server and the kubelet still run, so the kubelet tears each
# sandbox down the regular way (network namespace, veth, IP lease, mounts). Best effort: what
# remains is removed by force in node_down.
node_drain() {
  local k=("$bin_dir/kubectl" --kubeconfig="$cluster_dir/kubeconfig" --request-timeout=10s)
  [[ -n "$(node_pid kubelet)" ]] || return 0
  "${k[@]}" get --raw /readyz >/dev/null 2>&1 || return 0
  # No new pods: nothing schedules or recreates them while they go.
  stop_component kube-scheduler || true
  stop_component kube-controller-manager || true
  "${k[@]}" delete pods --all --all-namespaces --grace-period=5 --wait=false >/dev/null 2>&1 || true
  local deadline=$(( SECONDS + 60 ))
  while (( SECONDS < deadline )); do
    [[ -z "$(ctr --address "$node_state/containerd/containerd.sock" -n k8s.io tasks ls -q 2>/dev/null)" ]] && break
    sleep 1
  done
}

# Removes the CNI-* and KUBE-* chains of iptables table $1 and the jumps to them.
node_remove_chains() {
  local t="$1" chains chain rule
  chains="$(iptables-save -t "$t" 2>/dev/null | sed -n 's/^:\(\(CNI\|KUBE\)-[^ ]*\) .*/\1/p')"
  [[ -n "$chains" ]] || return 0
  for chain in $chains; do
    while read -r rule; do
      [[ -z "$rule" ]] || eval "iptables -t $t ${rule/#-A/-D}" 2>/dev/null || true
    done < <(iptables -t "$t" -S 2>/dev/null | grep -E -- "-j $chain( |\$)" || true)
  done
  for chain in $chains; do iptables -t "$t" -F "$chain" 2>/dev/null || true; done
  for chain in $chains; do iptables -t "$t" -X "$chain" 2>/dev/null || true; done
  return 0
}

# Unmounts everything mounted at or below $1, deepest first.
node_unmount_under() {
  local mount
  awk -v p="$1" '$2 == p || index($2, p "/") == 1 {print $2}' /proc/mounts | sort -r \
    | while read -r mount; do umount -l "$mount" 2>/dev/null || true; done
}

# Undoes what node_record_host listed and what the node changed, in reverse order. Safe to run
# when nothing is left (each step checks first).
node_down() {
  local sock="$node_state/containerd/containerd.sock" t line
  node_drain
  stop_component coredns || true
  stop_component kube-proxy || true
  stop_component kubelet || true
  # Containers the kubelet did not get to: kill them, so their shims exit.
  if [[ -S "$sock" && -n "$(node_pid containerd)" ]]; then
    for t in $(ctr --address "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr --address "$sock" -n k8s.io tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true
    done
    sleep 1
    for t in $(ctr --address "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr --address "$sock" -n k8s.io tasks delete -f "$t" >/dev/null 2>&1 || true
    done
  fi
  stop_component containerd || true
  # Shims whose containerd is gone.
  pkill -KILL -f "containerd-shim-runc-v2 .*$node_state" 2>/dev/null || true
  pkill -KILL -f "containerd-shim-runc-v2 -namespace k8s.io -address $sock" 2>/dev/null || true

  # kube-proxy's rules, then our own chain, then any CNI-/KUBE- chain left (portmap's, the kubelet's).
  [[ -x "$bin_dir/kube-proxy" ]] && { "$bin_dir/kube-proxy" --cleanup >/dev/null 2>&1 || true; }
  while iptables -D FORWARD -s "$pod_cidr" -j "$egress_chain" 2>/dev/null; do :; done
  { iptables -F "$egress_chain" && iptables -X "$egress_chain"; } 2>/dev/null || true
  for t in nat filter mangle; do node_remove_chains "$t"; done

  # Mounts under our state (the kubelet's root bind-mount, volumes, sandboxes' shm), the
  # sandboxes' network namespaces, and what containerd's shims mounted under /run/containerd.
  node_unmount_under "$node_state"
  if [[ -d /run/netns ]]; then
    for line in /run/netns/cni-*; do
      [[ -e "$line" ]] || continue
      umount "$line" 2>/dev/null || true
      rm -f "$line"
    done
  fi
  node_unmount_under /run/containerd
  node_unmount_under /var/lib/kubelet
  ip link del "$node_bridge" 2>/dev/null || true

  # Empty cgroups the kubelet made in each v1 hierarchy (and the unified one).
  for line in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/k8s.io /sys/fs/cgroup/unified/kubepods; do
    [[ -d "$line" ]] || continue
    find "$line" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done

  if [[ -f "$node_state/host.env" ]]; then
    while read -r kind name value; do
      case "$kind" in
        sysctl) sysctl -qw "$name=$value" 2>/dev/null || log "could not restore $name=$value" ;;
        created) rm -rf "$name" ;;
      esac
    done < "$node_state/host.env"
    rm -f "$node_state/host.env"
  fi
  if [[ -f "$node_state/registry.started" ]]; then
    bash "$here/../../scripts/local-registry.sh" stop 2>/dev/null || true
    rm -f "$node_state/registry.started"
  fi
}
