#!/usr/bin/env bash
# xenith_ref_selftest.sh: tests/ref/xenith_ref.py, the PyTorch reference of
# SPEC section 9, holds its own properties (causality, windows and global
# tokens, top-k with k = E and ties, LoRA merged == unmerged, the memory
# reaching later segments and its FIFO size, softcap).
. "$(dirname "$0")/lib/common.sh"
/usr/bin/python3 -c 'import torch' 2>/dev/null || skip "python3-torch not installed"
/usr/bin/python3 tests/ref/xenith_ref.py --self-test
