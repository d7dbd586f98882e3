#!/usr/bin/env bash
# Creates the peers' venvs (gitignored), every package pinned (bench/peers/requirements-*.txt,
# pip freeze of a resolve on CPython 3.11.7):
#   bench/.venv-peers     MLServer 1.7.1, uvloop 0.21.0, onnxruntime 1.28.0   (bench.py peers, peers-all)
#   bench/.venv-pytriton  nvidia-pytriton 0.7.0 (tritonserver 2.51.0, Python backend only),
#                         onnxruntime 1.28.0, numpy 1.26.4                    (bench.py peers-all)
#   bench/.venv-kserve    kserve 0.21.0, onnxruntime 1.28.0                   (bench.py peers-all)
# onnxruntime 1.28.0 everywhere: the version of ONNX Runtime Java in Modelship's server.
#   bench/peers/setup.sh                 all three
#   bench/peers/setup.sh mlserver kserve only these
# PYTHON picks the interpreter (default python3; it must be CPython 3.11 — the locks are for
# 3.11, and PyTriton's Python-backend stub needs the interpreter's own libpython3.11, which
# pytriton_server.py puts on LD_LIBRARY_PATH).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
py="${PYTHON:-python3}"
ver="$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ "$ver" != "3.11" ]; then
  echo "setup.sh: $py is Python $ver; the pinned sets are for 3.11 (set PYTHON=python3.11)" >&2
  exit 1
fi
which=("$@")
[ ${#which[@]} -eq 0 ] && which=(mlserver pytriton kserve)
mkdir -p "$here/out"
for peer in "${which[@]}"; do
  case "$peer" in
    mlserver) venv="$here/.venv-peers" ;;   # the name bench.py's MLServer peer always used
    pytriton|kserve) venv="$here/.venv-$peer" ;;
    *) echo "setup.sh: unknown peer $peer (mlserver, pytriton, kserve)" >&2; exit 1 ;;
  esac
  "$py" -m venv "$venv"
  # mlserver: uvloop < 0.22 (0.21.0 pinned), with 0.22+ MLServer 1.7.1's inference workers
  # die at start ("There is no current event loop in thread MainThread", mlserver/parallel/worker.py)
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/peers/requirements-$peer.txt"
  "$venv/bin/pip" freeze > "$here/out/peers-freeze-$peer.txt" 2>/dev/null || true
  echo "$peer: $venv"
done
