#!/usr/bin/env bash
# train_resume.sh: a training run killed with SIGKILL and resumed from its
# last checkpoint ends bit-identical to an uninterrupted run (same seed and
# thread count), with EMA, SWA and late int6 QAT on, and its log (cut back to
# the checkpoint's step on resume) has each step once; the log holds the SPEC
# fields; QAT switches on where asked; bad flags exit 2; the log plots.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/tiny_model.sh"
work=$(mktemp -d); trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$work"' EXIT
pid=
code_split "$work"
cat >"$work/cfg.json" <<'JSON'
{"vocab_size": 300, "d_model": 16, "n_heads": 2, "n_kv_heads": 1, "head_dim": 8,
 "v_head_dim": 8, "rope_dim": 4, "q_latent": 8, "kv_latent": 8, "mlp_hidden": 32,
 "conv_kernel": 3, "n_unique_blocks": 1, "n_recurrences": 2, "max_seq_len": 64,
 "rope_base": 10000, "yarn_factor": 1, "yarn_orig_ctx": 64, "yarn_beta_fast": 32,
 "yarn_beta_slow": 1, "mtp_heads": 2, "mtp_weights": [1.0, 0.3], "norm_eps": 1e-5}
JSON
"$TITAN_TRAIN" tokenizer --vocab 290 -i "$work/train.txt" -o "$work/tok" ||
    fail "tokenizer"
args=(--config "$work/cfg.json" --tokenizer "$work/tok" --train "$work/train.txt"
      --val "$work/val.txt" --steps 300 --batch 3 --seq 16 --threads 2 --seed 5
      --ema 0.9 --swa-every 3 --swa-below 0.5 --qat int6 --qat-start 0.6
      --ckpt-every 20 --val-every 100 --log-every 1 --val-tokens 500)
"$TITAN_TRAIN" train "${args[@]}" -o "$work/a.ckpt" --log "$work/a.jsonl" ||
    fail "uninterrupted run"
killed_and_resumed 130 "$work/b.ckpt" "$work/b.jsonl" "${args[@]}"
/usr/bin/python3 tests/e2e/lib/same_ckpt.py "$work/a.ckpt" "$work/b.ckpt" || fail "resumed run differs from the uninterrupted one"
/usr/bin/python3 - "$work/b.jsonl" <<'PY' || fail "the resumed log repeats or misses steps"
import json, sys
steps = [json.loads(l)["step"] for l in open(sys.argv[1])]
assert steps == list(range(1, 301)), (len(steps), steps[-3:])
PY
/usr/bin/python3 - "$work/a.jsonl" <<'PY' || fail "log contents"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["step"] for r in rows] == list(range(1, 301)), "one row per step"
for r in rows:
    for k in ("step", "loss", "lr", "tokens_per_s", "grad_norm", "loss_heads"):
        assert k in r, k
    t = [r[k] for k in ("t_fwd_ms", "t_bwd_ms", "t_opt_ms", "t_idle_ms")]
    assert min(t) >= 0 and sum(t) <= 1e3 * 3 * 16 / r["tokens_per_s"] * 1.01 + 0.01, ("step times", t, r)
assert all(sum(r[k] for r in rows) > 0 for k in ("t_fwd_ms", "t_bwd_ms", "t_opt_ms")), "timed"
assert all(r["qat"] == (r["step"] > 180) for r in rows), "QAT from step 180 on"
val = [r for r in rows if "val_bpb" in r]
assert [r["step"] for r in val] == [100, 200, 300], "val rows"
assert rows[-1]["loss"] < rows[0]["loss"] - 0.5, "loss falls"
assert rows[-1]["lr"] < rows[150]["lr"], "warm-down"
PY
exits 2 "$TITAN_TRAIN" train "${args[@]}" -o "$work/c.ckpt" --qat int4 || fail "--qat int4 exits 2"
exits 2 "$TITAN_TRAIN" train "${args[@]}" -o "$work/c.ckpt" --qat-mode round ||
    fail "--qat-mode round exits 2"
exits 2 "$TITAN_TRAIN" train "${args[@]}" -o "$work/c.ckpt" --qat-tensors 'blocks.*.wo,nope*' ||
    fail "a glob naming no tensor exits 2"
grep -q "'nope\*' names no tensor" <<<"$stderr" || fail "unmatched glob says '$stderr'"
# SGD with momentum for every tensor trains too; other optimizers are refused.
exits 2 "$TITAN_TRAIN" train "${args[@]}" -o "$work/c.ckpt" --optimizer adam ||
    fail "--optimizer adam exits 2"
"$TITAN_TRAIN" train "${args[@]}" --steps 60 --optimizer sgd --lr 5 -o "$work/s.ckpt" \
    --log "$work/s.jsonl" >/dev/null || fail "sgd run"
/usr/bin/python3 - "$work/s.jsonl" <<'PY' || fail "sgd: loss does not fall"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows[-1]["loss"] < rows[0]["loss"] - 2, (rows[0]["loss"], rows[-1]["loss"])
PY
# Late QAT on chosen tensors in its noise form: on from step 6, the run's
# record keeps both flags (a resume alone continues with them).
"$TITAN_TRAIN" train "${args[@]}" --steps 10 --qat-start 0.5 --qat-mode noise \
    --qat-tensors 'blocks.*.wo,blocks.*.w_down' -o "$work/n.ckpt" --log "$work/n.jsonl" \
    >/dev/null || fail "noise QAT run"
