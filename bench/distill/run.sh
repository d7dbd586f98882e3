#!/usr/bin/env bash
# The distill pass's benchmark: teacher vs student size, latency (batch 1 and 64) and agreement for
# XGBoost and LightGBM teachers at three sizes, and the small model trained on the labels directly.
#
#   bench/distill/run.sh [--markdown section.md] [--datasets noisy,separable,digits] [--quick]
#
# Uses optimizer/target/modelship-optimizer.jar (built on first use, like ./modelship does), or
# MODELSHIP_OPTIMIZER_JAR; the project venv (scripts/python-env.sh). Models and artifacts go to a
# temp dir (kept if MODELSHIP_BENCH_KEEP=1); results to bench/distill/results.json (or
# MODELSHIP_DISTILL_RESULTS); the table to stdout. About 10 minutes on 2 cores.
set -euo pipefail
# onnxruntime's wheels since 1.29 upload usage telemetry unless this is set before they load.
export ORT_DISABLE_TELEMETRY=1
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

jar="${MODELSHIP_OPTIMIZER_JAR:-$root/optimizer/target/modelship-optimizer.jar}"
if [[ -z "${MODELSHIP_OPTIMIZER_JAR:-}" && ! -f "$jar" ]]; then
  echo "distill-bench: building the optimizer (first use)..." >&2
  (cd "$root" && ./mvnw -B -q -pl optimizer -am package -DskipTests) >&2
fi
[[ -f "$jar" ]] || { echo "distill-bench: no optimizer jar at $jar" >&2; exit 2; }

venv="$(bash "$root/scripts/python-env.sh" | tail -1)"
work="$(mktemp -d "${TMPDIR:-/tmp}/modelship-distill.XXXXXX")"
if [[ "${MODELSHIP_BENCH_KEEP:-0}" == 1 ]]; then
  echo "distill-bench: work dir $work (kept)" >&2
else
  trap 'rm -rf "$work"' EXIT
fi

echo "distill-bench: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), nproc $(nproc), load $(cat /proc/loadavg)" >&2
"$venv/bin/python" "$here/bench_distill.py" --jar "$jar" --work "$work" \
  --results "${MODELSHIP_DISTILL_RESULTS:-$here/results.json}" \
  --command "bench/distill/run.sh${*:+ $*}" "$@"
echo "distill-bench: done $(date -u '+%H:%M:%S UTC'), load $(cat /proc/loadavg)" >&2
