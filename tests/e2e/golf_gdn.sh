#!/usr/bin/env bash
# golf_gdn.sh: the golf-1.0785 preset (3 Gated DeltaNet + 8 attention blocks)
# end to end. `titan init --preset golf-1.0785` writes the full model (its
# 35,908,184 parameters in 150 tensors, as `titan inspect` reports); then, the
# preset's config shrunk in width only (every option, the schedule and the GDN
# blocks 0, 1 and 10 kept), `titan-train train` trains it briefly with EMA and
# late int6 QAT (the loss falls), `titan pack --ckpt` packs it (float and int6
# with lzma), `titan eval` of the float pack equals the trainer's last
# val_bpb (the trainer's GDN ops against the runtime's chunked form) and cpu
# equals ref on the int6 pack, and `titan run` generates from both.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/tiny_model.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
PY=/usr/bin/python3
"$TITAN" init --preset golf-1.0785 --seed 1 -o "$work/full.art" >/dev/null || fail "init"
"$TITAN" inspect "$work/full.art" --json >"$work/full.json" || fail "inspect"
rm "$work/full.art"
$PY - "$work" <<'PY' || fail "golf-1.0785 shape and shrunk config"
import json, sys
w = sys.argv[1]
ins = json.load(open(w + "/full.json"))
assert ins["params"] == 35908184 and len(ins["tensors"]) == 150, ins["params"]
c = ins["config"]
assert c["gdn_layers"] == [0, 1, 10] and c["n_unique_blocks"] == 11, c
c.pop("bos_id")  # the tokenizer's
c.update(vocab_size=300, d_model=64, n_heads=4, n_kv_heads=2, head_dim=16, v_head_dim=16,
         rope_dim=8, mlp_hidden=128, max_seq_len=128, yarn_orig_ctx=128,
         gdn_head_dim=16, gdn_v_head_dim=16)
json.dump(c, open(w + "/golf.json", "w"))
print("golf-1.0785: %d parameters in %d tensors; shrunk to d_model 64" %
      (ins["params"], len(ins["tensors"])))
PY
code_split "$work"
"$TITAN_TRAIN" tokenizer --vocab 290 -i "$work/train.txt" -o "$work/tok" >/dev/null ||
    fail "tokenizer"
"$TITAN_TRAIN" train --config "$work/golf.json" --tokenizer "$work/tok" \
    --train "$work/train.txt" --val "$work/val.txt" --steps 60 --batch 4 --seq 64 \
    --threads 2 --ema 0.9 --qat int6 --qat-start 0.7 --val-every 60 --log-every 1 \
    --val-tokens 1000 -o "$work/golf.ckpt" --log "$work/golf.jsonl" >/dev/null ||
    fail "train"
"$TITAN" pack --ckpt "$work/golf.ckpt" -o "$work/golf.art" >/dev/null || fail "pack"
"$TITAN" pack --ckpt "$work/golf.ckpt" --quant int6 --codec lzma -o "$work/golf6.art" \
    >/dev/null || fail "pack int6"
ev=(--text "$work/val.txt" --ctx 64 --stride 64 --max-tokens 1000 --json)
"$TITAN" eval -m "$work/golf.art" "${ev[@]}" >"$work/eval.json" || fail "eval"
"$TITAN" eval -m "$work/golf6.art" "${ev[@]}" >"$work/eval6.json" || fail "eval int6"
"$TITAN" eval -m "$work/golf6.art" "${ev[@]}" --backend ref >"$work/eval6_ref.json" ||
    fail "eval int6 ref"
"$TITAN" run -m "$work/golf6.art" -p "def f1" -n 24 --greedy --json >"$work/run.json" ||
    fail "run int6"
"$TITAN" run -m "$work/golf.art" -p "def f1" -n 24 --temp 0.8 --seed 3 --json \
    >"$work/run_f32.json" || fail "run"
$PY - "$work" <<'PY' || fail "train, eval and run of golf-1.0785 shrunk"
import json, math, sys
w = sys.argv[1]
rows = [json.loads(l) for l in open(w + "/golf.jsonl")]
assert [r["step"] for r in rows] == list(range(1, 61)) and all(
    math.isfinite(r["loss"]) for r in rows)
first = sum(r["loss"] for r in rows[:5]) / 5
last = sum(r["loss"] for r in rows[-5:]) / 5
assert last < first - 1, (first, last)
logged = rows[-1]["val_bpb"]
f32, i6, i6r = (json.load(open("%s/%s.json" % (w, n)))["val_bpb"]
                for n in ("eval", "eval6", "eval6_ref"))
assert abs(f32 - logged) < 1e-4 * logged, (f32, logged)
assert abs(i6 - i6r) < 1e-4 * i6 and abs(i6 - f32) < 0.05 * f32, (i6, i6r, f32)
for n in ("run", "run_f32"):
    r = json.load(open("%s/%s.json" % (w, n)))
    assert r["tokens"] == 24 and r["arena_bytes"] == r["arena_used"], r
print("golf-1.0785 shrunk: loss %.3f -> %.3f; val_bpb trainer %.5f, titan eval %.5f, "
      "int6 %.5f (ref %.5f); run ok" % (first, last, logged, f32, i6, i6r))
PY
echo "golf gdn ok"
