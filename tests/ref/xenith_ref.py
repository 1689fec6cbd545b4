#!/usr/bin/python3
"""xenith_ref.py: an independent PyTorch reference of SPEC section 9 (the Xenith
family): config defaults, the tensor list with LoRA adapters, and the forward
pass (windows + global tokens, MoE top-k, LoRA unmerged, segment memory with
its summarizer and FIFO LTM, softcap), in float64. Written from SPEC's text,
not from the project's C code; the C implementation is tested against it.

Module use:
    import xenith_ref
    c = xenith_ref.resolve_config(cfg)       # defaults filled (ValueError if invalid)
    specs = xenith_ref.tensor_specs(c)       # [(name, shape), ...] in artifact order
    W = xenith_ref.init_weights(c, seed=0)   # random, lora_B random too (scale)
    logits = xenith_ref.forward(W, c, ids)   # [T, V] float64
    L = xenith_ref.loss(W, c, ids)           # SPEC "Training loss" (autograd-able)
    W2, c2 = xenith_ref.merge_lora(W, c)     # SPEC's Merge

CLI:
    xenith_ref.py --safetensors W --config CFG.json --ids IDS --out OUT
    xenith_ref.py --safetensors W --config CFG.json --ids IDS --grad OUT
        (the training loss and every tensor's gradient by autograd, float32
        safetensors: "loss" then the tensors, as `titan-train grad` writes)
    xenith_ref.py --config CFG.json --specs
    xenith_ref.py --config CFG.json --write-weights OUT [--seed S]   (random, adapters too)
    xenith_ref.py --self-test                (exit 1 on any failure)
The config JSON may be nested under "config" (as `titan inspect --json` writes it).
Logits are written as little-endian float32 [T][V].

How the forward is organised (SPEC "Forward pass"): the stream is cut into
segments of S tokens (one segment when S = 0); each segment runs through all
L layers, reading the LTM as it was when the segment began; a complete
segment is then summarized and its M rows join the LTM, which keeps its last
N rows. Every layer stores the rotated keys and the values of every position
it has seen, and a query at t reads the positions j <= t with j < Ng or
t - j < w_l (w_l = 0: all), so this is the plain "whole-sequence" form the
bounded decode cache must reproduce.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

KINDS = ["wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down", "router", "lm_head"]
REQUIRED = ["vocab_size", "d_model", "n_heads", "n_kv_heads", "head_dim", "mlp_hidden",
            "max_seq_len", "n_layers"]


def resolve_config(cfg):
    """SPEC section 9's defaults (the ones that follow other fields too)."""
    c = {k: v for k, v in cfg.items() if v is not None}
    if c.get("family") != "xenith":
        raise ValueError("not a xenith config")
    for k in REQUIRED:
        if k not in c:
            raise ValueError("missing " + k)
    E, F = c.get("moe_experts", 0), c["mlp_hidden"]
    r = c.get("lora_rank", 0)
    d = dict(rope_base=10000.0, norm_eps=1e-5, logit_softcap=0.0, tie_embeddings=True,
             attn_windows=[], n_global_tokens=0, moe_experts=0, moe_top_k=min(2, E),
             moe_hidden=F, moe_dense_layers=0, moe_renormalize=True, moe_aux_weight=0.01,
             moe_zloss_weight=0.0, lora_rank=0, lora_alpha=float(r),
             lora_targets=[k for k in KINDS if k != "lm_head"], stm_tokens=0,
             sum_hidden=F, mem_read_layers=list(range(c["n_layers"])))
    for k, v in d.items():
        c.setdefault(k, v)
    H, G, Dh = c["n_heads"], c["n_kv_heads"], c["head_dim"]
    if H % G or Dh % 2:
        raise ValueError("H % G or odd Dh")
    if c["stm_tokens"] > 0 and c["d_model"] % c["sum_heads"]:
        raise ValueError("D % Hs")
    if E > 0 and not 1 <= c["moe_top_k"] <= E:
        raise ValueError("moe_top_k")
    if sorted(set(c["mem_read_layers"])) != sorted(c["mem_read_layers"]):
        raise ValueError("mem_read_layers repeats")
    return c


