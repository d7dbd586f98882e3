#!/usr/bin/env bash
# A plain-HTTP image registry on loopback (Debian's docker-registry), for images built here.
#
#   bash scripts/local-registry.sh start [HOST:PORT]   # default 127.0.0.1:5000; idempotent
#   bash scripts/local-registry.sh stop
#
# State (config, blobs, log, pid) under ${MODELSHIP_REGISTRY_DIR:-~/.modelship/registry}; stop
# leaves the blobs, so images survive a restart. Loopback only: nothing here listens elsewhere.
set -euo pipefail

state="${MODELSHIP_REGISTRY_DIR:-$HOME/.modelship/registry}"
log() { echo "local-registry: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

running() {
  [[ -f "$state/pid" ]] && kill -0 "$(cat "$state/pid")" 2>/dev/null
}

start() {
  local address="${1:-127.0.0.1:5000}"
  [[ "$address" == 127.* || "$address" == localhost:* ]] || die "only a loopback address: $address"
  command -v docker-registry >/dev/null || die "docker-registry is missing (apt-get install docker-registry)"
  if running; then
    log "running on $(cat "$state/address")"
    return
  fi
  mkdir -p "$state/data"
  cat > "$state/config.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $state/data}
  delete: {enabled: true}
http:
  addr: $address
EOF
  docker-registry serve "$state/config.yml" > "$state/registry.log" 2>&1 &
  echo $! > "$state/pid"
  echo "$address" > "$state/address"
  for _ in $(seq 1 50); do
    if curl -fsS "http://$address/v2/" >/dev/null 2>&1; then
      log "running on $address"
      return
    fi
    sleep 0.2
  done
  die "did not answer on $address; see $state/registry.log"
}

stop() {
  if running; then
    kill "$(cat "$state/pid")"
    log "stopped"
  fi
  rm -f "$state/pid"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop ;;
  *) sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
