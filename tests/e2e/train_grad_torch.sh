#!/usr/bin/env bash
# train_grad_torch.sh: `titan-train grad` loss and gradients agree with PyTorch
# autograd through tests/ref/titan_ref.py (section 1) and tests/ref/golf_ref.py
# (section 8's options: everything on with gqa and mla, the record shapes scaled
# down; 1e-4 relative per tensor), and bad inputs are refused with a message
# and a non-zero exit (Gated DeltaNet blocks, not trained yet, among them).
. "$(dirname "$0")/lib/common.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 tests/ref/train_grad_check.py "$TITAN_TRAIN" "$work" ||
    fail "gradients disagree with PyTorch"
/usr/bin/python3 tests/ref/golf_grad_check.py "$TITAN_TRAIN" "$work" ||
    fail "section-8 gradients disagree with golf_ref.py"
/usr/bin/python3 - "$work/g0785.json" "$work/gdn.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["gdn_layers"] = [0, 1]
c["xsa_layers"] = [2, 3]
json.dump(c, open(sys.argv[2], "w"))
PY
exits 1 "$TITAN_TRAIN" grad --safetensors "$work/g0785.st" --config "$work/gdn.json" \
    --ids "$work/g0785.ids" -o "$work/g" || fail "a config with GDN blocks exits 1"
grep -q "Gated DeltaNet" <<<"$stderr" || fail "message names Gated DeltaNet: $stderr"
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
