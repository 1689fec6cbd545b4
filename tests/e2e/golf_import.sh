#!/usr/bin/env bash
# golf_import.sh: tools/golf/import_golf.py on the two record shapes (scaled
# down), saved by tests/ref/golf_record_model.py as the records save them: the
# float state dict imports, packs f32, and `titan logits` equals the
# record-structured PyTorch model's logits to 1e-4; the quantized artifact
# (LZMA for 1.1531, Brotli for 1.0785) imports, packs with the records' int6 and
# int8 tensors kept as they are (same integers, same scales), and its logits
# equal the PyTorch model's on the dequantized weights; a NAME.scale without
# its NAME.q or with a row missing is refused; `titan eval` runs on the import. A settings mistake (wrong ROPE_DIMS) breaks the agreement.
. "$(dirname "$0")/lib/common.sh"
PY=/usr/bin/python3
T=${KEEP:-$(mktemp -d)}; [ -n "${KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
command -v brotli >/dev/null || skip "brotli command missing (tools/install-deps.sh --test)"
IMPORT=tools/golf/import_golf.py
CHECK=tests/ref/golf_import_check.py

for rec in 1.1531 1.0785; do
    d=$T/$rec
    $PY tests/ref/golf_record_model.py make $rec "$d" || fail "record model $rec"
    $PY $IMPORT "$d/model.pt" --env "$d/env.json" -o "$d/f.st" --config-out "$d/f.json" \
        --tokenizer-out "$d/byte.tok" 2>/dev/null >/dev/null || fail "import $rec model.pt"
    "$TITAN" pack --safetensors "$d/f.st" --config "$d/f.json" --tokenizer "$d/byte.tok" \
        --quant f32 -o "$d/f.tart" >/dev/null || fail "pack $rec float"
    "$TITAN" logits -m "$d/f.tart" --ids "$d/ids" --out "$d/f.logits" >/dev/null || fail "logits"

    $PY $IMPORT "$d/final_model.ptz" --env "$d/env.json" -o "$d/q.st" --config-out "$d/q.json" \
        2>/dev/null >/dev/null || fail "import $rec final_model.ptz"
    "$TITAN" pack --safetensors "$d/q.st" --config "$d/q.json" --tokenizer "$d/byte.tok" \
        --quant f16 --codec brotli -o "$d/q.tart" >/dev/null || fail "pack $rec int6"
    "$TITAN" inspect "$d/q.tart" --json >"$d/qi.json" || fail "inspect $rec int6"
    "$TITAN" export "$d/q.tart" --safetensors "$d/qx.st" >/dev/null || fail "export $rec"
    "$TITAN" logits -m "$d/q.tart" --ids "$d/ids" --out "$d/q.logits" >/dev/null || fail "logits"
    $PY $CHECK record "$d" $rec ||
        fail "$rec: logits differ from the record model's, or the int6/int8 layout changed"
    for b in 1 2; do
        exits 1 "$TITAN" pack --safetensors "$d/bad$b.st" --config "$d/q.json" \
            --tokenizer "$d/byte.tok" -o "$d/bad.tart" || fail "bad$b.st packed"
        grep -q "\.scale" <<<"$stderr" || fail "bad$b.st: $stderr"
    done
    "$TITAN" eval -m "$d/q.tart" --text tests/e2e/golf_import.sh --ctx 32 --stride 16 \
        --max-tokens 200 --json >"$d/eval.json" || fail "eval $rec"
done

# A wrong setting shows: ROPE_DIMS 2 instead of 4 rotates other dims.
d=$T/1.1531
$PY $IMPORT "$d/model.pt" --env "$d/env.json" --set ROPE_DIMS=2 -o "$d/bad.st" \
    --config-out "$d/bad.json" 2>/dev/null >/dev/null || fail "import with --set"
"$TITAN" pack --safetensors "$d/bad.st" --config "$d/bad.json" --tokenizer "$d/byte.tok" \
    --quant f32 -o "$d/bad.tart" >/dev/null || fail "pack bad"
"$TITAN" logits -m "$d/bad.tart" --ids "$d/ids" --out "$d/bad.logits" >/dev/null || fail "logits"
if $PY $CHECK logits "$d/logits.f64" "$d/bad.logits" "1.1531 with ROPE_DIMS=2" >/dev/null; then
    fail "a wrong ROPE_DIMS still matched"
fi
exits 1 $PY $IMPORT "$d/ids" -o "$d/x.st" --config-out "$d/x.json" || fail "a non-model file"
echo "golf_import: both record shapes import, match and keep their int6 layout"
