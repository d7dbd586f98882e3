#!/usr/bin/env bash
# Runs the Modelship optimizer on every pretrained model; one log (stderr) and one summary
# (stdout's last line, JSON) per run in $WORK/opt/. A refused run is recorded, not fatal.
# Usage: optimize.sh <optimizer jar> <site-packages dir> <work dir>
set -u
JAR="$1"; SP="$2"; WORK="$3"
OCR="$SP/rapidocr_onnxruntime/models"
VAD="$SP/silero_vad/data"
mkdir -p "$WORK/opt" "$WORK/artifacts"
JAVA_OPTS=(-XX:ActiveProcessorCount=1 -Xmx4g)

run() {  # run <label> <model> <args...>
    local label="$1" model="$2"; shift 2
    echo "== $label: $(basename "$model") $*"
    java "${JAVA_OPTS[@]}" -jar "$JAR" optimize "$model" --out "$WORK/artifacts" "$@" \
        >"$WORK/opt/$label.stdout" 2>"$WORK/opt/$label.stderr"
    local rc=$?
    echo "$rc" >"$WORK/opt/$label.rc"
    grep '^\[modelship\]' "$WORK/opt/$label.stderr" | sed 's/^/   /'
    echo "   exit $rc"
}

# rapidocr-onnxruntime 1.4.4: detector (DB, PP-OCRv4), angle classifier (mobile v2.0), recognizer (PP-OCRv4 SVTR)
run det "$OCR/ch_PP-OCRv4_det_infer.onnx" --pass graph-optimize --pass quantize-dynamic \
    --sample-file "$WORK/det_samples.npy" --samples 8 --max-abs-error 1e-3
run cls "$OCR/ch_ppocr_mobile_v2.0_cls_infer.onnx" --pass graph-optimize --pass quantize-dynamic \
    --sample-file "$WORK/cls_samples.npy" --samples 30 --min-top1-agreement 1.0
run rec-graph "$OCR/ch_PP-OCRv4_rec_infer.onnx" --pass graph-optimize \
    --sample-file "$WORK/rec_samples.npy" --samples 30 --max-abs-error 1e-3
run rec "$OCR/ch_PP-OCRv4_rec_infer.onnx" --pass graph-optimize --pass quantize-dynamic \
    --sample-file "$WORK/rec_samples.npy" --samples 30

# silero-vad 6.2.3: silero_vad.onnx (what load_silero_vad(onnx=True) loads). Three attempts:
# a realistic request file, then generated samples, then no validation.
run vad-request "$VAD/silero_vad.onnx" --pass graph-optimize --sample-file "$WORK/vad_request.json" --samples 1
run vad-generated "$VAD/silero_vad.onnx" --pass graph-optimize --samples 8
run vad "$VAD/silero_vad.onnx" --pass graph-optimize --samples 0

# the recognizer's int8 weights per output column instead of per tensor
run rec-pc "$OCR/ch_PP-OCRv4_rec_infer.onnx" --pass graph-optimize --pass quantize-dynamic:perChannel=true \
    --sample-file "$WORK/rec_samples.npy" --samples 30
