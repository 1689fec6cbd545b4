#!/usr/bin/env bash
# budget.sh: `titan budget` against real packs.
#  - nano and golf-cpu, random weights (titan init): the predicted bytes equal
#    the packed file's exactly with --codec none and are within 3% of it with
#    lzma, brotli and auto; so with --embed-split (token rows split int8/int6).
#  - --fit depth|width|vocab: the answer's prediction fits the budget and the
#    next valid value's does not; the depth answer packed for real fits too.
#  - --ckpt: a trained checkpoint's own rates, within 3% of its pack.
#  - bad flags exit 2 with a message naming the flag.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# json FILE KEY...: a value of the JSON object in FILE.
json() { python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2:]: v=v[k]
print(v)' "$@"; }

# weights CFG NAME: random weights of CFG exported as $T/NAME.{st,config.json,tok}.
weights() {
    "$TITAN" init --config "$1" -o "$T/$2.tart" >/dev/null
    "$TITAN" export "$T/$2.tart" --safetensors "$T/$2.st" >/dev/null
}

# check NAME CFG QUANT CODEC [N]: the prediction against the packed file
# (with N: --embed-split N, counts from a README's text).
check() {
    local split=()
    [ $# -lt 5 ] || split=(--embed-split "$5")
    "$TITAN" budget --config "$2" --quant "$3" --codec "$4" "${split[@]}" --json >"$T/b.json"
    [ $# -lt 5 ] || split+=(--embed-counts tools/data/golf/README.md)
    "$TITAN" pack --safetensors "$T/$1.st" --config "$T/$1.config.json" \
        --tokenizer "$T/$1.tok" --quant "$3" --codec "$4" "${split[@]}" -o "$T/p.tart" \
        >/dev/null
    local pred real
    pred=$(json "$T/b.json" predicted_bytes)
    real=$(stat -c %s "$T/p.tart")
    echo "$1 $3 $4 ${5:-}: predicted $pred, packed $real"
    if [ "$4" = none ]; then
        [ "$pred" = "$real" ] || fail "$1 $3 none: predicted $pred, packed $real"
    else
        python3 -c "import sys; p, r = $pred, $real; sys.exit(not abs(p - r) <= 0.03 * r)" ||
            fail "$1 $3 $4: predicted $pred, packed $real: off by more than 3%"
    fi
}

weights tools/configs/nano.json nano
weights tools/configs/golf-cpu.json golf
check nano tools/configs/nano.json int6 none
check nano tools/configs/nano.json int6 brotli
check nano tools/configs/nano.json int8 lzma
check golf tools/configs/golf-cpu.json mixed none
check golf tools/configs/golf-cpu.json int6 lzma
check golf tools/configs/golf-cpu.json mixed brotli
check golf tools/configs/golf-cpu.json mixed auto
check nano tools/configs/nano.json mixed none 128
check golf tools/configs/golf-cpu.json mixed brotli 256
check nano tools/configs/nano.json int6 lzma 0
check golf tools/configs/golf-cpu.json mixed auto 256

# --ckpt: a trained checkpoint's config, tokenizer and weights (its own rates,
# not init's): within 3% of its pack, and not the init-rate prediction.
cat core/*.c >"$T/train.txt"
"$TITAN_TRAIN" train --config tools/configs/nano.json --tokenizer "$T/nano.tok" \
    --train "$T/train.txt" --val "$T/train.txt" --steps 30 --batch 2 --seq 64 --lr 3 \
    --threads 2 --val-every 0 -o "$T/c.ckpt" >/dev/null 2>&1 || fail "train a checkpoint"
"$TITAN" pack --ckpt "$T/c.ckpt" --quant mixed --codec brotli -o "$T/c.tart" >/dev/null
"$TITAN" budget --ckpt "$T/c.ckpt" --quant mixed --codec brotli --json >"$T/c.json" ||
    fail "budget --ckpt"
"$TITAN" budget --config tools/configs/nano.json --tokenizer "$T/nano.tok" --quant mixed \
    --codec brotli --json >"$T/i.json"
pred=$(json "$T/c.json" predicted_bytes) init=$(json "$T/i.json" predicted_bytes)
real=$(stat -c %s "$T/c.tart")
echo "--ckpt mixed brotli: predicted $pred (init rates: $init), packed $real"
python3 -c "import sys; p, r = $pred, $real; sys.exit(not abs(p - r) <= 0.03 * r)" ||
    fail "--ckpt: predicted $pred, packed $real: off by more than 3%"
[ "$pred" != "$init" ] || fail "--ckpt predicts with init's rates"

# fit CFG KNOB QUANT CODEC BUDGET: the answer fits, the next step does not.
fit() {
    "$TITAN" budget --config "$1" --fit "$2" --quant "$3" --codec "$4" --budget "$5" \
        --json >"$T/f.json"
    local v at next over
    v=$(json "$T/f.json" fit value)
    at=$(json "$T/f.json" fit predicted_bytes)
    next=$(json "$T/f.json" fit next)
    over=$(json "$T/f.json" fit next_predicted_bytes)
    echo "fit $2 $3 $4 $5: $v ($at bytes), $next ($over bytes)"
    [ "$v" -gt 0 ] && [ "$at" -le "$5" ] || fail "fit $2: $v predicted $at > $5"
    [ "$next" -gt "$v" ] && [ "$over" -gt "$5" ] ||
        fail "fit $2: the next step $next predicted $over fits $5"
}
fit tools/configs/golf-cpu.json width mixed none 800000
fit tools/configs/golf-cpu.json vocab int8 lzma 900000

# The depth answer, packed for real, stays under the budget.
fit tools/configs/nano.json depth int6 lzma 700000
blocks=$(json "$T/f.json" fit value)
python3 -c "import json,sys; c=json.load(open('tools/configs/nano.json'))
c['n_unique_blocks']=$blocks; json.dump(c, open('$T/deep.json','w'))"
weights "$T/deep.json" deep
"$TITAN" pack --safetensors "$T/deep.st" --config "$T/deep.config.json" \
    --tokenizer "$T/deep.tok" --quant int6 --codec lzma --budget 700000 \
    -o "$T/deep.tart" >/dev/null || fail "the --fit depth answer $blocks does not pack under 700000"

# Nothing fits: exit 1 and say so.
exits 1 "$TITAN" budget --config tools/configs/nano.json --fit depth --budget 1000 ||
    fail "--fit with nothing fitting"
out=$("$TITAN" budget --config tools/configs/nano.json --fit depth --budget 1000) || true
grep -q "nothing the config allows fits" <<<"$out" || fail "nothing fits says '$out'"

# Bad flags: exit 2, the flag named.
bad() {
    local want=$1
    shift
    exits 2 "$TITAN" budget "$@" || fail "budget $*"
    grep -q -- "$want" <<<"$stderr" || fail "budget $*: '$stderr' does not say $want"
}
bad "--quant int5" --preset nano --quant int5
bad "codec 'zip'" --preset nano --codec zip
bad "--fit height" --preset nano --fit height
bad "--budget" --preset nano --budget -5
bad "--budget" --preset nano --budget 12abc
bad "--budget" --preset nano --budget 0
bad "one of --preset and --config" --preset nano --config tools/configs/nano.json
bad "one of --preset and --config" --quant int6
bad "tok_emb is f32" --preset nano --embed-split 64
bad "--embed-split" --preset nano --quant mixed --embed-split -1
bad "unknown preset" --preset nope
bad "--ckpt brings its config" --ckpt "$T/c.ckpt" --preset nano
exits 1 "$TITAN" budget --preset xenith-full || fail "a model too large to predict"
grep -q "2^27" <<<"$stderr" || fail "too large says '$stderr'"
echo "budget ok"
