#!/usr/bin/env bash
# bench_train.sh [STEPS]: training tokens/s of titan-train on the nano preset
# against the PyTorch reference model training the same config with the same
# batch (8), sequence length (256) and 2 threads. Run alone on a quiet machine:
# both numbers are wall-clock rates. Prints both and their ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${1:-6}
BUILD=${BUILD:-build}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work/nano.json" <<'PY'
import json, sys
c = {"vocab_size": 1024, "d_model": 256, "n_heads": 4, "n_kv_heads": 2, "head_dim": 32,
     "v_head_dim": 32, "rope_dim": 16, "q_latent": 128, "kv_latent": 64, "mlp_hidden": 768,
     "conv_kernel": 3, "n_unique_blocks": 4, "n_recurrences": 2, "max_seq_len": 1024,
     "rope_base": 10000.0, "yarn_factor": 1.0, "yarn_orig_ctx": 1024, "yarn_beta_fast": 32.0,
     "yarn_beta_slow": 1.0, "mtp_heads": 3, "mtp_weights": [1.0, 0.3, 0.1], "norm_eps": 1e-5,
     "logit_softcap": 0.0}
json.dump(c, open(sys.argv[1], "w"))
PY
for i in $(seq 1 3000); do echo "line $i: the quick brown fox $((i * 7919 % 1000)) jumps"; done >"$work/text"
"$BUILD/titan-train" tokenizer --vocab 1024 -i "$work/text" -o "$work/tok" >/dev/null
"$BUILD/titan-train" train --config "$work/nano.json" --tokenizer "$work/tok" \
    --train "$work/text" --val "$work/text" -o "$work/ckpt" --steps $((steps + 1)) \
    --batch 8 --seq 256 --threads 2 --val-every 0 --log-every 1 --log "$work/log"
c=$(/usr/bin/python3 -c "import json,sys; r=[json.loads(l) for l in open(sys.argv[1])][1:]; print('%.1f' % (sum(x['tokens_per_s'] for x in r)/len(r)))" "$work/log")
t=$(/usr/bin/python3 tools/bench/bench_train_torch.py "$work/nano.json" 8 256 "$steps" | awk '{print $2}')
echo "titan-train tokens/s: $c"
echo "pytorch     tokens/s: $t"
/usr/bin/python3 -c "print('ratio: %.2fx' % ($c / $t))"
