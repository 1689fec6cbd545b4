#!/usr/bin/python3
"""torch_fast_check.py: the benchmark's speed-written PyTorch losses equal
the references and so do their gradients, in float64: torch_nano_fast.py
against titan_ref.py on section-1 configs that turn each feature on (q_latent,
conv, MTP heads, YaRN, softcap, GQA groups), torch_golf_fast.py against
golf_ref.py on golf-cpu and variants (both sink kinds, no qk_norm or q_gain,
value embeddings and XSA elsewhere, a GDN layer). Exits 1 on a mismatch."""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "bench"))
import golf_ref  # noqa: E402
import titan_ref  # noqa: E402
import torch_golf_fast  # noqa: E402
import torch_nano_fast  # noqa: E402
from train_grad_check import tensor_shapes  # noqa: E402

BASE = {"vocab_size": 64, "d_model": 32, "n_heads": 4, "n_kv_heads": 2, "head_dim": 8,
        "v_head_dim": 6, "rope_dim": 4, "q_latent": 16, "kv_latent": 12, "mlp_hidden": 48,
        "conv_kernel": 3, "n_unique_blocks": 2, "n_recurrences": 2, "max_seq_len": 64,
        "mtp_heads": 3, "mtp_weights": [1.0, 0.3, 0.1]}
VARIANTS = [{}, {"q_latent": 0, "conv_kernel": 0, "mtp_heads": 1, "mtp_weights": [1.0]},
            {"yarn_factor": 4.0, "yarn_orig_ctx": 16, "logit_softcap": 5.0},
            {"n_kv_heads": 1, "conv_kernel": 4, "n_recurrences": 1}]


GOLF = json.load(open(os.path.join(HERE, "..", "..", "tools", "configs", "golf-cpu.json")))
GOLF_VARIANTS = [{}, {"attn_sink": "key", "qk_norm": False, "xsa_layers": [0, 3]},
                 {"attn_sink": "logit", "q_gain": False, "value_embed": {"dim": 16, "layers": [0]}},
                 {"gdn_layers": [1], "xsa_layers": [3], "rope_dim": 0}]


def nano_weights(cfg):
    W = {}
    for name, shape in tensor_shapes(cfg):
        t = 1 + 0.1 * torch.randn(shape) if len(shape) == 1 else torch.randn(shape) / shape[1] ** 0.5
        W[name] = t.double().requires_grad_(True)
    return W


def golf_weights(cfg):
    return {k: (v.double() + 0.05 * torch.randn(v.shape, dtype=torch.float64)).requires_grad_(True)
            for k, v in golf_ref.init_weights(cfg).items()}


def check(cfg, T, golf=False):
    torch.manual_seed(len(cfg) + T)
    W = golf_weights(cfg) if golf else nano_weights(cfg)
    ids = torch.randint(0, cfg["vocab_size"], (3, T))
    worst = 0.0
    grads = []
    pair = ((golf_ref.loss, torch_golf_fast.loss) if golf
            else (titan_ref.loss, torch_nano_fast.loss))
    for loss in pair:
        L = loss(W, cfg, ids)
        g = torch.autograd.grad(L, list(W.values()), allow_unused=True)  # T=2: head 3 unused
        grads.append([L.detach().clone()] + [torch.zeros_like(w) if d is None else d
                                             for w, d in zip(W.values(), g)])
    scale = max(a.abs().max().item() for a in grads[0])
    for a, b in zip(*grads):
        # relative to the largest of the loss and the gradients: one that is 0
        # in exact arithmetic holds rounding noise in both
        err = ((a - b).abs().max() / scale).item()
        if not err <= 1e-12:  # fails on NaN too
            return "difference %g of the largest gradient" % err
        worst = max(worst, err)
    return worst


def main():
    bad = 0
    for i, v in enumerate(VARIANTS):
        for T in (2, 23):
            r = check(dict(BASE, **v), T)
            print("nano variant %d T=%d: %s" % (i, T, r))
            bad += isinstance(r, str)
    for i, v in enumerate(GOLF_VARIANTS):
        cfg = dict(GOLF, d_model=32, n_heads=4, n_kv_heads=2, head_dim=8, v_head_dim=8, rope_dim=4,
                   mlp_hidden=48, vocab_size=64, bigram_hash={"buckets": 32, "dim": 8},
                   value_embed={"dim": 8, "layers": [2, 3]})
        cfg.update(v)
        for T in (2, 23):
            r = check(cfg, T, golf=True)
            print("golf variant %d T=%d: %s" % (i, T, r))
            bad += isinstance(r, str)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
