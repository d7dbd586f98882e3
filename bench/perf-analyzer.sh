#!/usr/bin/env bash
# perf_analyzer's own figures for the packaged server: Triton's load tool (scripts/perf-analyzer.sh
# installs it) against digits_mlp and heavy_mlp, over HTTP with JSON tensors, HTTP with the binary
# tensor extension, and gRPC, at concurrency 1 and 16. Prints one Markdown table: throughput,
# client-side p50/p90/p99 latency, and the server-side queue and compute times perf_analyzer takes
# from the server's statistics extension (GET /v2/models/{m}/stats, or gRPC ModelStatistics)
# around each measurement window. About 6 minutes on 2 cores; not run in CI.
#
#   bash bench/perf-analyzer.sh                          # server app: $SERVER_APP (as bench.py)
#   SERVER_APP=/path/to/quarkus-app bash bench/perf-analyzer.sh
#
# The server runs as bench.py runs it: 1 ONNX Runtime intra-op thread, max-batch-size 32,
# max-queue-delay 0ms, 1 batch worker, on 127.0.0.1. Server and perf_analyzer each run in their own
# session (setsid), as bench.py's processes do (see its docstring: with sched_autogroup each
# session gets an equal CPU share). Inputs are bench/server/make_bodies.py's rows (fixed seed):
# the same data the wrk benchmarks post. Raw output (perf_analyzer's logs and CSVs, server logs)
# goes to bench/out/perf-analyzer-<date>/. Every process started here is stopped by its PID.
#
# perf_analyzer's method: per concurrency it measures windows of $PA_WINDOW_MS ms until three in a
# row agree within $PA_STABILITY % (throughput and average latency), at most $PA_TRIALS windows,
# and reports the last three together. A point that does not settle gets no figures from it: the
# table shows "unstable" with the range of its last three windows (it runs with -v, which prints
# each window). Before the measured runs of a protocol, a run of $PA_WARMUP_DIGITS (digits_mlp) or
# $PA_WARMUP_HEAVY (heavy_mlp) requests at concurrency 16 warms the server's JIT on that path.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

app="${SERVER_APP:-/tmp/bench-server-app}"
port="${BENCH_PORT:-18700}"
window_ms="${PA_WINDOW_MS:-3000}"
stability="${PA_STABILITY:-25}"
trials="${PA_TRIALS:-8}"
warmup_digits="${PA_WARMUP_DIGITS:-20000}"
warmup_heavy="${PA_WARMUP_HEAVY:-3000}"
out="${BENCH_OUT:-$repo/bench/out}/perf-analyzer-$(date -u +%Y%m%dT%H%MZ)"
digits="$repo/examples/models/digits_mlp.onnx"
heavy="$repo/examples/models/generated/heavy_mlp.onnx"

log() { echo "perf-analyzer bench: $*" >&2; }

perf_analyzer="$(bash scripts/perf-analyzer.sh | tail -1)"
if [[ ! -f "$app/quarkus-run.jar" ]]; then
  built="$repo/inference-server/target/quarkus-app"
  [[ -f "$built/quarkus-run.jar" ]] || { log "no packaged server: run ./mvnw -pl inference-server -DskipTests package"; exit 1; }
  # A copy, as bench.py makes: a rebuild in the working tree cannot change it mid-run.
  rm -rf "$app"
  cp -r "$built" "$app"
fi
if [[ ! -f "$heavy" ]]; then
  log "building $heavy"
  "$repo/.venv/bin/python" examples/models/make_models.py heavy >&2
fi
mkdir -p "$out"

# perf_analyzer's input data: make_bodies.py's one-row bodies, as {"data": [{"<input>": [...]}]}.
python3 bench/server/make_bodies.py "$out/bodies"
python3 - "$out" <<'EOF'
import json, os, sys
out = sys.argv[1]
for model, body in (("digits_mlp", "digits_1.json"), ("heavy_mlp", "heavy_1.json")):
    inp = json.load(open(os.path.join(out, "bodies", body)))["inputs"][0]
    json.dump({"data": [{inp["name"]: inp["data"]}]}, open(os.path.join(out, model + ".data.json"), "w"))
EOF

server_pid=""
stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid"
    for _ in $(seq 200); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$server_pid" 2>/dev/null && kill -9 "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
trap stop_server EXIT

start_server() {  # model file, name
  (cd "$app" && exec setsid java "-Dmodelship.model.path=$1" \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.grpc.server.host=127.0.0.1 \
    "-Dquarkus.http.port=$port" "-Dquarkus.grpc.server.port=$((port + 1))" \
    -Dmodelship.batching.max-batch-size=32 -Dmodelship.batching.max-queue-delay=0ms \
    -Dmodelship.batching.workers=1 -Dmodelship.runtime.intra-op-threads=1 \
    -jar quarkus-run.jar) >"$out/server-$2.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 900); do
    if curl -fs -o /dev/null "http://127.0.0.1:$port/v2/health/ready"; then return 0; fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  tail -20 "$out/server-$2.log" >&2
  log "the server on $1 did not get ready"
  exit 1
}

