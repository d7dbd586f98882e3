#!/usr/bin/env bash
# The README's "Quickstart on Kubernetes", step by step and timed, on the local node:
# up.sh --node, images.sh, helm install, the digits ModelDeployment from apply to Ready (and an
# XGBoost one), then a change of passes rolled out under steady load (failed requests counted), delete, uninstall,
# down.sh. Prints one line per step; the figures go to bench/RESULTS.md.
#
#   bash bench/node-path.sh            # ~3 min when the images are cached; needs root
#
# Its cluster lives in bench/out/node-cluster, so a cluster of your own is left alone (but only one
# node runs per machine: stop yours first).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export MODELSHIP_CLUSTER_DIR="$repo/bench/out/node-cluster"
K8S_VERSION="$(sed -n 's/^require k8s\.io\/kubernetes v//p' e2e/cluster/go.mod)"
export PATH="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/${K8S_VERSION}-linux-amd64:$PATH"
python="$repo/.venv/bin/python"
mkdir -p bench/out

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }
step() { printf '%-44s %s\n' "$1" "$2"; }

t=$(now)
KUBECONFIG="$(bash e2e/cluster/up.sh --node 2>bench/out/node-up.log)"
export KUBECONFIG
trap 'bash e2e/cluster/down.sh --purge >/dev/null 2>&1 || true' EXIT
step "up.sh --node (control plane + node Ready)" "$(since "$t") s"

t=$(now)
bash scripts/images.sh --values bench/out/image-values.yaml >/dev/null 2>bench/out/images.log
step "images.sh (3 images built and pushed)" "$(since "$t") s"

t=$(now)
helm install modelship helm/modelship -n modelship-system --create-namespace \
  -f bench/out/image-values.yaml --wait --timeout 3m >/dev/null
step "helm install --wait (operator Ready)" "$(since "$t") s"

kubectl create namespace ml >/dev/null
t=$(now)
kubectl apply -f examples/artifact-store-pvc.yaml -f examples/digits-on-a-claim.yaml >/dev/null
until [[ "$(kubectl get pvc models -n ml -o jsonpath='{.status.phase}')" == Bound ]]; do sleep 0.2; done
volume="$(kubectl get pvc models -n ml -o jsonpath='{.spec.volumeName}')"
cp examples/models/digits_mlp.onnx "$(kubectl get pv "$volume" -o jsonpath='{.spec.hostPath.path}')/"
kubectl wait md/digits -n ml --for=condition=Ready --timeout=3m >/dev/null
step "apply -> Ready (build Job, serving pod)" "$(since "$t") s"
step "server start in its pod (Quarkus: model loaded, warmed up)" \
  "$(kubectl logs -n ml deploy/digits | sed -n 's/.* started in \([0-9.]*s\).*/\1/p')"

# An XGBoost model from the same claim, converted to ONNX by the artifact Job, then served.
cp examples/models/trees/xgb_multi_softprob.json "$(kubectl get pv "$volume" -o jsonpath='{.spec.hostPath.path}')/softprob.json"
t=$(now)
kubectl apply -f - >/dev/null <<EOF
apiVersion: modelship.dev/v1alpha1
kind: ModelDeployment
metadata: {name: softprob, namespace: ml}
spec:
  model: {uri: pvc://models/softprob.json, format: xgboost}
  optimization:
    passes: [{name: graph-optimize}]
  serving: {resources: {requests: {cpu: 250m}}}
EOF
kubectl wait md/softprob -n ml --for=condition=Ready --timeout=3m >/dev/null
step "apply -> Ready, XGBoost model (converted)" "$(since "$t") s"
kubectl delete md softprob -n ml --wait=true >/dev/null

ip="$(kubectl get svc digits -n ml -o jsonpath='{.spec.clusterIP}')"
stop=bench/out/node-load.stop
rm -f "$stop"
load() {   # $1 protocol, $2 port: 4 clients until $stop exists
  "$python" e2e/src/test/python/rollout_load.py "$1" "$ip:$2" digits examples/models/digits_mlp.request.json \
    2,0,4 "$stop" 4 > "bench/out/node-load-$1.json"
}
load http 8080 & http_load=$!
load grpc 8081 & grpc_load=$!
sleep 5
before="$(kubectl get md digits -n ml -o jsonpath='{.status.artifact.digest}')"
t=$(now)
kubectl patch md digits -n ml --type merge \
  -p '{"spec":{"optimization":{"passes":[{"name":"graph-optimize"},{"name":"ort-format"}]}}}' >/dev/null
until [[ "$(kubectl get md digits -n ml -o jsonpath='{.status.artifact.digest}')" != "$before" ]] \
   && kubectl rollout status deploy/digits -n ml --timeout=1s >/dev/null 2>&1 \
   && [[ "$(kubectl get pods -n ml -l modelship.dev/model-deployment=digits,app.kubernetes.io/component=inference-server -o name | wc -l)" == 1 ]]; do
  sleep 0.5
done
step "change of passes -> new artifact rolled out" "$(since "$t") s"
sleep 5
touch "$stop"
wait "$http_load" "$grpc_load"
for p in http grpc; do
  step "$p calls during the rollout (answered, failed)" "$("$python" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["answered"], r["failed"], r["first_failures"])' "bench/out/node-load-$p.json")"
done

t=$(now)
kubectl delete md digits -n ml --wait=true >/dev/null
helm uninstall modelship -n modelship-system --wait >/dev/null
step "delete md + helm uninstall" "$(since "$t") s"

t=$(now)
trap - EXIT
bash e2e/cluster/down.sh --purge 2>bench/out/node-down.log
step "down.sh --purge (host restored)" "$(since "$t") s"
