#!/usr/bin/env bash
# Status fed from Prometheus at scale: N ModelDeployments (default 1000) on a fresh
# e2e/cluster/up.sh control plane, one real inference server under a paced load, a real Prometheus
# (scripts/monitoring-tools.sh) scraping it as N targets, and the operator in the TrafficBench JVM
# with its default settings. Prints queries and time per poll, the operator's CPU, status writes
# per minute under steady traffic after the first minute, and the time from a traffic change to the
# status change. Results go in bench/RESULTS.md, "Traffic in status".
#
#   bench/traffic-status.sh [N] [STEADY_SECONDS]
#
# Needs the binaries of e2e/cluster/build.sh and a packaged inference server
# (./mvnw -pl inference-server package). The cluster lives in operator/target/bench-cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
steady="${2:-180}"
export MODELSHIP_CLUSTER_DIR="${MODELSHIP_CLUSTER_DIR:-$PWD/operator/target/bench-cluster}"

./mvnw -q -B -pl operator test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test

bash e2e/cluster/down.sh 2>/dev/null || true   # leftovers of an interrupted run, if any
kubeconfig="$(bash e2e/cluster/up.sh)"
trap 'bash e2e/cluster/down.sh' EXIT

echo "# traffic status bench $(date -u '+%Y-%m-%d %H:%M UTC'): N=$n, steady ${steady}s"
echo "nproc=$(nproc) cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) mem=$(free -g | awk '/Mem:/{print $2}')GiB"
(cd operator && MODELSHIP_BENCH_KUBECONFIG="$kubeconfig" MODELSHIP_LOG_LEVEL=WARN java \
  -cp "target/classes:target/test-classes:$(cat target/cp.txt)" ${BENCH_JAVA_OPTS:-} \
  dev.modelship.operator.bench.TrafficBench "$n" "$steady")