def is_target(c, name):
    return c["lora_rank"] > 0 and name.split(".")[-1] in c["lora_targets"]


def tensor_specs(c):
    V, D, H, G, Dh = (c[k] for k in ("vocab_size", "d_model", "n_heads", "n_kv_heads",
                                     "head_dim"))
    out = []

    def w(name, shape):
        out.append((name, shape))
        if len(shape) == 2 and is_target(c, name):
            out.append((name + ".lora_A", (c["lora_rank"], shape[1])))
            out.append((name + ".lora_B", (shape[0], c["lora_rank"])))

    def swiglu(p, F):
        w(p + "w_gate", (F, D))
        w(p + "w_up", (F, D))
        w(p + "w_down", (D, F))

    w("tok_emb", (V, D))
    E = c["moe_experts"]
    for l in range(c["n_layers"]):
        p = "blocks.%d." % l
        w(p + "attn_norm", (D,))
        w(p + "wq", (H * Dh, D))
        w(p + "wk", (G * Dh, D))
        w(p + "wv", (G * Dh, D))
        w(p + "wo", (D, H * Dh))
        w(p + "ffn_norm", (D,))
        if E == 0 or l < c["moe_dense_layers"]:
            swiglu(p, c["mlp_hidden"])
        else:
            w(p + "router", (E, D))
            for e in range(E):
                swiglu(p + "experts.%d." % e, c["moe_hidden"])
    w("final_norm", (D,))
    if not c["tie_embeddings"]:
        w("lm_head", (V, D))
    if c["stm_tokens"] > 0:
        w("mem.slots", (c["mem_slots"], D))
        for j in range(c["sum_layers"]):
            p = "mem.layers.%d." % j
            w(p + "attn_norm", (D,))
            w(p + "kv_norm", (D,))
            for k in ("wq", "wk", "wv", "wo"):
                w(p + k, (D, D))
            w(p + "ffn_norm", (D,))
            swiglu(p, c["sum_hidden"])
        w("mem.final_norm", (D,))
    return out  # tok_emb, mem.slots and the norms are never targets: no kind


def init_weights(c, seed=0, scale=0.3):
    g = torch.Generator().manual_seed(seed)
    W = {}
    for name, shape in tensor_specs(c):
        if len(shape) == 1:
            W[name] = 1 + 0.2 * torch.randn(shape, generator=g)
        else:
            W[name] = scale * torch.randn(shape, generator=g) / math.sqrt(shape[1])
    return W


def rmsnorm(v, g, eps):
    return v / torch.sqrt((v * v).mean(-1, keepdim=True) + eps) * g


def lin(W, c, name, u):
    """u [.., in] -> [.., out]: X u, plus s B (A u) for a target."""
    y = u @ W[name].T
    if name + ".lora_A" in W:
        s = c["lora_alpha"] / c["lora_rank"]
        y = y + s * ((u @ W[name + ".lora_A"].T) @ W[name + ".lora_B"].T)
    return y


def swiglu(W, c, p, u):
    a = lin(W, c, p + "w_gate", u)
    return lin(W, c, p + "w_down", a * torch.sigmoid(a) * lin(W, c, p + "w_up", u))


def rope(x, pos, base):
    """x [T, n, Dh] at positions pos [T]: half split over the whole head."""
    Dh = x.shape[-1]
    half = Dh // 2
    w = base ** (-2.0 * torch.arange(half, dtype=torch.float64) / Dh)
    ang = pos.to(torch.float64)[:, None] * w[None, :]
    cos, sin = torch.cos(ang)[:, None, :], torch.sin(ang)[:, None, :]
    a, b = x[..., :half], x[..., half:]
    return torch.cat([a * cos - b * sin, a * sin + b * cos], -1)


def window(c, l):
    n = len(c["attn_windows"])
    return c["attn_windows"][l % n] if n else 0