"$TITAN_TRAIN" train --resume "$work/n.ckpt" --override --steps 12 --log "$work/n.jsonl" \
    >/dev/null || fail "noise QAT resume"
/usr/bin/python3 - "$work/n.jsonl" <<'PY' || fail "noise QAT log"
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["step"] for r in rows] == list(range(1, 13)), [r["step"] for r in rows]
assert all(r["qat"] == (r["step"] > 5) for r in rows), [r["qat"] for r in rows]
assert all(math.isfinite(r["loss"]) for r in rows)
PY
exits 1 "$TITAN_TRAIN" train "${args[@]}" -o "$work/c.ckpt" --resume "$work/nope" ||
    fail "missing checkpoint exits 1"
for which in raw ema swa; do
    "$TITAN_TRAIN" export "$work/a.ckpt" --weights $which -o "$work/$which.st" \
        --config-out "$work/exp.json" --tokenizer-out "$work/exp.tok" || fail "export $which"
done
cmp -s "$work/exp.tok" "$work/tok" || fail "exported tokenizer differs"
/usr/bin/python3 - "$work" <<'PY' || fail "exported weights"
import sys
sys.path.insert(0, "tests/ref")
from titan_ref import read_safetensors
w = sys.argv[1]
ck = read_safetensors(w + "/a.ckpt")
for which, prefix in (("raw", ""), ("ema", "ema/"), ("swa", "swa/")):
    ex = read_safetensors("%s/%s.st" % (w, which))
    assert ex.keys() == {k for k in ck if "/" not in k}, which
    assert all((ex[k] == ck[prefix + k]).all() for k in ex), which
assert not (ck["ema/tok_emb"] == ck["tok_emb"]).all() and not (ck["swa/tok_emb"] == ck["tok_emb"]).all()
PY
# The last val_bpb recomputed with PyTorch: EMA weights of run a (windows of
# --seq + 1 tokens of BOS + val text, stride --seq, the first --val-tokens
# targets, as titan eval --max-tokens), then a short run d with sliding windows.
"$TITAN_TRAIN" train "${args[@]}" --steps 8 --ema 0 --swa-every 0 --val-every 8 \
    --val-stride 5 -o "$work/d.ckpt" --log "$work/d.jsonl" || fail "run with --val-stride"
"$TITAN_TRAIN" export "$work/d.ckpt" -o "$work/d.st" || fail "export d"
/usr/bin/python3 - "$work" <<'PY' || fail "val_bpb disagrees with the PyTorch reference"
import json, math, struct, sys
import numpy as np, torch
sys.path.insert(0, "tests/ref")
from titan_ref import forward, read_safetensors
w = sys.argv[1]
raw = open(w + "/val.txt.tok", "rb").read()
n = struct.unpack_from("<Q", raw, 24)[0]
ids = np.frombuffer(raw, "<u4", n, 32).astype(np.int64)
tok = open(w + "/tok", "rb").read()
(merges,) = struct.unpack_from("<I", tok, 8)
length = [1] * 256 + [0]
for i in range(merges):
    l, r = struct.unpack_from("<II", tok, 16 + 8 * i)
    length.append(length[l] + length[r])
cfg = json.load(open(w + "/cfg.json"))

def val_bpb(weights, L, S, cap):
    W = read_safetensors(weights)
    N = min(n - 1, cap)
    seq = ids[:N + 1]
    nll = nbytes = done = 0
    for start in range(0, N, S):
        if done >= N:
            break
        win = seq[start:start + L + 1]
        lp = torch.log_softmax(forward(W, cfg, win.tolist())[0], -1)
        for t in range(len(win) - 1):
            if start + t + 1 > done:
                nll -= lp[t, win[t + 1]].item()
                nbytes += length[win[t + 1]]
                done = start + t + 1
    return nll / (math.log(2) * nbytes)

for st, log, S in (("ema.st", "a.jsonl", 16), ("d.st", "d.jsonl", 5)):
    ref = val_bpb(w + "/" + st, 16, S, 500)
    logged = [json.loads(l) for l in open(w + "/" + log)][-1]["val_bpb"]
    print("stride %d: val_bpb C %.6f torch %.6f" % (S, logged, ref))
    assert abs(logged - ref) < 1e-4 * ref
PY
"$TITAN" pack --safetensors "$work/ema.st" --config "$work/exp.json" \
    --tokenizer "$work/exp.tok" -o "$work/model.art" >/dev/null || fail "titan pack of exported weights"
exits 2 "$TITAN_TRAIN" export "$work/a.ckpt" --weights best -o "$work/x.st" ||
    fail "--weights best exits 2"
"$TITAN_TRAIN" plot "$work/a.jsonl" -o "$work/p.svg" || fail "plot"
[ "$(grep -c '<polyline' "$work/p.svg")" = 2 ] || fail "plot has loss and val_bpb curves"
grep -q 'val_bpb' "$work/p.svg" || fail "plot names val_bpb"
echo '{"step": 1, "loss": ' >"$work/bad.jsonl"
exits 1 "$TITAN_TRAIN" plot "$work/bad.jsonl" -o "$work/p.svg" && grep -q 'line 1' <<<"$stderr" ||
    fail "broken log line refused"
echo "train resume ok"
