#!/usr/bin/env bash
# eval_model.sh: `titan eval -m ART` on parameter-golf shards and on a text
# file with a small packed model, against tests/ref/eval_ref.py (the PyTorch
# reference forward over the SPEC sliding windows): val_bpb, tokens, bytes;
# all-zero weights give exactly log2(V) * tokens / bytes; text mode counts
# every byte of the file; the thread count does not change the sum.
. "$(dirname "$0")/lib/common.sh"
command -v spm_train >/dev/null &&
    /usr/bin/python3 -c 'import sentencepiece, torch' 2>/dev/null ||
    skip "spm_train, python3-sentencepiece or torch missing (tools/install-deps.sh --test)"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
REF=tests/ref/eval_ref.py
head -c 12000 /usr/share/common-licenses/GPL-3 >"$T/text.txt" || fail "no Debian text"
spm_train --input="$T/text.txt" --model_prefix="$T/m" --vocab_size=400 --model_type=bpe \
    --byte_fallback=true --minloglevel=2 >/dev/null 2>&1 || fail "spm_train"
/usr/bin/python3 tests/ref/spm_shards.py write "$T/m.model" "$T/text.txt" "$T" 2 || fail "shards"
"$TITAN_TRAIN" tokenizer --vocab 300 -i "$T/text.txt" -o "$T/bpe.tok" >/dev/null || fail "tokenizer"
for m in "w 7" "z 7 zero"; do
    set -- $m
    /usr/bin/python3 $REF model "$T/$1" 400 $2 ${3:-} || fail "model $1"
    "$TITAN" pack --safetensors "$T/$1.safetensors" --config "$T/$1.json" --tokenizer "$T/bpe.tok" \
        -o "$T/$1.tart" --quant f32 --codec none >/dev/null || fail "pack $1"
done
check() { # WANT GOT: same tokens and bytes, same NLL to rounding
    /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
want, got = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert want["tokens"] == got["tokens"] and want["bytes"] == got["bytes"], (want, got)
assert abs(got["nll"] - want["nll"]) <= 1e-6 * want["nll"], (want, got)
assert abs(got["val_bpb"] - want["val_bpb"]) <= 1e-5, (want, got)
PY
}
# Shard mode.
runs="32,8,300 16,16,200 24,1,60"
/usr/bin/python3 $REF ref "$T/w.safetensors" "$T/w.json" "$T/m.model" "$T/val_*.bin" $runs \
    >"$T/want" || fail "reference"
i=0
for run in $runs; do
    i=$((i + 1))
    IFS=, read -r ctx stride max <<<"$run"
    got=$("$TITAN" eval -m "$T/w.tart" --shards "$T/val_*.bin" --spm "$T/m.model" --json \
        --ctx $ctx --stride $stride --max-tokens $max --threads 2) || fail "eval $run"
    check "$(sed -n ${i}p "$T/want")" "$got" || fail "shards ctx/stride/max $run"
done
# Text mode: BOS + the file's ids, every byte of the file accounted for.
head -c 700 "$T/text.txt" >"$T/val.txt"
"$TITAN" tokenize -m "$T/w.tart" -f "$T/val.txt" >"$T/ids" || fail "tokenize"
/usr/bin/python3 $REF text "$T/w.safetensors" "$T/w.json" "$T/ids" "$T/val.txt" 48,16 64,64 \
    >"$T/want" || fail "text reference"
i=0
for run in "48 16" "64 64"; do
    i=$((i + 1))
    set -- $run
    got=$("$TITAN" eval -m "$T/w.tart" --text "$T/val.txt" --ctx $1 --stride $2 --json) ||
        fail "text eval $run"
    check "$(sed -n ${i}p "$T/want")" "$got" || fail "text ctx/stride $run"
done
# All-zero weights: uniform over V = 400, in both modes.
set -f # the shard glob is titan's to expand
for input in "--text $T/val.txt" "--shards $T/val_*.bin --spm $T/m.model"; do
    "$TITAN" eval -m "$T/z.tart" $input --ctx 32 --stride 8 --json | /usr/bin/python3 -c '
import json, math, sys
r = json.load(sys.stdin)
want = math.log2(400) * r["tokens"] / r["bytes"]
assert abs(r["val_bpb"] - want) <= 1e-9 * want, (r, want)' || fail "zero weights: $input"
done
set +f
ev() { "$TITAN" eval -m "$T/w.tart" --text "$T/val.txt" --json "$@"; }
one=$(ev --ctx 20 --stride 3 --threads 1 | grep -o '"nll": [^,]*')
three=$(ev --ctx 20 --stride 3 --threads 3 | grep -o '"nll": [^,]*')
[ -n "$one" ] && [ "$one" = "$three" ] || fail "threads change the sum: $one vs $three"
exits 2 ev --ctx 65 || fail "ctx above max_seq_len is a usage error"
exits 2 ev --ctx 8 --stride 9 || fail "stride above ctx is a usage error"
exits 2 "$TITAN" eval --text "$T/val.txt" || fail "text mode needs -m"
head -c 5000 "$T/w.tart" >"$T/cut.tart"
exits 1 "$TITAN" eval -m "$T/cut.tart" --text "$T/val.txt" || fail "truncated artifact"
echo "eval model ok"