def moe(W, c, l, u, aux=None):
    """u [T, D]: the chosen experts' SwiGLUs, gated. aux (a list) gets
    (l, router logits [T, E], the chosen experts of each row)."""
    p = "blocks.%d." % l
    z = lin(W, c, p + "router", u)
    k = c["moe_top_k"]
    out = torch.zeros_like(u)
    chosen = []
    if aux is not None:
        aux.append((l, z, chosen))
    for t in range(u.shape[0]):
        # descending z, equal z by ascending index
        order = sorted(range(z.shape[1]), key=lambda e: (-z[t, e].item(), e))[:k]
        chosen.append(order)
        K = torch.tensor(order)
        if c["moe_renormalize"]:
            g = torch.softmax(z[t, K], 0)
        else:
            g = torch.softmax(z[t], 0)[K]
        for gi, e in zip(g, order):
            out[t] = out[t] + gi * swiglu(W, c, p + "experts.%d." % e, u[t:t + 1])[0]
    return out


def summarize(W, c, C):
    """C [S, D] -> Y [M, D] (a Perceiver resampler, SPEC "Summarize")."""
    eps, D, Hs = c["norm_eps"], c["d_model"], c["sum_heads"]
    Ds = D // Hs
    X = W["mem.slots"].clone()
    for j in range(c["sum_layers"]):
        p = "mem.layers.%d." % j
        a = rmsnorm(X, W[p + "attn_norm"], eps)
        cc = rmsnorm(C, W[p + "kv_norm"], eps)
        Z = torch.cat([cc, a], 0)
        Q, K, V = lin(W, c, p + "wq", a), lin(W, c, p + "wk", Z), lin(W, c, p + "wv", Z)
        O = []
        for i in range(Hs):
            sl = slice(i * Ds, (i + 1) * Ds)
            att = torch.softmax(Q[:, sl] @ K[:, sl].T / math.sqrt(Ds), -1)
            O.append(att @ V[:, sl])
        X = X + lin(W, c, p + "wo", torch.cat(O, -1))
        X = X + swiglu(W, c, p, rmsnorm(X, W[p + "ffn_norm"], eps))
    return rmsnorm(X, W["mem.final_norm"], eps)


def attention(W, c, l, u, pos, store, ltm):
    """Layer l's mixer for one segment: u [n, D] at positions pos [n]; store
    holds every earlier position's rotated keys and values of layer l."""
    H, G, Dh = c["n_heads"], c["n_kv_heads"], c["head_dim"]
    p = "blocks.%d." % l
    n = u.shape[0]
    q = lin(W, c, p + "wq", u).view(n, H, Dh)
    k = lin(W, c, p + "wk", u).view(n, G, Dh)
    v = lin(W, c, p + "wv", u).view(n, G, Dh)
    store["k"].append(rope(k, pos, c["rope_base"]))
    store["v"].append(v)
    K, Vv = torch.cat(store["k"], 0), torch.cat(store["v"], 0)  # [t_end, G, Dh]
    qr = rope(q, pos, c["rope_base"])
    w, Ng = window(c, l), c["n_global_tokens"]
    j = torch.arange(K.shape[0])
    reads = c["stm_tokens"] > 0 and l in c["mem_read_layers"] and ltm is not None
    if reads:
        mk = lin(W, c, p + "wk", ltm).view(-1, G, Dh)  # unrotated, no attn_norm
        mv = lin(W, c, p + "wv", ltm).view(-1, G, Dh)
    o = torch.zeros(n, H, Dh)
    for ti in range(n):
        t = int(pos[ti])
        ok = (j <= t) & ((j < Ng) | (w == 0) | (t - j < w))
        for i in range(H):
            g = i // (H // G)
            s = K[ok, g] @ qr[ti, i] / math.sqrt(Dh)
            vals = Vv[ok, g]
            if reads:
                s = torch.cat([s, mk[:, g] @ q[ti, i] / math.sqrt(Dh)])
                vals = torch.cat([vals, mv[:, g]], 0)
            o[ti, i] = torch.softmax(s, 0) @ vals
    return lin(W, c, p + "wo", o.reshape(n, H * Dh))


