#!/usr/bin/env bash
# Installs the monitoring parts the tests run against, without installing a service:
#   - Prometheus and promtool from Debian's package (apt-get download + dpkg-deb -x), into
#     $MODELSHIP_TOOLS/prometheus-<version>/ (prometheus, promtool, and nothing started);
#   - Prometheus built from its Go module (e2e/cluster/prometheus/go.mod) with Kubernetes service
#     discovery and no other, into $MODELSHIP_TOOLS/prometheus-<module version>-kubernetes-sd/:
#     Debian's build has no kubernetes_sd_configs, which the README's scrape config and the node
#     test use;
#   - KEDA's CRDs from its Go module zip (the Go module proxy), into $MODELSHIP_TOOLS/keda-<version>/,
#     so a ScaledObject is validated by the real API server against KEDA's own schema.
# Idempotent. Prints nothing on a second run but the paths.
set -euo pipefail
tools="${MODELSHIP_TOOLS:-$HOME/.local/share/modelship}"
prometheus_version=2.42.0
keda_version=v2.21.0

prometheus_dir="$tools/prometheus-$prometheus_version"
if [[ ! -x "$prometheus_dir/promtool" ]]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  # apt runs the download as _apt, which must be able to write the folder.
  chmod 0777 "$work"
  (cd "$work" && apt-get download -q "prometheus=$prometheus_version*" >/dev/null)
  dpkg-deb -x "$work"/prometheus_*.deb "$work/x"
  mkdir -p "$prometheus_dir"
  install -m 0755 "$work/x/usr/bin/prometheus" "$work/x/usr/bin/promtool" "$prometheus_dir/"
  "$prometheus_dir/prometheus" --version 2>&1 | head -1 >&2
fi
echo "prometheus: $prometheus_dir"

module="$(cd "$(dirname "${BASH_SOURCE[0]}")/../e2e/cluster/prometheus" && pwd)"
module_version="$(sed -n 's/^require github\.com\/prometheus\/prometheus \(v[^ ]*\)$/\1/p' "$module/go.mod")"
sd_dir="$tools/prometheus-$module_version-kubernetes-sd"
sd_stamp="$(cd "$module" && sha256sum go.mod go.sum && go env GOVERSION)"
if [[ ! -x "$sd_dir/prometheus" || "$(cat "$sd_dir/.stamp" 2>/dev/null)" != "$sd_stamp" ]]; then
  echo "building Prometheus $module_version with Kubernetes service discovery (a few minutes)" >&2
  mkdir -p "$sd_dir"
  (cd "$module" && go build -mod=mod -trimpath -tags remove_all_sd,enable_kubernetes_sd -ldflags "-s -w" \
    -o "$sd_dir/prometheus" github.com/prometheus/prometheus/cmd/prometheus)
  echo "$sd_stamp" > "$sd_dir/.stamp"
fi
echo "prometheus with kubernetes_sd: $sd_dir"

keda_dir="$tools/keda-$keda_version"
if [[ ! -f "$keda_dir/keda.sh_scaledobjects.yaml" ]]; then
  module_dir="$(go mod download -json "github.com/kedacore/keda/v2@$keda_version" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  mkdir -p "$keda_dir"
  cp "$module_dir"/config/crd/bases/keda.sh_*.yaml "$keda_dir/"
  chmod 0644 "$keda_dir"/*.yaml
fi
echo "keda CRDs: $keda_dir"
