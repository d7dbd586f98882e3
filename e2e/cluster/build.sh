#!/usr/bin/env bash
# Builds the Kubernetes binaries the e2e tests run, from the Go module proxy
# only, into the directory layout fabric8 kube-api-test expects:
#
#   ${KUBE_API_TEST_DIR:-~/.kubeapitest}/k8s/<version>-<os>-<arch>/
#       kube-apiserver etcd kubectl          (what kube-api-test uses)
#       kube-controller-manager kube-scheduler (what up.sh uses as well)
#       kubelet kube-proxy coredns pause      (what up.sh --node uses)
#       prometheus-adapter                    (what ExternalMetricAutoscalingIT uses)
#
# Idempotent: when the binaries there were built from the same go.mod/go.sum
# and flags (recorded in .modelship-build-stamp) and each reports the pinned
# version, nothing is rebuilt. prometheus-adapter prints no version, so it has a
# stamp of its own (.modelship-prometheus-adapter-stamp) and is rebuilt alone when
# that changes. Pass --force to rebuild anyway.
#
# Environment:
#   KUBE_API_TEST_DIR   root of the cache (default ~/.kubeapitest), as in kube-api-test
#   BUILD_NICE          niceness for the compiler (default 10)
#   GOMODCACHE/GOCACHE  honoured as usual by the go command
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The versions have one home each: the go.mod files that build them.
K8S_VERSION="$(sed -n 's/^require k8s\.io\/kubernetes v//p' "$here/go.mod")"
ETCD_VERSION="$(sed -n 's/^require go\.etcd\.io\/etcd\/server\/v3 v//p' "$here/etcd/go.mod")"
COREDNS_VERSION="$(sed -n 's/^require github\.com\/coredns\/coredns v//p' "$here/coredns/go.mod")"
ADAPTER_VERSION="$(sed -n 's/^require sigs\.k8s\.io\/prometheus-adapter v//p' "$here/prometheus-adapter/go.mod")"

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "build.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { printf '[build.sh %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '[build.sh] ERROR: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "the go command is not on PATH"

[[ -n "$K8S_VERSION" ]] || die "go.mod has no line 'require k8s.io/kubernetes v<version>'"
[[ -n "$ETCD_VERSION" ]] || die "etcd/go.mod has no line 'require go.etcd.io/etcd/server/v3 v<version>'"
[[ -n "$COREDNS_VERSION" ]] || die "coredns/go.mod has no line 'require github.com/coredns/coredns v<version>'"
[[ -n "$ADAPTER_VERSION" ]] || die "prometheus-adapter/go.mod has no line 'require sigs.k8s.io/prometheus-adapter v<version>'"

goos="$(go env GOOS)"
goarch="$(go env GOARCH)"
dest="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/${K8S_VERSION}-${goos}-${goarch}"
stamp_file="$dest/.modelship-build-stamp"
adapter_stamp_file="$dest/.modelship-prometheus-adapter-stamp"

k8s_cmds=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy)
all_bins=("${k8s_cmds[@]}" etcd coredns pause)

# Upstream release builds (hack/lib/golang.sh) use these tags, no cgo for the
# control-plane binaries, -trimpath and -s -w.
k8s_tags="selinux,notest,grpcnotrace"

# The version ldflags upstream's hack/lib/version.sh sets, into both version
# packages. The commit is not known from a module zip, so it keeps its default
# and the tree state says "archive", as upstream does for a source archive.
# buildDate is the release's publication time, so rebuilding gives the same bytes.
release_time() {
  (cd "$here" && go list -m -f '{{.Time}}' "$1" 2>/dev/null) \
    | sed -E 's/^([0-9-]+) ([0-9:]+).*/\1T\2Z/'
}
k8s_ldflags() {
  local major minor build_date pkg out=""
  major="${K8S_VERSION%%.*}"
  minor="${K8S_VERSION#*.}"; minor="${minor%%.*}"
  build_date="$(release_time k8s.io/kubernetes)"
  [[ -n "$build_date" ]] || build_date="1970-01-01T00:00:00Z"
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    out+=" -X ${pkg}.gitVersion=v${K8S_VERSION}"
    out+=" -X ${pkg}.gitMajor=${major}"
    out+=" -X ${pkg}.gitMinor=${minor}"
    out+=" -X ${pkg}.gitTreeState=archive"
    out+=" -X ${pkg}.buildDate=${build_date}"
  done
  echo "-s -w${out}"
}
# etcd's own build (scripts/build_lib.sh) sets only GitSHA; the version itself
# is a constant in go.etcd.io/etcd/api/v3/version. CoreDNS's version is a
# constant too (coremain.CoreVersion).
etcd_ldflags="-s -w"
coredns_ldflags="-s -w"
# prometheus-adapter's Makefile builds with no ldflags and no version variable.
adapter_ldflags="-s -w"

