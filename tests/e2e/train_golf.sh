#!/usr/bin/env bash
# train_golf.sh: `titan-train train` on a small golf-shaped config (SPEC section 8:
# record 1.1531's options plus a sink key; a layer schedule with repeats and
# recurrence_start_frac) runs end to end with EMA and late int6 QAT: the loss
# falls, a run killed and resumed from its checkpoint ends bit-identical,
# checkpoints export (weights, config, tokenizer) and `titan pack --ckpt` packs
# them. The schedule switch: a run resumed with --lr 0 (weights fixed) logs,
# step by step, golf_ref.py's loss on the same window with step_frac =
# step / --steps: on S' while that is below recurrence_start_frac, on S after.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/tiny_model.sh"
work=$(mktemp -d); trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$work"' EXIT
pid=
code_split "$work"
cat >"$work/golf.json" <<'JSON'
{"vocab_size": 300, "d_model": 32, "n_heads": 4, "n_kv_heads": 2, "head_dim": 8,
 "v_head_dim": 8, "rope_dim": 4, "q_latent": 0, "kv_latent": 0, "mlp_hidden": 64,
 "conv_kernel": 0, "n_unique_blocks": 5, "n_recurrences": 1, "max_seq_len": 64,
 "rope_base": 10000, "yarn_factor": 1, "yarn_orig_ctx": 64, "yarn_beta_fast": 32,
 "yarn_beta_slow": 1, "mtp_heads": 1, "mtp_weights": [1.0], "norm_eps": 1e-5,
 "logit_softcap": 30, "layer_schedule": [0, 1, 2, 1, 2, 3, 4],
 "recurrence_start_frac": 0.5, "attention": "gqa", "qk_norm": true, "q_gain": true,
 "mlp_act": "leaky_relu2", "parallel_residual_from": 3, "ln_scale": true,
 "xsa_layers": [3, 4], "bigram_hash": {"buckets": 64, "dim": 16},
 "value_embed": {"dim": 8, "layers": [3, 4]}, "attn_sink": "key", "smear_gate": true,
 "emb_norm": true, "resid_mix": true, "branch_scale": true, "unet_skips": "mirror_blocks"}
JSON
"$TITAN_TRAIN" tokenizer --vocab 290 -i "$work/train.txt" -o "$work/tok" || fail "tokenizer"
run=(--config "$work/golf.json" --tokenizer "$work/tok" --train "$work/train.txt"
     --val "$work/val.txt" --steps 200 --batch 4 --seq 32 --threads 2 --ema 0.9
     --qat int6 --qat-start 0.7 --val-every 100 --log-every 1 --val-tokens 1000
     --ckpt-every 20)
"$TITAN_TRAIN" train "${run[@]}" -o "$work/golf.ckpt" --log "$work/golf.jsonl" ||
    fail "golf run"
# The same run killed (SIGKILL) after step 60 and resumed from its last checkpoint
# (before the switch to S at step 100) ends bit-identical.
killed_and_resumed 60 "$work/b.ckpt" "$work/b.jsonl" "${run[@]}"
/usr/bin/python3 tests/e2e/lib/same_ckpt.py "$work/golf.ckpt" "$work/b.ckpt" ||
    fail "resumed golf run differs from the uninterrupted one"
/usr/bin/python3 - "$work/golf.jsonl" <<'PY' || fail "golf log"
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["step"] for r in rows] == list(range(1, 201)), "one row per step"
assert all(math.isfinite(r["loss"]) for r in rows)
assert all(r["qat"] == (r["step"] > 140) for r in rows), "QAT from step 140 on"
assert [r["step"] for r in rows if "val_bpb" in r] == [100, 200], "val rows"
first = sum(r["loss"] for r in rows[:5]) / 5
last = sum(r["loss"] for r in rows[-5:]) / 5
print("golf loss: first steps %.3f, last steps %.3f" % (first, last))
assert last < first - 2, "loss falls"
PY
"$TITAN_TRAIN" export "$work/golf.ckpt" -o "$work/golf.st" --config-out "$work/exp.json" \
    --tokenizer-out "$work/exp.tok" || fail "export"
