#!/usr/bin/env bash
# Creates bench/.venv-peers with MLServer 1.7.1 and onnxruntime (PyPI), for bench.py peers.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
python3 -m venv "$here/.venv-peers"
# uvloop < 0.22: with 0.22+ MLServer 1.7.1's inference workers die at start
# ("There is no current event loop in thread MainThread", mlserver/parallel/worker.py)
"$here/.venv-peers/bin/pip" install -q "mlserver==1.7.1" "uvloop<0.22" onnxruntime numpy
mkdir -p "$here/out"
"$here/.venv-peers/bin/pip" freeze > "$here/out/peers-freeze.txt" 2>/dev/null || true