stamp_contents() {
  {
    echo "k8s=${K8S_VERSION} etcd=${ETCD_VERSION} coredns=${COREDNS_VERSION} go=$(go env GOVERSION) ${goos}/${goarch}"
    echo "k8s_tags=${k8s_tags}"
    echo "k8s_ldflags=$(k8s_ldflags)"
    echo "etcd_ldflags=${etcd_ldflags}"
    echo "coredns_ldflags=${coredns_ldflags}"
    sha256sum "$here/go.mod" "$here/go.sum" "$here/etcd/go.mod" "$here/etcd/go.sum" \
      "$here/coredns/go.mod" "$here/coredns/go.sum" "$here/pause/go.mod" "$here/pause/main.go" \
      | awk '{print $1}'
  }
}

adapter_stamp_contents() {
  {
    echo "prometheus-adapter=${ADAPTER_VERSION} go=$(go env GOVERSION) ${goos}/${goarch}"
    echo "adapter_ldflags=${adapter_ldflags}"
    sha256sum "$here/prometheus-adapter/go.mod" "$here/prometheus-adapter/go.sum" | awk '{print $1}'
  }
}

# Does the binary in $dest report the pinned version?
version_ok() {
  local bin="$1" out
  [[ -x "$dest/$bin" ]] || return 1
  case "$bin" in
    kubectl) out="$("$dest/$bin" version --client 2>/dev/null)" || return 1 ;;
    coredns) out="$("$dest/$bin" -version 2>/dev/null)" || return 1 ;;
    pause)   out="" ;;
    *)       out="$("$dest/$bin" --version 2>/dev/null)" || return 1 ;;
  esac
  case "$bin" in
    etcd)    grep -q "etcd Version: ${ETCD_VERSION}\$" <<<"$out" ;;
    coredns) grep -q "^CoreDNS-${COREDNS_VERSION}\$" <<<"$out" ;;
    pause)   true ;;   # no version: the stamp covers its source
    *)       grep -q "v${K8S_VERSION}\$" <<<"$out" ;;
  esac
}

mkdir -p "$dest"
# One build at a time per directory (a developer's shell and a test run, say).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$dest/.build.lock"
  flock -n 9 || { log "another build.sh is building into $dest; waiting"; flock 9; }
fi
want_stamp="$(stamp_contents)"
have_stamp="$(cat "$stamp_file" 2>/dev/null || true)"
want_adapter_stamp="$(adapter_stamp_contents)"
have_adapter_stamp="$(cat "$adapter_stamp_file" 2>/dev/null || true)"

todo_k8s=()
todo_etcd=0
todo_coredns=0
todo_pause=0
todo_adapter=0
if [[ $force -eq 1 || "$want_adapter_stamp" != "$have_adapter_stamp" || ! -x "$dest/prometheus-adapter" ]]; then
  todo_adapter=1
fi
if [[ $force -eq 1 || "$want_stamp" != "$have_stamp" ]]; then
  if [[ $force -eq 1 ]]; then
    log "--force: rebuilding everything"
  elif [[ -n "$have_stamp" ]]; then
    log "go.mod/go.sum or build flags changed since the last build: rebuilding everything"
  fi
  todo_k8s=("${k8s_cmds[@]}")
  todo_etcd=1
  todo_coredns=1
  todo_pause=1
else
  for b in "${k8s_cmds[@]}"; do version_ok "$b" || todo_k8s+=("$b"); done
  version_ok etcd || todo_etcd=1
  version_ok coredns || todo_coredns=1
  version_ok pause || todo_pause=1
fi

