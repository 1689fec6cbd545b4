#!/usr/bin/python3
"""muon_ref.py: one Muon step in the PyTorch formulation of modded-nanogpt /
parameter-golf (zeropower_via_newtonschulz5 + Nesterov momentum + the
sqrt(max(1, rows/cols)) scale), in float64 instead of bfloat16, plus decoupled
weight decay. For the C optimizer test.

usage: muon_ref.py IN OUT rows cols lr momentum weight_decay nesterov steps
IN: float32 P, G, BUF (rows*cols each); OUT: float64 P', BUF'.
"""
import sys

import numpy as np
import torch


def zeropower_via_newtonschulz5(G, steps=5, eps=1e-7):
    a, b, c = (3.4445, -4.7750, 2.0315)
    X = G.clone()
    X /= X.norm() + eps
    transposed = G.size(0) > G.size(1)
    if transposed:
        X = X.T
    for _ in range(steps):
        A = X @ X.T
        B = b * A + c * A @ A
        X = a * X + B @ X
    return X.T if transposed else X


def muon_step(p, g, buf, lr, momentum, wd, nesterov, steps):
    buf.mul_(momentum).add_(g)
    if nesterov:
        g = g.add(buf, alpha=momentum)
    else:
        g = buf
    g = zeropower_via_newtonschulz5(g, steps=steps)
    g *= max(1, g.size(0) / g.size(1)) ** 0.5
    p.mul_(1 - lr * wd)
    p.add_(g, alpha=-lr)


def main(argv):
    src, dst = argv[0], argv[1]
    rows, cols = int(argv[2]), int(argv[3])
    lr, mom, wd = float(argv[4]), float(argv[5]), float(argv[6])
    nesterov, steps = bool(int(argv[7])), int(argv[8])
    raw = np.fromfile(src, dtype="<f4").astype(np.float64).reshape(3, rows, cols)
    p, g, buf = (torch.from_numpy(raw[i].copy()) for i in range(3))
    muon_step(p, g, buf, lr, mom, wd, nesterov, steps)
    np.concatenate([p.numpy().ravel(), buf.numpy().ravel()]).astype("<f8").tofile(dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
