#!/usr/bin/python3
"""titan_ref.py: an independent PyTorch reference of the Nano-Titan forward pass
and training loss, written from SPEC section 1 (not from the C code).

Module use (the trainer's gradient checks import this):
    import titan_ref
    heads = titan_ref.forward(weights, cfg, ids)   # list of M tensors [T, V] (or [N, T, V])
    L = titan_ref.loss(weights, cfg, ids)          # scalar, SPEC training loss
weights: dict name -> torch tensor (SPEC names and shapes); cfg: dict with the
SPEC config field names; ids: list/LongTensor [T] or [N, T].

CLI (used by the end-to-end tests):
    titan_ref.py --safetensors W --config CFG.json --ids IDS --out OUT [--head K]
writes little-endian float32 [T][V] logits of head K (default 1), like `titan logits`;
--all-heads OUT.PREFIX writes OUT.PREFIX.<k> for every head instead.
"""
import argparse
import json
import math
import sys

import numpy as np
import torch

DEFAULTS = {
    "rope_base": 10000.0, "yarn_factor": 1.0, "yarn_orig_ctx": 4096,
    "yarn_beta_fast": 32.0, "yarn_beta_slow": 1.0, "mtp_heads": 1,
    "norm_eps": 1e-5, "logit_softcap": 0.0, "q_latent": 0, "conv_kernel": 0,
    "n_recurrences": 1,
}


def _cfg(cfg):
    c = dict(DEFAULTS)
    c.update(cfg)
    c.setdefault("mtp_weights", [1.0] + [0.0] * (int(c["mtp_heads"]) - 1))
    return c


