#!/usr/bin/env bash
# Python for the optimizer benchmarks: the project's pinned model packages plus the peer
# converter onnxmltools, in bench/.venv-optimizer. Prints the venv path last.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${MODELSHIP_BENCH_OPT_VENV:-$repo/bench/.venv-optimizer}"
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -r "$repo/examples/models/requirements.txt" -r "$(dirname "$0")/requirements.txt"
echo "$venv"