def forward(W, cfg, ids, aux=None):
    """Logits [T, V]; aux (a list) gets each MoE call's (l, z, chosen): one
    per layer and segment."""
    c = resolve_config(cfg)
    eps, L = c["norm_eps"], c["n_layers"]
    x = torch.tensor(ids)
    T = len(ids)
    h = W["tok_emb"][x]
    outs = []  # each segment's h after layer L-1 (no in-place writes: autograd)
    S = c["stm_tokens"]
    seg = S if S > 0 else max(T, 1)
    stores = [{"k": [], "v": []} for _ in range(L)]
    summaries = []
    for m0 in range(0, T, seg):
        m1 = min(m0 + seg, T)
        rows = torch.cat(summaries, 0)[-c["ltm_size"]:] if summaries else None
        pos = torch.arange(m0, m1)
        hs = h[m0:m1]
        for l in range(L):
            p = "blocks.%d." % l
            u = rmsnorm(hs, W[p + "attn_norm"], eps)
            hs = hs + attention(W, c, l, u, pos, stores[l], rows)
            u = rmsnorm(hs, W[p + "ffn_norm"], eps)
            dense = c["moe_experts"] == 0 or l < c["moe_dense_layers"]
            hs = hs + (swiglu(W, c, p, u) if dense else moe(W, c, l, u, aux))
        outs.append(hs)
        if S > 0 and m1 - m0 == S:
            summaries.append(summarize(W, c, hs))
    head = W["tok_emb"] if c["tie_embeddings"] else None
    z = rmsnorm(torch.cat(outs, 0), W["final_norm"], eps)
    logits = z @ head.T if head is not None else lin(W, c, "lm_head", z)
    cap = c["logit_softcap"]
    return cap * torch.tanh(logits / cap) if cap > 0 else logits


def moe_aux(c, zs):
    """SPEC "Training loss": L_bal and L_z over one stream's MoE layers (f,
    the routing shares, held constant), as tensors; 0 without MoE layers.
    A layer's f and P count all T positions of the stream: its calls of
    every segment are joined first."""
    if not zs:
        return torch.zeros(()), torch.zeros(())
    E, k = c["moe_experts"], c["moe_top_k"]
    layers = {}
    for l, z, chosen in zs:
        zz, cc = layers.setdefault(l, ([], []))
        zz.append(z)
        cc.extend(chosen)
    bal, zl = [], []
    for l in sorted(layers):
        z, chosen = torch.cat(layers[l][0], 0), layers[l][1]
        T = z.shape[0]
        f = torch.zeros(E)
        for order in chosen:
            f[order] += 1.0 / (k * T)
        P = torch.softmax(z, -1).mean(0)
        bal.append(E * (f * P).sum())
        zl.append((torch.logsumexp(z, -1) ** 2).mean())
    return torch.stack(bal).mean(), torch.stack(zl).mean()


def loss(W, cfg, ids, parts=None):
    """SPEC's training loss of one stream: mean CE over t < T-1 (0 when
    T = 1) + alpha L_bal + beta L_z. parts (a dict) gets ce, l_bal, l_z."""
    c = resolve_config(cfg)
    zs = []
    logits = forward(W, c, ids, zs)
    T = len(ids)
    ce = (torch.nn.functional.cross_entropy(logits[:-1], torch.tensor(ids[1:]))
          if T > 1 else torch.zeros(()))
    bal, zl = moe_aux(c, zs)
    if parts is not None:
        parts.update(ce=ce.item(), l_bal=bal.item(), l_z=zl.item())
    return ce + c["moe_aux_weight"] * bal + c["moe_zloss_weight"] * zl


def merge_lora(W, cfg):
    """SPEC "Merge": X' = X + s B A for every target; no adapters, rank 0."""
    c = resolve_config(cfg)
    s = c["lora_alpha"] / c["lora_rank"] if c["lora_rank"] else 0
    M = {}
    for name, t in W.items():
        if name.endswith((".lora_A", ".lora_B")):
            continue
        M[name] = t + s * W[name + ".lora_B"] @ W[name + ".lora_A"] if (
            name + ".lora_A") in W else t.clone()
    c2 = dict(cfg)
    c2["lora_rank"] = 0
    return M, c2


# ---- self-test ---------------------------------------------------------------------

BASE = {"family": "xenith", "vocab_size": 40, "d_model": 16, "n_heads": 4, "n_kv_heads": 2,
        "head_dim": 4, "mlp_hidden": 24, "max_seq_len": 64, "n_layers": 2}


def _cfg(**kw):
    c = dict(BASE)
    c.update(kw)
    return c


