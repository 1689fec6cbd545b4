#!/usr/bin/env bash
# train_grad_xenith.sh: `titan-train grad` on Xenith configs (SPEC section 9:
# windows and global tokens, untied head, softcap, LoRA on every target, MoE
# with L_bal and L_z)
# agrees with PyTorch autograd through tests/ref/xenith_ref.py (loss 1e-5,
# every tensor 1e-4 relative), and configs the trainer does not cover yet
# (segment memory) are refused with a message, not a crash.
. "$(dirname "$0")/lib/common.sh"
/usr/bin/python3 -c 'import torch' 2>/dev/null || skip "python3-torch not installed"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 tests/ref/xenith_grad_check.py "$TITAN_TRAIN" "$work" ||
    fail "xenith gradients disagree with xenith_ref.py"
base='"family": "xenith", "vocab_size": 37, "d_model": 16, "n_heads": 4, "n_kv_heads": 2,
      "head_dim": 4, "mlp_hidden": 24, "max_seq_len": 64, "n_layers": 2, "bos_id": 0'
echo "{$base, \"stm_tokens\": 4, \"mem_slots\": 2, \"ltm_size\": 2, \"sum_layers\": 1,
      \"sum_heads\": 2}" >"$work/mem.json"
for kind in mem; do
    exits 1 "$TITAN_TRAIN" grad --safetensors "$work/dense.st" --config "$work/$kind.json" \
        --ids "$work/dense.ids" -o "$work/g" || fail "$kind config exits 1"
    grep -q "not train .* yet" <<<"$stderr" || fail "$kind: message says not yet"
done
exits 1 "$TITAN_TRAIN" grad --safetensors "$work/tied.st" --config "$work/dense.json" \
    --ids "$work/dense.ids" -o "$work/g" || fail "weights of another config exit 1"
echo "train grad xenith ok"
