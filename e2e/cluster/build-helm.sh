#!/usr/bin/env bash
# Builds the Helm v3 client that HelmChartIT installs the chart with, from the
# Go module proxy only (`go install helm.sh/helm/v3/cmd/helm@<version>`), next
# to the control-plane binaries of build.sh:
#
#   ${KUBE_API_TEST_DIR:-~/.kubeapitest}/k8s/1.34.4-linux-amd64/helm
#
# Idempotent: when the helm there reports the pinned version, nothing is built.
# Pass --force to rebuild anyway.
#
# Environment:
#   KUBE_API_TEST_DIR   root of the cache (default ~/.kubeapitest), as in build.sh
#   BUILD_NICE          niceness for the compiler (default 10)
#   GOMODCACHE/GOCACHE  honoured as usual by the go command
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"   # K8S_VERSION (it names the directory), log, die

# v3.19.x is built on client-go v0.34, the Kubernetes minor of build.sh's control plane.
HELM_VERSION=v3.19.5

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "build-helm.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

command -v go >/dev/null || die "the go command is not on PATH"

dest="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/${K8S_VERSION}-$(go env GOOS)-$(go env GOARCH)"

version_ok() {
  [[ -x "$dest/helm" ]] && [[ "$("$dest/helm" version --template '{{.Version}}' 2>/dev/null)" == "$HELM_VERSION" ]]
}

mkdir -p "$dest"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$dest/.build-helm.lock"
  flock -n 9 || { log "another build-helm.sh is building into $dest; waiting"; flock 9; }
fi

if [[ $force -eq 0 ]] && version_ok; then
  log "up to date in $dest (helm ${HELM_VERSION}); nothing built"
  exit 0
fi

tmp="$(mktemp -d "$dest/.build-helm.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# What helm's Makefile sets: the version (else `helm version` says only "v3.19"), and the
# Kubernetes version of its client-go for `helm template` and `helm lint` (else 1.20).
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
  ldflags+=" -X ${pkg}.k8sVersionMajor=1 -X ${pkg}.k8sVersionMinor=34"
done

log "building helm ${HELM_VERSION} ..."
t=$SECONDS
# Outside any module, so the project's go.mod files play no part.
(cd "$tmp" && GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-buildvcs=false nice -n "${BUILD_NICE:-10}" \
    go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}")
mv -f "$tmp/helm" "$dest/helm"   # same filesystem: a reader never sees half a file
version_ok || die "$dest/helm does not report ${HELM_VERSION} after the build"
log "built helm ${HELM_VERSION} in $((SECONDS - t))s: $dest/helm ($(( $(stat -c %s "$dest/helm") / 1048576 )) MiB)"
