"""torch_nano_fast.py: the SPEC section-1 training loss written for speed in
plain PyTorch, as a user would write it to train on a CPU: rotary tables once
per call, grouped-query attention as one batched matmul per group (no copies
of k and v), the rope and content scores in one matmul, an additive causal
mask, each head's logits only where it has a target and fused cross entropy. The benchmark
baseline for section-1 configs (bench_train_torch.py); equal to
tests/ref/titan_ref.py's loss (checked by tests/e2e/bench_torch_fast.sh).

    loss(W, cfg, ids)   W: name -> tensor (SPEC names), ids [N, T] LongTensor
"""
import math

import torch
import torch.nn.functional as F

import titan_ref


def _rope_tables(c, T, dtype):
    freq, mscale = titan_ref.rope_frequencies(c)
    ang = torch.arange(T, dtype=dtype)[:, None] * torch.tensor(freq, dtype=dtype)[None, :]
    return torch.cos(ang), torch.sin(ang), mscale


def _rope(v, cos, sin):
    half = v.shape[-1] // 2
    a, b = v[..., :half], v[..., half:]
    return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)


def _rmsnorm(v, g, eps):
    return v * torch.rsqrt(v.pow(2).mean(-1, keepdim=True) + eps) * g


def _attention(W, c, p, u, rope, mask):
    N, T, _ = u.shape
    H, G = c["n_heads"], c["n_kv_heads"]
    Dh, Dv, Dr, Lkv, eps = c["head_dim"], c["v_head_dim"], c["rope_dim"], c["kv_latent"], c["norm_eps"]
    cos, sin, mscale = rope
    if c["q_latent"] > 0:
        q = _rmsnorm(u @ W[p + "wq_a"].t(), W[p + "q_norm"], eps) @ W[p + "wq_b"].t()
    else:
        q = u @ W[p + "wq"].t()
    q = q.view(N, T, G, H // G, Dh + Dr).permute(0, 2, 3, 1, 4)   # [N, G, rep, T, Dh+Dr]
    q = torch.cat([q[..., :Dh], _rope(q[..., Dh:], cos, sin)], -1)
    q = q.reshape(N, G, H // G * T, Dh + Dr) * (mscale * mscale / math.sqrt(Dh + Dr))
    a = u @ W[p + "wkv_a"].t()
    kr = _rope(a[..., Lkv:], cos, sin)                             # [N, T, Dr]
    kv = (_rmsnorm(a[..., :Lkv], W[p + "kv_norm"], eps) @ W[p + "wkv_b"].t()).view(N, T, G, Dh + Dv)
    k = torch.cat([kv[..., :Dh], kr[:, :, None].expand(N, T, G, Dr)], -1).permute(0, 2, 3, 1)
    v = kv[..., Dh:].transpose(1, 2)                              # [N, G, T, Dv]
    s = torch.matmul(q, k).view(N, G, H // G, T, T) + mask
    o = torch.matmul(torch.softmax(s, -1).view(N, G, H // G * T, T), v)
    o = o.view(N, G, H // G, T, Dv).permute(0, 3, 1, 2, 4).reshape(N, T, H * Dv)
    return o @ W[p + "wo"].t()


def _ffn(W, c, p, u):
    g = u @ W[p + "w_gate"].t()
    K = c["conv_kernel"]
    if K > 0:  # causal depthwise conv as K shifted products: stays [N, T, F] and contiguous
        T, w = g.shape[1], W[p + "conv"]
        gp = F.pad(g, (0, 0, K - 1, 0))
        g = sum(gp[:, j:j + T] * w[:, j] for j in range(K))
    return (F.silu(g) * (u @ W[p + "w_up"].t())) @ W[p + "w_down"].t()


def loss(W, cfg, ids):
    c = titan_ref._cfg(cfg)
    N, T = ids.shape
    rope = _rope_tables(c, T, W["tok_emb"].dtype)
    mask = torch.full((T, T), float("-inf"), dtype=W["tok_emb"].dtype).triu(1)
    h = W["tok_emb"][ids]
    for _ in range(c["n_recurrences"]):
        for b in range(c["n_unique_blocks"]):
            p = "blocks.%d." % b
            h = h + _attention(W, c, p, _rmsnorm(h, W[p + "attn_norm"], c["norm_eps"]), rope, mask)
            h = h + _ffn(W, c, p, _rmsnorm(h, W[p + "ffn_norm"], c["norm_eps"]))
    z = _rmsnorm(h, W["final_norm"], c["norm_eps"])
    cap, total = c["logit_softcap"], z.new_zeros(())
    for k in range(1, min(c["mtp_heads"], T - 1) + 1):
        head = W["tok_emb"] if k == 1 else W["mtp.%d.head" % k]
        logits = z[:, :T - k] @ head.t()  # only the positions with a target: no zero-filled grads
        if cap > 0:
            logits = cap * torch.tanh(logits / cap)
        ce = F.cross_entropy(logits.reshape(-1, c["vocab_size"]), ids[:, k:].reshape(-1))
        total = total + c["mtp_weights"][k - 1] * ce
    return total
