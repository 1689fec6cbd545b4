#!/usr/bin/python3
"""bench_train_torch.py: training tokens/s of PyTorch on CONFIG with 2 threads
(float32, autograd, AdamW on every tensor: a lighter optimizer than the C
trainer's Muon), written for speed: torch_nano_fast.py for section-1 configs,
torch_golf_fast.py (golf_ref.py with fast GQA attention) for configs with
section-8 options; configs with MLA blocks among those run golf_ref.py's own
attention, written for clarity, and print "reference" after the rate: no
baseline.

usage: bench_train_torch.py CONFIG.json BATCH SEQ STEPS
       bench_train_torch.py --blas
prints: torch_tokens_per_s X [reference]
   or (--blas): blas LIBRARY gemm_gflops G  (the BLAS library the process
   mapped after a float32 512^3 GEMM with 2 threads, and that GEMM's rate)
"""
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "ref"))
import golf_ref  # noqa: E402
import torch_golf_fast  # noqa: E402
import torch_nano_fast  # noqa: E402
from train_grad_check import tensor_shapes  # noqa: E402

SECTION1 = set(json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "configs",
                                           "nano.json"))))


def blas():
    torch.set_num_threads(2)
    a, b = torch.randn(512, 512), torch.randn(512, 512)
    for _ in range(3):
        a @ b
    n, t = 20, time.perf_counter()
    for _ in range(n):
        a @ b
    gflops = 2 * 512 ** 3 * n / (time.perf_counter() - t) * 1e-9
    libs = sorted({ln.split()[-1] for ln in open("/proc/self/maps")
                   if "blas" in ln.split()[-1].lower()})
    lib = next((x for x in libs if "openblas" in x.lower()), libs[0] if libs else "none")
    print("blas %s gemm_gflops %.1f" % (lib, gflops))
    return 0


def main(argv):
    if argv == ["--blas"]:
        return blas()
    cfg = json.load(open(argv[0]))
    batch, seq, steps = int(argv[1]), int(argv[2]), int(argv[3])
    torch.set_num_threads(2)
    torch.manual_seed(0)
    golf = not set(cfg) <= SECTION1
    if golf:
        W = {k: v.float().requires_grad_(True) for k, v in golf_ref.init_weights(cfg).items()}
        loss = torch_golf_fast.loss
    else:
        W = {}
        for name, shape in tensor_shapes(cfg):
            t = torch.ones(shape) if len(shape) == 1 else torch.randn(shape) / shape[1] ** 0.5
            W[name] = t.requires_grad_(True)
        loss = torch_nano_fast.loss
    opt = torch.optim.AdamW(W.values(), lr=1e-3, foreach=True)
    ids = torch.randint(0, cfg["vocab_size"], (steps + 1, batch, seq + 1))
    times = []
    for s in range(steps + 1):  # step 0 warms up; the rate is the median step's, as titan's
        start = time.perf_counter()
        opt.zero_grad()
        loss(W, cfg, ids[s]).backward()
        opt.step()
        times.append(time.perf_counter() - start)
    rate = batch * seq / statistics.median(times[1:])
    print("torch_tokens_per_s %.1f%s" % (rate, " reference" if golf and cfg.get("attention", "mla") != "gqa" else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
