#!/usr/bin/env bash
# Stops the control plane that up.sh started: exactly the pids it recorded in
# ${MODELSHIP_CLUSTER_DIR:-~/.modelship/cluster}/run, each checked to still be
# that component's binary started for that directory (a reused pid is left
# alone). SIGTERM first, SIGKILL after a grace period; then waits until the
# ports it used are free. With a node (up.sh --node), first stops its pods and
# processes and restores the host as it was (node.sh, node_down). Safe to run
# when nothing is running.
#
# Pass --purge to also remove the state directory (certificates, data, logs).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR source=node.sh
source "$here/node.sh"

purge=0
for arg in "$@"; do
  case "$arg" in
    --purge) purge=1 ;;
    -h|--help) sed -n '2,8p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument: $arg" ;;
  esac
done

run="$cluster_dir/run"

if [[ ! -d "$run" && ! -d "$node_state" ]]; then
  log "nothing to stop in $cluster_dir"
  [[ $purge -eq 1 ]] && rm -rf "$cluster_dir"
  exit 0
fi

# The node first, while the API server can still tell the kubelet to stop its pods.
if [[ -d "$node_state" ]]; then
  node_down
  log "node stopped and the host restored"
fi

# Then the control plane, in the reverse start order.
failed=0
for (( i=${#components[@]}-1; i>=0; i-- )); do
  stop_component "${components[$i]}" || failed=1
done

# The ports it listened on must be free again.
if [[ -f "$run/cluster.env" ]]; then
  for var in ETCD_PORT ETCD_PEER_PORT APISERVER_PORT CONTROLLER_MANAGER_PORT SCHEDULER_PORT \
             COREDNS_HEALTH_PORT COREDNS_READY_PORT; do
    port="$(sed -n "s/^$var=//p" "$run/cluster.env")"
    [[ -n "$port" ]] || continue
    for _ in $(seq 1 50); do port_in_use "$port" || break; sleep 0.1; done
    if port_in_use "$port"; then
      log "ERROR: port $port ($var) is still in use"
      failed=1
    fi
  done
fi

[[ $failed -eq 0 ]] || die "the control plane in $cluster_dir did not stop cleanly"
rm -f "$run/cluster.env"
rmdir "$run" 2>/dev/null || true
rm -rf "$node_state"   # nothing is mounted there any more
if [[ $purge -eq 1 ]]; then
  rm -rf "$cluster_dir"
  log "removed $cluster_dir"
fi
log "control plane stopped"