def _ids(T, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 40, (T,), generator=g).tolist()


def self_test():
    fails = []

    def check(cond, what):
        if not cond:
            fails.append(what)

    # causality and windows: one layer, window 3, two global tokens
    c = resolve_config(_cfg(n_layers=1, attn_windows=[3], n_global_tokens=2))
    W = init_weights(c)
    ids = _ids(12)
    a = forward(W, c, ids)
    ids2 = list(ids)
    ids2[11] = (ids2[11] + 1) % 40
    check(torch.equal(a[:11], forward(W, c, ids2)[:11]), "causal")
    ids3 = list(ids)
    ids3[5] = (ids3[5] + 1) % 40  # t = 9 reads 7, 8, 9 and 0, 1: not 5
    b = forward(W, c, ids3)
    check(torch.equal(a[8:], b[8:]) and not torch.equal(a[5], b[5]), "window")
    ids4 = list(ids)
    ids4[1] = (ids4[1] + 1) % 40  # a global token reaches every later query
    check(not torch.allclose(forward(W, c, ids4)[11], a[11]), "global")
    # unbounded window = plain causal attention
    c0 = resolve_config(_cfg(n_layers=1))
    cw = resolve_config(_cfg(n_layers=1, attn_windows=[100]))
    W0 = init_weights(c0)
    check(torch.allclose(forward(W0, c0, ids), forward(W0, cw, ids), atol=1e-13), "w=0")
    # MoE with k = E, renormalized: the full softmax mixture
    cm = resolve_config(_cfg(moe_experts=3, moe_top_k=3, moe_hidden=8))
    Wm = init_weights(cm)
    u = torch.randn(5, 16)
    z = u @ Wm["blocks.0.router"].T
    full = sum(torch.softmax(z, -1)[:, e:e + 1] *
               swiglu(Wm, cm, "blocks.0.experts.%d." % e, u) for e in range(3))
    check(torch.allclose(moe(Wm, cm, 0, u), full, atol=1e-13), "moe k=E")
    # ties go to the lower index: a zero router picks experts 0..k-1
    ck = resolve_config(_cfg(moe_experts=4, moe_top_k=2, moe_hidden=8,
                             moe_renormalize=False))
    Wk = init_weights(ck)
    Wk["blocks.0.router"].zero_()
    want = 0.25 * (swiglu(Wk, ck, "blocks.0.experts.0.", u) +
                   swiglu(Wk, ck, "blocks.0.experts.1.", u))
    check(torch.allclose(moe(Wk, ck, 0, u), want, atol=1e-13), "ties, unnormalized")
    # LoRA unmerged == merged
    cl = resolve_config(_cfg(moe_experts=3, moe_hidden=8, moe_dense_layers=1, lora_rank=2,
                             lora_alpha=3.0, tie_embeddings=False,
                             lora_targets=KINDS, stm_tokens=4, mem_slots=2, ltm_size=3,
                             sum_layers=1, sum_heads=2))
    Wl = init_weights(cl)
    M, c2 = merge_lora(Wl, cl)
    ids = _ids(14)
    check(torch.allclose(forward(Wl, cl, ids), forward(M, c2, ids), atol=1e-10), "merge")
    # memory: with window 1 and no globals a token sees only itself and the
    # LTM, so an earlier segment reaches it only through the memory
    cs = resolve_config(_cfg(n_layers=1, attn_windows=[1], stm_tokens=4, mem_slots=2,
                             ltm_size=2, sum_layers=1, sum_heads=2))
    Ws = init_weights(cs)
    ids = _ids(13)
    a = forward(Ws, cs, ids)
    ids5 = list(ids)
    ids5[0] = (ids5[0] + 1) % 40
    b = forward(Ws, cs, ids5)
    check(torch.equal(a[1:4], b[1:4]), "segment 0 sees no memory")
    check(not torch.allclose(a[4], b[4]), "segment 1 reads segment 0's summary")
    # ltm_size 2 keeps one summary: segment 2 reads Y_1 alone; with 4 it
    # reads Y_0 too, and segment 1 (LTM = Y_0 either way) is the same
    a4 = forward(Ws, dict(cs, ltm_size=4), ids)
    check(torch.equal(a4[:8], a[:8]) and not torch.allclose(a4[8], a[8]), "FIFO size")
    cn = resolve_config(dict(cs, mem_read_layers=[]))
    check(torch.equal(forward(Ws, cn, ids)[4], forward(Ws, cn, ids5)[4]), "no readers")
    # softcap
    cc = resolve_config(_cfg(logit_softcap=0.5))
    check(forward(init_weights(cc), cc, _ids(6)).abs().max() < 0.5, "softcap")
    # training loss: plain CE without MoE; L_bal = 1 at perfect balance
    # (k = E routes every token to every expert, so f = 1/E)
    ids = _ids(7)
    parts = {}
    L = loss(W0, c0, ids, parts)
    ce = torch.nn.functional.cross_entropy(forward(W0, c0, ids)[:-1], torch.tensor(ids[1:]))
    check(abs(L.item() - ce.item()) < 1e-12 and parts["l_bal"] == 0, "loss = CE")
    check(loss(W0, c0, ids[:1]).item() == 0, "T = 1: no CE term")
    cb = resolve_config(_cfg(moe_experts=3, moe_top_k=3, moe_hidden=8,
                             moe_zloss_weight=0.1))
    parts = {}
    loss(init_weights(cb), cb, ids, parts)
    check(abs(parts["l_bal"] - 1) < 1e-12 and parts["l_z"] > 0, "L_bal at k = E")
    # segments nobody reads change nothing: L_bal and L_z pool the stream
    c0 = _cfg(moe_experts=3, moe_top_k=1, moe_hidden=8, moe_zloss_weight=0.1,
              attn_windows=[3], n_global_tokens=1)
    cseg = dict(c0, stm_tokens=4, mem_slots=2, ltm_size=3, sum_layers=1, sum_heads=2,
                mem_read_layers=[])
    Wseg = init_weights(resolve_config(cseg))
    p0, p1 = {}, {}
    ids = _ids(11)
    d = (loss(Wseg, c0, ids, p0) - loss(Wseg, cseg, ids, p1)).abs().item()
    check(d < 1e-12 and abs(p0["l_bal"] - p1["l_bal"]) < 1e-12, "segments pool L_bal")
    for f in fails:
        print("xenith_ref self-test FAILED:", f, file=sys.stderr)
    print("xenith_ref self-test: %d checks failed" % len(fails))
    return 1 if fails else 0


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golf_ref import load_config, read_safetensors  # noqa: E402 (I/O only: JSON, safetensors)
import safetensors_ref  # noqa: E402


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--safetensors")
    ap.add_argument("--config")
    ap.add_argument("--ids")
    ap.add_argument("--out")
    ap.add_argument("--grad", metavar="OUT")
    ap.add_argument("--specs", action="store_true")
    ap.add_argument("--write-weights", metavar="OUT",
                    help="write init_weights(--seed) as float32 safetensors")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args(argv)
    if a.self_test:
        return self_test()
    c = resolve_config(load_config(a.config))
    if a.specs:
        for name, shape in tensor_specs(c):
            print("%-36s %s" % (name, list(shape)))
        return 0
    if a.write_weights:
        W = init_weights(c, seed=a.seed)
        safetensors_ref.write(a.write_weights, [
            (n, "F32", list(s), W[n].numpy().astype(np.float32).ravel())
            for n, s in tensor_specs(c)], None)
        return 0
    with open(a.ids) as f:
        ids = [int(t) for t in f.read().split()]
    W = read_safetensors(a.safetensors)
    if a.grad:
        return write_grad(W, c, ids, a.grad)
    forward(W, c, ids).numpy().astype("<f4").tofile(a.out)
    return 0


def write_grad(W, c, ids, out):
    leaves = {n: W[n].clone().requires_grad_(True) for n, _ in tensor_specs(c)}
    L = loss(leaves, c, ids)
    L.backward()
    rows = [("loss", "F32", [1], np.array([L.item()], np.float32))]
    for n, shape in tensor_specs(c):
        g = leaves[n].grad
        g = torch.zeros(shape) if g is None else g
        rows.append((n, "F32", list(shape), g.numpy().astype(np.float32).ravel()))
    safetensors_ref.write(out, rows, None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