/usr/bin/python3 - "$work" <<'PY' || fail "exported config and weights"
import json, sys
sys.path.insert(0, "tests/ref")
import golf_ref
w = sys.argv[1]
cfg, exp = json.load(open(w + "/golf.json")), json.load(open(w + "/exp.json"))
exp.pop("bos_id")  # set by the tokenizer
assert golf_ref.resolve_config(cfg) == golf_ref.resolve_config(exp), "config round trip"
W = golf_ref.read_safetensors(w + "/golf.st")
assert [n for n, _ in golf_ref.tensor_specs(cfg)] == sorted(W, key=list(W).index)
golf_ref.check_weights(W, golf_ref.resolve_config(cfg))
PY
"$TITAN" pack --ckpt "$work/golf.ckpt" -o "$work/golf.art" >/dev/null || fail "pack --ckpt"
"$TITAN" pack --ckpt "$work/golf.ckpt" --quant int6 --codec lzma -o "$work/golf6.art" \
    >/dev/null || fail "pack --ckpt int6"
has '"attention":"gqa"' "$TITAN" inspect "$work/golf6.art" --json || fail "inspect"
# The packed model's val_bpb (EMA weights, as the log's last row) once the runtime
# runs section 8; until then it must refuse with its "not run" message.
if "$TITAN" eval -m "$work/golf.art" --text "$work/val.txt" --ctx 32 --stride 32 \
    --max-tokens 1000 --json >"$work/eval.json" 2>"$work/eval.err"; then
    /usr/bin/python3 - "$work" <<'PY' || fail "titan eval disagrees with the trainer's val_bpb"
import json, sys
w = sys.argv[1]
ev = json.load(open(w + "/eval.json"))["val_bpb"]
logged = [json.loads(l) for l in open(w + "/golf.jsonl")][-1]["val_bpb"]
print("val_bpb: titan eval %.6f, trainer %.6f" % (ev, logged))
assert abs(ev - logged) < 1e-4 * logged
PY
else
    grep -q "not run by this runtime" "$work/eval.err" || fail "eval: $(cat "$work/eval.err")"
    echo "note: the runtime does not run this golf model yet: $(cat "$work/eval.err")"
fi

# The schedule switch. Run s trains 20 steps; run z resumes it for --steps 50
# with --lr 0 (--override: flags other than the checkpoint's; weights stay those of s): one sequential window of 17 ids per step,
# step k on S' while k / 50 < 0.5.
args=(--config "$work/golf.json" --tokenizer "$work/tok" --train "$work/train.txt"
      --val "$work/val.txt" --batch 1 --seq 16 --threads 1 --sequential --val-every 0
      --log-every 1)
"$TITAN_TRAIN" train "${args[@]}" --steps 20 -o "$work/s.ckpt" --log "$work/s.jsonl" ||
    fail "run s"
"$TITAN_TRAIN" export "$work/s.ckpt" --weights raw -o "$work/s.st" || fail "export s"
"$TITAN_TRAIN" train "${args[@]}" --steps 50 --lr 0 --resume "$work/s.ckpt" --override \
    -o "$work/z.ckpt" --log "$work/z.jsonl" || fail "run z"
/usr/bin/python3 - "$work" <<'PY' || fail "schedule switch"
import json, struct, sys
import numpy as np
sys.path.insert(0, "tests/ref")
import golf_ref
w = sys.argv[1]
cfg = json.load(open(w + "/golf.json"))
W = golf_ref.read_safetensors(w + "/s.st")
raw = open(w + "/train.txt.tok", "rb").read()  # the trainer's token cache
n = struct.unpack_from("<Q", raw, 24)[0]
ids = np.frombuffer(raw, "<u4", n, 32).astype(np.int64)
rows = [json.loads(l) for l in open(w + "/z.jsonl")]
assert [r["step"] for r in rows] == list(range(21, 51)), "rows of steps 21..50"
worst = 0
for r in rows:
    k = r["step"] - 1                       # the 0-based step that ran
    win = ids[16 * k:16 * k + 17].tolist()  # --sequential: window k
    want = golf_ref.loss(W, cfg, win, step_frac=k / 50).item()
    prefix = golf_ref.loss(W, cfg, win, step_frac=0.0).item()
    full = golf_ref.loss(W, cfg, win).item()
    assert want == (prefix if k / 50 < 0.5 else full)
    print("step %2d: step_frac %.2f  C %.6f  golf_ref %.6f  (S' %.6f, S %.6f)"
          % (k, k / 50, r["loss"], want, prefix, full))
    assert abs(r["loss"] - want) < 2e-5, "loss of step %d" % k
    assert k / 50 >= 0.5 or abs(prefix - full) > 1e-3, "S and S' differ before the switch"
    worst = max(worst, abs(r["loss"] - want))
print("schedule switch at step 25: worst |C - golf_ref| %.1e" % worst)
PY
echo "train golf ok"
