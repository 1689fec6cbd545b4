#!/usr/bin/env bash
# train_model.sh: the built-in default model from scratch (`make model`).
#   corpus (build_corpus.sh) -> BPE tokenizer -> titan-train train (Muon, WSD,
#   late int6 QAT, EMA) -> titan pack (GPTQ; LZMA and Brotli, the smaller kept)
#   -> titan eval on the validation split: f32, int8, int6 and the shipped
#   mixed artifact (int6 matrices, int8 embeddings; plain and adaptive).
# Deterministic for fixed settings and thread count. Settings come from the
# environment (defaults in brackets); the shape is the `nano` preset.
#   STEPS [16000]  BATCH [4]  SEQ [255]  THREADS [2]  SEED [1]  LR [1]
#   QAT_START [0.85]  EMA [0.997]  PRESET [nano]  OUT [build/model]
#   CORPUS [2]: build_corpus.sh's version (tools/data/CORPUS.md)
#   SHIP: copy artifact, log, plot, summary and excerpt here, with the
#   artifact's sha256 and this run's command in nano.tart.sha256 (unset: no copy)
#   EVAL_STRIDE [(SEQ + 1) / 2]  EVAL_TOKENS: score only the first N
#   validation targets (unset: all)
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS=${STEPS:-16000} BATCH=${BATCH:-4} SEQ=${SEQ:-255} THREADS=${THREADS:-2}
SEED=${SEED:-1} LR=${LR:-1} QAT_START=${QAT_START:-0.85} EMA=${EMA:-0.997}
PRESET=${PRESET:-nano} OUT=${OUT:-build/model} BUDGET=16000000 CORPUS=${CORPUS:-2}
EVAL_STRIDE=${EVAL_STRIDE:-$(((SEQ + 1) / 2))}
titan=build/titan train=build/titan-train
step() { echo "== $*" >&2; }
mkdir -p "$OUT"

step "corpus: version $CORPUS"
tools/data/build_corpus.sh --version "$CORPUS" "$OUT/corpus" >&2
# What the quickstart scores (~20 s) and what GPTQ calibrates on (training text).
excerpt=(english=24000 code=8000)
[ "$CORPUS" = 1 ] || excerpt=(all=2000)
tools/data/val_excerpt.sh "$OUT/corpus" "${excerpt[@]}" >"$OUT/val_excerpt.txt"
if [ "$CORPUS" = 1 ]; then
    { head -c 20060000 "$OUT/corpus/train.txt" | tail -c 60000
      tail -c 30000 "$OUT/corpus/train.txt"; } >"$OUT/calib.txt"
else # 45 slices of 2 kB spread over the whole text, so every source is in it
    size=$(stat -c %s "$OUT/corpus/train.txt")
    for k in $(seq 0 44); do
        dd if="$OUT/corpus/train.txt" iflag=skip_bytes,count_bytes skip=$((k * size / 45)) \
            count=2000 status=none
    done >"$OUT/calib.txt"
fi

# The preset's config JSON, with the vocabulary size the tokenizer must have.
$titan init --preset "$PRESET" -o "$OUT/preset.tart" >/dev/null
$titan inspect "$OUT/preset.tart" --json | sed 's/.*"config":\({[^}]*}\).*/\1/' \
    >"$OUT/config.json"
rm -f "$OUT/preset.tart"
vocab=$(sed 's/.*"vocab_size":\([0-9]*\).*/\1/' "$OUT/config.json")

step "tokenizer: $vocab tokens"
$train tokenizer --vocab "$vocab" -i "$OUT/corpus/train.txt" -o "$OUT/tok"

step "train: $PRESET, $STEPS steps of $BATCH x $SEQ tokens, $THREADS threads"
rm -f "$OUT/train.jsonl"
$train train --config "$OUT/config.json" --tokenizer "$OUT/tok" \
    --train "$OUT/corpus/train.txt" --val "$OUT/val_excerpt.txt" -o "$OUT/nano.ckpt" \
    --steps "$STEPS" --batch "$BATCH" --seq "$SEQ" --threads "$THREADS" \
    --seed "$SEED" --lr "$LR" --qat int6 --qat-start "$QAT_START" --ema "$EMA" \
    --log "$OUT/train.jsonl" --log-every 10 --val-every $((STEPS / 20 > 0 ? STEPS / 20 : 1)) \
    --ckpt-every 500
