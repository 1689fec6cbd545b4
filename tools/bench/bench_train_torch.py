#!/usr/bin/python3
"""bench_train_torch.py: training tokens/s of the PyTorch reference model
(tests/ref/titan_ref.py, float32, autograd, AdamW on every tensor: a lighter
optimizer than the C trainer's Muon) on CONFIG with 2 threads.

usage: bench_train_torch.py CONFIG.json BATCH SEQ STEPS
prints: torch_tokens_per_s X
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "ref"))
import titan_ref  # noqa: E402
from train_grad_check import tensor_shapes  # noqa: E402


def main(argv):
    cfg = json.load(open(argv[0]))
    batch, seq, steps = int(argv[1]), int(argv[2]), int(argv[3])
    torch.set_num_threads(2)
    torch.manual_seed(0)
    W = {}
    for name, shape in tensor_shapes(cfg):
        t = torch.ones(shape) if len(shape) == 1 else torch.randn(shape) / shape[1] ** 0.5
        W[name] = t.requires_grad_(True)
    opt = torch.optim.AdamW(W.values(), lr=1e-3)
    ids = torch.randint(0, cfg["vocab_size"], (steps + 1, batch, seq + 1))
    for s in range(steps + 1):
        if s == 1:
            start = time.perf_counter()  # step 0 warms up
        opt.zero_grad()
        titan_ref.loss(W, cfg, ids[s], dtype=torch.float32).backward()
        opt.step()
    dt = time.perf_counter() - start
    print("torch_tokens_per_s %.1f" % (steps * batch * seq / dt))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
