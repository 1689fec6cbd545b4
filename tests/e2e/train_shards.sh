#!/usr/bin/env bash
# train_shards.sh: titan-train trains on parameter-golf .bin shards (read in
# name order, no tokenizer needed) with random or sequential windows, logs
# val_loss without val_bpb, and refuses
# a shard with a bad header, a wrong size or tokens outside vocab_size,
# naming the file.
. "$(dirname "$0")/lib/common.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work" <<'PY'
import numpy as np, sys
def shard(path, toks, magic=20240520):
    h = np.zeros(256, "<i4"); h[0], h[1], h[2] = magic, 1, len(toks)
    open(path, "wb").write(h.tobytes() + np.asarray(toks, "<u2").tobytes())
w = sys.argv[1]
pat = [i % 50 for i in range(3000)]
shard(w + "/train_000.bin", pat[:1500]); shard(w + "/train_001.bin", pat[1500:])
shard(w + "/val_000.bin", pat[:400])
shard(w + "/bad_000.bin", pat[:400], magic=1234)
shard(w + "/big_000.bin", [60000] * 400)
shard(w + "/cut_000.bin", pat[:400])
open(w + "/cut_000.bin", "r+b").truncate(1024 + 2 * 399)
shard(w + "/long_000.bin", pat[:400])
open(w + "/long_000.bin", "ab").write(b"\0\0")
shard(w + "/neg_000.bin", [])
h = np.zeros(256, "<i4"); h[0], h[1], h[2] = 20240520, 1, -1
open(w + "/neg_000.bin", "wb").write(h.tobytes())
h[1], h[2] = 2, 0
open(w + "/ver_000.bin", "wb").write(h.tobytes())
open(w + "/tiny_000.bin", "wb").write(h.tobytes()[:100])
PY
cat >"$work/cfg.json" <<'JSON'
{"vocab_size": 64, "d_model": 16, "n_heads": 2, "n_kv_heads": 1, "head_dim": 8,
 "v_head_dim": 8, "rope_dim": 4, "q_latent": 0, "kv_latent": 8, "mlp_hidden": 32,
 "conv_kernel": 0, "n_unique_blocks": 1, "n_recurrences": 1, "max_seq_len": 64,
 "rope_base": 10000, "yarn_factor": 1, "yarn_orig_ctx": 64, "yarn_beta_fast": 32,
 "yarn_beta_slow": 1, "mtp_heads": 1, "mtp_weights": [1.0], "norm_eps": 1e-5, "bos_id": 0}
JSON
args=(--config "$work/cfg.json" --steps 40 --batch 4 --seq 16 --val-every 20
      --log-every 20 --lr 3)
"$TITAN_TRAIN" train "${args[@]}" --train-shards "$work/train_*.bin" \
    --val-shards "$work/val_*.bin" -o "$work/c" --log "$work/log" || fail "shard training"
/usr/bin/python3 - "$work/log" <<'PY' || fail "shard log"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["step"] for r in rows] == [20, 40]
assert all("val_loss" in r and "val_bpb" not in r for r in rows)
assert rows[-1]["val_loss"] < 2.0, rows  # a period-50 pattern is learnable
PY
for run in 1 2; do
    "$TITAN_TRAIN" train "${args[@]}" --train-shards "$work/train_*.bin" --sequential \
        --val-shards "$work/val_*.bin" -o "$work/seq$run" || fail "sequential windows"
done
/usr/bin/python3 tests/e2e/lib/same_ckpt.py "$work/seq1" "$work/seq2" || fail "two sequential runs differ"
/usr/bin/python3 tests/e2e/lib/same_ckpt.py "$work/seq1" "$work/c" 2>/dev/null && fail "sequential and random windows agree"
for bad in bad cut long neg ver tiny; do
    exits 1 "$TITAN_TRAIN" train "${args[@]}" --train-shards "$work/${bad}_*.bin" \
        --val-shards "$work/val_*.bin" -o "$work/c" &&
        grep -q "${bad}_000.bin: shard: " <<<"$stderr" ||
        fail "$bad shard refused with its name: $stderr"
done
exits 1 "$TITAN_TRAIN" train "${args[@]}" --train-shards "$work/big_*.bin" \
    --val-shards "$work/val_*.bin" -o "$work/c" && grep -q 'vocab_size' <<<"$stderr" ||
    fail "token beyond vocab refused"
exits 2 "$TITAN_TRAIN" train "${args[@]}" --train "$work/x" --val-shards "$work/v" \
    -o "$work/c" || fail "text without --tokenizer exits 2"
echo "train shards ok"
