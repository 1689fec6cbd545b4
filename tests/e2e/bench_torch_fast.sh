#!/usr/bin/env bash
# bench_torch_fast.sh: the PyTorch baseline of make bench (tools/bench/
# torch_nano_fast.py, written for speed) computes the reference's training loss
# and gradient (tests/ref/titan_ref.py) to 1e-10 in float64, so the benchmark
# compares against the same model. Needs no build.
set -euo pipefail
cd "$(dirname "$0")/../.."
/usr/bin/python3 tests/ref/torch_fast_check.py
echo "torch_nano_fast == titan_ref ok"
