#!/usr/bin/python3
"""gdn_check.py: one GDN mixer (SPEC section 8) through golf_ref.gdn() with
PyTorch autograd in float64, for the C tests (tests/unit/gdn_problem.h) to
compare the runtime (core/gdn.c) and the trainer (tools/train/op_gdn.c) with.

usage: gdn_check.py DIR

DIR holds, written by the C side (all little-endian float64, row-major):
    config.json          the model config (titan_config_to_json)
    problem.txt          "T BLOCK": tokens and the GDN block
    u.f64                [T, D] the mixer input
    r.f64                [T, D] R: the loss is sum(y * R), so dL/dy = R
    blocks.B.gdn_*.f64   the block's GDN tensors (SPEC names and shapes)
and receives:
    y.f64                [T, D] golf_ref.gdn(W, c, B, u)
    du.f64               [T, D] dL/du
    d.blocks.B.gdn_*.f64 dL/d(tensor), one per tensor
Exits 1 with a message on any error.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golf_ref  # noqa: E402


def read(path, shape):
    a = np.fromfile(path, dtype="<f8")
    if a.size != int(np.prod(shape)):
        raise ValueError("%s: %d values, want %s" % (path, a.size, shape))
    return torch.from_numpy(a.reshape(shape)).requires_grad_(True)


def main(argv):
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    d = argv[0]
    cfg = golf_ref.load_config(os.path.join(d, "config.json"))
    c = golf_ref.resolve_config(cfg)
    with open(os.path.join(d, "problem.txt")) as f:
        T, b = (int(x) for x in f.read().split())
    if b not in c["gdn_layers"]:
        raise ValueError("block %d is not a GDN block" % b)
    prefix = "blocks.%d.gdn_" % b
    W = {n: read(os.path.join(d, n + ".f64"), s)
         for n, s in golf_ref.tensor_specs(cfg) if n.startswith(prefix)}
    D = c["d_model"]
    u = read(os.path.join(d, "u.f64"), [1, T, D])
    R = read(os.path.join(d, "r.f64"), [1, T, D]).detach()
    y = golf_ref.gdn(W, c, b, u)
    (y * R).sum().backward()
    y.detach().numpy().astype("<f8").tofile(os.path.join(d, "y.f64"))
    u.grad.numpy().astype("<f8").tofile(os.path.join(d, "du.f64"))
    for n, t in W.items():
        t.grad.numpy().astype("<f8").tofile(os.path.join(d, "d." + n + ".f64"))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (OSError, ValueError) as e:
        print("gdn_check.py: %s" % e, file=sys.stderr)
        sys.exit(1)
