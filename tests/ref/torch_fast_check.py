#!/usr/bin/python3
"""torch_fast_check.py: the benchmark's speed-written PyTorch loss
(tools/bench/torch_nano_fast.py) equals the reference (titan_ref.py) and so
does its gradient, in float64, on section-1 configs that turn each feature on:
q_latent, conv, MTP heads, YaRN, softcap, GQA groups. Exits 1 on a mismatch."""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "bench"))
import titan_ref  # noqa: E402
import torch_nano_fast  # noqa: E402
from train_grad_check import tensor_shapes  # noqa: E402

BASE = {"vocab_size": 64, "d_model": 32, "n_heads": 4, "n_kv_heads": 2, "head_dim": 8,
        "v_head_dim": 6, "rope_dim": 4, "q_latent": 16, "kv_latent": 12, "mlp_hidden": 48,
        "conv_kernel": 3, "n_unique_blocks": 2, "n_recurrences": 2, "max_seq_len": 64,
        "mtp_heads": 3, "mtp_weights": [1.0, 0.3, 0.1]}
VARIANTS = [{}, {"q_latent": 0, "conv_kernel": 0, "mtp_heads": 1, "mtp_weights": [1.0]},
            {"yarn_factor": 4.0, "yarn_orig_ctx": 16, "logit_softcap": 5.0},
            {"n_kv_heads": 1, "conv_kernel": 4, "n_recurrences": 1}]


def check(cfg, T):
    torch.manual_seed(len(cfg) + T)
    W = {}
    for name, shape in tensor_shapes(cfg):
        t = 1 + 0.1 * torch.randn(shape) if len(shape) == 1 else torch.randn(shape) / shape[1] ** 0.5
        W[name] = t.double().requires_grad_(True)
    ids = torch.randint(0, cfg["vocab_size"], (3, T))
    worst = 0.0
    grads = []
    for loss in (titan_ref.loss, torch_nano_fast.loss):
        L = loss(W, cfg, ids)
        g = torch.autograd.grad(L, list(W.values()), allow_unused=True)  # T=2: head 3 unused
        grads.append([L.detach().clone()] + [torch.zeros_like(w) if d is None else d
                                             for w, d in zip(W.values(), g)])
    for a, b in zip(*grads):
        err = ((a - b).abs().max() / (a.abs().max() + 1e-30)).item()
        if not err <= 1e-10:  # fails on NaN too
            return "relative difference %g" % err
        worst = max(worst, err)
    return worst


def main():
    bad = 0
    for i, v in enumerate(VARIANTS):
        for T in (2, 23):
            r = check(dict(BASE, **v), T)
            print("variant %d T=%d: %s" % (i, T, r))
            bad += isinstance(r, str)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
