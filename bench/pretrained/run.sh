#!/usr/bin/env bash
# Pretrained models from PyPI wheels through Modelship, end to end, from a fresh venv:
#   rapidocr-onnxruntime 1.4.4 (PP-OCRv4 detector + recognizer, mobile v2.0 angle classifier)
#   silero-vad 6.2.3 (silero_vad.onnx)
# 1. venv with pinned packages (requirements.txt; silero-vad without its torch dependencies:
#    only its ONNX file is used)
# 2. realistic validation samples (make_samples.py)
# 3. optimizer runs (optimize.sh): logs and summaries in $WORK/opt/
# 4. serve the artifacts (serve.sh), run the tasks through them (ocr_eval.py, vad_eval.py),
#    and the recognizer's sequence-level check (rec_check.py); servers stopped on exit
#
# Env: OPTIMIZER_JAR (default optimizer/target/modelship-optimizer.jar), SERVER_APP (default
# inference-server/target/quarkus-app), WORK (default bench/out/pretrained, git-ignored), PORT_BASE (18610).
set -euo pipefail
# onnxruntime's wheels since 1.29 upload usage telemetry unless this is set before they load.
export ORT_DISABLE_TELEMETRY=1
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
JAR="${OPTIMIZER_JAR:-$ROOT/optimizer/target/modelship-optimizer.jar}"
APP="${SERVER_APP:-$ROOT/inference-server/target/quarkus-app}"
WORK="${WORK:-$ROOT/bench/out/pretrained}"
P="${PORT_BASE:-18610}"
VENV="$HERE/.venv"
PY="$VENV/bin/python"
cd "$HERE"

[ -f "$JAR" ] || { echo "no optimizer jar at $JAR (build it: ./mvnw -B -q -pl optimizer -am package -DskipTests)"; exit 1; }
[ -f "$APP/quarkus-run.jar" ] || { echo "no inference server at $APP"; exit 1; }

if [ ! -x "$PY" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install -q -r requirements.txt
"$VENV/bin/pip" install -q --no-deps silero-vad==6.2.3
SP="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
OCR="$SP/rapidocr_onnxruntime/models"
VAD="$SP/silero_vad/data/silero_vad.onnx"
mkdir -p "$WORK"
sha256sum "$OCR"/*.onnx "$VAD" | tee "$WORK/models.sha256"

echo "== samples"
"$PY" make_samples.py "$WORK"

echo "== optimizer"
./optimize.sh "$JAR" "$SP" "$WORK" | tee "$WORK/optimize.log"

artifact() {  # the artifact directory of an optimizer run, from its summary (last stdout line)
    tail -1 "$WORK/opt/$1.stdout" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["location"])'
}

trap './serve.sh stop "$WORK/logs"' EXIT
echo "== servers"
./serve.sh start det $((P + 1)) $((P + 101)) "$(artifact det)" "$APP" "$WORK/logs"
./serve.sh start cls $((P + 2)) $((P + 102)) "$(artifact cls)" "$APP" "$WORK/logs"
./serve.sh start rec $((P + 3)) $((P + 103)) "$(artifact rec)" "$APP" "$WORK/logs"
./serve.sh start vad $((P + 4)) $((P + 104)) "$(artifact vad)" "$APP" "$WORK/logs"

echo "== silero-vad: original in-process vs optimized served"
"$PY" vad_eval.py "$VAD" --url 127.0.0.1:$((P + 4)) --out "$WORK/vad.json"

./serve.sh start rec-pc $((P + 5)) $((P + 105)) "$(artifact rec-pc)" "$APP" "$WORK/logs"
./serve.sh start rec-graph $((P + 6)) $((P + 106)) "$(artifact rec-graph)" "$APP" "$WORK/logs"
# OCR, original in-process vs optimized served: two sets (clean renders; small degraded text)
# x three recognizers (graph-optimize only: rec-graph; + int8 per tensor: rec; + int8 per channel: rec-pc);
# det and cls the same
for set in clean hard; do
    for rec in rec-graph rec rec-pc; do
        case "$rec" in rec) port=$((P + 3)) ;; rec-pc) port=$((P + 5)) ;; rec-graph) port=$((P + 6)) ;; esac
        echo "== OCR $set, recognizer $rec"
        "$PY" ocr_eval.py --det 127.0.0.1:$((P + 1)) --cls 127.0.0.1:$((P + 2)) --rec 127.0.0.1:$port \
            --rec-name "$rec" $([ "$set" = hard ] && echo --hard) \
            --out "$WORK/ocr_${set}_${rec}.json" > "$WORK/ocr_${set}_${rec}.log"
        grep -v '^\[' "$WORK/ocr_${set}_${rec}.log"
    done
done

echo "== recognizer, sequence-level agreement on the validation samples"
"$PY" rec_check.py "$OCR/ch_PP-OCRv4_rec_infer.onnx" "$WORK/rec_samples.npy" \
    graph="$(artifact rec-graph)/model.onnx" int8="$(artifact rec)/model.onnx" int8pc="$(artifact rec-pc)/model.onnx" \
    | tee "$WORK/rec_check.json"

echo "== summary"
"$PY" summarize.py "$WORK" | tee "$WORK/summary.md"
