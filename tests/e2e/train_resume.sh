#!/usr/bin/env bash
# train_resume.sh: a training run killed with SIGKILL and resumed from its
# last checkpoint ends bit-identical to an uninterrupted run (same seed and
# thread count), with EMA, SWA and late int6 QAT on; the log holds the SPEC
# fields; QAT switches on where asked; bad flags exit 2; the log plots.
set -u
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d); trap 'kill -9 $pid 2>/dev/null; rm -rf "$work"' EXIT
pid=
for i in $(seq 1 400); do
    echo "def f$i(x): return x * $i + $((i % 7))  # line $i of the corpus"
done >"$work/train.txt"
head -c 3000 "$work/train.txt" | tr 'a-z' 'b-za' >"$work/val.txt"
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
"$TITAN_TRAIN" train "${args[@]}" -o "$work/b.ckpt" --log "$work/b.jsonl" &
pid=$!
for _ in $(seq 1 600); do
    [ -f "$work/b.jsonl" ] && [ "$(wc -l <"$work/b.jsonl")" -ge 130 ] && break
    sleep 0.05
done
kill -9 $pid 2>/dev/null || fail "run ended before it could be killed"
wait $pid 2>/dev/null
[ -f "$work/b.ckpt" ] || fail "no checkpoint before the kill"
"$TITAN_TRAIN" train "${args[@]}" -o "$work/b.ckpt" --log "$work/b.jsonl" \
    --resume "$work/b.ckpt" || fail "resume"
cmp -s "$work/a.ckpt" "$work/b.ckpt" || fail "resumed run differs from the uninterrupted one"
/usr/bin/python3 - "$work/a.jsonl" <<'PY' || fail "log contents"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["step"] for r in rows] == list(range(1, 301)), "one row per step"
for r in rows:
    for k in ("step", "loss", "lr", "tokens_per_s", "grad_norm", "loss_heads"):
        assert k in r, k
assert all(r["qat"] == (r["step"] > 180) for r in rows), "QAT from step 180 on"
val = [r for r in rows if "val_bpb" in r]
assert [r["step"] for r in val] == [100, 200, 300], "val rows"
assert rows[-1]["loss"] < rows[0]["loss"] - 0.5, "loss falls"
assert rows[-1]["lr"] < rows[150]["lr"], "warm-down"
PY
"$TITAN_TRAIN" train "${args[@]}" -o "$work/c.ckpt" --qat int4 2>/dev/null
[ $? = 2 ] || fail "--qat int4 exits 2"
"$TITAN_TRAIN" train "${args[@]}" -o "$work/c.ckpt" --resume "$work/nope" 2>/dev/null
[ $? = 1 ] || fail "missing checkpoint exits 1"
"$TITAN_TRAIN" plot "$work/a.jsonl" -o "$work/p.svg" || fail "plot"
[ "$(grep -c '<polyline' "$work/p.svg")" = 2 ] || fail "plot has loss and val_bpb curves"
grep -q 'val_bpb' "$work/p.svg" || fail "plot names val_bpb"
echo '{"step": 1, "loss": ' >"$work/bad.jsonl"
"$TITAN_TRAIN" plot "$work/bad.jsonl" -o "$work/p.svg" 2>"$work/err"
[ $? = 1 ] && grep -q 'line 1' "$work/err" || fail "broken log line refused"
echo "train resume ok"
