# Shared by up.sh and down.sh; sourced, not run.
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this

# The Kubernetes release has one home: the go.mod that builds it. Scripts and tests read it there.
K8S_VERSION="$(sed -n 's/^require k8s\.io\/kubernetes v//p' "$(dirname "${BASH_SOURCE[0]}")/go.mod")"

cluster_dir="${MODELSHIP_CLUSTER_DIR:-$HOME/.modelship/cluster}"
bin_dir="${MODELSHIP_K8S_BIN_DIR:-${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/${K8S_VERSION}-$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m | sed -e 's/x86_64/amd64/' -e 's/aarch64/arm64/')}"

# Started in this order, stopped in the reverse one (the node's, when there is one, in node.sh).
components=(etcd kube-apiserver kube-controller-manager kube-scheduler)

log() { printf '[%s %s] %s\n' "$(basename "$0")" "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# Is anything listening on 127.0.0.1:$1 (or on the wildcard address)?
port_in_use() {
  local port="$1"
  if command -v ss >/dev/null 2>&1; then
    ss -Htln "sport = :$port" 2>/dev/null | grep -q .
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

# Is $1 the pid of a live process running the binary $2 (not a reused pid)?
pid_is() {
  local pid="$1" bin="$2" exe
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null)" || return 1
  exe="${exe% (deleted)}"
  [[ "$(basename "$exe")" == "$(basename "$bin")" ]] || return 1
  # and it was started for this cluster directory
  tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$cluster_dir"
}

# Stops component $1 that up.sh started (its pid file in run/), if it still runs: SIGTERM, then
# SIGKILL after MODELSHIP_CLUSTER_STOP_GRACE seconds. Fails if it is still running after that.
stop_component() {
  local c="$1" pidfile="$cluster_dir/run/$1.pid" pid deadline
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  if ! pid_is "$pid" "$c"; then
    log "$c (pid $pid) is not running"
    rm -f "$pidfile"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$(( SECONDS + ${MODELSHIP_CLUSTER_STOP_GRACE:-15} ))
  while pid_is "$pid" "$c" && (( SECONDS < deadline )); do sleep 0.2; done
  if pid_is "$pid" "$c"; then
    log "$c (pid $pid) did not stop in time: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do pid_is "$pid" "$c" || break; sleep 0.1; done
  fi
  if pid_is "$pid" "$c"; then
    log "ERROR: $c (pid $pid) is still running"
    return 1
  fi
  log "stopped $c (pid $pid)"
  rm -f "$pidfile"
}
