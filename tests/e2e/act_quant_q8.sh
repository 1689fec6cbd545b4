#!/usr/bin/env bash
# act_quant_q8.sh: `--act-quant q8` (activations quantized per 32 values,
# integer dot products with int8-laned weights). The test is quality, not
# bits: val_bpb within 0.002 of the exact path for the shipped model (as
# shipped, int6-byte and int8; and repacked all int8) and for a golf-shaped
# model (SPEC section 8) trained briefly here and packed int8; on a long
# prompt, greedy decoding: how far the two runs agree token for token, and
# how often q8's likeliest next token is exact greedy's along exact's output
# (floor 0.9; and the free runs' first 16 tokens agree). Also: tensors the path does not take (f32) give exactly the
# exact logits, q8 gives the same bits for 1 and 2 threads, titan plan
# counts q8's buffers exactly, usage errors.
. "$(dirname "$0")/lib/common.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
PY=/usr/bin/python3
nano=tools/data/model/nano.tart
text=tools/data/model/val_excerpt.txt

# bpb MODEL TEXT CTX STRIDE MODE: val_bpb with --act-quant MODE
bpb() {
    "$TITAN" eval -m "$1" --text "$2" --ctx "$3" --stride "$4" --threads 2 \
        --act-quant "$5" --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["val_bpb"])'
}
# close_bpb NAME MODEL TEXT CTX STRIDE: q8 within 0.002 of exact
close_bpb() {
    local e q
    e=$(bpb "$2" "$3" "$4" "$5" exact)
    q=$(bpb "$2" "$3" "$4" "$5" q8)
    echo "$1: val_bpb exact $e, q8 $q"
    $PY -c "import sys; e, q = $e, $q; sys.exit(0 if abs(e - q) <= 0.002 else 1)" ||
        fail "$1: q8 val_bpb $q is not within 0.002 of exact $e"
}

close_bpb "nano as shipped (int6b + int8)" "$nano" "$text" 256 128
"$TITAN" export "$nano" --safetensors "$dir/n.st" --config-out "$dir/n.json" \
    --tokenizer-out "$dir/n.tok" >/dev/null
"$TITAN" pack --safetensors "$dir/n.st" --config "$dir/n.json" --tokenizer "$dir/n.tok" \
    --quant int8 -o "$dir/n8.tart" >/dev/null
close_bpb "nano repacked int8" "$dir/n8.tart" "$text" 256 128

