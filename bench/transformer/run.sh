#!/usr/bin/env bash
# Everything for the transformer benchmark (issue 12, part 3), from a fresh venv:
#   bench/transformer/run.sh
# Needs the optimizer jar and the inference server (./mvnw -B -q -pl optimizer,inference-server -am
# package -DskipTests), or MODELSHIP_OPTIMIZER_JAR / MODELSHIP_SERVER_APP pointing at copies.
# Writes bench/transformer/work/ (git-ignored: ~2 GB of models and artifacts).
set -euo pipefail
# onnxruntime's wheels since 1.29 upload usage telemetry unless this is set before they load.
export ORT_DISABLE_TELEMETRY=1
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${MODELSHIP_BENCH_TF_VENV:-$here/.venv}"
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -r "$here/requirements.txt"
py="$venv/bin/python"
[[ -f "$here/work/fp32/model.onnx" ]] || "$py" "$here/make_model.py"
"$py" "$here/bench_transformer.py" --extra "$@"          # ~15 min on 2 quiet cores
serve_venv="${MODELSHIP_BENCH_TF_SERVE_VENV:-$here/.venv-serve}"
[[ -x "$serve_venv/bin/python" ]] || python3 -m venv "$serve_venv"
"$serve_venv/bin/pip" install -q -r "$here/requirements-serve.txt"
"$serve_venv/bin/python" "$here/serve_check.py"
"$serve_venv/bin/python" "$here/accuracy_check.py"     # the accuracy columns under the server's onnxruntime
