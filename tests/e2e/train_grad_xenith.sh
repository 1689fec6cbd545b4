#!/usr/bin/env bash
# train_grad_xenith.sh: `titan-train grad` on Xenith configs (SPEC section 9:
# windows and global tokens, untied head, softcap, LoRA on every target, MoE
# with L_bal and L_z, the segment memory with its summarizer, FIFO LTM and
# a subset of reading layers) agrees with PyTorch autograd through
# tests/ref/xenith_ref.py (loss 1e-5, every tensor 1e-4 relative), and
# weights of another config are refused.
. "$(dirname "$0")/lib/common.sh"
/usr/bin/python3 -c 'import torch' 2>/dev/null || skip "python3-torch not installed"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 tests/ref/xenith_grad_check.py "$TITAN_TRAIN" "$work" ||
    fail "xenith gradients disagree with xenith_ref.py"
exits 1 "$TITAN_TRAIN" grad --safetensors "$work/tied.st" --config "$work/dense.json" \
    --ids "$work/dense.ids" -o "$work/g" || fail "weights of another config exit 1"
exits 1 "$TITAN_TRAIN" grad --safetensors "$work/dense.st" --config "$work/mem.json" \
    --ids "$work/dense.ids" -o "$work/g" || fail "weights without the summarizer exit 1"
echo "train grad xenith ok"
