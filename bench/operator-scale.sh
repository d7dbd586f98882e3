#!/usr/bin/env bash
# The operator at scale: N ModelDeployments (default 1000) on a fresh e2e/cluster/up.sh control
# plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler; no kubelet), the operator
# in the ScaleBench JVM. Prints the time until every one has its Job, Service and a status, heap
# after GC, CPU, and the operator's requests while settling and over a steady window (default
# 300 s), reads apart from writes. Results go in bench/RESULTS.md, "Operator at scale".
#
#   bench/operator-scale.sh [N] [STEADY_SECONDS]
#
# Needs the binaries of e2e/cluster/build.sh. The cluster lives in operator/target/bench-cluster
# (MODELSHIP_CLUSTER_DIR overrides) and is stopped with down.sh on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
steady="${2:-300}"
export MODELSHIP_CLUSTER_DIR="${MODELSHIP_CLUSTER_DIR:-$PWD/operator/target/bench-cluster}"

./mvnw -q -B -pl operator test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test

bash e2e/cluster/down.sh 2>/dev/null   # leftovers of an interrupted run, if any
kubeconfig="$(bash e2e/cluster/up.sh)"
trap 'bash e2e/cluster/down.sh' EXIT

echo "# operator scale bench $(date -u '+%Y-%m-%d %H:%M UTC'): N=$n, steady ${steady}s"
echo "nproc=$(nproc) cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) mem=$(free -g | awk '/Mem:/{print $2}')GiB"
echo "load at start: $(cat /proc/loadavg)"
(cd operator && MODELSHIP_BENCH_KUBECONFIG="$kubeconfig" MODELSHIP_LOG_LEVEL=WARN java \
  -cp "target/classes:target/test-classes:$(cat target/cp.txt)" \
  ${BENCH_JAVA_OPTS:-} \
  dev.modelship.operator.bench.ScaleBench "$n" "$steady")
echo "load at end: $(cat /proc/loadavg)"
