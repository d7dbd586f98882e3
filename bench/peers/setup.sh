#!/usr/bin/env bash
# Creates bench/.venv-peers with MLServer 1.7.1 and onnxruntime (PyPI), for bench.py peers.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
python3 -m venv "$here/.venv-peers"
"$here/.venv-peers/bin/pip" install -q "mlserver==1.7.1" onnxruntime numpy
"$here/.venv-peers/bin/pip" freeze > "$here/out/peers-freeze.txt" 2>/dev/null || true