# A golf-shaped model, trained briefly on the runtime's sources.
cat core/*.c >"$dir/core.txt"
cat formats/*.c >"$dir/formats.txt"
head -c 200000 "$dir/core.txt" >"$dir/train.txt"
head -c 20000 "$dir/formats.txt" >"$dir/val.txt"
"$TITAN_TRAIN" tokenizer --vocab 290 -i "$dir/train.txt" -o "$dir/g.tok" >/dev/null
"$TITAN_TRAIN" train --config tests/e2e/lib/golf_small.json --tokenizer "$dir/g.tok" \
    --train "$dir/train.txt" --val "$dir/val.txt" --threads 2 --steps 80 --batch 8 \
    --seq 64 --val-every 1000 --val-tokens 200 -o "$dir/g.ckpt" >/dev/null 2>&1
"$TITAN" pack --ckpt "$dir/g.ckpt" --quant int8 -o "$dir/g8.tart" >/dev/null
close_bpb "golf-shaped (golf_small.json, 80 steps) int8" "$dir/g8.tart" "$dir/val.txt" 128 64

# Greedy on a long prompt (the model's context holds 127 of its tokens).
head -c 2000 "$text" >"$dir/prompt.txt"
for m in exact q8; do
    "$TITAN" run -m "$nano" -f "$dir/prompt.txt" -n 120 --greedy --json --act-quant $m \
        2>/dev/null >"$dir/run_$m.json"
done
# exact greedy's context (BOS, the prompt as kept, its output), then each
# mode's logits along it: teacher-forced, so one flip does not end the count
"$TITAN" tokenize -m "$nano" -f "$dir/prompt.txt" >"$dir/prompt.ids"
$PY - "$dir" <<'PY' >"$dir/ids.txt"
import json, sys
d = sys.argv[1]
r = json.load(open(f"{d}/run_exact.json"))
assert r["context_shifts"] == 0
p = open(f"{d}/prompt.ids").read().split()
print(256, *p[len(p) - r["prompt_tokens"]:], *r["ids"])
PY
for m in exact q8; do
    "$TITAN" logits -m "$nano" --ids "$dir/ids.txt" -o "$dir/l_$m.f32" --act-quant $m >/dev/null
done
$PY - "$dir" <<'PY'
import array, json, sys
d = sys.argv[1]
ids = [int(v) for v in open(f"{d}/ids.txt").read().split()]
runs = {m: json.load(open(f"{d}/run_{m}.json"))["ids"] for m in ("exact", "q8")}
gen = runs["exact"]
P = len(ids) - 1 - len(gen)  # prompt tokens kept
same = next((i for i, (a, b) in enumerate(zip(gen, runs["q8"])) if a != b), len(gen))
def argmax_rows(path):
    a = array.array("f")
    a.frombytes(open(path, "rb").read())
    V = len(a) // len(ids)
    return [max(range(V), key=lambda j: a[r * V + j]) for r in range(len(ids))]
top = {m: argmax_rows(f"{d}/l_{m}.f32") for m in ("exact", "q8")}
# row P + i predicts gen[i], given the prompt and gen[:i]
agree = {m: sum(top[m][P + i] == g for i, g in enumerate(gen)) / len(gen) for m in top}
print(f"greedy, {len(gen)} tokens after {P} prompt tokens: the two runs agree on their "
      f"first {same} ({same / len(gen):.1%}); along exact's output q8's likeliest token "
      f"is exact's {agree['q8']:.1%} of the time (exact's own logits: {agree['exact']:.1%})")
assert agree["exact"] >= 0.98, "exact logits do not reproduce exact greedy"
assert agree["q8"] >= 0.9, "q8 agrees with exact greedy on fewer than 90% of tokens"
# decode steps (one token: the dot tiles) come only from the free runs
assert same >= 16, "q8 greedy decoding leaves exact's within 16 tokens"
PY

# f32 tensors keep the exact path: the same bits; q8 does not depend on threads.
"$TITAN" init --preset nano --seed 3 -o "$dir/f32.tart" >/dev/null
echo 256 72 101 108 108 111 32 119 111 114 108 100 >"$dir/few.txt"
"$TITAN" logits -m "$dir/f32.tart" --ids "$dir/few.txt" -o "$dir/fe.f32" >/dev/null
"$TITAN" logits -m "$dir/f32.tart" --ids "$dir/few.txt" -o "$dir/fq.f32" --act-quant q8 >/dev/null
cmp -s "$dir/fe.f32" "$dir/fq.f32" || fail "q8 changed the logits of an f32 model"
for th in 1 2; do
    "$TITAN" logits -m "$dir/n8.tart" --ids "$dir/ids.txt" -o "$dir/t$th.f32" --act-quant q8 \
        --threads $th >/dev/null
done
cmp -s "$dir/t1.f32" "$dir/t2.f32" || fail "q8 logits differ between 1 and 2 threads"
cmp -s "$dir/t1.f32" "$dir/l_q8.f32" && fail "int8 repack gave the shipped model's bits"

# The plan stays exact: q8 adds its activation buffers (batch 64 x nano's
# widest matrix, 384 columns: 64 x 384 int8 + 64 x 12 scales and sums) and
# the room for interleaved copies of the matrices (more than tok_emb's
# 1024 x 128 int8 values alone), and a q8 run's arena high-water mark is
# the plan.
plan() {
    "$TITAN" plan --preset nano --batch 64 --threads 2 --act-quant "$1" --json |
        $PY -c 'import json,sys; print(json.load(sys.stdin)["total_bytes"])'
}
pe=$(plan exact) && pq=$(plan q8)
[ $((pq - pe)) -gt $((64 * 384 + 64 * 12 * 8 + 1024 * 128)) ] ||
    fail "plan: q8 adds $((pq - pe)) bytes"
"$TITAN" run -m "$dir/g8.tart" -p "int main" -n 40 --json --act-quant q8 >"$dir/g.json" 2>/dev/null
$PY -c 'import json,sys; d = json.load(open(sys.argv[1])); sys.exit(d["arena_bytes"] != d["arena_used"])' \
    "$dir/g.json" || fail "q8 run: arena high-water differs from the plan"

exits 2 "$TITAN" run -m "$nano" -p hi --act-quant q8 --backend ref
exits 2 "$TITAN" eval -m "$nano" --text "$text" --act-quant q4
exits 2 "$TITAN" logits -m "$nano" --ids "$dir/few.txt" -o "$dir/x" --act-quant q8 --backend tpu
echo "act_quant_q8: ok"
