"""torch_golf_fast.py: the SPEC section-8 training loss with GQA attention
written for speed in plain PyTorch, as a user would write it: rotary tables
once per length, each group's heads in one batched matmul (no copies of k and
v), the scale folded into q, an additive causal mask. Everything else is
tests/ref/golf_ref.py's own code (embedding, MLP, GDN, the layer loop). The
benchmark baseline for golf configs (bench_train_torch.py); equal to
golf_ref's loss (checked by tests/e2e/bench_torch_fast.sh).

    loss(W, cfg, ids)   W: name -> tensor (SPEC names), ids [N, T] LongTensor
"""
import functools
import math

import torch

import golf_ref


@functools.lru_cache(maxsize=8)
def _tables(freq, T, dtype):
    ang = torch.arange(T, dtype=dtype)[:, None] * torch.tensor(freq, dtype=dtype)[None, :]
    mask = torch.full((T, T), float("-inf"), dtype=dtype).triu(1)
    return torch.cos(ang), torch.sin(ang), mask


def _rope_prefix(v, Dr, cos, sin):
    """Half-split rotation of the first Dr dims of the last axis."""
    if Dr == 0:
        return v
    h = Dr // 2
    a, b = v[..., :h], v[..., h:Dr]
    return torch.cat([a * cos - b * sin, a * sin + b * cos, v[..., Dr:]], dim=-1)


def _rms0(v, eps):
    return v * torch.rsqrt(v.pow(2).mean(-1, keepdim=True) + eps)


def attention(W, c, b, u, ve, pos, freq, mscale):
    """golf_ref.attention for "gqa" blocks, reorganized for speed (same math)."""
    if c["attention"] != "gqa":
        return golf_ref.attention_reference(W, c, b, u, ve, pos, freq, mscale)
    p = "blocks.%d." % b
    N, T, _ = u.shape
    H, G, Dh, Dv, Dr = (c["n_heads"], c["n_kv_heads"], c["head_dim"], c["v_head_dim"],
                        c["rope_dim"])
    rep, eps = H // G, c["norm_eps"]
    cos, sin, mask = _tables(tuple(freq), T, u.dtype)
    q = (u @ W[p + "wq"].t()).view(N, T, G, rep, Dh).permute(0, 2, 3, 1, 4)  # [N,G,rep,T,Dh]
    k = (u @ W[p + "wk"].t()).view(N, T, G, Dh).transpose(1, 2)              # [N,G,T,Dh]
    v = (u @ W[p + "wv"].t()).view(N, T, G, Dv).transpose(1, 2)
    q, k = _rope_prefix(q, Dr, cos, sin), _rope_prefix(k, Dr, cos, sin)
    if b in c["ve"]:
        v = v + W[p + "ve_scale"] * ve.view(N, T, G, -1).transpose(1, 2)
    if c["qk_norm"]:
        q, k = _rms0(q, eps), _rms0(k, eps)
    if c["q_gain"]:
        q = q * W[p + "q_gain"].view(1, G, rep, 1, 1)
    scale = mscale * mscale / math.sqrt(Dh)
    qs = q * scale
    s = (qs.reshape(N, G, rep * T, Dh) @ k.transpose(-1, -2)).view(N, G, rep, T, T) + mask
    if c["attn_sink"] != "none":
        if c["attn_sink"] == "key":
            sink = (qs * W[p + "k_sink"].view(1, G, 1, 1, Dh)).sum(-1)       # [N,G,rep,T]
        else:
            sink = W[p + "sink_logit"].view(1, G, 1, 1).expand(N, G, rep, T)
        s = torch.cat([sink[..., None], s], dim=-1)
        pr = torch.softmax(s, dim=-1)[..., 1:]
    else:
        pr = torch.softmax(s, dim=-1)
    o = (pr.reshape(N, G, rep * T, T) @ v).view(N, G, rep, T, Dv)
    if b in c["xsa"]:
        n = (v / torch.clamp(v.norm(dim=-1, keepdim=True), min=1e-12))[:, :, None]
        o = o - (o * n).sum(-1, keepdim=True) * n
    return o.permute(0, 3, 1, 2, 4).reshape(N, T, H * Dv) @ W[p + "wo"].t()


def loss(W, cfg, ids):
    """golf_ref.loss with this attention in place of the reference's."""
    golf_ref.attention = attention
    try:
        return golf_ref.loss(W, cfg, ids, dtype=W["tok_emb"].dtype)
    finally:
        golf_ref.attention = golf_ref.attention_reference


if not hasattr(golf_ref, "attention_reference"):
    golf_ref.attention_reference = golf_ref.attention
