#!/usr/bin/env bash
# Runs every benchmark (about 40 minutes on 2 cores) and writes bench/out/run-<date>.md.
# Prerequisites: wrk (apt), bench/.venv-peers (bench/peers/setup.sh), a JDK 17.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
out="bench/out/run-$(date -u +%Y%m%dT%H%MZ).md"
{
  echo "# bench run $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "nproc=$(nproc) cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) mem=$(free -g | awk '/Mem:/{print $2}')GiB"
  echo "load at start: $(cat /proc/loadavg)"
} > "$out"
python3 bench/bench.py limit ratio small sweep peers paced gc coldstart "$@" | tee -a "$out"
echo "load at end: $(cat /proc/loadavg)" >> "$out"
echo "wrote $out"
