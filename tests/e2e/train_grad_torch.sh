#!/usr/bin/env bash
# train_grad_torch.sh: `titan-train grad` loss and gradients agree with PyTorch
# autograd through tests/ref/titan_ref.py (section 1) and tests/ref/golf_ref.py
# (section 8's options: everything on with gqa and mla, the record shapes scaled
# down, golf-1.0785 with its Gated DeltaNet blocks and GDN blocks with each
# gdn_* option; 1e-4 relative per tensor), and bad inputs are refused with a
# message and a non-zero exit.
. "$(dirname "$0")/lib/common.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 tests/ref/train_grad_check.py "$TITAN_TRAIN" "$work" ||
    fail "gradients disagree with PyTorch"
/usr/bin/python3 tests/ref/golf_grad_check.py "$TITAN_TRAIN" "$work" ||
    fail "section-8 gradients disagree with golf_ref.py"
exits 2 "$TITAN_TRAIN" grad --config "$work/full.json" --ids "$work/full.ids" -o "$work/g" ||
    fail "missing --safetensors exits 2"
echo "1 2 999" >"$work/bad.ids"
exits 1 "$TITAN_TRAIN" grad --safetensors "$work/full.st" --config "$work/full.json" \
    --ids "$work/bad.ids" -o "$work/g" || fail "id out of range exits 1"
grep -q "999" <<<"$stderr" || fail "message names the bad id"
head -c 100 "$work/full.st" >"$work/trunc.st"
exits 1 "$TITAN_TRAIN" grad --safetensors "$work/trunc.st" --config "$work/full.json" \
    --ids "$work/full.ids" -o "$work/g" || fail "truncated weights exit 1"
exits 1 "$TITAN_TRAIN" grad --safetensors "$work/plain.st" --config "$work/full.json" \
    --ids "$work/full.ids" -o "$work/g" || fail "weights of another config exit 1"
echo "train grad ok"
