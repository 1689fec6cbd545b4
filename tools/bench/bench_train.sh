#!/usr/bin/env bash
# bench_train.sh [STEPS]: training tokens/s of titan-train on the nano preset
# against the PyTorch reference model training the same config with the same
# batch (8), sequence length (256) and 2 threads; then titan-train on a golf
# config of nano's width and depth (SPEC section 8: record 1.1531's options,
# gqa with 64-wide heads, 8 effective layers over 6 blocks, every step on the
# full schedule). Run alone on a quiet machine: the numbers are wall-clock rates.
# Prints them and the nano ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${1:-6}
BUILD=${BUILD:-build}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work/nano.json" "$work/golf.json" <<'PY'
import json, sys
c = {"vocab_size": 1024, "d_model": 256, "n_heads": 4, "n_kv_heads": 2, "head_dim": 32,
     "v_head_dim": 32, "rope_dim": 16, "q_latent": 128, "kv_latent": 64, "mlp_hidden": 768,
     "conv_kernel": 3, "n_unique_blocks": 4, "n_recurrences": 2, "max_seq_len": 1024,
     "rope_base": 10000.0, "yarn_factor": 1.0, "yarn_orig_ctx": 1024, "yarn_beta_fast": 32.0,
     "yarn_beta_slow": 1.0, "mtp_heads": 3, "mtp_weights": [1.0, 0.3, 0.1], "norm_eps": 1e-5,
     "logit_softcap": 0.0}
json.dump(c, open(sys.argv[1], "w"))
g = dict(c, head_dim=64, v_head_dim=64, q_latent=0, kv_latent=0, conv_kernel=0,
         n_unique_blocks=6, n_recurrences=1, mtp_heads=1, mtp_weights=[1.0],
         logit_softcap=30.0, layer_schedule=[0, 1, 2, 3, 2, 3, 4, 5], attention="gqa",
         qk_norm=True, q_gain=True, mlp_act="leaky_relu2", parallel_residual_from=4,
         ln_scale=True, xsa_layers=[4, 5], bigram_hash={"buckets": 2048, "dim": 128},
         value_embed={"dim": 128, "layers": [4, 5]}, smear_gate=True, emb_norm=True,
         resid_mix=True, branch_scale=True, unet_skips="mirror_blocks")
json.dump(g, open(sys.argv[2], "w"))
PY
for i in $(seq 1 3000); do echo "line $i: the quick brown fox $((i * 7919 % 1000)) jumps"; done >"$work/text"
"$BUILD/titan-train" tokenizer --vocab 1024 -i "$work/text" -o "$work/tok" >/dev/null
# tokens_per_s CONFIG: titan-train's mean rate over the steps after the first.
tokens_per_s() {
    "$BUILD/titan-train" train --config "$1" --tokenizer "$work/tok" \
        --train "$work/text" --val "$work/text" -o "$work/ckpt" --steps $((steps + 1)) \
        --batch 8 --seq 256 --threads 2 --val-every 0 --log-every 1 --log "$work/log" >&2
    /usr/bin/python3 -c "import json,sys; r=[json.loads(l) for l in open(sys.argv[1])][1:]; print('%.1f' % (sum(x['tokens_per_s'] for x in r)/len(r)))" "$work/log"
}
c=$(tokens_per_s "$work/nano.json")
t=$(/usr/bin/python3 tools/bench/bench_train_torch.py "$work/nano.json" 8 256 "$steps" | awk '{print $2}')
g=$(tokens_per_s "$work/golf.json")
echo "titan-train tokens/s: $c"
echo "pytorch     tokens/s: $t"
/usr/bin/python3 -c "print('ratio: %.2fx' % ($c / $t))"
echo "titan-train golf tokens/s: $g"