def rope_frequencies(c):
    """Per-pair frequencies w_i' (i < Dr/2) and the YaRN mscale, SPEC section 1."""
    dr, base, s = int(c["rope_dim"]), float(c["rope_base"]), float(c["yarn_factor"])
    w = [base ** (-2.0 * i / dr) for i in range(dr // 2)]
    if s <= 1:
        return w, 1.0

    def fcd(n):
        return dr * math.log(c["yarn_orig_ctx"] / (2 * math.pi * n)) / (2 * math.log(base))

    lo = max(math.floor(fcd(c["yarn_beta_fast"])), 0)
    hi = min(math.ceil(fcd(c["yarn_beta_slow"])), dr - 1)
    if lo == hi:
        hi += 0.001
    out = []
    for i, wi in enumerate(w):
        ramp = min(max((i - lo) / (hi - lo), 0.0), 1.0)
        out.append(wi / s * ramp + wi * (1 - ramp))
    return out, 0.1 * math.log(s) + 1


def rope(v, pos, freq):
    """Half-split rotation of the last dim of v [..., T, Dr] at positions pos [T]."""
    if not freq:
        return v
    half = v.shape[-1] // 2
    ang = pos.to(v.dtype)[:, None] * torch.tensor(freq, dtype=v.dtype)[None, :]
    cos, sin = torch.cos(ang), torch.sin(ang)
    a, b = v[..., :half], v[..., half:]
    return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)


def rmsnorm(v, g, eps):
    return v / torch.sqrt((v * v).mean(-1, keepdim=True) + eps) * g


def block(W, c, b, h, pos, freq, mscale):
    """One block on h [N, T, D]; returns the new h."""
    p = "blocks.%d." % b
    N, T, _ = h.shape
    H, G = c["n_heads"], c["n_kv_heads"]
    Dh, Dv, Dr, Lkv = c["head_dim"], c["v_head_dim"], c["rope_dim"], c["kv_latent"]
    eps = c["norm_eps"]
    u = rmsnorm(h, W[p + "attn_norm"], eps)
    if c["q_latent"] > 0:
        cq = rmsnorm(u @ W[p + "wq_a"].T, W[p + "q_norm"], eps)
        q = cq @ W[p + "wq_b"].T
    else:
        q = u @ W[p + "wq"].T
    q = q.view(N, T, H, Dh + Dr).transpose(1, 2)          # [N, H, T, Dh+Dr]
    qn, qr = q[..., :Dh], rope(q[..., Dh:], pos, freq)
    a = u @ W[p + "wkv_a"].T                                 # [N, T, Lkv+Dr]
    lat = rmsnorm(a[..., :Lkv], W[p + "kv_norm"], eps)
    kr = rope(a[..., Lkv:], pos, freq)                       # [N, T, Dr]
    kv = (lat @ W[p + "wkv_b"].T).view(N, T, G, Dh + Dv).transpose(1, 2)
    k, v = kv[..., :Dh], kv[..., Dh:]                        # [N, G, T, *]
    rep = H // G                                             # head i -> group i // rep
    k = k.repeat_interleave(rep, dim=1)
    v = v.repeat_interleave(rep, dim=1)
    s = qn @ k.transpose(-1, -2) + qr @ kr[:, None].transpose(-1, -2)
    s = s * (mscale * mscale / math.sqrt(Dh + Dr))
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    s = s.masked_fill(~mask, float("-inf"))
    o = torch.softmax(s, dim=-1) @ v                         # [N, H, T, Dv]
    o = o.transpose(1, 2).reshape(N, T, H * Dv)
    h = h + o @ W[p + "wo"].T
    u = rmsnorm(h, W[p + "ffn_norm"], eps)
    g = u @ W[p + "w_gate"].T                                # [N, T, F]
    K = c["conv_kernel"]
    if K > 0:
        gp = torch.nn.functional.pad(g.transpose(1, 2), (K - 1, 0))
        g = torch.nn.functional.conv1d(gp, W[p + "conv"][:, None, :],
                                       groups=g.shape[-1]).transpose(1, 2)
    up = u @ W[p + "w_up"].T
    return h + (torch.nn.functional.silu(g) * up) @ W[p + "w_down"].T


def forward(weights, cfg, ids, dtype=torch.float64):
    """Logits of every head: list of M tensors [T, V] ([N, T, V] for batched ids)."""
    c = _cfg(cfg)
    W = {k: torch.as_tensor(v).to(dtype) for k, v in weights.items()}
    x = torch.as_tensor(ids, dtype=torch.long)
    single = x.dim() == 1
    if single:
        x = x[None]
    T = x.shape[1]
    pos = torch.arange(T)
    freq, mscale = rope_frequencies(c)
    h = W["tok_emb"][x]
    for _ in range(c["n_recurrences"]):
        for b in range(c["n_unique_blocks"]):
            h = block(W, c, b, h, pos, freq, mscale)
    z = rmsnorm(h, W["final_norm"], c["norm_eps"])
    heads = [z @ W["tok_emb"].T]
    for k in range(2, c["mtp_heads"] + 1):
        heads.append(z @ W["mtp.%d.head" % k].T)
    cap = c["logit_softcap"]
    if cap > 0:
        heads = [cap * torch.tanh(l / cap) for l in heads]
    return [l[0] for l in heads] if single else heads


def loss(weights, cfg, ids, dtype=torch.float64):
    """SPEC training loss: sum_k mtp_weights[k] * mean_t CE(logits_k(t), x_{t+k}),
    averaged over the sequences of a batch."""
    c = _cfg(cfg)
    x = torch.as_tensor(ids, dtype=torch.long)
    if x.dim() == 1:
        x = x[None]
    heads = forward(weights, cfg, x, dtype)
    T = x.shape[1]
    total = torch.zeros((), dtype=dtype)
    for k, logits in enumerate(heads, start=1):
        if T <= k:
            continue
        lp = torch.log_softmax(logits[:, :T - k], dim=-1)
        nll = -lp.gather(-1, x[:, k:, None])[..., 0]         # [N, T-k]
        total = total + c["mtp_weights"][k - 1] * nll.mean(dim=1).mean()
    return total


def read_safetensors(path):
    """name -> float64 torch tensor, through the project's reference reader."""
    import safetensors_ref  # tests/ref/safetensors_ref.py
    tensors, _ = safetensors_ref.read(path)
    return {name: torch.from_numpy(np.array(x, dtype=np.float64))
            for name, _, _, x in tensors}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--safetensors", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--out")
    ap.add_argument("--head", type=int, default=1)
    ap.add_argument("--all-heads", metavar="PREFIX")
    ap.add_argument("--loss", action="store_true", help="print the training loss")
    a = ap.parse_args(argv)
    with open(a.config) as f:
        cfg = json.load(f)
    cfg = cfg.get("config", cfg)
    with open(a.ids) as f:
        ids = [int(t) for t in f.read().split()]
    W = read_safetensors(a.safetensors)
    heads = forward(W, cfg, ids)
    if a.out:
        heads[a.head - 1].numpy().astype("<f4").tofile(a.out)
    if a.all_heads:
        for k, l in enumerate(heads, start=1):
            l.numpy().astype("<f4").tofile("%s.%d" % (a.all_heads, k))
    if a.loss:
        print("%.10f" % loss(W, cfg, ids).item())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
