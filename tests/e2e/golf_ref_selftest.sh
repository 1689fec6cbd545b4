#!/usr/bin/env bash
# golf_ref_selftest.sh: the SPEC section 8 PyTorch reference (tests/ref/golf_ref.py)
# checks itself: golf preset parameter counts, section-8 defaults == titan_ref.py,
# validation, bigram hash and skip pairings on hand-worked values, attention and
# GDN against second formulations, causality, autograd vs finite differences, CLI.
# Needs no build; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
$PY tests/ref/golf_ref.py --self-test
# the CLI's tensor table gives SPEC's totals for the two record presets
[ "$($PY tests/ref/golf_ref.py --preset golf-1.1531 --specs | tail -n 1)" = \
  "total 27005532 parameters in 144 tensors" ]
[ "$($PY tests/ref/golf_ref.py --preset golf-1.0785 --specs | tail -n 1)" = \
  "total 35908184 parameters in 150 tensors" ]
echo "golf_ref self-test ok"