if [[ ${#todo_k8s[@]} -eq 0 && $todo_etcd -eq 0 && $todo_coredns -eq 0 && $todo_pause -eq 0 && $todo_adapter -eq 0 ]]; then
  log "up to date in $dest (Kubernetes v${K8S_VERSION}, etcd v${ETCD_VERSION}, CoreDNS v${COREDNS_VERSION}, prometheus-adapter v${ADAPTER_VERSION}); nothing built"
  exit 0
fi

tmp="$(mktemp -d "$dest/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
nice_cmd=(nice -n "${BUILD_NICE:-10}")
t_all=$SECONDS

if [[ ${#todo_k8s[@]} -gt 0 ]]; then
  pkgs=()
  for b in "${todo_k8s[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  log "building ${todo_k8s[*]} (Kubernetes v${K8S_VERSION}) ..."
  t=$SECONDS
  # One go build for all commands, so shared packages compile once.
  (cd "$here" && CGO_ENABLED=0 "${nice_cmd[@]}" go build -trimpath -tags "$k8s_tags" \
      -ldflags "$(k8s_ldflags)" -o "$tmp/" "${pkgs[@]}")
  log "built ${todo_k8s[*]} in $((SECONDS - t))s"
fi

if [[ $todo_etcd -eq 1 ]]; then
  log "building etcd v${ETCD_VERSION} ..."
  t=$SECONDS
  (cd "$here/etcd" && CGO_ENABLED=0 "${nice_cmd[@]}" go build -trimpath \
      -ldflags "$etcd_ldflags" -o "$tmp/etcd" go.etcd.io/etcd/server/v3)
  log "built etcd in $((SECONDS - t))s"
fi

if [[ $todo_coredns -eq 1 ]]; then
  log "building coredns v${COREDNS_VERSION} ..."
  t=$SECONDS
  (cd "$here/coredns" && CGO_ENABLED=0 "${nice_cmd[@]}" go build -trimpath \
      -ldflags "$coredns_ldflags" -o "$tmp/coredns" github.com/coredns/coredns)
  log "built coredns in $((SECONDS - t))s"
fi

if [[ $todo_pause -eq 1 ]]; then
  (cd "$here/pause" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/pause" .)
  log "built pause"
fi

if [[ $todo_adapter -eq 1 ]]; then
  log "building prometheus-adapter v${ADAPTER_VERSION} ..."
  t=$SECONDS
  (cd "$here/prometheus-adapter" && CGO_ENABLED=0 "${nice_cmd[@]}" go build -trimpath \
      -ldflags "$adapter_ldflags" -o "$tmp/prometheus-adapter" sigs.k8s.io/prometheus-adapter/cmd/adapter)
  log "built prometheus-adapter in $((SECONDS - t))s"
fi

# Install: rename within the same filesystem, so a reader never sees half a file.
for b in "${todo_k8s[@]}"; do mv -f "$tmp/$b" "$dest/$b"; done
[[ $todo_etcd -eq 1 ]] && mv -f "$tmp/etcd" "$dest/etcd"
[[ $todo_coredns -eq 1 ]] && mv -f "$tmp/coredns" "$dest/coredns"
[[ $todo_pause -eq 1 ]] && mv -f "$tmp/pause" "$dest/pause"
[[ $todo_adapter -eq 1 ]] && mv -f "$tmp/prometheus-adapter" "$dest/prometheus-adapter"

for b in "${all_bins[@]}"; do
  version_ok "$b" || die "$dest/$b does not report the pinned version after the build"
done
printf '%s\n' "$want_stamp" > "$stamp_file"
# It prints no version; that it starts and knows its flags is the check.
adapter_help="$("$dest/prometheus-adapter" --help 2>&1 || true)"
grep -q -- '--metrics-relist-interval' <<<"$adapter_help" \
  || die "$dest/prometheus-adapter does not run after the build"
printf '%s\n' "$want_adapter_stamp" > "$adapter_stamp_file"

log "done in $((SECONDS - t_all))s; binaries in $dest:"
for b in "${all_bins[@]}"; do
  case "$b" in
    kubectl) v="$("$dest/$b" version --client 2>/dev/null || true)" ;;
    coredns) v="$("$dest/$b" -version 2>/dev/null || true)" ;;
    pause)   v="the pod sandbox's pause program" ;;
    *)       v="$("$dest/$b" --version 2>/dev/null || true)" ;;
  esac
  v="${v%%$'\n'*}"   # first line (no `| head`: SIGPIPE under pipefail)
  printf '  %-24s %6s MiB  %s\n' "$b" "$(( $(stat -c %s "$dest/$b") / 1048576 ))" "$v"
done
printf '  %-24s %6s MiB  %s\n' prometheus-adapter "$(( $(stat -c %s "$dest/prometheus-adapter") / 1048576 ))" \
  "prometheus-adapter v${ADAPTER_VERSION}"
