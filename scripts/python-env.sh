#!/usr/bin/env bash
# Creates or updates the project's Python venv from the pinned requirements files.
#
#   bash scripts/python-env.sh            # venv at ${MODELSHIP_VENV:-<repo>/.venv}
#   MODELSHIP_VENV=/tmp/v bash scripts/python-env.sh
#   PYTHON=python3.11 bash scripts/python-env.sh
#
# Idempotent: the venv holds a stamp with the sha256 of the requirements files and
# the interpreter version; when they are unchanged the script does nothing. When
# they changed it installs the new pins into the existing venv (pip install -r).
# Prints the venv path on its last line, so callers can use "$(... | tail -1)".
set -euo pipefail
# onnxruntime's wheels since 1.29 upload usage telemetry unless this is set before they load.
export ORT_DISABLE_TELEMETRY=1

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${MODELSHIP_VENV:-$repo/.venv}"
python="${PYTHON:-python3}"

# The order matters only for readability; both files were resolved together and
# agree on every shared pin.
requirements=(
  "$repo/examples/models/requirements.txt"
  "$repo/inference-server/src/test/python/requirements.txt"
  "$repo/optimizer/src/test/python/requirements.txt"
)

log() { echo "python-env: $*" >&2; }

for f in "${requirements[@]}"; do
  [[ -f "$f" ]] || { log "missing requirements file: $f"; exit 1; }
done
command -v "$python" >/dev/null || { log "no Python interpreter '$python' (set PYTHON=...)"; exit 1; }

py_version="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
case "$py_version" in
  3.1[0-9].*) ;;
  *) log "Python $py_version is too old: the pins need 3.10 or newer (set PYTHON=...)"; exit 1 ;;
esac

# What the venv must match: the pinned files and the interpreter (a venv is tied to it).
want="$( { echo "python $py_version"; cat "${requirements[@]}"; } | sha256sum | cut -d' ' -f1)"

mkdir -p "$venv"
venv="$(cd "$venv" && pwd)"
stamp="$venv/.modelship-requirements.sha256"

# Several processes (agents, parallel CI steps) may run this at once: serialise on
# the venv directory itself so no one sees a half-installed venv.
exec 9<"$venv"
flock 9

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/python" ]]; then
  log "venv $venv is up to date (requirements sha256 ${want:0:12}), nothing to do"
  echo "$venv"
  exit 0
fi

start=$(date +%s)
if [[ ! -x "$venv/bin/python" ]]; then
  log "creating venv $venv with $python ($py_version)"
  "$python" -m venv "$venv"
else
  log "requirements changed (or last install did not finish): updating venv $venv"
  rm -f "$stamp"
fi

args=()
for f in "${requirements[@]}"; do args+=(-r "$f"); done
log "installing pinned packages from ${requirements[*]#"$repo/"}"
# --disable-pip-version-check: no network call to ask for a newer pip; the venv's
# own pip is used as it came with the interpreter.
"$venv/bin/python" -m pip install --disable-pip-version-check --quiet "${args[@]}"
"$venv/bin/python" -m pip check >&2

# Prove the parts the tests rely on import. kserve and tritonclient.grpc are
# checked in separate processes: they cannot share one (upstream kserve#3099,
# both register protobuf package `inference`).
"$venv/bin/python" - <<'EOF' >&2
import lightgbm, numpy, onnx, onnxruntime, skl2onnx, sklearn, xgboost
import pytest, tritonclient.grpc, tritonclient.http
print("python-env: imports ok: numpy %s, scikit-learn %s, skl2onnx %s, onnx %s, onnxruntime %s, "
      "xgboost %s, lightgbm %s, pytest %s, tritonclient[http,grpc]"
      % (numpy.__version__, sklearn.__version__, skl2onnx.__version__, onnx.__version__,
         onnxruntime.__version__, xgboost.__version__, lightgbm.__version__, pytest.__version__))
EOF
"$venv/bin/python" - <<'EOF' >&2
import tritonclient.http
from kserve import InferenceGRPCClient, InferenceRESTClient
from importlib.metadata import version
print("python-env: imports ok: kserve %s (InferenceRESTClient, InferenceGRPCClient)" % version("kserve"))
EOF

echo "$want" >"$stamp"
count="$("$venv/bin/python" -m pip list --disable-pip-version-check --format=freeze 2>/dev/null | wc -l)"
log "done in $(( $(date +%s) - start ))s: $count packages in $venv (activate: . $venv/bin/activate)"
echo "$venv"
