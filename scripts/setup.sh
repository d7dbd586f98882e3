#!/usr/bin/env bash
# Installs what the tests need, from the project's own files, on a fresh machine:
# Debian packages (the node's container runtime, network plugins and image tools among
# them), the pinned Python venv, Prometheus and Triton's perf_analyzer, and the Kubernetes binaries
# (control plane, kubelet, kube-proxy, CoreDNS) and Helm, built from the Go module proxy. Idempotent: a second run
# reuses what is there. Installing containerd starts nothing: up.sh --node runs its own.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

step() { echo "setup: $*" >&2; }

apt_packages=(openssl ca-certificates curl iproute2
  # the node of e2e/cluster/up.sh --node
  containerd runc containernetworking-plugins iptables conntrack
  # images without a Docker daemon: the base image, the pause image, the local registry
  mmdebstrap umoci skopeo docker-registry)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  step "installing Debian packages: ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

step "Python venv (pinned requirements)"
bash scripts/python-env.sh

step "Prometheus and promtool (Debian), KEDA's CRDs (Go module proxy)"
bash scripts/monitoring-tools.sh

step "Triton's perf_analyzer (PyPI's wheel, started with Debian 13's libraries; nothing installed system-wide)"
bash scripts/perf-analyzer.sh

step "Kubernetes binaries and prometheus-adapter from the Go module proxy"
bash e2e/cluster/build.sh

step "Helm from the Go module proxy"
bash e2e/cluster/build-helm.sh

step "done"
