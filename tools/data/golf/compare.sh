#!/usr/bin/env bash
# compare.sh [SECONDS]: golf-cpu against nano for the same wall-clock budget
# (`make golf-compare`; not part of the test suite). Both presets train at the
# same time, THREADS threads each, so that they share the machine's load, on
# the default model's corpus and tokenizer (tools/data/train_model.sh: its
# recipe, corpus and 1024-token BPE), then pack (mixed int6/int8, GPTQ, the
# smaller of LZMA and Brotli, under the 16,000,000-byte budget) and score the
# packed artifacts with `titan eval` on the validation split.
# Each run's step count comes from a 20-step probe of its own tokens/s taken
# under that same load (as tools/data/experiments.sh).
#   SECONDS [720]  THREADS [1]  BATCH [4]  SEQ [255]  OUT [build/golf-compare]
#   EVAL_TOKENS: score only the first N validation targets (unset: all)
# Prints one Markdown table row per preset.
set -euo pipefail
cd "$(dirname "$0")/../../.."
seconds=${1:-720}
THREADS=${THREADS:-1} BATCH=${BATCH:-4} SEQ=${SEQ:-255} OUT=${OUT:-build/golf-compare}
titan=build/titan train=build/titan-train BUDGET=16000000
mkdir -p "$OUT"
[ -f "$OUT/corpus/val.txt" ] || tools/data/build_corpus.sh "$OUT/corpus" >&2
tools/data/val_excerpt.sh "$OUT/corpus" english=24000 code=8000 >"$OUT/val_excerpt.txt"
{ head -c 20060000 "$OUT/corpus/train.txt" | tail -c 60000
  tail -c 30000 "$OUT/corpus/train.txt"; } >"$OUT/calib.txt"
[ -f "$OUT/tok" ] || $train tokenizer --vocab 1024 -i "$OUT/corpus/train.txt" -o "$OUT/tok"

# run NAME STEPS [flags...]: train_model.sh's recipe for preset NAME.
run() {
    local name=$1 steps=$2
    shift 2
    $train train --config "$OUT/$name.json" --tokenizer "$OUT/tok" \
        --train "$OUT/corpus/train.txt" --val "$OUT/val_excerpt.txt" -o "$OUT/$name.ckpt" \
        --steps "$steps" --batch "$BATCH" --seq "$SEQ" --threads "$THREADS" --seed 1 \
        --lr 1 --qat int6 --qat-start 0.85 --ema 0.997 --log-every 10 "$@" </dev/null
}
last() { tail -n 1 "$1" | sed "s/.*\"$2\":\([0-9.e+-]*\).*/\1/"; }

# experiment NAME: probe, budgeted run, pack, eval; writes NAME.row.
experiment() {
    local name=$1 rate steps t0 t1 codec bpb
    $titan plan --preset "$name" --config-out "$OUT/$name.json" >/dev/null
    rm -f "$OUT/$name.probe.jsonl" "$OUT/$name.jsonl"
    run "$name" 20 --val-every 0 --log "$OUT/$name.probe.jsonl" 2>/dev/null
    rate=$(last "$OUT/$name.probe.jsonl" tokens_per_s)
    steps=$(awk -v s="$seconds" -v r="$rate" -v n=$((BATCH * SEQ)) \
        'BEGIN { printf "%d", s * r / n }')
    t0=$(date +%s)
    run "$name" "$steps" --val-every "$steps" --log "$OUT/$name.jsonl" 2>"$OUT/$name.err"
    t1=$(date +%s)
    for codec in lzma brotli; do
        $titan pack --ckpt "$OUT/$name.ckpt" --weights ema --quant mixed --method gptq \
            --calib "$OUT/calib.txt" --codec "$codec" --budget "$BUDGET" \
            -o "$OUT/$name.$codec.tart" >/dev/null
    done
    codec=lzma
    [ "$(stat -c %s "$OUT/$name.brotli.tart")" -lt "$(stat -c %s "$OUT/$name.lzma.tart")" ] &&
        codec=brotli
    cp "$OUT/$name.$codec.tart" "$OUT/$name.tart"
    bpb=$($titan eval -m "$OUT/$name.tart" --text "$OUT/corpus/val.txt" --ctx $((SEQ + 1)) \
        --stride $(((SEQ + 1) / 2)) --threads "$THREADS" \
        ${EVAL_TOKENS:+--max-tokens "$EVAL_TOKENS"} | head -n 1)
    printf '| %s | %s | %s | %d | %d | %d | %s | %s | %s |\n' "$name" \
        "$($titan plan -m "$OUT/$name.tart" --json | sed 's/.*"params":\([0-9]*\).*/\1/')" \
        "$rate" "$steps" "$((steps * BATCH * SEQ))" "$((t1 - t0))" \
        "$(last "$OUT/$name.jsonl" tokens_per_s)" "$(stat -c %s "$OUT/$name.tart") ($codec)" \
        "$bpb" >"$OUT/$name.row"
}

experiment nano &
p1=$!
experiment golf-cpu &
p2=$!
wait "$p1" "$p2"
echo "budget ${seconds} s of training each, $THREADS threads each, both at once, batch $BATCH x $SEQ"
echo "| preset | params | probe tokens/s | steps | tokens | train seconds | last tokens/s | artifact bytes | titan eval |"
echo "|---|---|---|---|---|---|---|---|---|"
cat "$OUT/nano.row" "$OUT/golf-cpu.row"
