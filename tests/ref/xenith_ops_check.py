#!/usr/bin/python3
"""xenith_ops_check.py: one MoE layer or one Summarize(C) (SPEC section 9)
through xenith_ref.moe() / xenith_ref.summarize() with PyTorch autograd in
float64, for the trainer's op tests (tests/unit/test_train_moe.c,
test_train_xsum.c) to compare tools/train/op_moe.c and
op_xenith_summarize.c with.

usage: xenith_ops_check.py moe|summarize DIR

DIR holds, written by the C side (little-endian float64, row-major):
    problem.json   the config fields the op reads, "tensors": [[name, rows,
                   cols], ...] (moe: names after "blocks.0."; summarize: the
                   full "mem." names; a norm is stored [1, D]), and
                   moe: "T", "w_bal", "w_z"; summarize: "S"
    NAME.f64       each tensor
    moe: u.f64 [T, D], r.f64 [T, D];  summarize: c.f64 [S, D], r.f64 [M, D]
The loss is sum(out * R) (+ w_bal l_bal + w_z l_z for moe, with l_bal and
l_z as SPEC "Training loss" defines them, the counts f held constant). DIR
receives:
    moe: y.f64, du.f64, aux.f64 [l_bal, l_z];  summarize: y.f64, dc.f64
    d.NAME.f64     dL/d(tensor), one per tensor
Exits 1 with a message on any error.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xenith_ref  # noqa: E402
from gdn_check import read  # noqa: E402 (float64 file -> tensor with grad)


def write(d, name, t):
    t.detach().numpy().astype("<f8").tofile(os.path.join(d, name))


def aux_losses(W, c, u):
    """l_bal = E sum_e f_e P_e, l_z = mean_t logsumexp(z_t)^2 (f constant)."""
    z = xenith_ref.lin(W, c, "blocks.0.router", u)
    T, E = z.shape
    f = torch.zeros(E)
    for t in range(T):
        order = sorted(range(E), key=lambda e: (-z[t, e].item(), e))[:c["moe_top_k"]]
        f[order] += 1.0 / (c["moe_top_k"] * T)
    P = torch.softmax(z, -1).mean(0)
    return E * (f * P).sum(), (torch.logsumexp(z, -1) ** 2).mean()


def main(argv):
    if len(argv) != 2 or argv[0] not in ("moe", "summarize"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    op, d = argv
    with open(os.path.join(d, "problem.json")) as fp:
        c = json.load(fp)
    prefix = "blocks.0." if op == "moe" else ""
    W, files = {}, {}
    for name, rows, cols in c["tensors"]:
        shape = [cols] if name.endswith("norm") else [rows, cols]
        W[prefix + name] = read(os.path.join(d, name + ".f64"), shape)
        files[prefix + name] = name
    D = c["d_model"]
    if op == "moe":
        x = read(os.path.join(d, "u.f64"), [c["T"], D])
        R = read(os.path.join(d, "r.f64"), [c["T"], D]).detach()
        y = xenith_ref.moe(W, c, 0, x)
        l_bal, l_z = aux_losses(W, c, x)
        loss = (y * R).sum() + c["w_bal"] * l_bal + c["w_z"] * l_z
        write(d, "aux.f64", torch.stack([l_bal, l_z]))
    else:
        x = read(os.path.join(d, "c.f64"), [c["S"], D])
        R = read(os.path.join(d, "r.f64"), [c["mem_slots"], D]).detach()
        y = xenith_ref.summarize(W, c, x)
        loss = (y * R).sum()
    loss.backward()
    write(d, "y.f64", y)
    write(d, "du.f64" if op == "moe" else "dc.f64", x.grad)
    for n, t in W.items():  # an expert no row reached has no graph: zero
        g = t.grad if t.grad is not None else torch.zeros_like(t)
        write(d, "d." + files[n] + ".f64", g)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (OSError, ValueError, KeyError) as e:
        print("xenith_ops_check.py: %s" % e, file=sys.stderr)
        sys.exit(1)