modes=(http-json http-binary grpc)
start=$(date +%s)
{
  echo "nproc=$(nproc) cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
  echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "perf_analyzer: $perf_analyzer ($(sed -n 2p "$(dirname "$(dirname "$perf_analyzer")")/.stamp"))"
} >"$out/env.txt"
for model in digits_mlp heavy_mlp; do
  file="$digits"; [[ $model == heavy_mlp ]] && file="$heavy"
  start_server "$file" "$model"
  for mode in "${modes[@]}"; do
    case "$mode" in
      http-json) conn=(-i http -u "127.0.0.1:$port" --input-tensor-format=json --output-tensor-format=json) ;;
      http-binary) conn=(-i http -u "127.0.0.1:$port" --input-tensor-format=binary --output-tensor-format=binary) ;;
      grpc) conn=(-i grpc -u "127.0.0.1:$((port + 1))") ;;
    esac
    warmup="$warmup_digits"; [[ $model == heavy_mlp ]] && warmup="$warmup_heavy"
    log "$model $mode: $warmup requests to warm up, then concurrency 1 and 16"
    setsid --wait "$perf_analyzer" -m "$model" "${conn[@]}" --input-data "$out/$model.data.json" \
      --concurrency-range 16 --request-count "$warmup" >"$out/$model-$mode-warmup.log" 2>&1 \
      || { tail -5 "$out/$model-$mode-warmup.log" >&2; log "$model $mode: the warm-up failed"; exit 1; }
    # Each concurrency separately, so an unstable point does not end the other.
    for c in 1 16; do
      name="$model-$mode-c$c"
      set +e
      setsid --wait "$perf_analyzer" -m "$model" "${conn[@]}" --input-data "$out/$model.data.json" \
        --concurrency-range "$c" --measurement-interval "$window_ms" --stability-percentage "$stability" \
        --max-trials "$trials" -v -f "$out/$name.csv" >"$out/$name.log" 2>&1
      rc=$?
      set -e
      echo "$rc" >"$out/$name.rc"
      [[ $rc -eq 0 ]] || log "$name: perf_analyzer exited $rc: $(grep -m1 -iE 'error|failed|unstable' "$out/$name.log" || tail -1 "$out/$name.log")"
    done
  done
  stop_server
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/env.txt"

python3 - "$out" "$window_ms" "$stability" "$trials" "$(( $(date +%s) - start ))" <<'EOF'
import csv, os, re, sys
out, window, stability, trials, secs = sys.argv[1:]
env = open(os.path.join(out, "env.txt")).read().strip().splitlines()
print(f"# perf_analyzer against the packaged server")
print()
for line in env:
    print(f"- {line}")
print(f"- server: 1 intra-op thread, max-batch-size 32, max-queue-delay 0ms, 1 worker; loopback")
print(f"- perf_analyzer: windows of {window} ms, stable when 3 in a row agree within {stability} %, at most {trials} "
      f"windows; the figures are the last 3 windows'; run took {secs} s; raw output in {out}")
print()
print("Latencies are perf_analyzer's, client-side, in µs. Queue and compute are the server's averages per request "
      "from its statistics extension over the same window (compute = input + infer + output).")
print()
cols = ["model", "protocol", "c", "infer/s", "p50 µs", "p90 µs", "p99 µs", "server queue µs",
        "server compute µs (in + infer + out)", "client send/recv µs"]
print("| " + " | ".join(cols) + " |")
print("|" + "|".join(["---"] * 3 + ["---:"] * (len(cols) - 3)) + "|")
labels = {"http-json": "HTTP, JSON tensors", "http-binary": "HTTP, binary tensors", "grpc": "gRPC"}
for model in ("digits_mlp", "heavy_mlp"):
    for mode in ("http-json", "http-binary", "grpc"):
        for c in (1, 16):
            name = f"{model}-{mode}-c{c}"
            rc = open(os.path.join(out, name + ".rc")).read().strip()
            path = os.path.join(out, name + ".csv")
            if rc != "0" or not os.path.exists(path):
                text = open(os.path.join(out, name + ".log")).read()
                passes = re.findall(r"Pass \[\d+\] throughput: ([\d.]+) infer/sec\. Avg latency: (\d+) usec", text)[-3:]
                if "Failed to obtain stable measurement" in text and passes:
                    rps = [float(p[0]) for p in passes]
                    lat = [int(p[1]) for p in passes]
                    what = (f"unstable: last {len(passes)} windows {min(rps):,.0f}–{max(rps):,.0f} infer/s, "
                            f"avg latency {min(lat):,}–{max(lat):,} µs")
                else:
                    what = f"failed (exit {rc}, see {name}.log)"
                print(f"| {model} | {labels[mode]} | {c} | {what} |" + " |" * 6)
                continue
            row = next(csv.DictReader(open(path)))
            comp = [int(row[k]) for k in ("Server Compute Input", "Server Compute Infer", "Server Compute Output")]
            print(f"| {model} | {labels[mode]} | {c} | {float(row['Inferences/Second']):,.0f} | "
                  f"{int(row['p50 latency']):,} | {int(row['p90 latency']):,} | {int(row['p99 latency']):,} | "
                  f"{int(row['Server Queue']):,} | {sum(comp):,} ({comp[0]} + {comp[1]:,} + {comp[2]}) | "
                  f"{int(row['Client Send']):,} / {int(row['Client Recv']):,} |")
EOF