$train plot "$OUT/train.jsonl" -o "$OUT/loss.svg"

# pack NAME QUANT METHOD: the smaller of the LZMA and Brotli artifacts as NAME.tart.
pack() {
    local name=$1 quant=$2 method=$3 codec calib=()
    [ "$method" = gptq ] && calib=(--calib "$OUT/calib.txt")
    for codec in lzma brotli; do
        $titan pack --ckpt "$OUT/nano.ckpt" --weights ema --quant "$quant" \
            --method "$method" ${calib[@]+"${calib[@]}"} --codec "$codec" \
            --budget "$BUDGET" -o "$OUT/$name.$codec.tart" >/dev/null
    done
    if [ "$(stat -c %s "$OUT/$name.lzma.tart")" -le "$(stat -c %s "$OUT/$name.brotli.tart")" ]; then
        codec=lzma
    else
        codec=brotli
    fi
    mv "$OUT/$name.$codec.tart" "$OUT/$name.tart"
    rm -f "$OUT/$name.lzma.tart" "$OUT/$name.brotli.tart"
    echo "$name: $quant $method, $codec, $(stat -c %s "$OUT/$name.tart") bytes" >&2
}
step "pack"
$titan pack --ckpt "$OUT/nano.ckpt" --weights ema --quant f32 -o "$OUT/nano-f32.tart" >/dev/null
pack nano-int8-rtn int8 rtn
pack nano-int8 int8 gptq
pack nano-int6-rtn int6 rtn
pack nano-int6 int6 gptq
pack nano-mixed-rtn mixed rtn
pack nano mixed gptq

# Windows of SEQ + 1 tokens (the training windows, max_seq_len).
step "eval on the validation split"
{
    for name in nano-f32 nano-int8-rtn nano-int8 nano-int6-rtn nano-int6 nano-mixed-rtn nano; do
        extra=()
        [ "$name" = nano ] && extra=(--baselines --adapt)
        result=$($titan eval -m "$OUT/$name.tart" --text "$OUT/corpus/val.txt" \
            --ctx $((SEQ + 1)) --stride "$EVAL_STRIDE" --threads "$THREADS" \
            ${EVAL_TOKENS:+--max-tokens "$EVAL_TOKENS"} "${extra[@]}")
        printf '%-10s %9s bytes  %s\n' "$name" "$(stat -c %s "$OUT/$name.tart")" \
            "$(head -n 1 <<<"$result")"
        grep -E '^(adaptive|baseline)' <<<"$result" || true
    done
} | tee "$OUT/summary.txt"

if [ -n "${SHIP:-}" ]; then
    mkdir -p "$SHIP"
    cp "$OUT/nano.tart" "$OUT/train.jsonl" "$OUT/loss.svg" "$OUT/summary.txt" \
        "$OUT/val_excerpt.txt" "$SHIP/"
    # The record tests/e2e/shipped_model.sh checks the artifact against.
    commit=$(git rev-parse --short HEAD)
    git diff --quiet HEAD || commit="$commit (with uncommitted changes)"
    {
        echo "# nano.tart, the shipped default model: its sha256 (tests/e2e/shipped_model.sh"
        echo "# checks it) and the command that rebuilds it; written by tools/data/train_model.sh."
        echo "# rebuild: git checkout $commit && make model STEPS=$STEPS BATCH=$BATCH SEQ=$SEQ" \
            "THREADS=$THREADS SEED=$SEED LR=$LR QAT_START=$QAT_START EMA=$EMA PRESET=$PRESET" \
            "CORPUS=$CORPUS SHIP=$SHIP"
        echo "# corpus: version $CORPUS, $(paste -sd, "$OUT/corpus/packages.txt" | sed 's/,/, /g')"
        (cd "$SHIP" && sha256sum nano.tart)
    } >"$SHIP/nano.tart.sha256"
    echo "shipped to $SHIP" >&2
fi
