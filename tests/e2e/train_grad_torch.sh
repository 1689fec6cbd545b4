#!/usr/bin/env bash
# train_grad_torch.sh: `titan-train grad` loss and gradients agree with PyTorch
# autograd through tests/ref/titan_ref.py (1e-4 relative per tensor), and bad
# inputs are refused with a message and a non-zero exit.
set -u
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 tests/ref/train_grad_check.py "$TITAN_TRAIN" "$work" ||
    fail "gradients disagree with PyTorch"
"$TITAN_TRAIN" grad --config "$work/full.json" --ids "$work/full.ids" \
    -o "$work/g" 2>/dev/null; [ $? = 2 ] || fail "missing --safetensors exits 2"
echo "1 2 999" >"$work/bad.ids"
"$TITAN_TRAIN" grad --safetensors "$work/full.st" --config "$work/full.json" \
    --ids "$work/bad.ids" -o "$work/g" 2>"$work/err"; [ $? = 1 ] || fail "id out of range exits 1"
grep -q "999" "$work/err" || fail "message names the bad id"
head -c 100 "$work/full.st" >"$work/trunc.st"
"$TITAN_TRAIN" grad --safetensors "$work/trunc.st" --config "$work/full.json" \
    --ids "$work/full.ids" -o "$work/g" 2>/dev/null; [ $? = 1 ] || fail "truncated weights exit 1"
"$TITAN_TRAIN" grad --safetensors "$work/plain.st" --config "$work/full.json" \
    --ids "$work/full.ids" -o "$work/g" 2>/dev/null; [ $? = 1 ] || fail "weights of another config exit 1"
echo "train grad ok"
