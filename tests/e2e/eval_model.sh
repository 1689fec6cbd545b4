#!/usr/bin/env bash
# eval_model.sh: `titan eval` scoring parameter-golf shards with a small model
# against tests/ref/eval_ref.py (the PyTorch reference forward over the SPEC
# sliding windows): val_bpb, tokens and bytes; all-zero weights give exactly
# log2(V) * tokens / bytes; the thread count does not change the sum.
set -u
fail() { echo "FAIL: $*"; exit 1; }
command -v spm_train >/dev/null &&
    /usr/bin/python3 -c 'import sentencepiece, torch' 2>/dev/null ||
    { echo "skip: spm_train, python3-sentencepiece or torch missing"; exit 0; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
head -c 12000 /usr/share/common-licenses/GPL-3 >"$T/text.txt" || fail "no Debian text"
spm_train --input="$T/text.txt" --model_prefix="$T/m" --vocab_size=400 --model_type=bpe \
    --byte_fallback=true --minloglevel=2 >/dev/null 2>&1 || fail "spm_train"
/usr/bin/python3 tests/ref/spm_shards.py write "$T/m.model" "$T/text.txt" "$T" 2 || fail "shards"
/usr/bin/python3 tests/ref/eval_ref.py model "$T/w" 400 7 || fail "model"
/usr/bin/python3 tests/ref/eval_ref.py model "$T/z" 400 7 zero || fail "zero model"
ev() { "$TITAN" eval --safetensors "$T/$1.safetensors" --config "$T/$1.json" \
    --shards "$T/val_*.bin" --spm "$T/m.model" --json "${@:2}"; }
runs="32,8,300 16,16,200 24,1,60"
/usr/bin/python3 tests/ref/eval_ref.py ref "$T/w.safetensors" "$T/w.json" "$T/m.model" \
    "$T/val_*.bin" $runs >"$T/want" || fail "reference"
i=0
for run in $runs; do
    i=$((i + 1))
    IFS=, read -r ctx stride max <<<"$run"
    want=$(sed -n ${i}p "$T/want")
    got=$(ev w --ctx $ctx --stride $stride --max-tokens $max --threads 2) || fail "eval $run"
    /usr/bin/python3 - "$want" "$got" <<'PY' || fail "ctx/stride/max $run"
import json, sys
want, got = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert want["tokens"] == got["tokens"] and want["bytes"] == got["bytes"], (want, got)
assert abs(got["nll"] - want["nll"]) <= 1e-6 * want["nll"], (want, got)
assert abs(got["val_bpb"] - want["val_bpb"]) <= 1e-5, (want, got)
PY
done
ev z --ctx 32 --stride 8 | /usr/bin/python3 -c '
import json, math, sys
r = json.load(sys.stdin)
want = math.log2(400) * r["tokens"] / r["bytes"]
assert abs(r["val_bpb"] - want) <= 1e-6 * want, (r, want)' || fail "zero weights are uniform"
one=$(ev w --ctx 20 --stride 3 --threads 1 | grep -o '"nll": [^,]*')
three=$(ev w --ctx 20 --stride 3 --threads 3 | grep -o '"nll": [^,]*')
[ -n "$one" ] && [ "$one" = "$three" ] || fail "threads change the sum: $one vs $three"
ev w --ctx 65 >/dev/null 2>&1; [ $? = 2 ] || fail "ctx above max_seq_len is a usage error"
sed 's/"vocab_size": 400/"vocab_size": 300/' "$T/w.json" >"$T/v.json"
"$TITAN" eval --safetensors "$T/w.safetensors" --config "$T/v.json" --shards "$T/val_*.bin" \
    --spm "$T/m.model" >/dev/null 2>&1; [ $? = 1 ] || fail "tokens beyond the model's vocabulary"
echo "eval model ok"
