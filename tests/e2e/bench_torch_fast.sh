#!/usr/bin/env bash
# bench_torch_fast.sh: the PyTorch baselines of make bench, written for speed
# (tools/bench/torch_nano_fast.py, torch_golf_fast.py), compute the references'
# training loss and gradients (tests/ref/titan_ref.py, golf_ref.py) to 1e-12 of
# the largest in float64, so the benchmark compares against the same models.
# Needs no build.
set -euo pipefail
cd "$(dirname "$0")/../.."
/usr/bin/python3 tests/ref/torch_fast_check.py
echo "torch_nano_fast == titan_ref, torch_golf_fast == golf_ref ok"
