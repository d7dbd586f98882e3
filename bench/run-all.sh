#!/usr/bin/env bash
# One run of every serving benchmark the README's table quotes, on one machine in one sitting, into
# one file: bench/out/run-<date>.md (about 50 minutes on 2 cores; nothing else should run meanwhile).
#   bench.py limit ratio small peers-all paced-all c1tail coldstart, then bench/perf-analyzer.sh
# Prerequisites: wrk (apt), hey (go install github.com/rakyll/hey@latest), the peers' venvs
# (bench/peers/setup.sh), a JDK 17. Extra arguments go to bench.py (--reps, --secs, ...).
# The batching and GC sweeps that chose the defaults are not in it: python3 bench/bench.py sweep gc.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
stamp="$(date -u +%Y%m%dT%H%MZ)"
out="bench/out/run-$stamp.md"
{
  echo "# bench run $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "nproc=$(nproc) cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) mem=$(free -g | awk '/Mem:/{print $2}')GiB"
  echo "load at start: $(cat /proc/loadavg)"
  echo
} > "$out"
export ORT_DISABLE_TELEMETRY=1
python3 bench/bench.py limit ratio small peers-all paced-all c1tail coldstart "$@" | tee -a "$out"
{
  echo
  echo "## perf_analyzer ($(date -u '+%H:%M UTC'))"
  echo
} >> "$out"
bash bench/perf-analyzer.sh | tee -a "$out"
echo "load at end: $(cat /proc/loadavg)" >> "$out"
echo "wrote $out"
