#!/usr/bin/env bash
# experiments.sh SECONDS CFG.json...: train each config for the same wall-clock
# budget and report its val_bpb (float, EMA weights, windows of SEQ tokens) on
# a 120 kB sample of the validation split (96 kB English, 24 kB code, as the
# split's mix), the recipe of train_model.sh otherwise.
# The step count of each run comes from a short probe of its tokens/s, run
# under the same load (JOBS configs at a time, THREADS threads each).
#   JOBS [3]  THREADS [1]  BATCH [4]  SEQ [255]  OUT [build/exp]
#   CORPUS [1]: build_corpus.sh's version; with 2 the sample is 7 kB of
#   every source's validation part
#   VAL_TOKENS: score only the first N sample targets (default: all)
# Prints one Markdown table row per config (name = file name without .json).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 2 ] || { echo "usage: $0 SECONDS CFG.json..." >&2; exit 2; }
seconds=$1; shift
JOBS=${JOBS:-3} THREADS=${THREADS:-1} BATCH=${BATCH:-4} SEQ=${SEQ:-255}
OUT=${OUT:-build/exp} VAL_TOKENS=${VAL_TOKENS:-100000000} CORPUS=${CORPUS:-1}
train=build/titan-train
mkdir -p "$OUT"
[ -f "$OUT/corpus/sources.txt" ] || tools/data/build_corpus.sh --version "$CORPUS" "$OUT/corpus" >&2
sample=(english=96000 code=24000)
[ "$CORPUS" = 1 ] || sample=(all=7000)
tools/data/val_excerpt.sh "$OUT/corpus" "${sample[@]}" >"$OUT/corpus/val_sample.txt"

vocab_of() { grep -o '"vocab_size": *[0-9]*' "$1" | grep -o '[0-9]*$'; }

# One tokenizer and token cache per vocabulary size, built before the runs.
for cfg in "$@"; do
    v=$(vocab_of "$cfg") dir=$OUT/v$(vocab_of "$cfg")
    [ -f "$dir/tok" ] && continue
    mkdir -p "$dir"
    ln -sf ../corpus/train.txt "$dir/train.txt"
    ln -sf ../corpus/val_sample.txt "$dir/val.txt"
    $train tokenizer --vocab "$v" -i "$dir/train.txt" -o "$dir/tok"
done

# run CFG STEPS LOG CKPT [flags...]: the recipe with this config and length.
run() {
    local cfg=$1 steps=$2 log=$3 ckpt=$4 dir
    shift 4
    dir=$OUT/v$(vocab_of "$cfg")
    rm -f "$log"
    $train train --config "$cfg" --tokenizer "$dir/tok" --train "$dir/train.txt" \
        --val "$dir/val.txt" -o "$ckpt" --steps "$steps" --batch "$BATCH" --seq "$SEQ" \
        --threads "$THREADS" --seed 1 --qat int6 --qat-start 0.8 --ema 0.997 \
        --log "$log" --log-every 10 "$@" </dev/null 2>"$log.err"
}
last() { tail -n 1 "$1" | sed "s/.*\"$2\":\([0-9.e+-]*\).*/\1/"; }

# experiment CFG: probe, then the budgeted run; writes NAME.row.
experiment() {
    local cfg=$1 name tok_s steps t0 t1 bpb params
    name=$(basename "$cfg" .json)
    run "$cfg" 20 "$OUT/$name.probe.jsonl" "$OUT/$name.probe.ckpt" --val-every 1000000
    tok_s=$(last "$OUT/$name.probe.jsonl" tokens_per_s)
    steps=$(awk -v s="$seconds" -v r="$tok_s" -v n=$((BATCH * SEQ)) \
        'BEGIN { printf "%d", s * r / n }')
    t0=$(date +%s)
    run "$cfg" "$steps" "$OUT/$name.jsonl" "$OUT/$name.ckpt" \
        --val-every "$steps" --val-tokens "$VAL_TOKENS" --val-stride "$SEQ"
    t1=$(date +%s)
    bpb=$(last "$OUT/$name.jsonl" val_bpb)
    $train export "$OUT/$name.ckpt" -o "$OUT/$name.st" --config-out "$OUT/$name.cfg" \
        --tokenizer-out "$OUT/$name.tok"
    build/titan pack --safetensors "$OUT/$name.st" --config "$OUT/$name.cfg" \
        --tokenizer "$OUT/$name.tok" -o "$OUT/$name.tart" >/dev/null
    params=$(build/titan inspect "$OUT/$name.tart" --json | sed 's/.*"params":\([0-9]*\).*/\1/')
    printf '| %s | %s | %s | %d | %s | %d | %s |\n' "$name" "${params:-?}" "$tok_s" \
        "$steps" "$((steps * BATCH * SEQ))" "$((t1 - t0))" "$bpb" >"$OUT/$name.row"
}

pids=()
for cfg in "$@"; do
    experiment "$cfg" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$JOBS" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
wait
echo "| config | params | probe tokens/s | steps | tokens | seconds (incl. val) | val_bpb |"
echo "|---|---|---|---|---|---|---|"
for cfg in "$@"; do cat "$OUT/$(basename "$cfg" .json).row"; done
